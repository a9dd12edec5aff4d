package dev.millrace.storage;

/**
 * Any failure of the storage layer. Implementations convert their own failures (an {@code IOException}, a broker
 * error) into this type exactly once, at their boundary, so callers above the SPI handle one exception family.
 *
 * <p>Immutable, thread-safe.
 */
public class StorageException extends RuntimeException {
    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
