package dev.millrace.lambda;

/**
 * One of Lambda's errors: its type (the {@code x-amzn-ErrorType} header and {@code __type}), HTTP status, message, and
 * the casing of the message member, which Lambda's model fixes per exception: {@code message} for
 * InvalidParameterValueException, ResourceConflictException, TooManyRequestsException and the request-level errors,
 * {@code Message} for ResourceNotFoundException, ResourceInUseException and ServiceException (facts §2.1).
 *
 * <p>Immutable, thread-safe.
 */
public final class LambdaException extends RuntimeException {
    /** AWS's text for a UUID that names no mapping (recorded against AWS). */
    static final String NOT_FOUND = "The resource you requested does not exist.";

    private final String errorType;
    private final int httpStatus;
    private final boolean capitalMessage;

    LambdaException(String errorType, int httpStatus, boolean capitalMessage, String message) {
        super(message, null, false, false);
        this.errorType = errorType;
        this.httpStatus = httpStatus;
        this.capitalMessage = capitalMessage;
    }

    static LambdaException invalidParameter(String message) {
        return new LambdaException("InvalidParameterValueException", 400, false, message);
    }

    /** A violation of the model's constraints, in the Coral format ({@link Violations}). */
    static LambdaException validation(String message) {
        return new LambdaException("ValidationException", 400, false, message);
    }

    /**
     * A body that is not JSON, or a member of another JSON type than the model's: Lambda's front end answers
     * InvalidRequestContentException "Could not parse request body into json: ..." for these.
     */
    static LambdaException invalidContent(String detail) {
        return new LambdaException("InvalidRequestContentException", 400, false,
                "Could not parse request body into json: " + detail);
    }

    static LambdaException notFound() {
        return new LambdaException("ResourceNotFoundException", 404, true, NOT_FOUND);
    }

    static LambdaException conflict(String message) {
        return new LambdaException("ResourceConflictException", 409, false, message);
    }

    static LambdaException inUse(String message) {
        return new LambdaException("ResourceInUseException", 400, true, message);
    }

    static LambdaException tooManyRequests(String message) {
        return new LambdaException("TooManyRequestsException", 429, false, message);
    }

    static LambdaException tooLarge(String message) {
        return new LambdaException("RequestTooLargeException", 413, false, message);
    }

    static LambdaException unknownOperation(String message) {
        return new LambdaException("UnknownOperationException", 404, false, message);
    }

    static LambdaException service(String message) {
        return new LambdaException("ServiceException", 500, true, message);
    }

    public String errorType() {
        return errorType;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** Whether the body's message member is {@code Message} rather than {@code message}. */
    boolean capitalMessage() {
        return capitalMessage;
    }

    /** {@code Service} for the 500 fault, {@code User} for every client error. */
    String faultType() {
        return httpStatus >= 500 ? "Service" : "User";
    }
}
