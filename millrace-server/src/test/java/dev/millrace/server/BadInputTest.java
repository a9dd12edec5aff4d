package dev.millrace.server;

import dev.millrace.protocol.ApiModel;
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
import dev.millrace.server.state.Throttles;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Throws malformed, mistyped and random bodies at every operation of the model and requires a client error (or a
 * success) every time: never a 500, never an exception escaping the API.
 */
class BadInputTest {
    @TempDir
    Path dir;
    private EmbeddedLogStore logs;
    private FileMetadataStore metadata;
    private KinesisApi api;

    @BeforeEach
    void setUp() {
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir), Clock.systemUTC());
        metadata = FileMetadataStore.open(dir);
        StreamRegistry streams = new StreamRegistry(metadata, logs, Clock.systemUTC(), Account.DEFAULT, 0);
        ConsumerRegistry consumers = new ConsumerRegistry(metadata, streams, Clock.systemUTC(), 0);
        ApiServices services = new ApiServices(streams, new ShardIterators(new byte[32], Clock.systemUTC()),
                new ResourcePolicies(metadata), new AccountSettings(metadata, Clock.systemUTC()), 100,
                ScalingLimits.AWS, new Throttles(Clock.systemUTC(), ThroughputLimits.AWS),
                new AutoScaler(streams, Clock.systemUTC(), AutoScalingConfig.DEFAULT, ThroughputLimits.AWS),
                consumers, new FanOut(streams, consumers, Clock.systemUTC(), ThroughputLimits.AWS, 1));
        api = new KinesisApi(ApiModel.kinesis(), OperationRouter.standard(services));
        call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}");
    }

    @AfterEach
    void tearDown() {
        logs.close();
        metadata.close();
    }

    private KinesisApi.Result call(String operation, String body) {
        return api.handle("Kinesis_20131202." + operation, WireFormat.JSON, body.getBytes(StandardCharsets.UTF_8),
                "test");
    }

    private static List<String> nastyBodies(Random random) {
        List<String> bodies = new ArrayList<>(List.of("", "null", "[]", "{", "}", "\"x\"", "42", "{\"a\":}",
                "{\"StreamName\":null}", "{\"StreamName\":\"s\",\"ShardCount\":-1}",
                "{\"StreamName\":\"s\",\"ShardCount\":99999999999999999999}",
                "{\"StreamName\":\"s\",\"Limit\":1.5}", "{\"StreamName\":\"s\",\"Records\":{}}",
                "{\"StreamName\":\"s\",\"Records\":[null]}", "{\"StreamName\":\"s\",\"Records\":[{}]}",
                "{\"StreamName\":\"s\",\"ShardId\":\"shardId-999999999999\",\"ShardIteratorType\":\"LATEST\"}",
                "{\"StreamName\":\"s\",\"ShardId\":\"x\",\"ShardIteratorType\":\"AT_SEQUENCE_NUMBER\","
                        + "\"StartingSequenceNumber\":\"1\"}",
                "{\"StreamName\":\"s\",\"Timestamp\":\"yesterday\"}", "{\"StreamARN\":\"arn:aws:kinesis:x\"}",
                "{\"ResourceARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1\"}",
                "{\"ShardIterator\":\"" + "A".repeat(512) + "\"}", "{\"NextToken\":\"!!!\"}",
                "{\"StreamName\":\"s\",\"ExclusiveStartShardId\":\"shardId-x\"}",
                "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"AA==\",\"ExplicitHashKey\":\""
                        + "9".repeat(39) + "\"}"));
        for (int i = 0; i < 20; i++) {
            byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            bodies.add(new String(junk, StandardCharsets.ISO_8859_1));
        }
        return bodies;
    }

    @Test
    void noBodyMakesAnyOperationFailWithAServerError() {
        Random random = new Random(2026);
        int calls = 0;
        for (String operation : ApiModel.kinesis().operations().keySet()) {
            for (String body : nastyBodies(random)) {
                KinesisApi.Result r = call(operation, body);
                assertThat(r.httpStatus()).as("%s with %s", operation, body).isIn(200, 400);
                if (r.httpStatus() == 400) {
                    assertThat(r.errorType()).as("%s with %s", operation, body).isNotBlank();
                }
                calls++;
            }
        }
        assertThat(calls).isGreaterThan(39 * 40);
    }

    @Test
    void randomCborIsASerializationErrorNotACrash() {
        Random random = new Random(7);
        for (int i = 0; i < 500; i++) {
            byte[] junk = new byte[1 + random.nextInt(100)];
            random.nextBytes(junk);
            KinesisApi.Result r = api.handle("Kinesis_20131202.PutRecords", WireFormat.CBOR, junk, "test");
            assertThat(r.httpStatus()).isEqualTo(400);
        }
    }
}
