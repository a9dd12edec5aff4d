package dev.millrace.storage.crypto;

import java.util.Arrays;
import java.util.Objects;

/**
 * A 256-bit key that records are encrypted with at rest, named by the id that is stored with what it encrypted, so
 * that records stay readable after the stream moves to another key or stops encrypting.
 *
 * @param keyId    the key's id (a KMS key id, e.g. {@code 1234abcd-12ab-34cd-56ef-1234567890ab}); at most
 *                 {@link #MAX_KEY_ID_BYTES} bytes of ASCII
 * @param material the 32 key bytes (not copied: the key ring owns them)
 *
 * <p>Immutable; thread-safe. {@link #toString} never shows the material.
 */
public record DataKey(String keyId, byte[] material) {
    public static final int KEY_BYTES = 32;
    public static final int MAX_KEY_ID_BYTES = 255;

    public DataKey {
        Objects.requireNonNull(keyId, "keyId");
        if (keyId.isEmpty() || keyId.length() > MAX_KEY_ID_BYTES || !keyId.chars().allMatch(c -> c > 32 && c < 127)) {
            throw new IllegalArgumentException("a key id is 1 to " + MAX_KEY_ID_BYTES + " printable ASCII characters");
        }
        if (material == null || material.length != KEY_BYTES) {
            throw new IllegalArgumentException("key " + keyId + " must be " + KEY_BYTES + " bytes");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataKey k && k.keyId.equals(keyId) && Arrays.equals(k.material, material);
    }

    @Override
    public int hashCode() {
        return keyId.hashCode();
    }

    @Override
    public String toString() {
        return "DataKey[" + keyId + "]";
    }
}
