package dev.millrace.protocol;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ChunkedBytesTest {
    /** Any mix of single bytes and slices reads back the same, whole or as chunks of at most one block. */
    @Property(tries = 200)
    void chunksAndArrayHoldExactlyWhatWasWritten(
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 200_000) Integer> writes, @ForAll long seed) {
        Random random = new Random(seed);
        ChunkedBytes chunked = new ChunkedBytes();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int length : writes) {
            if (length % 7 == 0) {
                int b = random.nextInt(256);
                chunked.write(b);
                expected.write(b);
            } else {
                byte[] data = new byte[length + 3];
                random.nextBytes(data);
                chunked.write(data, 1, length);
                expected.write(data, 1, length);
            }
        }
        byte[] want = expected.toByteArray();
        assertThat(chunked.size()).isEqualTo(want.length);
        assertThat(chunked.toByteArray()).isEqualTo(want);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (ByteBuffer chunk : chunked.chunks()) {
            assertThat(chunk.remaining()).isBetween(1, ChunkedBytes.BLOCK_BYTES);
            byte[] part = new byte[chunk.remaining()];
            chunk.duplicate().get(part);
            joined.write(part, 0, part.length);
        }
        assertThat(joined.toByteArray()).isEqualTo(want);
    }
}
