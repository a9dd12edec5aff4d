package dev.millrace.storage.crypto;

import dev.millrace.storage.CorruptDataException;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;

/**
 * Bytes encrypted at rest, the layout both storage engines store: AES-256-GCM through the JDK's {@code javax.crypto},
 * a fresh random nonce per seal, the full 128-bit tag. Only this class computes offsets inside sealed bytes.
 *
 * <pre>
 *  0                12                                        12+n                 12+n+16
 *  +----------------+-----------------------------------------+--------------------+
 *  |     nonce      |  ciphertext (n bytes, as the plaintext)  |      GCM tag       |
 *  +----------------+-----------------------------------------+--------------------+
 *
 *  associated data: authenticated by the tag, never stored with the sealed bytes (the caller stores the key id and
 *  the bound fields where it keeps them, in clear):
 *
 *  purpose (1 byte) | keyIdLength (1 byte) | key id, ASCII | position (8 bytes) | count (4 bytes)
 *
 *    purpose 1, BATCH:  the embedded engine's record batch; position = its base position, count = its record count
 *    purpose 2, RECORD: one Kafka record's value; position and count are 0 (the broker numbers the record after it
 *                       was sealed, so its offset cannot be bound)
 *
 *  big-endian like every field.
 * </pre>
 *
 * <p>Binding the key id means bytes cannot be made to claim another key; binding position and count means a batch
 * cannot be moved to other positions or have its count changed without failing to open; the purpose keeps one
 * engine's ciphertext from opening as the other's. A random 96-bit nonce stays within NIST SP 800-38D's bound for
 * random nonces (2^32 seals per key) for billions of batches; rotating keys is the answer beyond that.
 *
 * <p>Stateless and thread-safe: each thread uses a {@link Cipher} and {@link SecureRandom} of its own.
 */
public final class SealedBytes {
    public static final int NONCE_BYTES = 12;
    public static final int TAG_BYTES = 16;
    /** What sealing adds to the plaintext. */
    public static final int OVERHEAD_BYTES = NONCE_BYTES + TAG_BYTES;
    private static final int TAG_BITS = TAG_BYTES * 8;
    private static final int BOUND_FIELDS_BYTES = 8 + 4;

    /** What the sealed bytes are, bound into the associated data. */
    public enum Purpose {
        BATCH(1), RECORD(2);

        private final byte code;

        Purpose(int code) {
            this.code = (byte) code;
        }
    }

    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no AES/GCM/NoPadding", e);
        }
    });
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private SealedBytes() {
    }

    /** The sealed size of {@code plaintextBytes} bytes. */
    public static int sealedBytes(int plaintextBytes) {
        return plaintextBytes + OVERHEAD_BYTES;
    }

    /**
     * Seals the plaintext's remaining bytes into {@code out} at its position, which moves past them
     * ({@link #sealedBytes} of them); the plaintext's position moves to its limit.
     */
    public static void seal(DataKey key, Purpose purpose, long position, int count, ByteBuffer plaintext,
                            ByteBuffer out) {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.get().nextBytes(nonce);
        Cipher cipher = CIPHERS.get();
        try {
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key.material(), "AES"),
                    new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(key.keyId(), purpose, position, count));
            out.put(nonce);
            cipher.doFinal(plaintext, out);
        } catch (GeneralSecurityException e) {
            // Only a programming error gets here (the key's size is checked where it is made): never store plaintext.
            throw new IllegalStateException("sealing with key " + key.keyId() + " failed: " + e, e);
        }
    }

    /**
     * Opens the sealed bytes remaining in {@code sealed} (the key id, purpose, position and count must be the ones
     * they were sealed with) into {@code out} at its position, which moves past the plaintext.
     *
     * @throws CorruptDataException if they do not open: changed bytes, another key's material, or other bound fields
     */
    public static void open(DataKey key, Purpose purpose, long position, int count, ByteBuffer sealed,
                            ByteBuffer out) {
        if (sealed.remaining() < OVERHEAD_BYTES) {
            throw new CorruptDataException("sealed bytes of " + sealed.remaining() + " bytes are shorter than the "
                    + OVERHEAD_BYTES + " bytes of nonce and tag");
        }
        byte[] nonce = new byte[NONCE_BYTES];
        sealed.get(nonce);
        Cipher cipher = CIPHERS.get();
        try {
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key.material(), "AES"),
                    new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(associatedData(key.keyId(), purpose, position, count));
            cipher.doFinal(sealed, out);
        } catch (AEADBadTagException e) {
            throw new CorruptDataException("encrypted bytes (key " + key.keyId() + ", position " + position
                    + ") fail authentication: changed on disk, or the key's material is not what sealed them");
        } catch (GeneralSecurityException e) {
            throw new CorruptDataException("encrypted bytes (key " + key.keyId() + ", position " + position
                    + ") do not open: " + e);
        }
    }

    /** The plaintext size of {@code sealedBytes} sealed bytes, or -1 if that is too short to be sealed bytes. */
    public static int plaintextBytes(int sealedBytes) {
        return sealedBytes < OVERHEAD_BYTES ? -1 : sealedBytes - OVERHEAD_BYTES;
    }

    private static byte[] associatedData(String keyId, Purpose purpose, long position, int count) {
        byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer aad = ByteBuffer.allocate(2 + id.length + BOUND_FIELDS_BYTES).order(ByteOrder.BIG_ENDIAN);
        aad.put(purpose.code).put((byte) id.length).put(id).putLong(position).putInt(count);
        return aad.array();
    }
}
