package dev.millrace.storage.crypto;

import dev.millrace.storage.StorageException;

/**
 * Records encrypted with a key that cannot be used now: it is not in the key ring, or disabled. Not retryable: the
 * server answers AWS's KMS errors ({@code KMSNotFoundException}, {@code KMSDisabledException}).
 *
 * <p>Immutable, thread-safe.
 */
public final class KeyUnavailableException extends StorageException {
    /** Why the key cannot be used. */
    public enum Reason { NOT_FOUND, DISABLED }

    private final String keyId;
    private final Reason reason;

    public KeyUnavailableException(String keyId, Reason reason) {
        super("key " + keyId + (reason == Reason.DISABLED ? " is disabled" : " is not in the key ring"));
        this.keyId = keyId;
        this.reason = reason;
    }

    public String keyId() {
        return keyId;
    }

    public Reason reason() {
        return reason;
    }
}
