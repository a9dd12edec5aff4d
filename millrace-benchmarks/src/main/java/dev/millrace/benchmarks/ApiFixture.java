package dev.millrace.benchmarks;

import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.OperationRouter;
import dev.millrace.server.fanout.FanOut;
import dev.millrace.protocol.Account;
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

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The Kinesis API in-process, as the server wires it but without HTTP, on a scratch directory, with one stream
 * {@code bench} of {@code shardCount} shards; throughput limits off, appends of a call one after the other (so a
 * score is one thread's work).
 *
 * <p>Thread-safe as the API is; {@link #close} once.
 */
final class ApiFixture implements AutoCloseable {
    static final String PREFIX = "Kinesis_20131202.";
    static final int MAX_OPEN_FILES = 10_000;

    private final Path dir;
    private final EmbeddedLogStore logs;
    private final FileMetadataStore metadata;
    private final FanOut fanOut;
    private final KinesisApi api;

    ApiFixture(String name, DurabilityPolicy durability, int shardCount) {
        dir = BenchSupport.newDataDir(name);
        Clock clock = Clock.systemUTC();
        // Open files as a server on a machine allowing 20,000 descriptors holds (half of them): with the store's own
        // default of 512, 1,000 shards' files were closed and reopened at every write-out of a tail.
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir).withDurability(durability, 50)
                .withMaxOpenFiles(MAX_OPEN_FILES), clock);
        metadata = FileMetadataStore.open(dir);
        StreamRegistry streams = new StreamRegistry(metadata, logs, clock, Account.DEFAULT, 0);
        ConsumerRegistry consumers = new ConsumerRegistry(metadata, streams, clock, 0);
        fanOut = new FanOut(streams, consumers, clock, ThroughputLimits.OFF, 1);
        ApiServices services = new ApiServices(streams, new ShardIterators(new byte[32], clock),
                new ResourcePolicies(metadata), new AccountSettings(metadata, clock), 100_000, ScalingLimits.AWS,
                new Throttles(clock, ThroughputLimits.OFF),
                new AutoScaler(streams, clock, AutoScalingConfig.DEFAULT, ThroughputLimits.OFF), consumers, fanOut);
        api = new KinesisApi(ApiModel.kinesis(), OperationRouter.standard(services));
        call("CreateStream", WireFormat.JSON, ("{\"StreamName\":\"bench\",\"ShardCount\":" + shardCount + "}")
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Calls an operation and fails the trial unless it succeeds. */
    KinesisApi.Result call(String operation, WireFormat format, byte[] body) {
        KinesisApi.Result r = api.handle(PREFIX + operation, format, body, "bench");
        if (r.httpStatus() != 200) {
            throw new IllegalStateException(operation + " failed: " + r.errorType() + " "
                    + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r;
    }

    /** The API itself, for the measured call (no checks on the way). */
    KinesisApi api() {
        return api;
    }

    @Override
    public void close() {
        try {
            fanOut.close();
            logs.close();
            metadata.close();
        } finally {
            BenchSupport.delete(dir);
        }
    }
}
