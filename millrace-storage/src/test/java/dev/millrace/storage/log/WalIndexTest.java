package dev.millrace.storage.log;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link WalIndex} against a plain map of lists, over many shards, keys that collide, and shards that are gone. */
class WalIndexTest {

    /** Puts {@code key} at {@code at} in a buffer with other bytes around it, as a read chunk holds it. */
    private static ByteBuffer chunkWith(String key, int at) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] chunk = new byte[at + k.length + 7];
        java.util.Arrays.fill(chunk, (byte) 'x');
        System.arraycopy(k, 0, chunk, at, k.length);
        // A slice with an array offset, so that the index must add it.
        return ByteBuffer.wrap(chunk, 3, chunk.length - 3).slice();
    }

    @Test
    void keepsEveryExistingShardsEntriesInOrderAndDropsTheRest() {
        List<String> asked = new ArrayList<>();
        WalIndex index = new WalIndex(key -> {
            asked.add(key);
            return !key.endsWith("7");
        });
        Map<String, List<long[]>> expected = new HashMap<>();
        Random random = new Random(20);
        int shards = 5_000; // past the table's first size, so it grows several times
        for (int n = 0; n < 60_000; n++) {
            String key = "stream-" + (n % 3) + "/shardId-" + String.format("%012d", random.nextInt(shards));
            int file = random.nextInt(9);
            long offset = random.nextLong() & ((1L << 31) - 1);
            int bytes = 20 + random.nextInt(1000);
            int at = 3 + random.nextInt(40);
            index.add(chunkWith(key, at), at - 3, key.getBytes(StandardCharsets.UTF_8).length, file, offset, bytes);
            if (!key.endsWith("7")) {
                expected.computeIfAbsent(key, k -> new ArrayList<>()).add(new long[]{file, offset, bytes});
            }
        }
        assertThat(index.entries()).isEqualTo(60_000);
        assertThat(asked).doesNotHaveDuplicates();
        Map<String, WalIndex.Entries> byShard = index.byShard();
        assertThat(byShard.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (var e : expected.entrySet()) {
            WalIndex.Entries got = byShard.get(e.getKey());
            assertThat(got.key).isEqualTo(e.getKey());
            assertThat(got.count()).isEqualTo(e.getValue().size());
            for (int i = 0; i < got.count(); i++) {
                long[] want = e.getValue().get(i);
                assertThat(new long[]{got.file(i), got.offset(i), got.entryBytes(i)}).containsExactly(want);
            }
        }
    }

    @Test
    void tellsApartKeysWithTheSameHash() {
        // "Aa" and "BB" have the same String hash, and so the same hash here: only the bytes tell them apart.
        WalIndex index = new WalIndex(key -> true);
        for (int i = 0; i < 3; i++) {
            for (String key : List.of("s/Aa", "s/BB", "s/AaBB", "s/BBAa")) {
                index.add(chunkWith(key, 3), 0, key.length(), i, 100L * i + key.hashCode() % 50 + 50, 40);
            }
        }
        Map<String, WalIndex.Entries> byShard = index.byShard();
        assertThat(byShard).hasSize(4);
        for (String key : List.of("s/Aa", "s/BB", "s/AaBB", "s/BBAa")) {
            WalIndex.Entries e = byShard.get(key);
            assertThat(e.count()).isEqualTo(3);
            for (int i = 0; i < 3; i++) {
                assertThat(e.file(i)).isEqualTo(i);
                assertThat(e.offset(i)).isEqualTo(100L * i + key.hashCode() % 50 + 50);
            }
        }
    }

    @Test
    void keysAreUtf8() {
        WalIndex index = new WalIndex(key -> true);
        String key = "strëam/shardId-000000000001";
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        index.add(chunkWith(key, 3), 0, bytes, 0, 0, 40);
        assertThat(index.byShard()).containsOnlyKeys(key);
    }

    @Test
    void refusesWhatItCannotPack() {
        WalIndex index = new WalIndex(key -> true);
        ByteBuffer chunk = chunkWith("s/a", 3);
        assertThatThrownBy(() -> index.add(chunk, 0, 3, WalIndex.MAX_FILES, 0, 40))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> index.add(chunk, 0, 3, 0, 1L << WalIndex.OFFSET_BITS, 40))
                .isInstanceOf(IllegalArgumentException.class);
        index.add(chunk, 0, 3, WalIndex.MAX_FILES - 1, (1L << WalIndex.OFFSET_BITS) - 1, 40);
        WalIndex.Entries e = index.byShard().get("s/a");
        assertThat(e.file(0)).isEqualTo(WalIndex.MAX_FILES - 1);
        assertThat(e.offset(0)).isEqualTo((1L << WalIndex.OFFSET_BITS) - 1);
    }
}
