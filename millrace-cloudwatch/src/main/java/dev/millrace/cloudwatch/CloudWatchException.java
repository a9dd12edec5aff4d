package dev.millrace.cloudwatch;

/**
 * An error answered to a CloudWatch client. CloudWatch's errors have two names: the modeled one
 * ({@code InvalidParameterValueException}), which the JSON and CBOR protocols send as {@code __type}, and the query
 * protocol's code ({@code InvalidParameterValue}), which the query protocol sends as {@code Code} and the other two
 * repeat in the {@code x-amzn-query-error} header (CloudWatch is "query compatible", so SDKs map either).
 *
 * <p>Immutable, thread-safe.
 */
final class CloudWatchException extends RuntimeException {
    private final String type;
    private final String queryCode;
    private final int httpStatus;
    private final boolean sender;

    private CloudWatchException(String type, String queryCode, int httpStatus, boolean sender, String message) {
        super(message, null, false, false);
        this.type = type;
        this.queryCode = queryCode;
        this.httpStatus = httpStatus;
        this.sender = sender;
    }

    static CloudWatchException invalidValue(String message) {
        return new CloudWatchException("InvalidParameterValueException", "InvalidParameterValue", 400, true, message);
    }

    static CloudWatchException missing(String parameter) {
        return new CloudWatchException("MissingRequiredParameterException", "MissingParameter", 400, true,
                "The parameter " + parameter + " is required.");
    }

    static CloudWatchException combination(String message) {
        return new CloudWatchException("InvalidParameterCombinationException", "InvalidParameterCombination", 400,
                true, message);
    }

    static CloudWatchException invalidNextToken() {
        return new CloudWatchException("InvalidNextToken", "InvalidNextToken", 400, true, "The next token is invalid.");
    }

    static CloudWatchException malformed(String message) {
        return new CloudWatchException("SerializationException", "MalformedQueryString", 400, true, message);
    }

    static CloudWatchException unknownOperation(String operation) {
        return new CloudWatchException("UnknownOperationException", "InvalidAction", 400, true,
                "The action " + operation + " is not valid for this web service.");
    }

    static CloudWatchException security(String type, String queryCode, int httpStatus, String message) {
        return new CloudWatchException(type, queryCode, httpStatus, true, message);
    }

    static CloudWatchException internal() {
        return internal("Internal server error");
    }

    static CloudWatchException internal(String message) {
        return new CloudWatchException("InternalServiceFault", "InternalServiceError", 500, false, message);
    }

    /** The modeled name, e.g. {@code InvalidParameterValueException}. */
    String type() {
        return type;
    }

    /** The query protocol's code, e.g. {@code InvalidParameterValue}. */
    String queryCode() {
        return queryCode;
    }

    int httpStatus() {
        return httpStatus;
    }

    /** The query protocol's fault side: "Sender" for the caller's mistakes, "Receiver" for the server's. */
    String fault() {
        return sender ? "Sender" : "Receiver";
    }
}
