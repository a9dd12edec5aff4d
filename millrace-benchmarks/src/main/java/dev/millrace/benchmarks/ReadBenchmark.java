package dev.millrace.benchmarks;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
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
 * Sequential read throughput of one shard from the page cache. The shard is filled once per trial with
 * {@code fillMiB} (default 256 MiB) of 1 KiB records, appended in batches of 500, so its segments are in the page cache
 * (the machine has far more memory than that). One operation is one
 * {@code read(position, maxRecords, maxBytes)} (default 10,000 records / 10 MiB, so about 10 MB of payload) continuing
 * where the previous one stopped and wrapping around to the start at the end of the shard.
 *
 * <p>{@code -p encrypted=true} fills the shard with batches encrypted at rest, so that every read decrypts (issue 16's
 * goal: encryption costs at most 15 % of throughput); {@code -p recordBytes=100} reads small records.
 *
 * <p>Target: at least 1 GB/s of record payload, i.e. {@code :payloadBytes} at least 10^9 per second (see
 * {@link PayloadCounter}). The primary score is reads/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
@Threads(1)
@State(Scope.Benchmark)
public class ReadBenchmark {
    private static final int BATCH_RECORDS = 500;

    @Param("256")
    public int fillMiB;

    @Param("10000")
    public int maxRecords;

    @Param("10485760")
    public long maxBytes;

    @Param("1024")
    public int recordBytes;

    @Param("false")
    public boolean encrypted;

    private Path dir;
    private EmbeddedLogStore store;
    private ShardLog shard;
    private long position;

    @Setup(Level.Trial)
    public void setUp() {
        dir = BenchSupport.newDataDir("read");
        store = EmbeddedLogStore.open(LogConfig.defaults(dir), Clock.systemUTC(), BenchSupport.keyRing());
        shard = store.openOrCreate("shard-0");
        List<AppendRecord> batch = BenchSupport.batch(BATCH_RECORDS, recordBytes, 7);
        long target = (long) fillMiB * 1024 * 1024;
        for (long written = 0; written < target; written += BenchSupport.payloadBytes(batch)) {
            shard.append(batch, encrypted ? BenchSupport.dataKey() : null);
        }
        ReadResult first = shard.read(0, 1, 1);
        if (first.records().size() != 1 || first.records().get(0).data().length != recordBytes) {
            throw new IllegalStateException("unexpected first record: " + first);
        }
        position = shard.startPosition();
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
    public ReadResult read(PayloadCounter counter) {
        ReadResult result = shard.read(position, maxRecords, maxBytes);
        List<StoredRecord> records = result.records();
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            bytes += records.get(i).data().length;
        }
        counter.payloadBytes += bytes;
        position = result.atEnd() ? shard.startPosition() : result.nextPosition();
        return result;
    }
}
