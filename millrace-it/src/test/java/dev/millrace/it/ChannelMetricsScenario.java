package dev.millrace.it;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;

import java.io.IOException;
import java.net.URI;
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
 * A channel's {@code DeliveryToS3.*} metrics against what it really delivered, run by {@link MetricsTest} on its
 * server (started with {@code --channel-min-freshness-seconds 2}) so that the one wait for a minute to end serves the
 * stream's metrics and the channel's: the server delivers a stream with valid and invalid JSON records to files in its
 * data directory; {@code GET /metrics} shows exactly the records, bytes and objects delivered and dead-lettered
 * ({@link #deliverAndCheckPrometheus}), and CloudWatch's GetMetricStatistics, asked with the channel's three
 * dimensions, the same counts once their minute has ended ({@link #checkCloudWatch}).
 *
 * <p>Not thread-safe; one scenario per test.
 */
final class ChannelMetricsScenario {
    private static final String ACCOUNT = "000000000000";
    private static final int VALID = 12;
    private static final int INVALID = 3;

    private final URI endpoint;
    private final Path dataDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private String channelId;
    private Instant from;
    private long bytesIn;
    private long objectBytes;
    private int objectCount;

    ChannelMetricsScenario(URI endpoint, Path dataDir) {
        this.endpoint = endpoint;
        this.dataDir = dataDir;
    }

    /** Creates the stream and the channel, puts the records, and checks /metrics once they are delivered. */
    void deliverAndCheckPrometheus(KinesisClient kinesis) throws Exception {
        Streams.createOnDemand(kinesis, "delivered");
        channelId = createChannel(kinesis);
        from = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        for (int i = 0; i < VALID + INVALID; i++) {
            byte[] data = (i < VALID ? "{\"n\":" + i + "}" : "{\"n\":" + i).getBytes(StandardCharsets.UTF_8);
            kinesis.putRecord(b -> b.streamName("delivered").partitionKey("k").data(SdkBytes.fromByteArray(data)));
            bytesIn += data.length;
        }

        Map<String, String> labels = Map.of("account", ACCOUNT, "region", "us-east-1", "stream", "delivered",
                "channel", "delivered-to-disk", "channel_id", channelId);
        Path bucket = dataDir.resolve("channels").resolve("metered-bucket");
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            String text = get("/metrics");
            assertThat(value(text, "kinesis_channel_delivery_to_s3_records_total", labels)).isEqualTo(VALID + INVALID);
            assertThat(value(text, "kinesis_channel_delivery_to_s3_data_freshness_seconds", labels))
                    .as("everything delivered").isZero();
        });
        String text = get("/metrics");
        List<Path> objects = ChannelDeliveryTest.files(bucket);
        assertThat(objects).isNotEmpty();
        for (Path object : objects) {
            objectBytes += Files.size(object);
        }
        objectCount = objects.size();
        assertThat(value(text, "kinesis_channel_delivery_to_s3_successful_records_total", labels)).isEqualTo(VALID);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_failed_records_total", labels)).isEqualTo(INVALID);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_dlq_delivery_success_total", labels))
                .isEqualTo(INVALID);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_bytes_in_total", labels)).isEqualTo(bytesIn);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_bytes_out_total", labels)).isEqualTo(objectBytes);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_delivery_success_sum", labels))
                .isEqualTo(objectCount);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_delivery_success_count", labels))
                .as("no failed attempt").isEqualTo(objectCount);
    }

    /** CloudWatch's sums over the minutes up to {@code to}: the same counts (call inside an Awaitility wait). */
    void checkCloudWatch(CloudWatchClient cloudWatch, Instant to) {
        assertThat(sum(cloudWatch, "DeliveryToS3.RecordCount", to)).isEqualTo(VALID + INVALID);
        assertThat(sum(cloudWatch, "DeliveryToS3.SuccessfulRecordCount", to)).isEqualTo(VALID);
        assertThat(sum(cloudWatch, "DeliveryToS3.FailedRecordCount", to)).isEqualTo(INVALID);
        assertThat(sum(cloudWatch, "DeliveryToS3.DLQDeliverySuccess", to)).isEqualTo(INVALID);
        assertThat(sum(cloudWatch, "DeliveryToS3.BytesIn", to)).isEqualTo(bytesIn);
        assertThat(sum(cloudWatch, "DeliveryToS3.BytesOut", to)).isEqualTo(objectBytes);
        assertThat(sum(cloudWatch, "DeliveryToS3.DeliverySuccess", to)).isEqualTo(objectCount);
        assertThat(cloudWatch.getMetricStatistics(b -> b.namespace("AWS/Kinesis")
                .metricName("DeliveryToS3.RecordCount")
                .dimensions(Dimension.builder().name("StreamName").value("delivered").build())
                .startTime(from).endTime(to).period(60).statistics(Statistic.SUM)).datapoints())
                .as("as on AWS, the stream's name alone does not name a channel's metric").isEmpty();
    }

    private static String createChannel(KinesisClient kinesis) {
        String arn = kinesis.createChannel(b -> b.channelName("delivered-to-disk")
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/delivered")
                        .recordConfiguration(r -> r.recordFormatType("JSON")))
                .s3DestinationConfiguration(d -> d.dataFreshnessInSeconds(2)
                        .storageConfiguration(c -> c.bucketARN("arn:aws:s3:::metered-bucket")
                                .expectedBucketOwner(ACCOUNT).compressionType("NONE"))
                        .deadLetterQueueS3Configuration(q -> q.bucketARN("arn:aws:s3:::metered-dlq")
                                .expectedBucketOwner(ACCOUNT).errorOutputPrefix("errors/"))))
                .channelDescription().channelARN();
        return Streams.awaitChannel(kinesis, arn, ChannelStatus.ACTIVE).channelId();
    }

    private double sum(CloudWatchClient cloudWatch, String metric, Instant to) {
        return cloudWatch.getMetricStatistics(b -> b.namespace("AWS/Kinesis").metricName(metric)
                .dimensions(Dimension.builder().name("ChannelName").value("delivered-to-disk").build(),
                        Dimension.builder().name("ChannelId").value(channelId).build(),
                        Dimension.builder().name("StreamName").value("delivered").build())
                .startTime(from).endTime(to).period(60).statistics(Statistic.SUM))
                .datapoints().stream().mapToDouble(Datapoint::sum).sum();
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(endpoint.resolve(path))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + " answered " + response.body()).isEqualTo(200);
        return response.body();
    }
}
