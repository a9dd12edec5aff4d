package dev.millrace.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.embedded.EmbeddedStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The server's own AWS/Kinesis metrics reach CloudWatch: records put in one minute are read back with
 * GetMetricStatistics in that minute, once it has ended, in the region the stream is in and no other. The clock is
 * manual so that the minute can end at once; the calls are real HTTP in Kinesis's and CloudWatch's JSON protocols.
 */
class KinesisMetricsInCloudWatchTest {
    private static final Instant MINUTE = Instant.parse("2026-12-06T10:00:00Z");
    private static final JsonFactory JSON = new JsonFactory();

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(MINUTE.plusSeconds(10).toEpochMilli());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MillraceServer server;
    private int port;

    @BeforeEach
    void start() throws Exception {
        ServerConfig config = ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0);
        server = new MillraceServer(config, clock, () -> EmbeddedStorage.open(config.logConfig(), clock));
        port = server.start().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void recordsPutInAMinuteAreReadBackThroughGetMetricStatisticsOnceItEnded() throws Exception {
        kinesis("CreateStream", "{\"StreamName\":\"orders\",\"ShardCount\":1}");
        await().atMost(Duration.ofSeconds(10)).until(() -> kinesis("DescribeStreamSummary",
                "{\"StreamName\":\"orders\"}").contains("\"ACTIVE\""));
        kinesis("PutRecords", "{\"StreamName\":\"orders\",\"Records\":[{\"Data\":\"YQ==\",\"PartitionKey\":\"k\"},"
                + "{\"Data\":\"YmI=\",\"PartitionKey\":\"k\"},{\"Data\":\"Y2Nj\",\"PartitionKey\":\"k\"}]}");
        kinesis("PutRecord", "{\"StreamName\":\"orders\",\"Data\":\"ZGRkZA==\",\"PartitionKey\":\"k\"}");

        // Before the minute ends nothing is published; after it (and the grace), the minute is.
        server.kinesisMetrics().publishEnded();
        assertThat(datapoints("us-east-1", "IncomingRecords")).isEmpty();
        clock.advanceMs(60_000);
        server.kinesisMetrics().publishEnded();

        List<Object> records = datapoints("us-east-1", "IncomingRecords");
        assertThat(records).hasSize(1);
        Map<?, ?> point = (Map<?, ?>) records.get(0);
        assertThat(((Number) point.get("Sum")).doubleValue()).isEqualTo(4.0);
        assertThat(((Number) point.get("Timestamp")).longValue()).isEqualTo(MINUTE.getEpochSecond());
        assertThat(point.get("Unit")).isEqualTo("Count");
        List<Object> calls = datapoints("us-east-1", "PutRecords.TotalRecords");
        assertThat(((Number) ((Map<?, ?>) calls.get(0)).get("Sum")).doubleValue()).isEqualTo(3.0);
        assertThat(((Number) ((Map<?, ?>) calls.get(0)).get("SampleCount")).doubleValue()).isEqualTo(1.0);
        // CloudWatch is regional: the same account's metrics in another region know nothing of this stream.
        assertThat(datapoints("eu-west-1", "IncomingRecords")).isEmpty();
    }

    /**
     * AWS's *.Success metrics are one sample per call, 1 if it succeeded, 0 if not, so that CloudWatch's Average is the
     * success rate: calls that fail once their stream is found (an invalid argument, an expired iterator) are
     * samples of 0; a dry run, and a call on a stream that does not exist, are not samples at all.
     */
    @Test
    void failedCallsOnAFoundStreamAreSamplesOfZeroOfTheirSuccessMetric() throws Exception {
        kinesis("CreateStream", "{\"StreamName\":\"orders\",\"ShardCount\":1}");
        await().atMost(Duration.ofSeconds(10)).until(() -> kinesis("DescribeStreamSummary",
                "{\"StreamName\":\"orders\"}").contains("\"ACTIVE\""));
        String tooHigh = "9".repeat(39); // above 2^128 - 1: InvalidArgumentException from the handler
        kinesis("PutRecord", "{\"StreamName\":\"orders\",\"Data\":\"YQ==\",\"PartitionKey\":\"k\"}");
        assertThat(kinesisError("PutRecord", "{\"StreamName\":\"orders\",\"Data\":\"YQ==\",\"PartitionKey\":\"k\","
                + "\"ExplicitHashKey\":\"" + tooHigh + "\"}")).contains("InvalidArgumentException");
        assertThat(kinesisError("PutRecord", "{\"StreamName\":\"orders\",\"Data\":\"YQ==\",\"PartitionKey\":\"k\","
                + "\"DryRun\":true}")).contains("DryRunOperationException");
        assertThat(kinesisError("PutRecord", "{\"StreamName\":\"missing\",\"Data\":\"YQ==\",\"PartitionKey\":\"k\"}"))
                .contains("ResourceNotFoundException");
        kinesis("PutRecords", "{\"StreamName\":\"orders\",\"Records\":[{\"Data\":\"YQ==\",\"PartitionKey\":\"k\"}]}");
        assertThat(kinesisError("PutRecords", "{\"StreamName\":\"orders\",\"Records\":[{\"Data\":\"YQ==\","
                + "\"PartitionKey\":\"k\"},{\"Data\":\"YQ==\",\"PartitionKey\":\"k\",\"ExplicitHashKey\":\"" + tooHigh
                + "\"}]}")).contains("InvalidArgumentException");
        String iterator = iterator(kinesis("GetShardIterator", "{\"StreamName\":\"orders\",\"ShardId\":"
                + "\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}"));
        kinesis("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
        clock.advanceMs(1_000); // dry runs are limited to one a second per stream
        assertThat(kinesisError("GetRecords", "{\"ShardIterator\":\"" + iterator + "\",\"DryRun\":true}"))
                .contains("DryRunOperationException");
        clock.advanceMs(301_000); // the iterator expires, a minute later than the calls above
        assertThat(kinesisError("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}"))
                .contains("ExpiredIteratorException");
        clock.advanceMs(60_000);
        server.kinesisMetrics().publishEnded();

        for (String metric : List.of("PutRecord.Success", "PutRecords.Success", "GetRecords.Success")) {
            double[] sumAndCount = total("us-east-1", metric);
            assertThat(sumAndCount).as(metric + ": one success, one failure").containsExactly(1.0, 2.0);
        }
        // The expired iterator's call was not throttled: a sample of 0 there too, and its latency was measured.
        assertThat(total("us-east-1", "ReadProvisionedThroughputExceeded")).containsExactly(0.0, 2.0);
        assertThat(total("us-east-1", "GetRecords.Latency")[1]).isEqualTo(2.0);
        assertThat(total("us-east-1", "PutRecords.TotalRecords")).as("a refused call sent no record it stored")
                .containsExactly(1.0, 1.0);
        // /metrics agrees (docs/METRICS.md): the _success_total counters count successes, the latencies' _count calls.
        String exposition = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .GET().build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String operation : List.of("put_record", "put_records", "get_records")) {
            assertThat(sample(exposition, "kinesis_" + operation + "_success_total")).as(operation).isEqualTo(1.0);
            assertThat(sample(exposition, "kinesis_" + operation + "_latency_milliseconds_count")).as(operation)
                    .isEqualTo(2.0);
        }
    }

