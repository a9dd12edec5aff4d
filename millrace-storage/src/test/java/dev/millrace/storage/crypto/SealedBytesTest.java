package dev.millrace.storage.crypto;

import dev.millrace.storage.CorruptDataException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sealing and opening: round trips, fresh nonces, and every bound field and byte checked on open. */
class SealedBytesTest {
    private static final byte[] PLAIN = "the quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8);

    private static DataKey key(String id, long seed) {
        byte[] material = new byte[DataKey.KEY_BYTES];
        new Random(seed).nextBytes(material);
        return new DataKey(id, material);
    }

    private static byte[] seal(DataKey key, SealedBytes.Purpose purpose, long position, int count, byte[] plain) {
        ByteBuffer out = ByteBuffer.allocate(SealedBytes.sealedBytes(plain.length));
        SealedBytes.seal(key, purpose, position, count, ByteBuffer.wrap(plain), out);
        assertThat(out.hasRemaining()).as("sealing fills exactly sealedBytes()").isFalse();
        return out.array();
    }

    private static byte[] open(DataKey key, SealedBytes.Purpose purpose, long position, int count, byte[] sealed) {
        ByteBuffer out = ByteBuffer.allocate(SealedBytes.plaintextBytes(sealed.length));
        SealedBytes.open(key, purpose, position, count, ByteBuffer.wrap(sealed), out);
        assertThat(out.hasRemaining()).isFalse();
        return out.array();
    }

    @Test
    void roundTripsAndNeverRepeatsItsOutput() {
        DataKey key = key("k1", 1);
        byte[] a = seal(key, SealedBytes.Purpose.BATCH, 42, 7, PLAIN);
        byte[] b = seal(key, SealedBytes.Purpose.BATCH, 42, 7, PLAIN);
        assertThat(a).hasSize(PLAIN.length + SealedBytes.OVERHEAD_BYTES);
        assertThat(Arrays.copyOf(a, SealedBytes.NONCE_BYTES)).as("a fresh nonce per seal")
                .isNotEqualTo(Arrays.copyOf(b, SealedBytes.NONCE_BYTES));
        assertThat(a).isNotEqualTo(b);
        assertThat(open(key, SealedBytes.Purpose.BATCH, 42, 7, a)).isEqualTo(PLAIN);
        assertThat(open(key, SealedBytes.Purpose.BATCH, 42, 7, b)).isEqualTo(PLAIN);
        assertThat(open(key, SealedBytes.Purpose.RECORD, 0, 0, seal(key, SealedBytes.Purpose.RECORD, 0, 0,
                new byte[0]))).isEmpty();
    }

    @Test
    void everyBoundFieldAndEveryStoredByteIsChecked() {
        DataKey key = key("k1", 1);
        byte[] sealed = seal(key, SealedBytes.Purpose.BATCH, 42, 7, PLAIN);
        assertFailsToOpen(key, SealedBytes.Purpose.BATCH, 43, 7, sealed);
        assertFailsToOpen(key, SealedBytes.Purpose.BATCH, 42, 6, sealed);
        assertFailsToOpen(key, SealedBytes.Purpose.RECORD, 42, 7, sealed);
        assertFailsToOpen(new DataKey("k2", key.material()), SealedBytes.Purpose.BATCH, 42, 7, sealed);
        assertFailsToOpen(key("k1", 2), SealedBytes.Purpose.BATCH, 42, 7, sealed);
        for (int i = 0; i < sealed.length; i++) {
            byte[] changed = sealed.clone();
            changed[i] ^= 1;
            assertFailsToOpen(key, SealedBytes.Purpose.BATCH, 42, 7, changed);
        }
        assertFailsToOpen(key, SealedBytes.Purpose.BATCH, 42, 7, Arrays.copyOf(sealed, sealed.length - 1));
        assertThatThrownBy(() -> SealedBytes.open(key, SealedBytes.Purpose.BATCH, 42, 7,
                ByteBuffer.allocate(SealedBytes.OVERHEAD_BYTES - 1), ByteBuffer.allocate(0)))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("shorter");
        assertThat(SealedBytes.plaintextBytes(SealedBytes.OVERHEAD_BYTES - 1)).isEqualTo(-1);
    }

    private static void assertFailsToOpen(DataKey key, SealedBytes.Purpose purpose, long position, int count,
                                          byte[] sealed) {
        assertThatThrownBy(() -> open(key, purpose, position, count, sealed))
                .isInstanceOf(CorruptDataException.class);
    }
}
