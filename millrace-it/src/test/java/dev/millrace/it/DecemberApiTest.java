package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.DryRunOperationException;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.RecordDistributionStrategy;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The API as of December 2026, as today's AWS SDK for Java (2.59) uses it: DryRun and RecordDistributionStrategy (the
 * channel operations: ChannelApiTest). Sync CBOR for the plain calls; the async HTTP/2 client for SubscribeToShard.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecemberApiTest {
    private MillraceProcess server;
    private KinesisClient kinesis;
    private KinesisAsyncClient async;
    private Path dataDir;

    @BeforeAll
    void startServer() throws IOException {
        dataDir = Files.createTempDirectory("millrace-it-december-");
        server = MillraceProcess.start(dataDir);
        URI endpoint = server.awaitReady();
        kinesis = Clients.sync(endpoint, true, new Clients.Recorder());
        async = Clients.async(endpoint, new Clients.Recorder());
    }

    @AfterAll
    void stopServer() throws IOException {
        kinesis.close();
        async.close();
        server.close();
        KinesisApiContract.deleteTree(dataDir);
    }

    @Test
    void dryRunsAnswerDryRunOperationExceptionAndChangeNothing() throws Exception {
        Streams.createActive(kinesis, "dry", 1);
        SdkBytes data = SdkBytes.fromUtf8String("x");
        assertThatThrownBy(() -> kinesis.putRecord(b -> b.streamName("dry").partitionKey("k").data(data).dryRun(true)))
                .isInstanceOf(DryRunOperationException.class);
        assertThatThrownBy(() -> kinesis.putRecords(b -> b.streamName("dry").dryRun(true)
                .records(PutRecordsRequestEntry.builder().partitionKey("k").data(data).build())))
                .isInstanceOf(DryRunOperationException.class);
        assertThatThrownBy(() -> kinesis.putRecord(b -> b.streamName("missing").partitionKey("k").data(data)
                .dryRun(true))).isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> kinesis.getShardIterator(b -> b.streamName("dry").shardId("shardId-000000000000")
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON).dryRun(true)))
                .isInstanceOf(DryRunOperationException.class);
        String iterator = kinesis.getShardIterator(b -> b.streamName("dry").shardId("shardId-000000000000")
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        assertThatThrownBy(() -> kinesis.getRecords(b -> b.shardIterator(iterator).dryRun(true)))
                .isInstanceOf(DryRunOperationException.class);
        assertThat(kinesis.getRecords(b -> b.shardIterator(iterator)).records()).isEmpty();

        String consumerArn = kinesis.registerStreamConsumer(b -> b.streamARN(arn("dry")).consumerName("c"))
                .consumer().consumerARN();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> "ACTIVE".equals(
                kinesis.describeStreamConsumer(b -> b.consumerARN(consumerArn)).consumerDescription()
                        .consumerStatusAsString()));
        SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
                .subscriber(SubscribeToShardResponseHandler.Visitor.builder().build()).build();
        assertThatThrownBy(() -> async.subscribeToShard(b -> b.consumerARN(consumerArn).shardId("shardId-000000000000")
                .startingPosition(p -> p.type(ShardIteratorType.LATEST)).dryRun(true), handler)
                .get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(DryRunOperationException.class);
    }

    @Test
    void autoDistributionSpreadsRecordsWithoutPartitionKeys() {
        kinesis.createStream(b -> b.streamName("auto").streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
        Streams.awaitActive(kinesis, "auto");
        StreamDescriptionSummary before = summary("auto");
        assertThat(before.recordDistributionStrategy()).isEqualTo(RecordDistributionStrategy.USER_PARTITION_KEY);
        assertThatThrownBy(() -> kinesis.putRecord(b -> b.streamName("auto").data(SdkBytes.fromUtf8String("x"))))
                .isInstanceOf(InvalidArgumentException.class);

        kinesis.updateStreamRecordDistributionStrategy(b -> b.streamARN(arn("auto"))
                .recordDistributionStrategy(RecordDistributionStrategy.AUTO));
        assertThat(summary("auto").recordDistributionStrategy()).isEqualTo(RecordDistributionStrategy.AUTO);
        Map<String, Integer> perShard = new HashMap<>();
        int shards = before.openShardCount();
        for (int i = 0; i < 25 * shards; i++) {
            String shardId = kinesis.putRecord(b -> b.streamName("auto").data(SdkBytes.fromUtf8String("x")))
                    .shardId();
            perShard.merge(shardId, 1, Integer::sum);
        }
        assertThat(perShard).hasSize(shards).allSatisfy((shard, n) -> assertThat(n).isEqualTo(25));
        assertThat(Streams.readShard(kinesis, "auto", "shardId-000000000000", 1000)).hasSize(25)
                .allSatisfy(r -> assertThat(r.partitionKey()).isNull());

        Streams.createActive(kinesis, "provisioned", 1);
        assertThatThrownBy(() -> kinesis.updateStreamRecordDistributionStrategy(b -> b.streamARN(arn("provisioned"))
                .recordDistributionStrategy(RecordDistributionStrategy.AUTO)))
                .isInstanceOf(InvalidArgumentException.class);
    }

    private StreamDescriptionSummary summary(String name) {
        return kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary();
    }

    private static String arn(String name) {
        return "arn:aws:kinesis:us-east-1:000000000000:stream/" + name;
    }
}
