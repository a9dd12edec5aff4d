package dev.millrace.benchmarks;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.storage.log.DurabilityPolicy;
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
import org.openjdk.jmh.annotations.Warmup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The server's cost of a PutRecords call without HTTP: {@link KinesisApi#handle} with a CBOR body as the SDK for
 * Java v2 sends it ({@code batchRecords} records of {@code recordBytes} random bytes, {@code partitionKeys} partition
 * keys over a stream of {@code shardCount} shards), through reading, validation, routing, storage and the CBOR answer.
 * The calls rotate over {@value #BODIES} bodies with different keys, so that a call over many shards does not touch
 * the same ones every time (as the lean client's calls do not). Durability {@code INTERVAL}
 * (the default here) leaves fsync out, so the score is the CPU cost; {@code SYNC} adds the fsyncs (one per shard per
 * call, with a single caller).
 *
 * <p>The score is calls/s on one thread; records/s = score x batchRecords; CPU per 1,000 records =
 * 10^6 / (score x batchRecords) ms.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class PutRecordsApiBenchmark {
    private static final String TARGET = "Kinesis_20131202.PutRecords";

    @Param("500")
    public int batchRecords;

    @Param("100")
    public int recordBytes;

    @Param("INTERVAL")
    public DurabilityPolicy durability;

    @Param("4")
    public int shardCount;

    @Param("50")
    public int partitionKeys;

    static final int BODIES = 16;
    private ApiFixture fixture;
    private KinesisApi api;
    private byte[][] bodies;
    private int next;
    private long calls;
    private long callsAtStart;
    private long cpuNanosAtStart;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new ApiFixture("api-put", durability, shardCount);
        api = fixture.api();
        bodies = new byte[BODIES][];
        for (int i = 0; i < BODIES; i++) {
            bodies[i] = cborBody(batchRecords, recordBytes, partitionKeys, 42 + i);
            fixture.call("PutRecords", WireFormat.CBOR, bodies[i]);
        }
    }

    static byte[] cborBody(int records, int recordBytes) {
        return cborBody(records, recordBytes, 50, 42);
    }

    static byte[] cborBody(int records, int recordBytes, int partitionKeys, long seed) {
        Random random = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = new CBORFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("StreamName", "bench");
            g.writeArrayFieldStart("Records");
            for (int i = 0; i < records; i++) {
                byte[] data = new byte[recordBytes];
                random.nextBytes(data);
                g.writeStartObject();
                g.writeBinaryField("Data", data);
                g.writeStringField("PartitionKey", "partition-key-" + random.nextInt(partitionKeys));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    /**
     * The process's CPU per call, printed after each iteration ({@code cpu per call: N us}): the score counts one
     * thread's calls, while the store's cleaner works on another core, so moving work there raises the score without
     * saving any. This line counts both.
     */
    @Setup(Level.Iteration)
    public void startIteration() {
        callsAtStart = calls;
        cpuNanosAtStart = processCpuNanos();
    }

    @TearDown(Level.Iteration)
    public void endIteration() {
        long n = calls - callsAtStart;
        if (n > 0) {
            System.out.printf("cpu per call: %.1f us%n", (processCpuNanos() - cpuNanosAtStart) / 1000.0 / n);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @Benchmark
    public KinesisApi.Result putRecords() {
        // One thread per benchmark: no need for an atomic counter.
        byte[] body = bodies[next++ & (BODIES - 1)];
        calls++;
        return api.handle(TARGET, WireFormat.CBOR, body, "bench");
    }
}
