package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.contract.TestKeyRing;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.crypto.KeyUnavailableException;
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
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.files;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What encryption leaves on disk, and what damage to it does: the data directory of encrypted records holds none of
 * their payloads, partition keys or explicit hash keys (while the same records written plain are found by the same
 * scan); a changed ciphertext byte whose checksum was fixed up fails to open; a cut encrypted tail is recovered as a
 * plain one is; and recovery, index rebuilding, time lookups and retention need no key.
 */
class EncryptedShardFilesTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final String PAYLOAD = "millrace-secret-payload-7f3a9c";
    private static final String PARTITION_KEY = "millrace-secret-partition-key-42b1";
    private static final String HASH_KEY = "271828182845904523536028747135266249";
    private static final int BATCHES = 12;
    private static final int PER_BATCH = 5;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private final TestKeyRing keys = new TestKeyRing();
    private final DataKey key = keys.add("1234abcd-12ab-34cd-56ef-1234567890ab");
    private EmbeddedLogStore store;

    private LogConfig config() {
        // Small segments and a dense index: rolls, sealed segments and index files all exist.
        return LogConfig.defaults(dir).withSegmentBytes(2048).withIndexIntervalBytes(256);
    }

    private ShardLog open(KeyRing ring) {
        store = EmbeddedLogStore.open(config(), clock, ring);
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

    private static List<AppendRecord> secrets(int batch) {
        List<AppendRecord> records = new ArrayList<>();
        for (int i = 0; i < PER_BATCH; i++) {
            records.add(new AppendRecord(PARTITION_KEY + "-" + i, HASH_KEY,
                    (PAYLOAD + " batch " + batch + " record " + i).getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    /** Every file under the data directory, whole, in one list. */
    private List<byte[]> everyFile() throws IOException {
        List<byte[]> contents = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                contents.add(Files.readAllBytes(p));
            }
        }
        return contents;
    }

    private static boolean contains(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private long filesContaining(String needle) throws IOException {
        return everyFile().stream().filter(f -> contains(f, needle)).count();
    }

    @Test
    void noPayloadPartitionKeyOrHashKeyOfAnEncryptedRecordIsAnywhereInTheDataDirectory() throws IOException {
        ShardLog log = open(keys);
        for (int b = 0; b < BATCHES; b++) {
            log.append(secrets(b), key);
            clock.advanceMs(1);
        }
        assertThat(files(dir.resolve("shards/s"), Segment.LOG_SUFFIX)).as("several segments").hasSizeGreaterThan(2);
        List<StoredRecord> read = readAll(log);
        assertThat(read).hasSize(BATCHES * PER_BATCH);
        assertThat(read.get(7).partitionKey()).isEqualTo(PARTITION_KEY + "-2");
        assertThat(read.get(7).explicitHashKey()).isEqualTo(HASH_KEY);
        close();

        long scanned = everyFile().stream().mapToLong(f -> f.length).sum();
        assertThat(scanned).as("bytes scanned").isGreaterThan((long) BATCHES * PER_BATCH * PAYLOAD.length());
        assertThat(filesContaining(PAYLOAD)).as("files holding the payload").isZero();
        assertThat(filesContaining(PARTITION_KEY)).as("files holding the partition key").isZero();
        assertThat(filesContaining(HASH_KEY)).as("files holding the explicit hash key").isZero();
        assertThat(filesContaining(" batch 3 record ")).isZero();

        // The same records written plain are found by the same scan: it can fail.
        ShardLog again = open(keys);
        again.append(secrets(99));
        close();
        assertThat(filesContaining(PAYLOAD)).isPositive();
        assertThat(filesContaining(PARTITION_KEY)).isPositive();
        assertThat(filesContaining(HASH_KEY)).isPositive();
    }

    /** Writes BATCHES batches, one ms apart, in one segment, odd ones encrypted; returns where each starts. */
    private List<Long> writeMixedBatches(ShardLog log, Path logFile) throws IOException {
        List<Long> offsets = new ArrayList<>();
        for (int b = 0; b < BATCHES; b++) {
            offsets.add(Files.size(logFile));
            AppendResult r = b % 2 == 1 ? log.append(records("b" + b, PER_BATCH), key)
                    : log.append(records("b" + b, PER_BATCH));
            assertThat(r.basePosition()).isEqualTo((long) b * PER_BATCH);
            // Each batch reaches the file on its own, as a full write-back tail would: the tests damage it there.
            ((EmbeddedShardLog) log).writeOutTail();
            clock.advanceMs(1);
        }
        return offsets;
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

    private Path onlyLog() throws IOException {
        List<Path> logs = files(dir.resolve("shards/s"), Segment.LOG_SUFFIX);
        assertThat(logs).hasSize(1);
        return logs.get(0);
    }

    private ShardLog openOneSegment(KeyRing ring) {
        return openOneSegment(ring, DurabilityPolicy.SYNC);
    }

    private ShardLog openOneSegment(KeyRing ring, DurabilityPolicy durability) {
        store = EmbeddedLogStore.open(LogConfig.defaults(dir).withIndexIntervalBytes(256)
                .withDurability(durability, 1_000_000), clock, ring);
        return store.openOrCreate("s");
    }

    /** Flips one byte of a batch and writes a checksum that matches the change, as a deliberate forger would. */
    private static void forge(Path file, long batchOffset, int byteInBatch) throws IOException {
        forge(file, batchOffset, batch -> batch.put(byteInBatch, (byte) (batch.get(byteInBatch) ^ 0x5A)));
    }

    private static void forge(Path file, long batchOffset, Consumer<ByteBuffer> change) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer length = ByteBuffer.allocate(4);
            ch.read(length, batchOffset);
            int total = length.getInt(0) + RecordBatch.LENGTH_FIELD_BYTES;
            ByteBuffer batch = ByteBuffer.allocate(total);
            ch.read(batch, batchOffset);
            assertThat(RecordBatch.sealed(batch, 0)).as("the batch forged is an encrypted one").isTrue();
            change.accept(batch);
            CRC32C crc = new CRC32C();
            crc.update(batch.array(), RecordBatch.BASE_POSITION_OFFSET, total - RecordBatch.BASE_POSITION_OFFSET);
            batch.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
            ch.write(batch.position(0), batchOffset);
        }
    }

    @Test
    void aChangedCiphertextByteWithItsChecksumFixedFailsToOpenWhereItIs() throws IOException {
        List<Long> offsets = writeMixedBatches(openOneSegment(keys), onlyLog());
        close();
        long fifth = offsets.get(5);
        long sixth = offsets.get(6);
        forge(onlyLog(), fifth, (int) (sixth - fifth) - 20); // inside the ciphertext, near its end

        ShardLog log = openOneSegment(keys);
        var before = log.read(0, 1000, Long.MAX_VALUE);
        assertThat(dataOf(before.records())).as("everything before the forged batch reads").isEqualTo(expectedUpTo(5));
        assertThatThrownBy(() -> log.read(before.nextPosition(), 1000, Long.MAX_VALUE))
                .isInstanceOf(CorruptDataException.class).hasMessageContaining("authentication");
        assertThatThrownBy(() -> log.read(5L * PER_BATCH + 3, 1, Long.MAX_VALUE))
                .isInstanceOf(CorruptDataException.class);
        assertThat(dataOf(log.read(6L * PER_BATCH, 1000, Long.MAX_VALUE).records()))
                .as("the batches after it read").isEqualTo(expectedUpTo(BATCHES).subList(6 * PER_BATCH,
                        BATCHES * PER_BATCH));
    }

    @Test
    void aForgedKeyIdOrCountFailsToOpenToo() throws IOException {
        List<Long> offsets = writeMixedBatches(openOneSegment(keys), onlyLog());
        close();
        // The key id's last character (bound as associated data), in batch 3.
        forge(onlyLog(), offsets.get(3), RecordBatch.HEADER_BYTES + key.keyId().length());
        // A count one lower (still in clear, still plausible), in batch 7: it must not cut records off unnoticed.
        forge(onlyLog(), offsets.get(7), batch -> batch.putInt(RecordBatch.COUNT_OFFSET,
                batch.getInt(RecordBatch.COUNT_OFFSET) - 1));

        // The forged id names a key with the same material, so only the binding can tell.
        String id = key.keyId();
        String forgedId = id.substring(0, id.length() - 1) + (char) (id.charAt(id.length() - 1) ^ 0x5A);
        ShardLog log = openOneSegment(new TestKeyRing().with(key).with(new DataKey(forgedId, key.material())));
        assertThat(dataOf(log.read(0, 1000, Long.MAX_VALUE).records())).isEqualTo(expectedUpTo(3));
        for (long position : new long[] {3L * PER_BATCH, 7L * PER_BATCH}) {
            assertThatThrownBy(() -> log.read(position, 1000, Long.MAX_VALUE))
                    .as("read at %d", position).isInstanceOf(CorruptDataException.class);
        }
    }

    @Test
    void damageToAnEncryptedBatchIsFoundWithoutAKey() throws IOException {
        List<Long> offsets = writeMixedBatches(openOneSegment(keys), onlyLog());
        close();
        Path logFile = onlyLog();
        try (FileChannel ch = FileChannel.open(logFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            ch.read(one, offsets.get(3) + 60);
            one.put(0, (byte) (one.get(0) ^ 0x5A)).position(0);
            ch.write(one, offsets.get(3) + 60);
        }
        ShardLog log = openOneSegment(KeyRing.NONE);
        assertThat(dataOf(log.read(0, 1000, Long.MAX_VALUE).records())).isEqualTo(expectedUpTo(1));
        assertThatThrownBy(() -> log.read(PER_BATCH, 1000, Long.MAX_VALUE))
                .as("the encrypted batch 1 is intact: its key is what is missing")
                .isInstanceOf(KeyUnavailableException.class);
        assertThat(dataOf(log.read(2L * PER_BATCH, 1000, Long.MAX_VALUE).records())).isEqualTo(List.of(
                "b2-0", "b2-1", "b2-2", "b2-3", "b2-4"));
        assertThatThrownBy(() -> log.read(3L * PER_BATCH, 1000, Long.MAX_VALUE))
                .as("batch 3's checksum fails before any key is asked for")
                .isInstanceOf(CorruptDataException.class);
    }

    @Test
    void aCutEncryptedTailIsRecoveredWithoutKeysAsAPlainOneIs() throws IOException {
        // The segment's own recovery, without a write-ahead log to restore the cut batch (WalRecoveryTest has that).
        List<Long> offsets = writeMixedBatches(openOneSegment(keys, DurabilityPolicy.INTERVAL), onlyLog());
        // No clean close, as after kill -9; then the last (encrypted) batch loses its end.
        store = null;
        long last = offsets.get(BATCHES - 1);
        try (FileChannel ch = FileChannel.open(onlyLog(), StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(onlyLog()) - 10);
        }
        assertThat(BATCHES - 1).as("the cut batch is an encrypted one").matches(b -> b % 2 == 1);
        for (Path index : files(dir.resolve("shards/s"), Segment.INDEX_SUFFIX)) {
            Files.delete(index);
        }

        ShardLog keyless = openOneSegment(KeyRing.NONE, DurabilityPolicy.INTERVAL);
        long oldEnd = (long) BATCHES * PER_BATCH;
        assertThat(Files.size(onlyLog())).as("the cut batch is gone, the ones before it kept").isEqualTo(last);
        assertThat(keyless.endPosition()).as("no position is handed out twice").isGreaterThanOrEqualTo(oldEnd);
        assertThat(keyless.positionAtOrAfter(T0 + 4)).as("time lookups need no key").isEqualTo(4L * PER_BATCH);
        assertThat(dataOf(keyless.read(0, 1000, Long.MAX_VALUE).records())).isEqualTo(expectedUpTo(1));
        long next = keyless.append(records("after", 2)).basePosition();
        assertThat(next).as("positions continue past everything handed out").isGreaterThanOrEqualTo(oldEnd);
        close();

        ShardLog log = openOneSegment(keys);
        List<String> expected = new ArrayList<>(expectedUpTo(BATCHES - 1));
        expected.addAll(List.of("after-0", "after-1"));
        assertThat(dataOf(readAll(log))).isEqualTo(expected);
    }

    @Test
    void retentionDeletesEncryptedSegmentsWithoutAKey() throws IOException {
        ShardLog log = open(keys);
        log.retentionMs(1_000);
        for (int b = 0; b < BATCHES; b++) {
            log.append(secrets(b), key);
            clock.advanceMs(1);
        }
        close();
        int segments = files(dir.resolve("shards/s"), Segment.LOG_SUFFIX).size();
        assertThat(segments).isGreaterThan(2);

        ShardLog keyless = open(KeyRing.NONE);
        keyless.retentionMs(1_000);
        clock.advanceMs(2_000);
        assertThat(keyless.trimExpired()).isEqualTo(segments);
        assertThat(keyless.read(0, 1000, Long.MAX_VALUE).records()).isEmpty();
        assertThat(keyless.startPosition()).isEqualTo(keyless.endPosition()).isEqualTo((long) BATCHES * PER_BATCH);
    }
}
