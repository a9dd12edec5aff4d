package dev.millrace.benchmarks;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
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
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Latency of {@link ShardLog#positionAtOrAfter(long)} (the lookup behind {@code AT_TIMESTAMP} shard iterators) for a
 * random timestamp within a shard's time range. The shard is filled once per trial with about {@code fillMiB}
 * (default 256 MiB, so several 64 MiB segments) of 1 KiB records in batches of {@code batchRecords}; a
 * {@link ManualClock} moves 1 ms before each batch, so every batch has its own arrival time. The fill uses
 * {@code INTERVAL} durability only to make set-up fast; lookups do not depend on it. Everything is in the page cache.
 *
 * <p>{@code batchRecords} is varied because the lookup cost depends on the batch size: 1 (262,144 batches), 10 and 500
 * (a full PutRecords request; 524 batches).
 *
 * <p>{@code indexIntervalBytes} (default: the engine default, 4 KiB) can be changed with
 * {@code -p indexIntervalBytes=32768} to see how much of the cost is the walk between index entries.
 *
 * <p>Target: at most 5 us per lookup (average time).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Threads(1)
@State(Scope.Benchmark)
public class TimeLookupBenchmark {
    private static final int RECORD_BYTES = 1024;
    private static final long START_MS = 1_700_000_000_000L;

    @Param({"1", "10", "500"})
    public int batchRecords;

    @Param("256")
    public int fillMiB;

    /** The engine's sparse index interval; the default is {@link LogConfig#INDEX_INTERVAL_BYTES_DEFAULT}. */
    @Param("4096")
    public int indexIntervalBytes;

    private Path dir;
    private EmbeddedLogStore store;
    private ShardLog shard;
    private long firstMs;
    private long lastMs;

    @Setup(Level.Trial)
    public void setUp() {
        dir = BenchSupport.newDataDir("time-lookup");
        ManualClock clock = new ManualClock(START_MS);
        LogConfig config = LogConfig.defaults(dir).withDurability(DurabilityPolicy.INTERVAL, 1000)
                .withIndexIntervalBytes(indexIntervalBytes);
        store = EmbeddedLogStore.open(config, clock);
        shard = store.openOrCreate("shard-0");
        List<AppendRecord> batch = BenchSupport.batch(batchRecords, RECORD_BYTES, 11);
        long batches = Math.max(1, (long) fillMiB * 1024 * 1024 / BenchSupport.payloadBytes(batch));
        AppendResult first = null;
        AppendResult last = null;
        long[] probeIndex = {0, batches / 3, batches / 2, batches - 1};
        long[] probeMs = new long[probeIndex.length];
        long[] probeBase = new long[probeIndex.length];
        for (long i = 0; i < batches; i++) {
            clock.advance(1);
            last = shard.append(batch);
            if (first == null) {
                first = last;
            }
            for (int p = 0; p < probeIndex.length; p++) {
                if (probeIndex[p] == i) {
                    probeMs[p] = last.arrivalMsOf(0);
                    probeBase[p] = last.basePosition();
                }
            }
        }
        firstMs = first.arrivalMsOf(0);
        lastMs = last.arrivalMsOf(0);
        // Sanity: a batch's own arrival time finds its first record.
        for (int p = 0; p < probeMs.length; p++) {
            long found = shard.positionAtOrAfter(probeMs[p]);
            if (found != probeBase[p]) {
                throw new IllegalStateException("positionAtOrAfter(" + probeMs[p] + ") = " + found + ", expected "
                        + probeBase[p]);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            store.close();
        } finally {
            BenchSupport.delete(dir);
        }
    }

    @Benchmark
    public long lookup() {
        return shard.positionAtOrAfter(ThreadLocalRandom.current().nextLong(firstMs, lastMs + 1));
    }
}