    /** The value of stream orders' sample of {@code name} in a Prometheus text exposition. */
    private static double sample(String exposition, String name) {
        return exposition.lines().filter(l -> l.startsWith(name + "{") && l.contains("stream=\"orders\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in:\n" + exposition));
    }

    /** The Sum and the SampleCount of a metric of stream orders over the test's first ten minutes. */
    private double[] total(String region, String metric) throws Exception {
        double sum = 0;
        double count = 0;
        for (Object o : datapoints(region, metric, 600)) {
            Map<?, ?> point = (Map<?, ?>) o;
            sum += ((Number) point.get("Sum")).doubleValue();
            count += ((Number) point.get("SampleCount")).doubleValue();
        }
        return new double[] {sum, count};
    }

    private static String iterator(String getShardIteratorAnswer) throws Exception {
        try (JsonParser p = JSON.createParser(getShardIteratorAnswer)) {
            p.nextToken();
            return (String) ((Map<?, ?>) JsonTree.read(p)).get("ShardIterator");
        }
    }

    private List<Object> datapoints(String region, String metric) throws Exception {
        return datapoints(region, metric, 300);
    }

    private List<Object> datapoints(String region, String metric, int seconds) throws Exception {
        String body = "{\"Namespace\":\"AWS/Kinesis\",\"MetricName\":\"" + metric + "\",\"Dimensions\":[{\"Name\":"
                + "\"StreamName\",\"Value\":\"orders\"}],\"StartTime\":" + MINUTE.getEpochSecond() + ",\"EndTime\":"
                + MINUTE.plusSeconds(seconds).getEpochSecond() + ",\"Period\":60,\"Statistics\":[\"Sum\","
                + "\"SampleCount\"]}";
        HttpResponse<String> r = send("GraniteServiceVersion20100801.GetMetricStatistics",
                "application/x-amz-json-1.0", body, region, "monitoring");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        try (JsonParser p = JSON.createParser(r.body())) {
            p.nextToken();
            Map<?, ?> answer = (Map<?, ?>) JsonTree.read(p);
            Object points = answer.get("Datapoints");
            return points == null ? List.of() : (List<Object>) points;
        }
    }

    private String kinesis(String operation, String body) throws Exception {
        HttpResponse<String> r = send("Kinesis_20131202." + operation, "application/x-amz-json-1.1", body,
                "us-east-1", "kinesis");
        assertThat(r.statusCode()).as(operation + ": " + r.body()).isEqualTo(200);
        return r.body();
    }

    /** A call that must fail: its error type and message. */
    private String kinesisError(String operation, String body) throws Exception {
        HttpResponse<String> r = send("Kinesis_20131202." + operation, "application/x-amz-json-1.1", body,
                "us-east-1", "kinesis");
        assertThat(r.statusCode()).as(operation + ": " + r.body()).isEqualTo(400);
        return r.body();
    }

    private HttpResponse<String> send(String target, String contentType, String body, String region,
                                      String service) throws Exception {
        // --auth none reads the region off the credential scope without checking the signature.
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", contentType)
                .header("X-Amz-Target", target)
                .header("X-Amz-Date", "20261206T100010Z")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261206/" + region + "/" + service
                        + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
