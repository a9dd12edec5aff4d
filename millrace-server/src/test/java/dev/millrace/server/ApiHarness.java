package dev.millrace.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.channels.ChannelRegistry;
import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.JsonTree;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.fanout.FanOut;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.OperationRouter;
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
import dev.millrace.storage.LogStore;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The API in-process, without HTTP: storage, registry and handlers on a directory, called with JSON bodies. For
 * tests that need many calls and full control (a manual clock, restarts).
 *
 * <p>Not thread-safe; one per test.
 */
final class ApiHarness implements AutoCloseable {
    private final EmbeddedLogStore logs;
    final FileMetadataStore metadata;
    final ApiServices services;
    private final KinesisApi api;
    final StreamRegistry streams;
    final AutoScaler autoScaler;
    final FanOut fanOut;
    final ConsumerRegistry consumers;
    final ShardIterators iterators;
    final ChannelRegistry channels;

    /** The embedded store under the harness (for tests that observe its fsyncs). */
    EmbeddedLogStore logStore() {
        return logs;
    }

    ApiHarness(Path dir, Clock clock, ScalingLimits scaling) {
        this(dir, clock, scaling, ThroughputLimits.OFF);
    }

    ApiHarness(Path dir, Clock clock, ScalingLimits scaling, ThroughputLimits throughput) {
        this(dir, clock, scaling, throughput, 0);
    }

    /** With {@code transitionDelayMs} &gt; 0, streams pass through CREATING, UPDATING and DELETING as on AWS. */
    ApiHarness(Path dir, Clock clock, ScalingLimits scaling, ThroughputLimits throughput, long transitionDelayMs) {
        this(dir, clock, scaling, throughput, transitionDelayMs, 100_000, UnaryOperator.identity());
    }

    /**
     * With the account's shard limit {@code shardLimit}, and the registry seeing the log store through
     * {@code wrapLogs} (to slow or observe it).
     */
    ApiHarness(Path dir, Clock clock, ScalingLimits scaling, ThroughputLimits throughput, long transitionDelayMs,
               int shardLimit, UnaryOperator<LogStore> wrapLogs) {
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir), clock);
        metadata = FileMetadataStore.open(dir);
        streams = new StreamRegistry(metadata, wrapLogs.apply(logs), clock, Account.DEFAULT, transitionDelayMs,
                shardLimit);
        consumers = new ConsumerRegistry(metadata, streams, clock, 0);
        services = new ApiServices(streams, iterators = new ShardIterators(new byte[32], clock),
                new ResourcePolicies(metadata), new AccountSettings(metadata, clock), shardLimit, scaling,
                new Throttles(clock, throughput), autoScaler = new AutoScaler(streams, clock,
                new AutoScalingConfig(5_000, 10, 0.5, 0.1, 60_000, 4), throughput),
                consumers, fanOut = new FanOut(streams, consumers, clock, throughput, 1));
        channels = services.channels();
        api = new KinesisApi(ApiModel.kinesis(), OperationRouter.standard(services));
    }

    /** The API itself, for calls in CBOR or answers read raw. */
    KinesisApi rawApi() {
        return api;
    }

    /** Calls an operation; returns the decoded response, or throws with the error type and message. */
    @SuppressWarnings("unchecked")
    Map<String, Object> call(String operation, String jsonBody) {
        KinesisApi.Result r = api.handle("Kinesis_20131202." + operation, WireFormat.JSON,
                jsonBody.getBytes(StandardCharsets.UTF_8), "test");
        if (r.httpStatus() != 200) {
            throw new ApiError(r.errorType(), new String(r.body(), StandardCharsets.UTF_8));
        }
        if (r.length() == 0) {
            return Map.of(); // an operation without an output shape answers an empty body
        }
        try (JsonParser p = new JsonFactory().createParser(r.body())) {
            p.nextToken();
            return (Map<String, Object>) JsonTree.read(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Calls an operation that must succeed and returns its body as text, as the client receives it. */
    String body(String operation, String jsonBody) {
        KinesisApi.Result r = api.handle("Kinesis_20131202." + operation, WireFormat.JSON,
                jsonBody.getBytes(StandardCharsets.UTF_8), "test");
        if (r.httpStatus() != 200) {
            throw new ApiError(r.errorType(), new String(r.body(), StandardCharsets.UTF_8));
        }
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    /** An error answer. */
    /** The harness's Kinesis API, to serve over a real HTTP server in a test. */
    KinesisApi kinesisApi() {
        return api;
    }

    static final class ApiError extends RuntimeException {
        final String type;
        /** The error's {@code message} member, or {@code null}. */
        final String message;

        ApiError(String type, String body) {
            super(type + ": " + body);
            this.type = type;
            this.message = messageOf(body);
        }

        @SuppressWarnings("unchecked")
        private static String messageOf(String body) {
            try (JsonParser p = new JsonFactory().createParser(body)) {
                p.nextToken();
                Object m = ((Map<String, Object>) JsonTree.read(p)).get("message");
                return m == null ? null : m.toString();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    @Override
    public void close() {
        fanOut.close();
        logs.close();
        metadata.close();
    }
}
