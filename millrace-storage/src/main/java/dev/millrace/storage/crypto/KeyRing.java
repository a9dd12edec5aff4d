package dev.millrace.storage.crypto;

/**
 * The keys a storage engine may decrypt records with, looked up by the id stored with them. The server backs it with
 * the {@code --kms-keys} file; a key can be disabled (or removed) at any time, and reading what it encrypted then fails
 * with {@link KeyUnavailableException} until it is enabled again.
 *
 * <p>Implementations are thread-safe: every read of an encrypted batch asks.
 */
@FunctionalInterface
public interface KeyRing {
    /** No keys at all: reading anything encrypted fails. */
    KeyRing NONE = keyId -> {
        throw new KeyUnavailableException(keyId, KeyUnavailableException.Reason.NOT_FOUND);
    };

    /**
     * The key named {@code keyId}.
     *
     * @throws KeyUnavailableException if there is no such key, or it is disabled
     */
    DataKey key(String keyId);
}
