package dev.millrace.protocol;

/**
 * An error answered to the client: its AWS error type (the {@code __type} and {@code x-amzn-ErrorType} it is sent
 * with), its message and HTTP status. Client errors are 400, internal failures 500.
 *
 * <p>AWS's front end (Coral) names the message member {@code Message} in a {@code SerializationException} and
 * {@code message} in every other error; clients assert on the body as recorded, and the AWS SDKs read either.
 *
 * <p>Immutable, thread-safe.
 */
public class KinesisException extends RuntimeException {
    private static final String SERIALIZATION = "SerializationException";

    private final String errorType;
    private final int httpStatus;

    public KinesisException(String errorType, String message, int httpStatus) {
        super(message, null, false, false);
        this.errorType = errorType;
        this.httpStatus = httpStatus;
    }

    public String errorType() {
        return errorType;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** The body member the message travels in: {@code Message} for a serialization error, else {@code message}. */
    public String messageMember() {
        return SERIALIZATION.equals(errorType) ? "Message" : "message";
    }

    public static KinesisException client(String errorType, String message) {
        return new KinesisException(errorType, message, 400);
    }

    public static KinesisException resourceNotFound(String message) {
        return client("ResourceNotFoundException", message);
    }

    public static KinesisException resourceInUse(String message) {
        return client("ResourceInUseException", message);
    }

    public static KinesisException invalidArgument(String message) {
        return client("InvalidArgumentException", message);
    }

    public static KinesisException limitExceeded(String message) {
        return client("LimitExceededException", message);
    }

    public static KinesisException expiredIterator(String message) {
        return client("ExpiredIteratorException", message);
    }

    public static KinesisException expiredNextToken(String message) {
        return client("ExpiredNextTokenException", message);
    }

    public static KinesisException validation(String message) {
        return client("ValidationException", message);
    }

    /** A body that does not parse as a JSON/CBOR structure: AWS answers the bare type, without a message. */
    public static KinesisException malformedBody() {
        return client(SERIALIZATION, null);
    }

    /** A body member of the wrong type, with Coral's text (e.g. {@code Expected list or null}). */
    public static KinesisException serialization(String message) {
        return client("SerializationException", message);
    }

    public static KinesisException unknownOperation() {
        return client("UnknownOperationException", null);
    }

    public static KinesisException missingAuthenticationToken() {
        return new KinesisException("MissingAuthenticationTokenException", "Missing Authentication Token", 400);
    }

    public static KinesisException internalFailure(String message) {
        return new KinesisException("InternalFailure", message, 500);
    }
}
