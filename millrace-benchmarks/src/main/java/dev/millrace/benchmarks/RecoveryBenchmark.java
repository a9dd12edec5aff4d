package dev.millrace.benchmarks;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ShardLog;
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

/**
 * Restart time with many shards: opening a new {@link EmbeddedLogStore} on an existing directory of
 * {@code shardCount} (default 10,000) shards and calling {@code openOrCreate} on every one of them, which runs each
 * shard's tail recovery (list its segments, validate the index against the log, scan the tail). Each shard holds
 * {@code batchesPerShard} (default 3) batches of {@code batchRecords} (default 10) records of 1 KiB, written once per
 * trial. The store is closed after each measured iteration, outside the measurement.
 *
 * <p>The files are in the page cache (they were just written, and earlier iterations read them), so this measures a
 * process restart, not a cold boot.
 *
 * <p>Target: at most 5 s for all shards (single-shot time).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Threads(1)
@State(Scope.Benchmark)
public class RecoveryBenchmark {
    private static final int RECORD_BYTES = 1024;

    @Param("10000")
    public int shardCount;

    @Param("3")
    public int batchesPerShard;

    @Param("10")
    public int batchRecords;

    private Path dir;
    private String[] keys;
    private EmbeddedLogStore store;
    private long expectedEndSum;
    private long endSum;

    @Setup(Level.Trial)
    public void setUp() {
        dir = BenchSupport.newDataDir("recovery");
        keys = new String[shardCount];
        List<AppendRecord> batch = BenchSupport.batch(batchRecords, RECORD_BYTES, 3);
        // INTERVAL only to make set-up faster; close() forces every shard anyway.
        LogConfig config = LogConfig.defaults(dir).withDurability(DurabilityPolicy.INTERVAL, 60_000);
        try (EmbeddedLogStore writer = EmbeddedLogStore.open(config, Clock.systemUTC())) {
            for (int i = 0; i < shardCount; i++) {
                keys[i] = "shard-" + i;
                ShardLog shard = writer.openOrCreate(keys[i]);
                for (int b = 0; b < batchesPerShard; b++) {
                    shard.append(batch);
                }
            }
        }
        expectedEndSum = (long) shardCount * batchesPerShard * batchRecords;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        BenchSupport.delete(dir);
    }

    @Benchmark
    public long openAllShards() {
        store = EmbeddedLogStore.open(LogConfig.defaults(dir), Clock.systemUTC());
        long sum = 0;
        for (String key : keys) {
            sum += store.openOrCreate(key).endPosition();
        }
        endSum = sum;
        return sum;
    }

    @TearDown(Level.Iteration)
    public void closeStore() {
        if (store != null) {
            store.close();
            store = null;
        }
        if (endSum != expectedEndSum) {
            throw new IllegalStateException("recovered end positions sum to " + endSum + ", expected "
                    + expectedEndSum);
        }
    }
}
