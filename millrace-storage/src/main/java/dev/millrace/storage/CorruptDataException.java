package dev.millrace.storage;

/**
 * Stored bytes failed their checksum or structural checks where they cannot be repaired by truncation (for example a
 * damaged batch inside an older, sealed segment). Nothing is returned past the damage.
 *
 * <p>Immutable, thread-safe.
 */
public class CorruptDataException extends StorageException {
    public CorruptDataException(String message) {
        super(message);
    }
}
