package dev.millrace.it;

import static dev.millrace.metrics.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.GetMetricStatisticsResponse;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourcePosition;
import software.amazon.awssdk.services.lambda.model.Filter;

/**
 * An event source mapping's {@code AWS/Lambda} metrics on a server run as a child process with a function
 * ({@link FunctionServer}): a mapping made with the SDK's LambdaClient, with filter criteria, one record a batch and a
 * record the function always fails on, processes records put before it; {@code GET /metrics} then counts exactly the
 * invocations, errors, records polled, filtered out, invoked, failed and dropped, and shows the IteratorAge; once the
 * minute has ended, CloudWatch's GetMetricStatistics answers namespace {@code AWS/Lambda} by {@code FunctionName}, as
 * {@code aws cloudwatch get-metric-statistics} asks. An OnFailure stream that refuses the invocation record (deleted
 * after the mapping was made) counts as DestinationDeliveryFailures, not as records dropped. An invocation past
 * {@code --function-timeout} is an error and is invoked again; a function that is down gets every record once up.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// The exact counts first: CloudWatch sums FunctionName fn's invocations over the minute, which later tests add to.
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventSourceMappingMetricsTest {
    private static final String ACCOUNT = "000000000000";
    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/metered";
    private static final String POISON = "{\"kind\":\"keep\",\"n\":2}";

    private Path dataDir;
    private MillraceProcess server;
    /** Where function {@code down} is: nothing listens there until a test starts a function on it. */
    private int downPort;
    private final FunctionServer function = new FunctionServer();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private KinesisClient kinesis;
    private LambdaClient lambda;

    @BeforeAll
    void startServer() throws IOException {
        dataDir = Files.createTempDirectory("millrace-it-esm-metrics-");
        try (ServerSocket reserved = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            downPort = reserved.getLocalPort();
        }
        // Lambda's default function Timeout, 3 s: the function here answers in milliseconds but for the slow record.
        server = MillraceProcess.start(dataDir, "--function", "fn=" + function.url(), "--function",
                "down=http://127.0.0.1:" + downPort + FunctionServer.PATH, "--function-timeout", "3");
        kinesis = Clients.syncNoRetries(server.awaitReady());
        lambda = Clients.lambda(server.endpoint());
    }

    @AfterAll
    void stopServer() throws IOException {
        kinesis.close();
        lambda.close();
        server.close();
        function.close();
        KinesisApiContract.deleteTree(dataDir);
    }

    @Test
    @Order(1)
    void aMappingsInvocationsErrorsFilteredAndDroppedRecordsAreCountedExactly() throws Exception {
        kinesis.createStream(b -> b.streamName("metered").shardCount(1));
        kinesis.waiter().waitUntilStreamExists(b -> b.streamName("metered"));
        function.behaviour = event -> FunctionServer.data(event.getRecords().get(0)).equals(POISON)
                ? FunctionServer.Answer.error("Poison") : FunctionServer.Answer.OK;
        // 6 records the filter keeps (n = 0, 2, 4, 6, 8, 10; the function always fails on n = 2), 5 it filters out.
        List<PutRecordsRequestEntry> entries = IntStream.rangeClosed(0, 10).mapToObj(n -> PutRecordsRequestEntry
                .builder().partitionKey("k").data(SdkBytes.fromUtf8String("{\"kind\":\"" + (n % 2 == 0 ? "keep"
                        : "skip") + "\",\"n\":" + n + "}")).build()).toList();
        Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        long putMs = System.currentTimeMillis();
        assertThat(kinesis.putRecords(b -> b.streamName("metered").records(entries)).failedRecordCount()).isZero();
        String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(STREAM_ARN)
                .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(1).maximumRetryAttempts(2)
                .filterCriteria(f -> f.filters(Filter.builder().pattern("{\"data\":{\"kind\":[\"keep\"]}}").build()))
                .destinationConfig(d -> d.onFailure(o -> o.destination("arn:aws:s3:::esm-failures")))).uuid();
        Map<String, String> labels = Map.of("account", ACCOUNT, "region", "us-east-1", "function", "fn",
                "mapping_uuid", uuid);

        // One record a batch: 5 good records invoked once each, the poison one 1 + 2 retries, then dropped.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            String text = metrics();
            assertThat(value(text, "lambda_event_source_mapping_dropped_events_total", labels)).isEqualTo(1);
            assertThat(value(text, "lambda_event_source_mapping_invocations_total", labels)).isEqualTo(8);
        });
        long scrapeMs = System.currentTimeMillis();
        String text = metrics();
        assertThat(value(text, "lambda_event_source_mapping_errors_total", labels)).isEqualTo(3);
        assertThat(value(text, "lambda_event_source_mapping_polled_events_total", labels)).isEqualTo(11);
        assertThat(value(text, "lambda_event_source_mapping_filtered_out_events_total", labels)).isEqualTo(5);
        assertThat(value(text, "lambda_event_source_mapping_invoked_events_total", labels)).isEqualTo(8);
        assertThat(value(text, "lambda_event_source_mapping_failed_invoke_events_total", labels)).isEqualTo(3);
        assertThat(value(text, "lambda_event_source_mapping_duration_milliseconds_count", labels)).isEqualTo(8);
        assertThat(value(text, "lambda_event_source_mapping_on_failure_destination_delivered_events_total", labels))
                .isEqualTo(1);
        assertThat(hasSample(text, "lambda_event_source_mapping_throttles_total", uuid)).as("nothing throttled")
                .isFalse();
        assertThat(hasSample(text, "lambda_event_source_mapping_destination_delivery_failures_total", uuid))
                .as("no destination refused").isFalse();
        // The last invocation's last record was put with the others: its age is at most the time since the put.
        assertThat(value(text, "lambda_event_source_mapping_iterator_age_milliseconds", labels))
                .isBetween(0.0, (double) (scrapeMs - putMs + 1_000));
        assertThat(function.invocations.stream().filter(i -> i.event().getRecords().get(0).getEventSourceARN()
                .equals(STREAM_ARN))).as("the function saw what the metrics count").hasSize(8);

        // CloudWatch: namespace AWS/Lambda, dimension FunctionName, once the minute of the invocations has ended.
        try (CloudWatchClient cloudWatch = CloudWatchClient.builder().endpointOverride(server.endpoint())
                .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))
                .httpClient(UrlConnectionHttpClient.create()).build()) {
            Instant to = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                assertThat(sum(statistics(cloudWatch, "Invocations", "FunctionName", "fn", from, to)))
                        .isEqualTo(8);
                assertThat(sum(statistics(cloudWatch, "Errors", "FunctionName", "fn", from, to))).isEqualTo(3);
                assertThat(sum(statistics(cloudWatch, "DroppedEventCount", "EventSourceMappingUUID", uuid, from,
                        to))).isEqualTo(1);
                GetMetricStatisticsResponse age = statistics(cloudWatch, "IteratorAge", "FunctionName", "fn", from,
                        to);
                assertThat(age.datapoints()).isNotEmpty().allSatisfy(p -> assertThat(p.unitAsString())
                        .isEqualTo("Milliseconds"));
            });
        }
    }

    /**
     * An OnFailure stream deleted after the mapping was made refuses the invocation record: a
     * DestinationDeliveryFailure for each attempt to send it (as AWS counts them), while the function, which failed
     * the batch once (MaximumRetryAttempts 0), is not invoked again for it; no record dropped.
     */
    @Test
    void anOnFailureDestinationThatRefusesTheRecordIsADestinationDeliveryFailure() throws Exception {
        String source = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/refused-source";
        for (String name : List.of("refused-source", "refused-failures")) {
            kinesis.createStream(b -> b.streamName(name).shardCount(1));
            kinesis.waiter().waitUntilStreamExists(b -> b.streamName(name));
        }
        function.behaviour = event -> event.getRecords().get(0).getEventSourceARN().equals(source)
                ? FunctionServer.Answer.error("Poison") : FunctionServer.Answer.OK;
        String uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(source)
                .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(1).maximumRetryAttempts(0)
                .destinationConfig(d -> d.onFailure(o -> o.destination("arn:aws:kinesis:us-east-1:" + ACCOUNT
                        + ":stream/refused-failures")))).uuid();
        kinesis.deleteStream(b -> b.streamName("refused-failures"));
        kinesis.waiter().waitUntilStreamNotExists(b -> b.streamName("refused-failures"));
        kinesis.putRecord(b -> b.streamName("refused-source").partitionKey("k").data(SdkBytes.fromUtf8String("x")));
        Map<String, String> labels = Map.of("account", ACCOUNT, "region", "us-east-1", "function", "fn",
                "mapping_uuid", uuid);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> assertThat(
                value(metrics(), "lambda_event_source_mapping_destination_delivery_failures_total", labels))
                .isGreaterThanOrEqualTo(2));
        String text = metrics();
        assertThat(value(text, "lambda_event_source_mapping_errors_total", labels))
                .as("the refused record is sent again, the function is not invoked again").isEqualTo(1);
        assertThat(hasSample(text, "lambda_event_source_mapping_dropped_events_total", uuid))
                .as("a record whose invocation record was refused is not dropped").isFalse();
        lambda.deleteEventSourceMapping(b -> b.uuid(uuid));
    }

    /**
     * An invocation that runs past the function's timeout ({@code --function-timeout 3}) is a function error (counted
     * in Errors) and its batch is invoked again; a function that is down is retried, not counted as invoked or
     * failed, until it is up, and then gets every record in order.
     */
    @Test
    void aFunctionThatTimesOutIsAnErrorAndOneThatIsDownGetsEveryRecordOnceUp() throws Exception {
        String slowArn = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/slow-source";
        String downArn = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/down-source";
        for (String name : List.of("slow-source", "down-source")) {
            kinesis.createStream(b -> b.streamName(name).shardCount(1));
            kinesis.waiter().waitUntilStreamExists(b -> b.streamName(name));
        }
        AtomicInteger slowCalls = new AtomicInteger();
        function.behaviour = event -> {
            boolean slow = event.getRecords().get(0).getEventSourceARN().equals(slowArn)
                    && FunctionServer.data(event.getRecords().get(0)).equals("slow");
            if (slow && slowCalls.incrementAndGet() == 1) {
                sleepQuietly(5_000);
            }
            return FunctionServer.Answer.OK;
        };
        for (String data : List.of("slow", "after")) {
            kinesis.putRecord(b -> b.streamName("slow-source").partitionKey("k").data(SdkBytes.fromUtf8String(data)));
        }
        String slowUuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn(slowArn)
                .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(1)).uuid();
        for (int n = 0; n < 3; n++) {
            String data = "d-" + n;
            kinesis.putRecord(b -> b.streamName("down-source").partitionKey("k").data(SdkBytes.fromUtf8String(data)));
        }
        String downUuid = lambda.createEventSourceMapping(b -> b.functionName("down").eventSourceArn(downArn)
                .startingPosition(EventSourcePosition.TRIM_HORIZON).batchSize(1)).uuid();
        Map<String, String> slowLabels = Map.of("account", ACCOUNT, "region", "us-east-1", "function", "fn",
                "mapping_uuid", slowUuid);

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> dataOf(slowArn)
                .contains("after"));
        assertThat(dataOf(slowArn)).as("the timed-out batch is invoked again, before the next record")
                .containsExactly("slow", "slow", "after");
        // The function holds a record before it answers, and an invocation is counted once its answer is in: the
        // counters catch up just after (ci of 75e1844 read Invocations 2 here at once).
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            String text = metrics();
            assertThat(value(text, "lambda_event_source_mapping_errors_total", slowLabels)).isEqualTo(1);
            assertThat(value(text, "lambda_event_source_mapping_invocations_total", slowLabels)).isEqualTo(3);
        });

        await().atMost(Duration.ofSeconds(30)).until(() -> lambda.getEventSourceMapping(b -> b.uuid(downUuid))
                .lastProcessingResult().startsWith("PROBLEM"));
        assertThat(hasSample(metrics(), "lambda_event_source_mapping_invocations_total", downUuid))
                .as("a function that is down is not invoked").isFalse();
        try (FunctionServer up = new FunctionServer(downPort)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> up.records().size() >= 3);
            assertThat(up.records().stream().map(FunctionServer::data)).containsExactly("d-0", "d-1", "d-2");
        }
        lambda.deleteEventSourceMapping(b -> b.uuid(slowUuid));
        lambda.deleteEventSourceMapping(b -> b.uuid(downUuid));
    }

    /** The data of every record of {@code streamArn}'s invocations, in the order they came. */
    private List<String> dataOf(String streamArn) {
        return function.records().stream().filter(r -> r.getEventSourceARN().equals(streamArn))
                .map(FunctionServer::data).toList();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the exposition has a sample of {@code name} for mapping {@code uuid}. */
    private static boolean hasSample(String text, String name, String uuid) {
        return text.lines().anyMatch(l -> l.startsWith(name + "{") && l.contains("mapping_uuid=\"" + uuid + "\""));
    }

    private static GetMetricStatisticsResponse statistics(CloudWatchClient cloudWatch, String metric,
                                                          String dimension, String value, Instant from, Instant to) {
        return cloudWatch.getMetricStatistics(b -> b.namespace("AWS/Lambda").metricName(metric)
                .dimensions(Dimension.builder().name(dimension).value(value).build())
                .startTime(from).endTime(to).period(60).statistics(Statistic.SUM, Statistic.SAMPLE_COUNT));
    }

    private static double sum(GetMetricStatisticsResponse response) {
        return response.datapoints().stream().mapToDouble(Datapoint::sum).sum();
    }

    private String metrics() throws IOException, InterruptedException {
        URI uri = server.endpoint().resolve("/metrics");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri + " answered " + response.body()).isEqualTo(200);
        return response.body();
    }
}
