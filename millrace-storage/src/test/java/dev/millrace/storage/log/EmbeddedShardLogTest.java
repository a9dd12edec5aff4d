package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only the embedded engine does: segment files rolled by size and age, the index, whole segments deleted by
 * retention, the open-file cap, durability policies, read chunks, batch limits and what deletion leaves open. What
 * every backend does is in {@link dev.millrace.storage.contract.ShardLogContract} ({@link EmbeddedShardLogContractTest}).
 */
class EmbeddedShardLogTest {
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private EmbeddedLogStore store;

    private EmbeddedLogStore open(LogConfig config) {
        store = EmbeddedLogStore.open(config, clock);
        return store;
    }

    private LogConfig config() {
        return LogConfig.defaults(dir);
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void segmentsRollBySizeAndReadsCrossThem() throws Exception {
        ShardLog log = open(config().withSegmentBytes(2048).withIndexIntervalBytes(256)).openOrCreate("roll");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            log.append(records("r" + i, 3));
            for (int j = 0; j < 3; j++) {
                expected.add("r" + i + "-" + j);
            }
        }
        assertThat(LogTesting.files(dir.resolve("shards/roll"), ".log")).hasSizeGreaterThanOrEqualTo(3);
        assertThat(dataOf(readAll(log))).isEqualTo(expected);
        ReadResult middle = log.read(100, 5, Long.MAX_VALUE);
        assertThat(middle.records()).extracting(StoredRecord::position).containsExactly(100L, 101L, 102L, 103L, 104L);

        store.close();
        ShardLog reopened = open(config().withSegmentBytes(2048).withIndexIntervalBytes(256)).openOrCreate("roll");
        assertThat(dataOf(readAll(reopened))).isEqualTo(expected);
        assertThat(reopened.append(records("z", 1)).basePosition()).isEqualTo(180);
    }

    @Test
    void segmentsRollByAgeSoRetentionCanDeleteThem() throws Exception {
        ShardLog log = open(config().withSegmentMs(1000)).openOrCreate("age");
        log.append(records("a", 1));
        clock.advanceMs(1000);
        log.append(records("b", 1));
        assertThat(LogTesting.files(dir.resolve("shards/age"), ".log")).hasSize(2);
    }

    @Test
    void timeLookupFindsFirstRecordAtOrAfterTimestamp() {
        ShardLog log = open(config().withIndexIntervalBytes(64)).openOrCreate("time");
        for (int i = 0; i < 50; i++) {
            log.append(records("t" + i, 2));
            clock.advanceMs(10);
        }
        assertThat(log.positionAtOrAfter(T0)).isZero();
        assertThat(log.positionAtOrAfter(T0 - 1_000)).isZero();
        assertThat(log.positionAtOrAfter(T0 + 1)).isEqualTo(2);
        assertThat(log.positionAtOrAfter(T0 + 250)).isEqualTo(50);
        assertThat(log.positionAtOrAfter(T0 + 255)).isEqualTo(52);
        assertThat(log.positionAtOrAfter(T0 + 490)).isEqualTo(98);
        assertThat(log.positionAtOrAfter(T0 + 491)).isEqualTo(100);
    }

    @Test
    void expiredRecordsAreNeverReadAndWholeSegmentsAreDeleted() throws Exception {
        ShardLog log = open(config().withSegmentBytes(4096)).openOrCreate("ret");
        log.retentionMs(10_000);
        for (int i = 0; i < 150; i++) {
            log.append(records("old" + i, 2));
        }
        clock.advanceMs(6_000);
        log.append(records("new", 2));
        clock.advanceMs(5_000);

        assertThat(dataOf(readAll(log))).containsExactly("new-0", "new-1");
        assertThat(log.startPosition()).isEqualTo(300);
        assertThat(log.read(0, 10, Long.MAX_VALUE).records()).extracting(StoredRecord::position)
                .containsExactly(300L, 301L);
        assertThat(log.positionAtOrAfter(T0)).isEqualTo(300);

        int before = LogTesting.files(dir.resolve("shards/ret"), ".log").size();
        assertThat(log.trimExpired()).isPositive();
        assertThat(LogTesting.files(dir.resolve("shards/ret"), ".log")).hasSizeLessThan(before);
        assertThat(dataOf(readAll(log))).containsExactly("new-0", "new-1");

        clock.advanceMs(10_000);
        assertThat(readAll(log)).isEmpty();
        assertThat(log.trimExpired()).isPositive();
        assertThat(log.append(records("after", 1)).basePosition()).isEqualTo(302);
        store.close();
        ShardLog reopened = open(config().withSegmentBytes(4096)).openOrCreate("ret");
        assertThat(reopened.endPosition()).isEqualTo(303);
        assertThat(dataOf(readAll(reopened))).containsExactly("after-0");
    }

    @Test
    void intervalDurabilityMakesRecordsVisibleAtOnceAndFlushesThem() {
        ShardLog log = open(config().withDurability(DurabilityPolicy.INTERVAL, 5)).openOrCreate("interval");
        log.append(records("i", 3));
        assertThat(dataOf(readAll(log))).containsExactly("i-0", "i-1", "i-2");
        store.close();
        ShardLog reopened = open(config()).openOrCreate("interval");
        assertThat(reopened.endPosition()).isEqualTo(3);
    }

