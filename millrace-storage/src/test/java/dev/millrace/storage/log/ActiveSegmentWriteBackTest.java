package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The active segment's write-back tail on its own: where bytes are (file or tail) at each step, what a snapshot taken
 * at any step reads after the tail was written out or outgrown, and the per-shard and total memory bounds.
 */
class ActiveSegmentWriteBackTest {
    @TempDir
    Path dir;
    private FilePool pool;
    private LogConfig config;
    private long nextPosition;

    @BeforeEach
    void setUp() {
        pool = new FilePool(16, FileChannels.DEFAULT);
        config = LogConfig.defaults(dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        pool.close();
    }

    private ActiveSegment segment(String name, TailMemory tails) throws IOException {
        Path shardDir = Files.createDirectories(dir.resolve(name));
        ActiveSegment active = new ActiveSegment(Segment.create(shardDir, 0, pool, config), new SegmentIndex(),
                config.indexIntervalBytes(), Long.MIN_VALUE);
        active.writeBack(tails);
        return active;
    }

    private ByteBuffer batch(int dataBytes) {
        byte[] data = new byte[dataBytes];
        Arrays.fill(data, (byte) nextPosition);
        ByteBuffer batch = RecordBatch.encode(List.of(new AppendRecord("k" + nextPosition, data)),
                config.maxBatchBytes());
        RecordBatch.stamp(batch, nextPosition++, 1_000);
        return batch;
    }

    /** Everything a snapshot covers, read through it, in 100-byte steps so reads cross the file/tail boundary. */
    private static byte[] readAll(SegmentSnapshot s) throws IOException {
        ByteBuffer all = ByteBuffer.allocate((int) s.sizeBytes());
        while (all.hasRemaining()) {
            ByteBuffer step = ByteBuffer.allocate(Math.min(100, all.remaining()));
            s.read(step, all.position());
            assertThat(step.hasRemaining()).as("short read at %d", all.position()).isFalse();
            all.put(step.flip());
        }
        return all.array();
    }

    @Test
    void batchesStayInMemoryUntilTheTailIsFullAndEverySnapshotReadsWhatItCoversAfterwards() throws IOException {
        TailMemory tails = new TailMemory(1 << 20, 8 * 1024);
        ActiveSegment active = segment("s", tails);
        ByteArrayCollector written = new ByteArrayCollector();
        List<SegmentSnapshot> snapshots = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ByteBuffer b = batch(300);
            written.add(b);
            active.append(b);
            snapshots.add(active.snapshot());
            expected.add(written.bytes());
            long onFile = Files.size(active.segment.logPath);
            assertThat(onFile).as("the file holds whole tails only").isEqualTo(active.sizeBytes()
                    - (active.snapshot().tail() == null ? 0 : active.sizeBytes() - active.snapshot().fileBytes()));
            assertThat(active.sizeBytes() - onFile).as("a tail never passes its bound").isLessThanOrEqualTo(8 * 1024);
        }
        assertThat(Files.size(active.segment.logPath)).as("some tails were written out").isPositive()
                .isLessThan(active.sizeBytes());
        assertThat(tails.heldBytes()).isPositive().isLessThanOrEqualTo(8 * 1024);
        for (int i = 0; i < snapshots.size(); i++) {
            assertThat(readAll(snapshots.get(i))).as("snapshot %d", i).isEqualTo(expected.get(i));
        }
        active.flush();
        assertThat(Files.size(active.segment.logPath)).isEqualTo(active.sizeBytes());
        assertThat(Files.readAllBytes(active.segment.logPath)).isEqualTo(written.bytes());
        assertThat(tails.heldBytes()).as("a written-out tail is let go").isZero();
        for (int i = 0; i < snapshots.size(); i++) {
            assertThat(readAll(snapshots.get(i))).as("snapshot %d after the flush", i).isEqualTo(expected.get(i));
        }
        assertThat(active.index.count()).isPositive();
        assertThat(Files.size(active.segment.indexPath)).as("index entries follow their batches to the file")
                .isEqualTo((long) active.index.count() * SegmentIndex.ENTRY_BYTES);
    }

