package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.kinesis.model.StreamMode;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import static dev.millrace.metrics.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A channel's {@code DeliveryToS3.*} metrics against what it really delivered: a server run as a child process
 * delivers a stream with valid and invalid JSON records to files in its data directory
 * ({@code --channel-min-freshness-seconds 2}); {@code GET /metrics} shows exactly the records, bytes and objects
 * delivered and dead-lettered, and CloudWatch's GetMetricStatistics, asked with the channel's three dimensions by
 * the SDK's CloudWatchClient, the same counts once their minute has ended (the one wait of a minute here).
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
class ChannelMetricsTest {
    private static final String ACCOUNT = "000000000000";

    @TempDir
    static Path dir;
    private static MillraceProcess server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"), "--channel-min-freshness-seconds", "2");
    }

    @AfterAll
    static void stop() {
        assertThat(server.stop()).isZero();
    }

    @Test
    void deliveredAndDeadLetteredRecordsAreCountedExactlyInPrometheusAndCloudWatch() throws Exception {
        try (KinesisClient kinesis = Clients.syncRetrying(server.endpoint(), 10);
             CloudWatchClient cloudWatch = CloudWatchClient.builder().endpointOverride(server.endpoint())
                     .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
                             AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))
                     .httpClient(UrlConnectionHttpClient.create()).build()) {
            kinesis.createStream(b -> b.streamName("metered").streamModeDetails(m -> m.streamMode(
                    StreamMode.ON_DEMAND)));
            Streams.awaitActive(kinesis, "metered");
            String channelId = createChannel(kinesis);
            Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES);

            long bytesIn = 0;
            int valid = 12;
            int invalid = 3;
            for (int i = 0; i < valid + invalid; i++) {
                byte[] data = (i < valid ? "{\"n\":" + i + "}" : "{\"n\":" + i).getBytes(StandardCharsets.UTF_8);
                kinesis.putRecord(b -> b.streamName("metered").partitionKey("k").data(SdkBytes.fromByteArray(data)));
                bytesIn += data.length;
            }

            Map<String, String> labels = Map.of("account", ACCOUNT, "region", "us-east-1", "stream", "metered",
                    "channel", "metered-to-disk", "channel_id", channelId);
            long expectedBytesIn = bytesIn;
            Path bucket = dir.resolve("data").resolve("channels").resolve("metered-bucket");
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                String text = get("/metrics");
                assertThat(value(text, "kinesis_channel_delivery_to_s3_records_total", labels))
                        .isEqualTo(valid + invalid);
                assertThat(value(text, "kinesis_channel_delivery_to_s3_data_freshness_seconds", labels))
                        .as("everything delivered").isZero();
            });
            String text = get("/metrics");
            List<Path> objects = ChannelDeliveryTest.files(bucket);
            assertThat(objects).isNotEmpty();
            long objectBytes = 0;
            for (Path object : objects) {
                objectBytes += Files.size(object);
            }
            assertThat(value(text, "kinesis_channel_delivery_to_s3_successful_records_total", labels))
                    .isEqualTo(valid);
            assertThat(value(text, "kinesis_channel_delivery_to_s3_failed_records_total", labels)).isEqualTo(invalid);
            assertThat(value(text, "kinesis_channel_delivery_to_s3_dlq_delivery_success_total", labels))
                    .isEqualTo(invalid);
            assertThat(value(text, "kinesis_channel_delivery_to_s3_bytes_in_total", labels))
                    .isEqualTo(expectedBytesIn);
            assertThat(value(text, "kinesis_channel_delivery_to_s3_bytes_out_total", labels)).isEqualTo(objectBytes);
            assertThat(value(text, "kinesis_channel_delivery_to_s3_delivery_success_sum", labels))
                    .isEqualTo(objects.size());
            assertThat(value(text, "kinesis_channel_delivery_to_s3_delivery_success_count", labels))
                    .as("no failed attempt").isEqualTo(objects.size());

            Instant to = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
            int objectCount = objects.size();
            long out = objectBytes;
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                assertThat(sum(cloudWatch, "DeliveryToS3.RecordCount", channelId, from, to))
                        .isEqualTo(valid + invalid);
                assertThat(sum(cloudWatch, "DeliveryToS3.SuccessfulRecordCount", channelId, from, to))
                        .isEqualTo(valid);
                assertThat(sum(cloudWatch, "DeliveryToS3.FailedRecordCount", channelId, from, to))
                        .isEqualTo(invalid);
                assertThat(sum(cloudWatch, "DeliveryToS3.DLQDeliverySuccess", channelId, from, to))
                        .isEqualTo(invalid);
                assertThat(sum(cloudWatch, "DeliveryToS3.BytesIn", channelId, from, to)).isEqualTo(expectedBytesIn);
                assertThat(sum(cloudWatch, "DeliveryToS3.BytesOut", channelId, from, to)).isEqualTo(out);
                assertThat(sum(cloudWatch, "DeliveryToS3.DeliverySuccess", channelId, from, to))
                        .isEqualTo(objectCount);
            });
            assertThat(cloudWatch.getMetricStatistics(b -> b.namespace("AWS/Kinesis")
                    .metricName("DeliveryToS3.RecordCount")
                    .dimensions(Dimension.builder().name("StreamName").value("metered").build())
                    .startTime(from).endTime(to).period(60).statistics(Statistic.SUM)).datapoints())
                    .as("as on AWS, the stream's name alone does not name a channel's metric").isEmpty();
        }
    }

    private static String createChannel(KinesisClient kinesis) {
        String arn = kinesis.createChannel(b -> b.channelName("metered-to-disk")
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/metered")
                        .recordConfiguration(r -> r.recordFormatType("JSON")))
                .s3DestinationConfiguration(d -> d.dataFreshnessInSeconds(2)
                        .storageConfiguration(c -> c.bucketARN("arn:aws:s3:::metered-bucket")
                                .expectedBucketOwner(ACCOUNT).compressionType("NONE"))
                        .deadLetterQueueS3Configuration(q -> q.bucketARN("arn:aws:s3:::metered-dlq")
                                .expectedBucketOwner(ACCOUNT).errorOutputPrefix("errors/"))))
                .channelDescription().channelARN();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .until(() -> kinesis.describeChannel(b -> b.channelARN(arn)).channelDescription().channelStatus()
                        == ChannelStatus.ACTIVE);
        return kinesis.describeChannel(b -> b.channelARN(arn)).channelDescription().channelId();
    }

    private static double sum(CloudWatchClient cloudWatch, String metric, String channelId, Instant from,
                              Instant to) {
        return cloudWatch.getMetricStatistics(b -> b.namespace("AWS/Kinesis").metricName(metric)
                .dimensions(Dimension.builder().name("ChannelName").value("metered-to-disk").build(),
                        Dimension.builder().name("ChannelId").value(channelId).build(),
                        Dimension.builder().name("StreamName").value("metered").build())
                .startTime(from).endTime(to).period(60).statistics(Statistic.SUM))
                .datapoints().stream().mapToDouble(Datapoint::sum).sum();
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(server.endpoint().resolve(path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + " answered " + response.body()).isEqualTo(200);
        return response.body();
    }
}
