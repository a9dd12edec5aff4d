package dev.millrace.it;

import dev.millrace.channels.s3.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelDescription;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Channels deliver for real: a server run as a child process writes a stream's records, with the AWS SDK creating
 * the channel, to a real S3 API server (s3proxy, in this JVM) or, without {@code --s3-endpoint}, to files in its
 * data directory; the objects are read back as a user would (the SDK's S3 client, the file system) and checked key by
 * key and byte by byte, dead letters included, also across a restart of the server. DataFreshnessInSeconds is 2
 * ({@code --channel-min-freshness-seconds 2}) so that batches are delivered within seconds.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChannelDeliveryTest {
    private static final String ACCOUNT = "000000000000";
    private static final Duration DELIVERY = Duration.ofSeconds(40);

    private S3ProxyServer s3;
    private S3Client s3Client;
    private Path dataDir;
    private MillraceProcess server;
    private KinesisClient kinesis;

    @BeforeAll
    void start() throws Exception {
        s3 = new S3ProxyServer();
        s3Client = s3.client();
        s3Client.createBucket(b -> b.bucket("orders-archive"));
        s3Client.createBucket(b -> b.bucket("orders-dlq"));
        dataDir = Files.createTempDirectory("millrace-it-delivery-");
        startServer();
    }

    private void startServer() {
        server = MillraceProcess.start(dataDir, "--s3-endpoint", s3.endpoint.toString(),
                "--s3-access-key-id", S3ProxyServer.ACCESS_KEY, "--s3-secret-access-key", S3ProxyServer.SECRET_KEY,
                "--channel-min-freshness-seconds", "2");
        URI endpoint = server.awaitReady();
        kinesis = Clients.sync(endpoint, true, new Clients.Recorder());
    }

    private void stopServer() {
        kinesis.close();
        server.close();
    }

    @AfterAll
    void stop() throws IOException {
        stopServer();
        s3Client.close();
        s3.close();
        KinesisApiContract.deleteTree(dataDir);
    }

    @Test
    void jsonRecordsGoGzippedToTheBucketOncePerRecordAndInvalidOnesToTheDeadLetterPrefixAlsoAcrossARestart() {
        onDemandStream("orders");
        ChannelDescription channel = createChannel("orders-to-s3", "orders", "JSON", "orders-archive", "GZIP",
                "arn:aws:s3:::orders-dlq", "errors/");
        List<String> expected = new ArrayList<>();
        List<String> deadSequenceNumbers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String json = "{\"order\":" + i + ",\"item\":\"caf\u00e9\"}";
            put("orders", json.getBytes(StandardCharsets.UTF_8), "k" + (i % 3));
            expected.add(json);
        }
        deadSequenceNumbers.add(put("orders", "{\"order\":".getBytes(StandardCharsets.UTF_8), "k0"));
        deadSequenceNumbers.add(put("orders", new byte[] {(byte) 0xC3, 0x28}, "k1"));

        String prefix = "kinesis-channel/orders-to-s3/" + channel.channelId() + "/";
        await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(deliveredLines("orders-archive", prefix)).hasSize(expected.size()));
        assertThat(deliveredLines("orders-archive", prefix)).containsExactlyInAnyOrderElementsOf(expected);
        String keyPattern = "kinesis-channel/orders-to-s3/" + channel.channelId()
                + "/\\d{4}/\\d{2}/\\d{2}/\\d{2}/orders-to-s3-" + channel.channelId()
                + "-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f]{8}-\\d{12}-[0-9a-z]{13}\\.gz";
        assertThat(keys("orders-archive", prefix)).isNotEmpty().allMatch(k -> k.matches(keyPattern));

        await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(deadLetters()).hasSize(2));
        List<String> dead = deadLetters();
        for (String sequenceNumber : deadSequenceNumbers) {
            assertThat(dead).anySatisfy(line -> assertThat(line)
                    .contains("\"sequenceNumber\":\"" + sequenceNumber + "\"")
                    .contains("\"errorCode\":\"DESERIALIZATION_ERROR\"")
                    .contains("\"streamARN\":\"arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/orders\""));
        }
        assertThat(String.join("\n", dead)).as("dead letters carry no payload").doesNotContain("{\\\"order\\\"");

        // A restart neither delivers the delivered records again nor loses what arrives after it.
        stopServer();
        startServer();
        for (int i = 20; i < 30; i++) {
            String json = "{\"order\":" + i + "}";
            put("orders", json.getBytes(StandardCharsets.UTF_8), "k" + (i % 3));
            expected.add(json);
        }
        await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(deliveredLines("orders-archive", prefix)).hasSize(expected.size()));
        assertThat(deliveredLines("orders-archive", prefix)).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(deadLetters()).hasSize(2);
    }

    @Test
    void aChannelWhoseBucketDoesNotExistFailsWithTheReason() {
        onDemandStream("lost");
        ChannelDescription channel = createChannel("lost-to-s3", "lost", "BYTE_ARRAY", "no-such-bucket", "NONE",
                null, null);
        ChannelDescription failed = awaitStatus(channel.channelARN(), ChannelStatus.FAILED);
        assertThat(failed.channelStatusReason()).contains("no-such-bucket").contains("does not exist");
    }

    @Test
    void withoutAnS3EndpointObjectsAreFilesUnderTheDataDirectory() throws IOException {
        Path localDir = Files.createTempDirectory("millrace-it-delivery-local-");
        try (MillraceProcess local = MillraceProcess.start(localDir, "--channel-min-freshness-seconds", "2");
             KinesisClient client = Clients.sync(local.awaitReady(), false, new Clients.Recorder())) {
            Streams.createOnDemand(client, "lines");
            String arn = client.createChannel(b -> b.channelName("lines-to-disk")
                    .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                    .streamConfigurationList(s -> s.streamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/lines")
                            .recordConfiguration(r -> r.recordFormatType("STRING")))
                    .s3DestinationConfiguration(d -> d.dataFreshnessInSeconds(2).storageConfiguration(c -> c
                            .bucketARN("arn:aws:s3:::local-bucket").expectedBucketOwner(ACCOUNT)
                            .compressionType("NONE").outputKeyTemplate("lines/!{yyyy}/!{channel-name}"))))
                    .channelDescription().channelARN();
            Streams.awaitChannel(client, arn, ChannelStatus.ACTIVE);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String line = "line " + i;
                client.putRecord(b -> b.streamName("lines").partitionKey("p")
                        .data(SdkBytes.fromUtf8String(line)));
                expected.add(line);
            }
            Path bucketDir = localDir.resolve("channels").resolve("local-bucket");
            await().atMost(DELIVERY).pollInterval(Duration.ofMillis(500)).until(() -> Files.isDirectory(bucketDir)
                    && !files(bucketDir).isEmpty());
            List<Path> files = files(bucketDir);
            assertThat(files).hasSize(1);
            assertThat(bucketDir.relativize(files.get(0)).toString().replace('\\', '/'))
                    .matches("lines/\\d{4}/lines-to-disk-[0-9a-f]{8}-\\d{12}-[0-9a-z]{13}");
            assertThat(Files.readAllLines(files.get(0), StandardCharsets.UTF_8)).isEqualTo(expected);
        } finally {
            KinesisApiContract.deleteTree(localDir);
        }
    }

    private void onDemandStream(String name) {
        Streams.createOnDemand(kinesis, name);
    }

    private ChannelDescription createChannel(String name, String stream, String format, String bucket,
                                             String compression, String dlqBucketArn, String dlqPrefix) {
        ChannelDescription created = kinesis.createChannel(b -> b.channelName(name)
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream)
                        .recordConfiguration(r -> r.recordFormatType(format)))
                .s3DestinationConfiguration(d -> {
                    d.dataFreshnessInSeconds(2).storageConfiguration(c -> c.bucketARN("arn:aws:s3:::" + bucket)
                            .expectedBucketOwner(ACCOUNT).compressionType(compression));
                    if (dlqBucketArn != null) {
                        d.deadLetterQueueS3Configuration(q -> q.bucketARN(dlqBucketArn).expectedBucketOwner(ACCOUNT)
                                .errorOutputPrefix(dlqPrefix));
                    }
                })).channelDescription();
        if (!bucket.startsWith("no-such")) {
            awaitStatus(created.channelARN(), ChannelStatus.ACTIVE);
        }
        return created;
    }

    private ChannelDescription awaitStatus(String arn, ChannelStatus status) {
        return Streams.awaitChannel(kinesis, arn, status);
    }

    /** Puts one record; returns its sequence number. */
    private String put(String stream, byte[] data, String partitionKey) {
        return kinesis.putRecord(b -> b.streamName(stream).partitionKey(partitionKey)
                .data(SdkBytes.fromByteArray(data))).sequenceNumber();
    }

    private List<String> keys(String bucket, String prefix) {
        return s3Client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    /** Every line of every delivered object, gunzipped. */
    private List<String> deliveredLines(String bucket, String prefix) {
        List<String> lines = new ArrayList<>();
        for (String key : keys(bucket, prefix)) {
            lines.addAll(new String(gunzip(S3ProxyServer.get(s3Client, bucket, key)), StandardCharsets.UTF_8)
                    .lines().toList());
        }
        return lines;
    }

    private List<String> deadLetters() {
        List<String> lines = new ArrayList<>();
        for (String key : keys("orders-dlq", "errors/")) {
            assertThat(key).endsWith(".jsonl");
            lines.addAll(new String(S3ProxyServer.get(s3Client, "orders-dlq", key), StandardCharsets.UTF_8)
                    .lines().toList());
        }
        return lines;
    }

    private static byte[] gunzip(byte[] gzipped) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped));
             ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file under {@code dir}, for the local-files destination. */
    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
