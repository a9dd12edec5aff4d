package dev.millrace.glue;

/**
 * One of Glue's errors: its {@code __type} (e.g. {@code EntityNotFoundException}), its message and HTTP status (400
 * for every client error, 500 for {@code InternalServiceException}, the only fault in Glue's model).
 *
 * <p>Immutable, thread-safe.
 */
public final class GlueException extends RuntimeException {
    private final String errorType;
    private final int httpStatus;

    GlueException(String errorType, String message, int httpStatus) {
        super(message, null, false, false);
        this.errorType = errorType;
        this.httpStatus = httpStatus;
    }

    static GlueException invalidInput(String message) {
        return new GlueException("InvalidInputException", message, 400);
    }

    static GlueException notFound(String message) {
        return new GlueException("EntityNotFoundException", message, 400);
    }

    static GlueException alreadyExists(String message) {
        return new GlueException("AlreadyExistsException", message, 400);
    }

    static GlueException limitExceeded(String message) {
        return new GlueException("ResourceNumberLimitExceededException", message, 400);
    }

    static GlueException concurrentModification(String message) {
        return new GlueException("ConcurrentModificationException", message, 400);
    }

    static GlueException internal(String message) {
        return new GlueException("InternalServiceException", message, 500);
    }

    /** The answer to an X-Amz-Target this subset does not serve (AWS's wording for an unknown operation). */
    static GlueException unknownOperation(String target) {
        return new GlueException("UnknownOperationException",
                "Millrace serves CreateRegistry, CreateSchema, RegisterSchemaVersion, GetSchema, GetSchemaVersion,"
                        + " ListSchemas and ListSchemaVersions of Glue; not " + target + ".", 400);
    }

    public String errorType() {
        return errorType;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