    @Test
    void aBatchLargerThanATailIsWrittenDirectlyAfterTheTail() throws IOException {
        TailMemory tails = new TailMemory(1 << 20, 4 * 1024);
        ActiveSegment active = segment("s", tails);
        ByteArrayCollector written = new ByteArrayCollector();
        for (int size : new int[] {100, 200, 10_000, 50}) {
            ByteBuffer b = batch(size);
            written.add(b);
            active.append(b);
        }
        SegmentSnapshot s = active.snapshot();
        assertThat(s.sizeBytes() - s.fileBytes()).as("only the last small batch is in memory")
                .isLessThan(200).isPositive();
        assertThat(readAll(s)).isEqualTo(written.bytes());
    }

    @Test
    void pastTheTotalShardsWithoutATailWriteDirectlyAndNothingIsLost() throws IOException {
        TailMemory tails = new TailMemory(64 * 1024, 16 * 1024);
        List<ActiveSegment> shards = new ArrayList<>();
        List<ByteArrayCollector> written = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            shards.add(segment("s" + i, tails));
            written.add(new ByteArrayCollector());
        }
        long maxHeld = 0;
        for (int round = 0; round < 30; round++) {
            for (int i = 0; i < shards.size(); i++) {
                ByteBuffer b = batch(200);
                written.get(i).add(b);
                shards.get(i).append(b);
                maxHeld = Math.max(maxHeld, tails.heldBytes());
            }
        }
        // 40 shards x 30 batches of ~250 B: ~300 KiB, four times the total; tails are made only below it.
        assertThat(maxHeld).isGreaterThanOrEqualTo(64 * 1024).isLessThan(64 * 1024 + 16 * 1024);
        int direct = 0;
        for (ActiveSegment shard : shards) {
            if (Files.size(shard.segment.logPath) == shard.sizeBytes()) {
                direct++;
            }
        }
        assertThat(direct).as("shards that found no tail wrote their batches directly").isGreaterThan(20);
        for (int i = 0; i < shards.size(); i++) {
            assertThat(readAll(shards.get(i).snapshot())).as("shard %d before the flush", i)
                    .isEqualTo(written.get(i).bytes());
            shards.get(i).flush();
            assertThat(Files.readAllBytes(shards.get(i).segment.logPath)).as("shard %d's file", i)
                    .isEqualTo(written.get(i).bytes());
        }
        assertThat(tails.heldBytes()).isZero();
    }

    @Test
    void aTailIsAFairShareOfTheTotalAmongTheOpenShards() {
        TailMemory tails = new TailMemory(64L * 1024 * 1024, 32 * 1024);
        assertThat(tails.take(100)).as("few shards: the per-shard bound").isEqualTo(32 * 1024);
        for (int i = 0; i < 10_000; i++) {
            tails.shardOpened();
        }
        assertThat(tails.take(100)).as("10,000 shards: a ten-thousandth of the total").isEqualTo(6710);
        assertThat(tails.take(9_000)).as("never smaller than the batch").isEqualTo(9_000);
        for (int i = 0; i < 9_990; i++) {
            tails.shardClosed();
        }
        assertThat(tails.take(100)).isEqualTo(32 * 1024);
        for (int i = 0; i < 100_000; i++) {
            tails.shardOpened();
        }
        assertThat(tails.take(100)).as("never smaller than a page").isEqualTo(TailMemory.MIN_TAIL_BYTES);
        assertThat(tails.heldBytes()).isEqualTo(32 * 1024 + 6710 + 9_000 + 32 * 1024 + TailMemory.MIN_TAIL_BYTES);
    }

    /** Concatenates the batches written, in order. */
    private static final class ByteArrayCollector {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        void add(ByteBuffer batch) {
            ByteBuffer b = batch.duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            out.writeBytes(bytes);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
