package dev.millrace.benchmarks;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.OperationRouter;
import dev.millrace.server.fanout.FanOut;
import dev.millrace.server.state.Account;
import dev.millrace.server.state.AccountSettings;
import dev.millrace.server.state.AutoScaler;
import dev.millrace.server.state.AutoScalingConfig;
import dev.millrace.server.state.ConsumerRegistry;
import dev.millrace.server.state.ResourcePolicies;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.Throttles;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.log.DurabilityPolicy;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;
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
import java.nio.file.Path;
import java.time.Clock;
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
    private static final String PUT = "Kinesis_20131202.PutRecords";

    @Param("10000")
    public int storedRecords;

    @Param("1024")
    public int recordBytes;

    @Param("INTERVAL")
    public DurabilityPolicy durability;

    private Path dir;
    private EmbeddedLogStore logs;
    private FileMetadataStore metadata;
    private FanOut fanOut;
    private KinesisApi api;
    private byte[] body;

    @Setup(Level.Trial)
    public void setUp() {
        dir = BenchSupport.newDataDir("api-put");
        Clock clock = Clock.systemUTC();
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir).withDurability(durability, 50), clock);
        metadata = FileMetadataStore.open(dir);
        StreamRegistry streams = new StreamRegistry(metadata, logs, clock, Account.DEFAULT, 0);
        ConsumerRegistry consumers = new ConsumerRegistry(metadata, streams, clock, 0);
        fanOut = new FanOut(streams, consumers, clock, ThroughputLimits.OFF, 1);
        ApiServices services = new ApiServices(streams, new ShardIterators(new byte[32], clock),
                new ResourcePolicies(metadata), new AccountSettings(metadata, clock), 100_000, ScalingLimits.AWS,
                new Throttles(clock, ThroughputLimits.OFF),
                new AutoScaler(streams, clock, AutoScalingConfig.DEFAULT, ThroughputLimits.OFF), consumers, fanOut);
        api = new KinesisApi(ApiModel.kinesis(), OperationRouter.standard(services));
        KinesisApi.Result created = api.handle("Kinesis_20131202.CreateStream", WireFormat.JSON,
                "{\"StreamName\":\"bench\",\"ShardCount\":1}".getBytes(StandardCharsets.UTF_8), "setup");
        if (created.httpStatus() != 200) {
            throw new IllegalStateException(new String(created.body(), StandardCharsets.UTF_8));
        }
        for (int put = 0; put < storedRecords; put += 500) {
            KinesisApi.Result r = api.handle(PUT, WireFormat.CBOR, PutRecordsApiBenchmark.cborBody(
                    Math.min(500, storedRecords - put), recordBytes), "setup");
            if (r.httpStatus() != 200) {
                throw new IllegalStateException("PutRecords failed: " + r.errorType());
            }
        }
        KinesisApi.Result iterator = api.handle("Kinesis_20131202.GetShardIterator", WireFormat.JSON,
                ("{\"StreamName\":\"bench\",\"ShardId\":\"shardId-000000000000\","
                        + "\"ShardIteratorType\":\"TRIM_HORIZON\"}").getBytes(StandardCharsets.UTF_8), "setup");
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
        try {
            fanOut.close();
            logs.close();
            metadata.close();
        } finally {
            BenchSupport.delete(dir);
        }
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
