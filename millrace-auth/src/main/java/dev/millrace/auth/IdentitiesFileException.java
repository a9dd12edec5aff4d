package dev.millrace.auth;

/**
 * An identities file that cannot be used: unreadable, too large, not JSON, or not valid. The message names the file
 * and, where it can, the identity (by position and name), the field and the line, so an operator can fix it from the
 * log line alone; the caller keeps its previous snapshot.
 *
 * <p>Immutable, thread-safe.
 */
public final class IdentitiesFileException extends Exception {
    public IdentitiesFileException(String message) {
        super(message);
    }

    public IdentitiesFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
