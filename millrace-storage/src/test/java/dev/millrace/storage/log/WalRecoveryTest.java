package dev.millrace.storage.log;

import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.contract.TestKeyRing;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.files;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Breaks things around the write-ahead log on purpose and checks what a restart makes of them: a segment that lost
 * its un-forced tail is restored from the WAL, byte for byte and at the same positions; replaying twice changes
 * nothing; a torn WAL tail is cut; a damaged older WAL file stops the start with a message naming it; a deleted shard
 * is not brought back; a sealed shard replays nothing; an encrypted batch is replayed sealed, and no plaintext ever
 * reaches the WAL. A "crash" is {@link EmbeddedLogStore#abandon}: nothing forced, nothing cleaned, as after kill -9.
 */
class WalRecoveryTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final int BATCHES = 20;
    private static final int PER_BATCH = 5;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private EmbeddedLogStore store;

    private LogConfig config() {
        // Cleaning only when a test asks for it: what the WAL holds stays there until the "crash".
        return LogConfig.defaults(dir).withIndexIntervalBytes(256).withWal(64L * 1024 * 1024, 3_600_000);
    }

    private ShardLog open(String shard) {
        return open(shard, KeyRing.NONE);
    }

    private ShardLog open(String shard, KeyRing keys) {
        if (store == null) {
            store = EmbeddedLogStore.open(config(), clock, keys);
        }
        return store.openOrCreate(shard);
    }

    private void crash() {
        store.abandon();
        store = null;
    }

    @AfterEach
    void tearDown() {
        if (store != null) {
            store.close();
        }
    }

    /** Appends BATCHES batches, one ms apart; returns where each batch starts in the shard's active segment. */
    private List<Long> writeBatches(ShardLog log, String prefix) throws IOException {
        List<Long> offsets = new ArrayList<>();
        for (int b = 0; b < BATCHES; b++) {
            offsets.add(Files.size(activeLog(log.key())));
            AppendResult r = log.append(records(prefix + b, PER_BATCH));
            // Each batch reaches the file (not forced) on its own, as a full write-back tail would: the tests cut
            // the file batch by batch, as a power loss cuts what the page cache held.
            ((EmbeddedShardLog) log).writeOutTail();
            assertThat(r.basePosition()).isEqualTo((long) b * PER_BATCH);
            clock.advanceMs(1);
        }
        return offsets;
    }

    /**
     * Where a WAL file's entries end: before its preallocated rest, which reads as zeros (the last entry ends with its
     * batch's record bytes, not with zeros, in these tests).
     */
    private static long entryBytes(Path wal) throws IOException {
        byte[] bytes = Files.readAllBytes(wal);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return end;
    }

    private Path activeLog(String shard) throws IOException {
        List<Path> logs = files(dir.resolve("shards").resolve(shard), Segment.LOG_SUFFIX);
        return logs.get(logs.size() - 1);
    }

    private static List<String> expected(String prefix, int batches) {
        List<String> expected = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            for (int i = 0; i < PER_BATCH; i++) {
                expected.add(prefix + b + "-" + i);
            }
        }
        return expected;
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private List<Path> walFiles() throws IOException {
        return files(dir.resolve(WriteAheadLog.DIR_NAME), WriteAheadLog.SUFFIX);
    }

    /** Every record where it was acknowledged (position = index), with its batch's arrival time (1 ms apart). */
    private static void assertWhole(List<StoredRecord> all, String prefix) {
        assertThat(dataOf(all)).isEqualTo(expected(prefix, BATCHES));
        long firstMs = all.get(0).arrivalMs();
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i).position()).isEqualTo(i);
            assertThat(all.get(i).arrivalMs()).isEqualTo(firstMs + i / PER_BATCH);
        }
    }

    @Test
    void aSegmentThatLostItsUnforcedTailIsRestoredFromTheWal() throws IOException {
        List<Long> offsets = writeBatches(open("s"), "s");
        writeBatches(open("t"), "t");
        crash();
        // A power loss: the page cache held the segment's tail, which nothing had forced.
        truncate(activeLog("s"), offsets.get(7));

        ShardLog s = open("s");
        assertWhole(readAll(s), "s");
        assertWhole(readAll(open("t")), "t");
        long next = s.append(records("after", 1)).basePosition();
        assertThat(next).as("positions continue past everything handed out")
                .isGreaterThanOrEqualTo(BATCHES * PER_BATCH);
        assertThat(dataOf(readAll(s))).endsWith("after-0");
    }

    @Test
    void replayingTwiceChangesNothing() throws IOException {
        List<Long> offsets = writeBatches(open("s"), "s");
        crash();
        truncate(activeLog("s"), offsets.get(3));
        assertWhole(readAll(open("s")), "s");
        // A crash during or right after replay, before any clean: the WAL still holds everything.
        crash();
        assertWhole(readAll(open("s")), "s");
        crash();
        // And one where the replayed bytes, never forced, were lost again.
        truncate(activeLog("s"), offsets.get(12));
        assertWhole(readAll(open("s")), "s");
        store.close();
        store = null;
        assertThat(entryBytes(walFiles().get(0))).as("a clean close empties the WAL").isZero();
        assertWhole(readAll(open("s")), "s");
    }

    @Test
    void theNewestFilesPreallocatedZerosEndTheLogButZerosEndingAnOlderFileAreDamage() throws IOException {
        writeBatches(open("s"), "s");
        crash();
        Path wal = walFiles().get(walFiles().size() - 1);
        assertThat(Files.size(wal)).as("sized at once, so that its fdatasyncs need not grow it")
                .isEqualTo(config().walSegmentBytes());
        long end = entryBytes(wal);
        truncate(activeLog("s"), 0); // the segment lost everything: only the WAL has it
        assertWhole(readAll(open("s")), "s");
        assertThat(Files.size(wal)).as("cut at its last entry, then sized again for the appends to come")
                .isEqualTo(config().walSegmentBytes());
        crash();

        // Zeros after the entries of a file that is not the newest: a roll cuts a file to its entries, and forces
        // the cut, before it makes the next one, so there they can only be lost entries.
        Path newer = wal.resolveSibling(WriteAheadLog.fileName(WriteAheadLog.parseLsn(wal) + end));
        try (FileChannel ch = FileChannel.open(newer, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(1), config().walSegmentBytes() - 1);
        }
        assertThatThrownBy(() -> open("s")).isInstanceOf(StorageException.class)
                .hasMessageContaining(wal.getFileName().toString()).hasMessageContaining("damaged");
        store = null;
    }

    @Test
    void aTornWalTailIsCutAndItsBatchIsNotBroughtBack() throws IOException {
        List<Long> offsets = writeBatches(open("s"), "s");
        crash();
        // Power lost during the last group commit: its WAL entry is torn and the segment lost that batch too.
        Path wal = walFiles().get(walFiles().size() - 1);
        long walSize = entryBytes(wal);
        truncate(wal, walSize - 7);
        truncate(activeLog("s"), offsets.get(BATCHES - 1));

        ShardLog s = open("s");
        assertThat(dataOf(readAll(s))).isEqualTo(expected("s", BATCHES - 1));
        assertThat(entryBytes(wal)).as("the WAL is cut at its last intact entry").isLessThan(walSize - 7);
        s.append(records("after", 1));
        store.close();
        store = null;
        List<String> expected = new ArrayList<>(expected("s", BATCHES - 1));
        expected.add("after-0");
        assertThat(dataOf(readAll(open("s")))).isEqualTo(expected);
    }

    @Test
    void aDamagedEntryInAnOlderWalFileRefusesTheStartNamingFileAndOffset() throws IOException {
        writeBatches(open("s"), "s");
        crash();
        Path older = walFiles().get(0);
        long olderSize = entryBytes(older);
        // A newer file follows it, as after a roll: the older one was cut to its entries and forced whole, so damage
        // there is not a torn tail.
        truncate(older, olderSize);
        Files.createFile(older.resolveSibling(WriteAheadLog.fileName(olderSize)));
        long damagedAt = olderSize / 2;
        flipByte(older, damagedAt);

        assertThatThrownBy(() -> EmbeddedLogStore.open(config(), clock))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining(older.toString())
                .hasMessageContaining("damaged at offset")
                .hasMessageContaining("Refusing to start");
        assertThat(Files.size(older)).as("nothing is cut from a damaged older file").isEqualTo(olderSize);
    }

    @Test
    void walEntriesOfADeletedShardDoNotBringItBack() throws IOException {
        writeBatches(open("gone"), "g");
        writeBatches(open("kept"), "k");
        store.delete("gone");
        crash();

        store = EmbeddedLogStore.open(config(), clock);
        assertThat(store.exists("gone")).isFalse();
        assertThat(store.openIfExists("gone")).isEmpty();
        assertThat(store.shardKeys()).containsExactly("kept");
        assertWhole(readAll(store.openOrCreate("kept")), "k");
        store.close();
        store = null;
        assertThat(Files.exists(dir.resolve("shards/gone"))).isFalse();
    }

    @Test
    void aSealedShardReplaysNothingAndStaysSealed() throws IOException {
        ShardLog s = open("s");
        writeBatches(s, "s");
        s.seal();
        crash();

        ShardLog reopened = open("s");
        assertThat(reopened.sealed()).isTrue();
        assertWhole(readAll(reopened), "s");
        assertThat(reopened.endPosition()).isGreaterThanOrEqualTo(BATCHES * PER_BATCH);
    }

    @Test
    void anEncryptedBatchIsReplayedSealedAndTheWalHoldsNoPlaintext() throws IOException {
        TestKeyRing keys = new TestKeyRing();
        DataKey key = keys.add("1234abcd-12ab-34cd-56ef-1234567890ab");
        String secret = "millrace-wal-secret-payload-5e1d";
        ShardLog s = open("s", keys);
        List<Long> offsets = new ArrayList<>();
        for (int b = 0; b < 6; b++) {
            offsets.add(Files.size(activeLog("s")));
            s.append(List.of(new dev.millrace.storage.AppendRecord(secret + "-key-" + b, null,
                    (secret + "-" + b).getBytes(StandardCharsets.UTF_8))), key);
            ((EmbeddedShardLog) s).writeOutTail();
        }
        crash();
        for (Path wal : walFiles()) {
            String text = new String(Files.readAllBytes(wal), StandardCharsets.ISO_8859_1);
            assertThat(text).as("WAL file %s", wal).doesNotContain(secret);
        }
        assertThat(walFiles()).isNotEmpty();
        truncate(activeLog("s"), offsets.get(2));

        // Replay needs no key: the batch is stored as sealed as it was written.
        assertThat(open("s", KeyRing.NONE).endPosition()).isGreaterThanOrEqualTo(6);
        crash();
        List<StoredRecord> all = readAll(open("s", keys));
        assertThat(all).hasSize(6);
        for (int b = 0; b < 6; b++) {
            assertThat(new String(all.get(b).data(), StandardCharsets.UTF_8)).isEqualTo(secret + "-" + b);
            assertThat(all.get(b).position()).isEqualTo(b);
        }
    }

    @Test
    void aWalLeftBySyncIsReplayedAndRemovedWhenTheStoreOpensUnderInterval() throws IOException {
        List<Long> offsets = writeBatches(open("s"), "s");
        crash();
        truncate(activeLog("s"), offsets.get(5));

        store = EmbeddedLogStore.open(config().withDurability(DurabilityPolicy.INTERVAL, 1_000_000), clock);
        assertThat(Files.exists(dir.resolve(WriteAheadLog.DIR_NAME))).as("nothing would clean it under INTERVAL")
                .isFalse();
        assertWhole(readAll(store.openOrCreate("s")), "s");
    }

    @Test
    void aDamagedBatchWhereTheScanStartsEndsTheSegmentThereAndAppendsGoAfterIt() throws IOException {
        ShardLog s = open("s");
        List<Long> offsets = new ArrayList<>();
        for (int b = 0; b < BATCHES; b++) {
            if (b == BATCHES / 2) {
                // A clean stop: the WAL is emptied, and the checkpoint says everything so far was forced.
                store.close();
                store = null;
                s = open("s");
            }
            offsets.add(Files.size(activeLog("s")));
            s.append(records("s" + b, PER_BATCH));
            ((EmbeddedShardLog) s).writeOutTail();
            clock.advanceMs(1);
        }
        crash();
        // The scan starts at the index entry at or before the checkpoint's durable offset; that entry's batch is
        // damaged, so the scan tracks nothing.
        long damagedAt;
        FilePool pool = new FilePool(16, FileChannels.DEFAULT);
        try {
            Segment segment = Segment.existing(dir.resolve("shards").resolve("s"), 0, pool, config());
            SegmentIndex index = segment.loadIndexFile(segment.sizeBytes());
            damagedAt = index.fileOffset(index.floorByPosition(Long.MAX_VALUE, offsets.get(BATCHES / 2)));
        } finally {
            pool.close();
        }
        int damaged = offsets.indexOf(damagedAt);
        assertThat(damaged).as("the scan starts past the segment's first batch").isBetween(1, BATCHES / 2);
        flipByte(activeLog("s"), damagedAt + RecordBatch.HEADER_BYTES + 2);

        // The batches before the damage stay; those from it to the clean stop had no other copy and are cut; those
        // after it come back from the WAL, once, at their positions.
        List<String> expected = new ArrayList<>();
        List<String> all = expected("s", BATCHES);
        expected.addAll(all.subList(0, damaged * PER_BATCH));
        expected.addAll(all.subList(BATCHES / 2 * PER_BATCH, all.size()));
        List<StoredRecord> read = readAll(open("s"));
        assertThat(dataOf(read)).isEqualTo(expected);
        assertThat(read.get(damaged * PER_BATCH).position()).isEqualTo((long) BATCHES / 2 * PER_BATCH);
        open("s").append(records("after", 1));
        crash();
        expected.add("after-0");
        assertThat(dataOf(readAll(open("s")))).isEqualTo(expected);
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ 0x5A)).position(0);
            ch.write(one, offset);
        }
    }
}
