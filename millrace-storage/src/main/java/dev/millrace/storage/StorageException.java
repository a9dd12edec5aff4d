package dev.millrace.storage;

/**
 * Any failure of the storage layer. Implementations convert their own failures (an {@code IOException}, a broker
 * error) into this type exactly once, at their boundary, so callers above the SPI handle one exception family.
 *
 * <p>Immutable, thread-safe.
 */
public class StorageException extends RuntimeException {
    private final boolean reported;

    public StorageException(String message) {
        super(message);
        this.reported = false;
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
        this.reported = false;
    }

    /**
     * A failure the storage layer has already logged, rate-limited (a full disk fails every write until it is freed):
     * callers answer it as usual but do not log it again, and it carries no stack trace, which nobody would read.
     */
    public StorageException(String message, Throwable cause, boolean reported) {
        super(message, cause, true, !reported);
        this.reported = reported;
    }

    /** Whether the storage layer logged this failure itself, so that callers need not. */
    public boolean reported() {
        return reported;
    }
}
