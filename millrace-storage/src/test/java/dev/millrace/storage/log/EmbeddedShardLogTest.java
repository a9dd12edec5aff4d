package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StoredRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    void appendAssignsConsecutivePositionsAndReadsBackExactly() {
        ShardLog log = open(config()).openOrCreate("s1");
        AppendResult first = log.append(records("a", 3));
        AppendResult second = log.append(records("b", 2));

        assertThat(first.basePosition()).isZero();
        assertThat(second.basePosition()).isEqualTo(3);
        assertThat(log.endPosition()).isEqualTo(5);
        List<StoredRecord> all = readAll(log);
        assertThat(dataOf(all)).containsExactly("a-0", "a-1", "a-2", "b-0", "b-1");
        assertThat(all).extracting(StoredRecord::position).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(all.get(0).partitionKey()).isEqualTo("key-0");
        assertThat(all.get(0).explicitHashKey()).isEqualTo("0");
        assertThat(all.get(1).explicitHashKey()).isNull();
        assertThat(all).allMatch(r -> r.arrivalMs() == T0);
    }

    @Test
    void binaryDataWithEveryByteValueSurvives() {
        ShardLog log = open(config()).openOrCreate("bin");
        byte[] data = new byte[256];
        for (int i = 0; i < 256; i++) {
            data[i] = (byte) i;
        }
        log.append(List.of(new AppendRecord("ключ-🔑", data), new AppendRecord("empty", new byte[0])));
        List<StoredRecord> all = readAll(log);
        assertThat(all.get(0).data()).isEqualTo(data);
        assertThat(all.get(0).partitionKey()).isEqualTo("ключ-🔑");
        assertThat(all.get(1).data()).isEmpty();
    }

    @Test
    void readHonoursRecordAndByteLimitsButAlwaysReturnsOneRecord() {
        ShardLog log = open(config()).openOrCreate("limits");
        log.append(records("x", 10));

        ReadResult three = log.read(2, 3, Long.MAX_VALUE);
        assertThat(dataOf(three.records())).containsExactly("x-2", "x-3", "x-4");
        assertThat(three.nextPosition()).isEqualTo(5);

        ReadResult tiny = log.read(5, 100, 1);
        assertThat(dataOf(tiny.records())).containsExactly("x-5");
        assertThat(tiny.nextPosition()).isEqualTo(6);

        ReadResult sized = log.read(0, 100, 9);
        assertThat(dataOf(sized.records())).containsExactly("x-0", "x-1", "x-2");

        ReadResult end = log.read(10, 100, Long.MAX_VALUE);
        assertThat(end.records()).isEmpty();
        assertThat(end.nextPosition()).isEqualTo(10);
        assertThat(end.atEnd()).isTrue();
    }

    @Test
    void positionsArePersistedAcrossRestart() {
        open(config()).openOrCreate("p").append(records("a", 5));
        store.close();
        ShardLog log = open(config()).openOrCreate("p");
        assertThat(log.endPosition()).isEqualTo(5);
        assertThat(log.append(records("b", 1)).basePosition()).isEqualTo(5);
        assertThat(dataOf(readAll(log))).containsExactly("a-0", "a-1", "a-2", "a-3", "a-4", "b-0");
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
    void arrivalTimesNeverGoBackwards() {
        ShardLog log = open(config()).openOrCreate("mono");
        log.append(records("a", 1));
        clock.advanceMs(-5_000);
        AppendResult later = log.append(records("b", 1));
        assertThat(later.arrivalMsOf(0)).isEqualTo(T0);
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
    void sealedShardRefusesAppendsAndStaysSealedAfterRestart() {
        ShardLog log = open(config()).openOrCreate("seal");
        log.append(records("a", 2));
        log.seal();
        log.seal();
        assertThatThrownBy(() -> log.append(records("b", 1))).isInstanceOf(ShardSealedException.class);
        store.close();
        ShardLog reopened = open(config()).openOrCreate("seal");
        assertThat(reopened.sealed()).isTrue();
        assertThat(dataOf(readAll(reopened))).containsExactly("a-0", "a-1");
        assertThatThrownBy(() -> reopened.append(records("b", 1))).isInstanceOf(ShardSealedException.class);
    }

    @Test
    void concurrentAppendsShareFsyncsAndLoseNothing() throws Exception {
        ShardLog log = open(config()).openOrCreate("group");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        ConcurrentLinkedQueue<AppendResult> results = new ConcurrentLinkedQueue<>();
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    AppendResult r = log.append(List.of(AppendRecord.of("t" + thread, thread + ":" + i)));
                    // Acknowledged means readable.
                    assertThat(log.read(r.basePosition(), 1, Long.MAX_VALUE).records()).hasSize(1);
                    results.add(r);
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(results).extracting(AppendResult::basePosition).doesNotHaveDuplicates();
        List<StoredRecord> all = readAll(log);
        assertThat(all).hasSize(400);
        for (int t = 0; t < 8; t++) {
            String prefix = t + ":";
            List<String> mine = dataOf(all).stream().filter(s -> s.startsWith(prefix)).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                expected.add(prefix + i);
            }
            assertThat(mine).isEqualTo(expected);
        }
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
    void deleteRemovesEverythingAndAFreshShardStartsOver() {
        EmbeddedLogStore s = open(config());
        s.openOrCreate("gone").append(records("a", 2));
        s.delete("gone");
        assertThat(s.exists("gone")).isFalse();
        assertThat(s.shardKeys()).doesNotContain("gone");
        assertThat(readAll(s.openOrCreate("gone"))).isEmpty();
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
    void invalidKeysAndArgumentsAreRejected() {
        EmbeddedLogStore s = open(config());
        assertThatThrownBy(() -> s.openOrCreate("../escape")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.openOrCreate("")).isInstanceOf(IllegalArgumentException.class);
        ShardLog log = s.openOrCreate("ok");
        assertThatThrownBy(() -> log.append(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> log.read(-1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        byte[] big = new byte[LogConfig.MAX_BATCH_BYTES_DEFAULT];
        assertThatThrownBy(() -> log.append(List.of(new AppendRecord("k", big))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(log.endPosition()).isZero();
    }

    @Test
    void largeRecordsAreReadWhole() {
        ShardLog log = open(config()).openOrCreate("large");
        byte[] big = new byte[3 * 1024 * 1024];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        log.append(List.of(new AppendRecord("k", big), AppendRecord.of("k", "small")));
        List<StoredRecord> all = readAll(log);
        assertThat(all.get(0).data()).isEqualTo(big);
        assertThat(new String(all.get(1).data(), StandardCharsets.UTF_8)).isEqualTo("small");
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
}
