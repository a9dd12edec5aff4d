package dev.millrace.it;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code --auth sigv4} on two nodes of one Kafka cluster: every call is authorized by the node the client reached,
 * also one the node forwards to the metadata writer (a refused change never reaches it) or places on a shard's owner
 * (records written and read through the node that does not own their shards); DynamoDB calls too.
 */
class ClusterSecurityTest {
    private static KafkaTestCluster kafka;
    private static MillraceNodes nodes;
    @TempDir
    static Path dir;

    @BeforeAll
    static void startCluster() throws Exception {
        Path identities = Files.writeString(dir.resolve("identities.json"), SecurityTest.identities(""));
        kafka = KafkaTestCluster.start(1);
        nodes = MillraceNodes.start(2, dir, kafka.bootstrapServers(), "it-secure.", 0, "--auth", "sigv4",
                "--identities", identities.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.writers().size() == 1);
    }

    @AfterAll
    static void stop() {
        if (nodes != null) {
            nodes.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static KinesisClient kinesis(int node, String identity) {
        return SecurityTest.kinesisAt(nodes.node(node).endpoint(), identity);
    }

    @Test
    void everyCallIsAuthorizedWhereTheClientReachedTheCluster() {
        int writer = nodes.writers().get(0);
        int follower = 1 - writer;
        // A change through the follower is forwarded to the writer once the follower found it allowed ...
        Streams.createActive(kinesis(follower, "admin"), "orders", 4);
        // ... and one it refuses never gets there: the stream is still there on both nodes.
        AwsServiceException refused = failure(() -> kinesis(follower, "producer").deleteStream(b -> b
                .streamName("orders")));
        assertThat(refused.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
        assertThat(refused.awsErrorDetails().errorMessage()).contains("user/producer", "kinesis:DeleteStream");
        assertThat(kinesis(writer, "reader").listStreams().streamNames()).contains("orders");

        // Records for shards the other node owns are appended there, and read back through either node.
        for (int node = 0; node < 2; node++) {
            int n = node;
            List<PutRecordsRequestEntry> entries = IntStream.range(0, 40).mapToObj(i -> PutRecordsRequestEntry
                    .builder().partitionKey("key-" + n + "-" + i).data(SdkBytes.fromString("value-" + i,
                            StandardCharsets.UTF_8)).build()).toList();
            PutRecordsResponse r = kinesis(node, "producer").putRecords(b -> b.streamName("orders")
                    .records(entries));
            assertThat(r.failedRecordCount()).isZero();
        }
        int read = 0;
        for (int shard = 0; shard < 4; shard++) {
            read += Streams.readShard(kinesis(shard % 2, "reader"), "orders", "shardId-00000000000" + shard, 1000)
                    .size();
        }
        assertThat(read).isEqualTo(80);
        assertThat(failure(() -> Streams.readShard(kinesis(follower, "producer"), "orders", "shardId-000000000000",
                10)).awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");

        // DynamoDB calls, which every node forwards to the writer, are authorized before they leave.
        try (DynamoDbClient producerDb = DynamoDbClient.builder().endpointOverride(nodes.node(follower).endpoint())
                .region(Region.US_EAST_1).credentialsProvider(SecurityTest.keys("producer"))
                .httpClient(UrlConnectionHttpClient.create()).build();
             DynamoDbClient adminDb = DynamoDbClient.builder().endpointOverride(nodes.node(follower).endpoint())
                     .region(Region.US_EAST_1).credentialsProvider(SecurityTest.keys("admin"))
                     .httpClient(UrlConnectionHttpClient.create()).build()) {
            assertThat(failure(producerDb::listTables).awsErrorDetails().errorCode())
                    .isEqualTo("AccessDeniedException");
            assertThat(adminDb.listTables().tableNames()).isNotNull();
        }
    }

    private static AwsServiceException failure(Runnable call) {
        try {
            call.run();
        } catch (AwsServiceException e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }
}
