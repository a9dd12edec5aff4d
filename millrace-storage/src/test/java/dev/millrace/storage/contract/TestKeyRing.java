package dev.millrace.storage.contract;

import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.crypto.KeyUnavailableException;

import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A key ring a test controls: keys made with random material, disabled and enabled again at will, the way an operator
 * edits the server's key file. Thread-safe.
 */
public final class TestKeyRing implements KeyRing {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, DataKey> keys = new ConcurrentHashMap<>();
    private final Set<String> disabled = ConcurrentHashMap.newKeySet();

    /** Adds a key with fresh random material (replacing one of the same id) and returns it. */
    public DataKey add(String keyId) {
        byte[] material = new byte[DataKey.KEY_BYTES];
        RANDOM.nextBytes(material);
        DataKey key = new DataKey(keyId, material);
        keys.put(keyId, key);
        return key;
    }

    /** Adds {@code key} as it is (the same material as another ring's, for a store reopened over the same data). */
    public TestKeyRing with(DataKey key) {
        keys.put(key.keyId(), key);
        return this;
    }

    public void disable(String keyId) {
        disabled.add(keyId);
    }

    public void enable(String keyId) {
        disabled.remove(keyId);
    }

    @Override
    public DataKey key(String keyId) {
        DataKey key = keys.get(keyId);
        if (key == null) {
            throw new KeyUnavailableException(keyId, KeyUnavailableException.Reason.NOT_FOUND);
        }
        if (disabled.contains(keyId)) {
            throw new KeyUnavailableException(keyId, KeyUnavailableException.Reason.DISABLED);
        }
        return key;
    }
}
