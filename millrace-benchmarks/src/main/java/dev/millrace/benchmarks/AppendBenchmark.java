package dev.millrace.benchmarks;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.log.DurabilityPolicy;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Durable append throughput of the embedded log engine with the default {@code SYNC} durability: every
 * {@link ShardLog#append} returns only after an fsync covers it. One operation is one append of a batch of
 * {@code batchRecords} records of {@code recordBytes} payload bytes each (default 500 x 1 KiB, a full Kinesis
 * PutRecords request).
 *
 * <ul>
 *   <li>{@link #oneShard}: one thread appends to one shard, so every batch pays its own fsync.
 *       Target: at least 300 MB/s of record payload.</li>
 *   <li>{@link #manyShards}: 4 threads append round-robin over {@code shardCount} (default 1,000) shards of one store,
 *       sharing one file pool; concurrent fsyncs go to different files. Target: at least 150 MB/s of record payload.</li>
 * </ul>
 *
 * <p>{@code durability} can be set to {@code INTERVAL} ({@code -p durability=INTERVAL}, flushed every 50 ms) to see
 * the engine's cost without an fsync per append; the targets are for the default, {@code SYNC}.
 *
 * <p>{@code -p encrypted=true} appends every batch encrypted at rest (AES-256-GCM, one ciphertext per batch) to
 * show what encryption costs; issue 16's goal is at most 15 % of throughput.
 *
 * <p>The primary score is batches/s; the secondary {@code :payloadBytes} score is payload bytes/s (see
 * {@link PayloadCounter}); MB/s = payloadBytes / 10^6. Data lives in a scratch directory (see {@link BenchSupport})
 * that is deleted after the trial; a run writes a few GB.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class AppendBenchmark {

    /** The record shape, shared by both benchmarks. */
    @State(Scope.Benchmark)
    public static class Batch {
        @Param("500")
        public int batchRecords;

        @Param("1024")
        public int recordBytes;

        @Param("false")
        public boolean encrypted;

        List<AppendRecord> records;
        long payloadBytes;
        /** Null: plain. */
        DataKey key;

        @Setup(Level.Trial)
        public void setUp() {
            records = BenchSupport.batch(batchRecords, recordBytes, 42);
            payloadBytes = BenchSupport.payloadBytes(records);
            key = encrypted ? BenchSupport.dataKey() : null;
        }
    }

    /** A store holding one shard. */
    @State(Scope.Benchmark)
    public static class OneShard {
        @Param("SYNC")
        public DurabilityPolicy durability;

        Path dir;
        EmbeddedLogStore store;
        ShardLog shard;

        @Setup(Level.Trial)
        public void setUp() {
            dir = BenchSupport.newDataDir("append-one");
            store = EmbeddedLogStore.open(config(dir, durability), Clock.systemUTC());
            shard = store.openOrCreate("shard-0");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                store.close();
            } finally {
                BenchSupport.delete(dir);
            }
        }
    }

    /** A store holding {@code shardCount} shards, all opened (and so created) before measuring. */
    @State(Scope.Benchmark)
    public static class ManyShards {
        @Param("1000")
        public int shardCount;

        @Param("SYNC")
        public DurabilityPolicy durability;

        Path dir;
        EmbeddedLogStore store;
        ShardLog[] shards;
        final AtomicLong next = new AtomicLong();

        @Setup(Level.Trial)
        public void setUp() {
            dir = BenchSupport.newDataDir("append-many");
            store = EmbeddedLogStore.open(config(dir, durability), Clock.systemUTC());
            shards = new ShardLog[shardCount];
            for (int i = 0; i < shardCount; i++) {
                shards[i] = store.openOrCreate("shard-" + i);
            }
        }

        /** Round-robin over all shards, so concurrent appenders almost never share a shard. */
        ShardLog nextShard() {
            return shards[(int) (next.getAndIncrement() % shards.length)];
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                store.close();
            } finally {
                BenchSupport.delete(dir);
            }
        }
    }

    static LogConfig config(Path dir, DurabilityPolicy durability) {
        LogConfig defaults = LogConfig.defaults(dir);
        return durability == defaults.durability() ? defaults
                : defaults.withDurability(durability, LogConfig.FLUSH_INTERVAL_MS_DEFAULT);
    }

    @Benchmark
    @Threads(1)
    public AppendResult oneShard(OneShard state, Batch batch, PayloadCounter counter) {
        AppendResult result = state.shard.append(batch.records, batch.key);
        counter.payloadBytes += batch.payloadBytes;
        return result;
    }

    @Benchmark
    @Threads(4)
    public AppendResult manyShards(ManyShards state, Batch batch, PayloadCounter counter) {
        AppendResult result = state.nextShard().append(batch.records, batch.key);
        counter.payloadBytes += batch.payloadBytes;
        return result;
    }
}
