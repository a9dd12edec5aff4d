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
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The server's cost of a GetRecords call without HTTP: {@link KinesisApi#handle} with a CBOR request for up to 10,000
 * records from the start of a one-shard stream holding {@code storedRecords} records of {@code recordBytes} bytes,
 * through the iterator check, the storage read and the CBOR answer (what the SDK for Java v2 receives).
 *
 * <p>The score is calls/s on one thread; the secondary {@code :payloadBytes} score is record data bytes/s.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class GetRecordsApiBenchmark {
    private static final String TARGET = "Kinesis_20131202.GetRecords";

    @Param("10000")
    public int storedRecords;

    @Param("1024")
    public int recordBytes;

    @Param("INTERVAL")
    public DurabilityPolicy durability;

    private ApiFixture fixture;
    private KinesisApi api;
    private byte[] body;

    @Setup(Level.Trial)
    public void setUp() {
        fixture = new ApiFixture("api-get", durability, 1);
        api = fixture.api();
        for (int put = 0; put < storedRecords; put += 500) {
            fixture.call("PutRecords", WireFormat.CBOR,
                    PutRecordsApiBenchmark.cborBody(Math.min(500, storedRecords - put), recordBytes));
        }
        KinesisApi.Result iterator = fixture.call("GetShardIterator", WireFormat.JSON,
                ("{\"StreamName\":\"bench\",\"ShardId\":\"shardId-000000000000\","
                        + "\"ShardIteratorType\":\"TRIM_HORIZON\"}").getBytes(StandardCharsets.UTF_8));
        String text = new String(iterator.body(), StandardCharsets.UTF_8);
        String shardIterator = text.replaceAll("(?s).*\"ShardIterator\":\"([^\"]+)\".*", "$1");
        body = cborRequest(shardIterator);
    }

    /** Iterators are signed tokens, not server state: the same one can be read again and again. */
    private static byte[] cborRequest(String shardIterator) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = new CBORFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("ShardIterator", shardIterator);
            g.writeNumberField("Limit", 10_000);
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

    @Benchmark
    public KinesisApi.Result getRecords(PayloadCounter counter) {
        KinesisApi.Result r = api.handle(TARGET, WireFormat.CBOR, body, "bench");
        if (r.httpStatus() != 200) {
            throw new IllegalStateException("GetRecords failed: " + r.errorType());
        }
        counter.payloadBytes += (long) storedRecords * recordBytes;
        return r;
    }
}
