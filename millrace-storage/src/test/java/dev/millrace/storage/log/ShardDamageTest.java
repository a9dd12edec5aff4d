package dev.millrace.storage.log;

import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.files;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Breaks shard files on purpose (flipped bytes, cut files, zero-filled tails, lost or lying index files) and checks
 * that recovery keeps every intact batch before the damage, returns nothing after it, and never reuses a position.
 */
class ShardDamageTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final int BATCHES = 20;
    private static final int PER_BATCH = 5;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private EmbeddedLogStore store;

    private boolean interval;

    private LogConfig config() {
        LogConfig config = LogConfig.defaults(dir).withIndexIntervalBytes(256);
        return interval ? config.withDurability(DurabilityPolicy.INTERVAL, 1_000_000) : config;
    }

    private ShardLog open() {
        store = EmbeddedLogStore.open(config(), clock);
        return store.openOrCreate("s");
    }

    private void close() {
        store.close();
        store = null;
    }

    @AfterEach
    void tearDown() {
        if (store != null) {
            store.close();
        }
    }

    /** Writes BATCHES batches, one ms apart; returns the file offset where each batch starts. */
    private List<Long> writeBatches(ShardLog log) throws IOException {
        List<Long> offsets = new ArrayList<>();
        Path logFile = activeLog();
        for (int b = 0; b < BATCHES; b++) {
            offsets.add(Files.size(logFile));
            log.append(records("b" + b, PER_BATCH));
            // Each batch reaches the file on its own, as a full write-back tail would: the tests damage it there.
            ((EmbeddedShardLog) log).writeOutTail();
            clock.advanceMs(1);
        }
        return offsets;
    }

    private Path shardDir() {
        return dir.resolve("shards/s");
    }

    private Path activeLog() throws IOException {
        List<Path> logs = files(shardDir(), ".log");
        return logs.get(logs.size() - 1);
    }

    private static List<String> expectedUpTo(int batches) {
        List<String> expected = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < PER_BATCH; i++) {
                expected.add("b" + b + "-" + i);
            }
        }
        return expected;
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x5A)).position(0);
            ch.write(one, offset);
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /** After damage at batch {@code damaged}: batches before it read back, nothing after, positions move on. */
    private void assertRecoveredBefore(int damaged) {
        ShardLog log = open();
        List<StoredRecord> all = readAll(log);
        assertThat(dataOf(all)).isEqualTo(expectedUpTo(damaged));
        long oldEnd = (long) BATCHES * PER_BATCH;
        long next = log.append(records("after", 2)).basePosition();
        assertThat(next).as("positions continue past everything handed out before").isGreaterThanOrEqualTo(oldEnd);
        List<StoredRecord> again = readAll(log);
        assertThat(dataOf(again)).endsWith("after-0", "after-1");
        assertThat(again.get(again.size() - 2).position()).isEqualTo(next);

        close();
        ShardLog reopened = open();
        assertThat(dataOf(readAll(reopened))).isEqualTo(dataOf(again));
        assertThat(reopened.append(records("later", 1)).basePosition())
                .as("the skipped positions stay skipped after another restart").isEqualTo(next + 2);
    }

    @Test
    void flippedByteInLastBatchLosesOnlyThatBatch() throws IOException {
        List<Long> offsets = writeBatches(open());
        close();
        flipByte(activeLog(), offsets.get(BATCHES - 1) + RecordBatch.HEADER_BYTES + 3);
        assertRecoveredBefore(BATCHES - 1);
    }

    /**
     * Damage before the durable tail is not scanned for at start-up (that would read whole segments); reads find it by
     * checksum, return everything before it, and fail at it rather than skip it silently.
     */
    private void assertReadsStopAt(int damaged) {
        ShardLog log = open();
        var before = log.read(0, 10_000, Long.MAX_VALUE);
        assertThat(dataOf(before.records())).isEqualTo(expectedUpTo(damaged));
        assertThatThrownBy(() -> log.read(before.nextPosition(), 10_000, Long.MAX_VALUE))
                .isInstanceOf(CorruptDataException.class);
        assertThat(log.append(records("after", 1)).basePosition()).isEqualTo((long) BATCHES * PER_BATCH);
    }

    @Test
    void flippedByteInAnOlderBatchFailsReadsThere() throws IOException {
        List<Long> offsets = writeBatches(open());
        close();
        flipByte(activeLog(), offsets.get(7) + 10);
        assertReadsStopAt(7);
    }

    @Test
    void flippedLengthFieldIsDetected() throws IOException {
        List<Long> offsets = writeBatches(open());
        close();
        flipByte(activeLog(), offsets.get(12) + 1);
        assertReadsStopAt(12);
    }

    @Test
    void damageInTheUnforcedTailIsCutOffAfterACrash() throws IOException {
        // The segment's own recovery: without a write-ahead log (INTERVAL) nothing restores the damaged batches;
        // WalRecoveryTest shows the WAL restoring them under SYNC.
        interval = true;
        ShardLog log = open();
        List<Long> offsets = writeBatches(log);
        // No clean close: the checkpoint still says only the first bytes were forced, as after kill -9.
        Path logFile = activeLog();
        store = null;
        flipByte(logFile, offsets.get(7) + 10);
        assertRecoveredBefore(7);
    }

    @Test
    void lostCheckpointStillNeverReusesPositions() throws IOException {
        List<Long> offsets = writeBatches(open());
        close();
        Files.delete(shardDir().resolve(ShardCheckpoint.FILE_NAME));
        flipByte(activeLog(), offsets.get(BATCHES - 1) + RecordBatch.HEADER_BYTES);
        assertRecoveredBefore(BATCHES - 1);
    }

    @Test
    void tornCheckpointSlotFallsBackToTheOtherOne() throws IOException {
        writeBatches(open());
        close();
        Path checkpoint = shardDir().resolve(ShardCheckpoint.FILE_NAME);
        ShardCheckpoint.State newest = ShardCheckpoint.read(shardDir());
        flipByte(checkpoint, (newest.generation() % 2) * ShardCheckpoint.SLOT_BYTES + 9);
        ShardCheckpoint.State fallback = ShardCheckpoint.read(shardDir());
        assertThat(fallback.generation()).isEqualTo(newest.generation() - 1);
        ShardLog log = open();
        assertThat(dataOf(readAll(log))).isEqualTo(expectedUpTo(BATCHES));
        assertThat(log.append(records("after", 1)).basePosition()).isGreaterThanOrEqualTo((long) BATCHES * PER_BATCH);
    }

    @Test
    void fileCutMidBatchKeepsEveryWholeBatch() throws IOException {
        List<Long> offsets = writeBatches(open());
        close();
        truncate(activeLog(), offsets.get(BATCHES - 1) + 17);
        assertRecoveredBefore(BATCHES - 1);
    }

    @Test
    void fileCutInsideTheHeaderOfABatch() throws IOException {
        List<Long> offsets = writeBatches(open());
        close();
        truncate(activeLog(), offsets.get(9) + 2);
        assertRecoveredBefore(9);
    }

    @Test
    void zeroFilledTailIsDiscarded() throws IOException {
        writeBatches(open());
        close();
        Files.write(activeLog(), new byte[4096], StandardOpenOption.APPEND);
        assertRecoveredBefore(BATCHES);
    }

    @Test
    void randomGarbageTailIsDiscarded() throws IOException {
        writeBatches(open());
        close();
        byte[] garbage = new byte[1000];
        new Random(42).nextBytes(garbage);
        Files.write(activeLog(), garbage, StandardOpenOption.APPEND);
        assertRecoveredBefore(BATCHES);
    }

    @Test
    void deletedIndexFilesAreRebuilt() throws IOException {
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        writeBatches(store.openOrCreate("s"));
        close();
        for (Path index : files(shardDir(), ".index")) {
            Files.delete(index);
        }
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        ShardLog log = store.openOrCreate("s");
        assertThat(dataOf(readAll(log))).isEqualTo(expectedUpTo(BATCHES));
        assertThat(log.positionAtOrAfter(T0 + 13)).isEqualTo(13L * PER_BATCH);
        assertThat(log.read(52, 3, Long.MAX_VALUE).records()).extracting(StoredRecord::position)
                .containsExactly(52L, 53L, 54L);
        assertThat(files(shardDir(), ".index")).hasSameSizeAs(files(shardDir(), ".log"));
    }

    @Test
    void garbageIndexFilesAreRebuilt() throws IOException {
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        writeBatches(store.openOrCreate("s"));
        close();
        Random random = new Random(7);
        for (Path index : files(shardDir(), ".index")) {
            byte[] garbage = new byte[(int) Files.size(index) + 5];
            random.nextBytes(garbage);
            Files.write(index, garbage);
        }
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        ShardLog log = store.openOrCreate("s");
        assertThat(dataOf(readAll(log))).isEqualTo(expectedUpTo(BATCHES));
        assertThat(log.positionAtOrAfter(T0 + 5)).isEqualTo(5L * PER_BATCH);
    }

    @Test
    void plausibleButWrongIndexEntriesAreDetectedOnUse() throws IOException {
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        writeBatches(store.openOrCreate("s"));
        close();
        Path firstIndex = files(shardDir(), ".index").get(0);
        ByteBuffer entries = ByteBuffer.wrap(Files.readAllBytes(firstIndex));
        assertThat(entries.limit() / SegmentIndex.ENTRY_BYTES).isGreaterThanOrEqualTo(3);
        // Entry 1 claims a position one batch later than the batch it points at: in order, in range, wrong.
        entries.putInt(SegmentIndex.ENTRY_BYTES, entries.getInt(SegmentIndex.ENTRY_BYTES) + PER_BATCH);
        Files.write(firstIndex, entries.array());

        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        ShardLog log = store.openOrCreate("s");
        assertThat(dataOf(readAll(log))).isEqualTo(expectedUpTo(BATCHES));
        for (long p = 0; p < 30; p++) {
            assertThat(log.read(p, 1, Long.MAX_VALUE).records().get(0).position()).isEqualTo(p);
        }
    }

    @Test
    void sealedSegmentMissingItsLastIndexEntryIsRebuilt() throws IOException {
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        writeBatches(store.openOrCreate("s"));
        close();
        Path firstIndex = files(shardDir(), ".index").get(0);
        truncate(firstIndex, Files.size(firstIndex) - SegmentIndex.ENTRY_BYTES);
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024).withDefaultRetentionMs(1000), clock);
        ShardLog log = store.openOrCreate("s");
        // Retention must see the segment's true newest arrival; with the entry lost it would under-estimate it.
        clock.setMs(T0 + 1000);
        log.trimExpired();
        assertThat(readAll(log)).isNotEmpty().allMatch(r -> r.arrivalMs() >= T0);
        assertThat(log.positionAtOrAfter(T0 + 4)).isEqualTo(4L * PER_BATCH);
    }

    @Test
    void damageInsideASealedSegmentFailsReadsAtTheDamageOnly() throws IOException {
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        List<Long> offsets = writeBatches(store.openOrCreate("s"));
        close();
        List<Path> logs = files(shardDir(), ".log");
        assertThat(logs).hasSizeGreaterThan(1);
        // Batch 2 lies in the first segment (each segment holds several batches).
        flipByte(logs.get(0), offsets.get(2) + RecordBatch.HEADER_BYTES);

        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        ShardLog log = store.openOrCreate("s");
        var before = log.read(0, 1000, Long.MAX_VALUE);
        assertThat(dataOf(before.records())).isEqualTo(expectedUpTo(2));
        assertThatThrownBy(() -> log.read(before.nextPosition(), 1000, Long.MAX_VALUE))
                .isInstanceOf(CorruptDataException.class);
        long secondSegmentBase = Segment.parseBasePosition(logs.get(1).getFileName().toString());
        assertThat(log.read(secondSegmentBase, 1, Long.MAX_VALUE).records().get(0).position())
                .isEqualTo(secondSegmentBase);
    }

    @Test
    void crashRightAfterARollCreatedTheNextSegment() throws IOException {
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        writeBatches(store.openOrCreate("s"));
        close();
        long end = (long) BATCHES * PER_BATCH;
        // The roll got as far as creating the new, empty segment: the old one never got its final index entry
        // and the checkpoint still names the old segment.
        Files.createFile(shardDir().resolve(Segment.fileName(end, Segment.LOG_SUFFIX)));
        store = EmbeddedLogStore.open(config().withSegmentBytes(1024), clock);
        ShardLog log = store.openOrCreate("s");
        assertThat(dataOf(readAll(log))).isEqualTo(expectedUpTo(BATCHES));
        assertThat(log.positionAtOrAfter(T0 + BATCHES - 1)).isEqualTo(end - PER_BATCH);
        assertThat(log.endPosition()).isEqualTo(end);
        assertThat(log.append(records("n", 1)).basePosition()).isEqualTo(end);
    }
}