    @Test
    void openFilesStayUnderTheCapWithManyShards() {
        EmbeddedLogStore s = open(config().withMaxOpenFiles(16));
        for (int i = 0; i < 200; i++) {
            s.openOrCreate("shard-" + i).append(records("s" + i, 1));
        }
        assertThat(s.openFileCount()).isLessThanOrEqualTo(16);
        for (int i = 0; i < 200; i++) {
            assertThat(dataOf(readAll(s.openOrCreate("shard-" + i)))).containsExactly("s" + i + "-0");
        }
        assertThat(s.openFileCount()).isLessThanOrEqualTo(16);
        assertThat(s.shardKeys()).hasSize(200);
    }

    @Test
    void deletedShardsHoldNoOpenFiles() {
        EmbeddedLogStore s = open(config());
        int before = s.openFileCount();
        for (int i = 0; i < 50; i++) {
            s.openOrCreate("doomed-" + i).append(records("x" + i, 3));
        }
        assertThat(s.openFileCount()).isGreaterThan(before);
        for (int i = 0; i < 50; i++) {
            s.delete("doomed-" + i);
        }
        assertThat(s.openFileCount()).isEqualTo(before);
    }

    @Test
    void emptyAndOversizedBatchesAreRejected() {
        ShardLog log = open(config()).openOrCreate("ok");
        assertThatThrownBy(() -> log.append(List.of())).isInstanceOf(IllegalArgumentException.class);
        byte[] big = new byte[LogConfig.MAX_BATCH_BYTES_DEFAULT];
        assertThatThrownBy(() -> log.append(List.of(new AppendRecord("k", big))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(log.endPosition()).isZero();
    }

    @Test
    void openIfExistsCreatesNoDirectory() {
        EmbeddedLogStore s = open(config());
        assertThat(s.openIfExists("never")).isEmpty();
        assertThat(Files.exists(dir.resolve("shards").resolve("never"))).isFalse();
        s.openOrCreate("doomed");
        s.delete("doomed");
        assertThat(s.openIfExists("doomed")).isEmpty();
        assertThat(Files.exists(dir.resolve("shards").resolve("doomed"))).isFalse();
    }

    @Test
    void batchesAroundTheReadChunkSizeAreReadWholeFromAnyPosition() {
        ShardLog log = open(config()).openOrCreate("chunks");
        int chunk = SegmentScanner.MAX_CHUNK_BYTES;
        // Small batches fill a chunk unevenly; then batches just under, at and over a chunk, and small ones again,
        // so that reads refill the reused buffer, outgrow it once and reuse the larger one.
        int[] sizes = {1000, 3000, 70_000, chunk - 100, 10, chunk, chunk + 1, 2 * chunk + 7, 500, 64 * 1024, 1};
        List<byte[]> written = new java.util.ArrayList<>();
        for (int b = 0; b < sizes.length; b++) {
            List<AppendRecord> batch = new java.util.ArrayList<>();
            for (int r = 0; r < 3; r++) {
                byte[] data = new byte[sizes[b]];
                java.util.Arrays.fill(data, (byte) (b * 7 + r));
                data[data.length - 1] = (byte) b;
                batch.add(new AppendRecord("k" + r, data));
                written.add(data);
            }
            log.append(batch);
        }
        for (int from = 0; from < written.size(); from += 4) {
            List<StoredRecord> read = log.read(from, 10_000, Long.MAX_VALUE).records();
            assertThat(read).as("from %d", from).hasSize(written.size() - from);
            for (int i = 0; i < read.size(); i++) {
                assertThat(read.get(i).data()).as("record %d", from + i).isEqualTo(written.get(from + i));
            }
        }
    }

    /**
     * A read's records point into the buffers the read filled (no copy per record): records read early in a long
     * read must still hold their bytes after later chunks were read, through every accessor.
     */
    @Test
    void recordsOfALongReadKeepTheirKeysAndDataAfterLaterChunks() {
        ShardLog log = open(config()).openOrCreate("views");
        List<String> keys = new ArrayList<>();
        List<byte[]> written = new ArrayList<>();
        int total = 4 * SegmentScanner.MAX_CHUNK_BYTES / 1000;
        for (int b = 0; b < total / 50; b++) {
            List<AppendRecord> batch = new ArrayList<>();
            for (int r = 0; r < 50; r++) {
                int n = b * 50 + r;
                byte[] data = new byte[1000];
                java.util.Arrays.fill(data, (byte) n);
                data[0] = (byte) (n >> 8);
                String key = "k\u00e9\u4e2d\ud83d\ude00-" + n;
                batch.add(new AppendRecord(key, data));
                keys.add(key);
                written.add(data);
            }
            log.append(batch);
        }
        List<StoredRecord> read = log.read(0, 10_000, Long.MAX_VALUE).records();
        assertThat(read).hasSize(written.size());
        for (int i = 0; i < read.size(); i++) {
            StoredRecord r = read.get(i);
            assertThat(java.util.Arrays.copyOfRange(r.dataArray(), r.dataOffset(), r.dataOffset() + r.dataLength()))
                    .as("record %d", i).isEqualTo(written.get(i));
            assertThat(new String(r.keyArray(), r.keyOffset(), r.keyLength(), java.nio.charset.StandardCharsets.UTF_8))
                    .as("record %d", i).isEqualTo(keys.get(i));
            assertThat(r.data()).as("record %d", i).isEqualTo(written.get(i));
            assertThat(r.partitionKey()).as("record %d", i).isEqualTo(keys.get(i));
        }
    }
}
