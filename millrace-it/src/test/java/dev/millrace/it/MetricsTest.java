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
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.millrace.metrics.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /metrics} against what a real SDK client did: records of known sizes put, read back, and throttled on
 * purpose (throughput limits on), then the exposition must show exactly those counts and bytes, under AWS's metric
 * names turned Prometheus's and the labels docs/METRICS.md documents. Then {@code --metrics-address}: the metrics
 * move to their own listener and the API port stops answering them; there a consumer's subscription shows its
 * consumer-level metrics.
 */
class MetricsTest {
    private static final String ACCOUNT = "000000000000";
    private static final String SHARD = "shardId-000000000000";

    @TempDir
    static Path dir;
    private static MillraceProcess server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"), "--throughput-limits", "on",
                "--channel-min-freshness-seconds", "2");
    }

    @AfterAll
    static void stop() {
        assertThat(server.stop()).isZero();
    }

    @Test
    void showsExactlyWhatTheClientDidAndWasRefused() throws Exception {
        try (KinesisClient control = Clients.syncRetrying(server.endpoint(), 10);
             KinesisClient once = Clients.syncNoRetries(server.endpoint())) {
            Streams.createActive(control, "metered", 1);
            control.enableEnhancedMonitoring(b -> b.streamName("metered")
                    .shardLevelMetrics(MetricsName.INCOMING_RECORDS, MetricsName.OUTGOING_BYTES));
            Streams.awaitActive(control, "metered");

            // Known sizes: what counts is data plus partition key, as for throughput.
            List<PutRecordsRequestEntry> small = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                small.add(entry(1000));
            }
            PutRecordsResponse first = once.putRecords(b -> b.streamName("metered").records(small));
            assertThat(first.failedRecordCount()).isZero();
            once.putRecord(b -> b.streamName("metered").partitionKey("k").data(SdkBytes.fromByteArray(
                    new byte[500])));
            // Two records of 1,000,001 bytes never both fit the shard's 1 MiB write allowance: one at least is
            // throttled, whatever the machine's speed.
            PutRecordsResponse big = once.putRecords(b -> b.streamName("metered").records(entry(1_000_000),
                    entry(1_000_000)));
            int bigStored = 2 - big.failedRecordCount();
            assertThat(big.failedRecordCount()).isPositive();
            boolean lastStored = true;
            try {
                once.putRecord(b -> b.streamName("metered").partitionKey("k").data(SdkBytes.fromByteArray(
                        new byte[1_000_000])));
            } catch (ProvisionedThroughputExceededException e) {
                lastStored = false;
            }

            // Read until the shard's 5 calls a second run out: the calls that succeeded and the one refused.
            String iterator = once.getShardIterator(b -> b.streamName("metered").shardId(SHARD)
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            int reads = 0;
            int readThrottles = 0;
            long recordsRead = 0;
            long bytesRead = 0;
            for (int attempt = 0; attempt < 200 && readThrottles == 0; attempt++) {
                String at = iterator;
                try {
                    GetRecordsResponse page = once.getRecords(b -> b.shardIterator(at).limit(10_000));
                    reads++;
                    recordsRead += page.records().size();
                    for (Record r : page.records()) {
                        bytesRead += r.data().asByteArray().length + r.partitionKey().length();
                    }
                    iterator = page.nextShardIterator();
                } catch (ProvisionedThroughputExceededException e) {
                    readThrottles++;
                }
            }
            assertThat(readThrottles).as("GetRecords faster than 5 a second is throttled").isEqualTo(1);

            long stored = 11 + bigStored + (lastStored ? 1 : 0);
            long storedBytes = 10 * 1001 + 501 + (bigStored + (lastStored ? 1 : 0)) * 1_000_001L;
            assertThat(recordsRead).isEqualTo(stored);
            assertThat(bytesRead).isEqualTo(storedBytes);

            String text = get(server.endpoint().resolve("/metrics"), 200);
            Map<String, String> stream = Map.of("account", ACCOUNT, "region", "us-east-1", "stream", "metered");
            assertThat(value(text, "kinesis_incoming_records_total", stream)).isEqualTo(stored);
            assertThat(value(text, "kinesis_incoming_bytes_total", stream)).isEqualTo(storedBytes);
            assertThat(value(text, "kinesis_put_records_total_records_total", stream)).isEqualTo(12);
            assertThat(value(text, "kinesis_put_records_successful_records_total", stream)).isEqualTo(10 + bigStored);
            assertThat(value(text, "kinesis_put_records_records_total", stream)).isEqualTo(10 + bigStored);
            assertThat(value(text, "kinesis_put_records_throttled_records_total", stream)).isEqualTo(2 - bigStored);
            assertThat(value(text, "kinesis_put_records_failed_records_total", stream)).isZero();
            assertThat(value(text, "kinesis_put_records_success_total", stream)).isEqualTo(bigStored > 0 ? 2 : 1);
            assertThat(value(text, "kinesis_put_records_bytes_total", stream))
                    .isEqualTo(10 * 1001 + bigStored * 1_000_001L);
            assertThat(value(text, "kinesis_put_records_latency_milliseconds_count", stream)).isEqualTo(2);
            assertThat(value(text, "kinesis_put_record_success_total", stream)).isEqualTo(lastStored ? 2 : 1);
            assertThat(value(text, "kinesis_put_record_bytes_total", stream))
                    .isEqualTo(501 + (lastStored ? 1_000_001L : 0));
            assertThat(value(text, "kinesis_put_record_latency_milliseconds_count", stream)).isEqualTo(2);
            assertThat(value(text, "kinesis_write_provisioned_throughput_exceeded_total", stream))
                    .isEqualTo((2 - bigStored) + (lastStored ? 0 : 1));
            assertThat(value(text, "kinesis_get_records_success_total", stream)).isEqualTo(reads);
            assertThat(value(text, "kinesis_get_records_latency_milliseconds_count", stream))
                    .isEqualTo(reads + readThrottles);
            assertThat(value(text, "kinesis_get_records_records_total", stream)).isEqualTo(recordsRead);
            assertThat(value(text, "kinesis_get_records_bytes_total", stream)).isEqualTo(bytesRead);
            assertThat(value(text, "kinesis_read_provisioned_throughput_exceeded_total", stream)).isEqualTo(1);

            // Enhanced monitoring lists IncomingRecords and OutgoingBytes: those two, and no other, per shard.
            Map<String, String> shard = new HashMap<>(stream);
            shard.put("shard", SHARD);
            assertThat(value(text, "kinesis_shard_incoming_records_total", shard)).isEqualTo(stored);
            assertThat(value(text, "kinesis_shard_outgoing_bytes_total", shard)).isEqualTo(bytesRead);
            assertThat(text).doesNotContain("kinesis_shard_incoming_bytes_total")
                    .doesNotContain("kinesis_shard_outgoing_records_total");

            assertThat(text).contains("jvm_memory_used_bytes").contains("process_cpu_seconds_total");
            if (!KafkaBackend.isActive()) {
                assertThat(value(text, "millrace_storage_open_files", Map.of())).isPositive();
                assertThat(value(text, "millrace_storage_fsync_seconds_count", Map.of()))
                        .as("an fsync per stored batch at least").isGreaterThanOrEqualTo(3);
                assertThat(value(text, "millrace_storage_stream_disk_bytes", stream))
                        .isGreaterThanOrEqualTo(storedBytes);
            }
        }
    }

    @Test
    void aMetricsAddressMovesThemOffTheApiPort() throws Exception {
        int metricsPort = freePort();
        try (MillraceProcess own = MillraceProcess.start(dir.resolve("own"), "--metrics-address",
                "127.0.0.1:" + metricsPort)) {
            List<Record> delivered = new CopyOnWriteArrayList<>();
            try (KinesisClient kinesis = Clients.syncRetrying(own.endpoint(), 3);
                 KinesisAsyncClient async = Clients.async(own.endpoint(), new Clients.Recorder())) {
                Streams.createActive(kinesis, "elsewhere", 1);
                kinesis.putRecord(b -> b.streamName("elsewhere").partitionKey("p")
                        .data(SdkBytes.fromByteArray(new byte[7])));
                // A consumer's subscription delivers it: the consumer-level metrics.
                String consumerArn = kinesis.registerStreamConsumer(b -> b.streamARN(
                        "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/elsewhere").consumerName("watcher"))
                        .consumer().consumerARN();
                await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.describeStreamConsumer(b -> b
                        .consumerARN(consumerArn)).consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
                async.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumerArn).shardId(SHARD)
                        .startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON)).build(),
                        SubscribeToShardResponseHandler.builder().subscriber(SubscribeToShardResponseHandler.Visitor
                                .builder().onSubscribeToShardEvent(e -> delivered.addAll(e.records())).build())
                                .build());
                await().atMost(Duration.ofSeconds(30)).until(() -> delivered.size() == 1);
            }
            URI metrics = URI.create("http://127.0.0.1:" + metricsPort + "/metrics");
            String text = get(metrics, 200);
            Map<String, String> stream = Map.of("account", ACCOUNT, "region", "us-east-1", "stream", "elsewhere");
            assertThat(value(text, "kinesis_incoming_bytes_total", stream)).isEqualTo(8);
            Map<String, String> consumer = new HashMap<>(stream);
            consumer.put("consumer", "watcher");
            assertThat(value(text, "kinesis_subscribe_to_shard_success_total", consumer)).isEqualTo(1);
            assertThat(value(text, "kinesis_subscribe_to_shard_rate_exceeded_total", consumer)).isZero();
            assertThat(value(text, "kinesis_subscribe_to_shard_event_records_total", consumer)).isEqualTo(1);
            assertThat(value(text, "kinesis_subscribe_to_shard_event_bytes_total", consumer)).isEqualTo(8);
            assertThat(own.output()).contains("Millrace metrics on http://127.0.0.1:" + metricsPort + "/metrics");
            get(URI.create("http://127.0.0.1:" + metricsPort + "/other"), 404);

            HttpResponse<String> onApiPort = http.send(HttpRequest.newBuilder(own.endpoint().resolve("/metrics"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(onApiPort.statusCode()).as("answered as any unknown path").isNotEqualTo(200);
            assertThat(onApiPort.body()).doesNotContain("kinesis_");
            assertThat(own.stop()).isZero();
        }
    }

    /**
     * The same metrics through CloudWatch, as a user reads them: the SDK's CloudWatchClient asks GetMetricStatistics
     * for the stream's IncomingRecords and IncomingBytes, which appear once the minute of the puts has ended (up to a
     * minute and 7 s later: the one wait in this class); a channel's DeliveryToS3.* metrics, in /metrics at once and in
     * CloudWatch in the same wait ({@link ChannelMetricsScenario}).
     */
    @Test
    void cloudWatchAnswersTheStreamsAndAChannelsOwnMetricsOnceTheirMinuteEnded() throws Exception {
        try (KinesisClient kinesis = Clients.syncRetrying(server.endpoint(), 10);
             CloudWatchClient cloudWatch = CloudWatchClient.builder().endpointOverride(server.endpoint())
                     .region(Region.US_EAST_1).credentialsProvider(StaticCredentialsProvider.create(
                             AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))
                     .httpClient(UrlConnectionHttpClient.create()).build()) {
            Streams.createActive(kinesis, "watched", 1);
            Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES);
            int records = 0;
            for (int call = 0; call < 3; call++) {
                List<PutRecordsRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < 7; i++) {
                    entries.add(entry(10));
                }
                assertThat(kinesis.putRecords(b -> b.streamName("watched").records(entries)).failedRecordCount())
                        .isZero();
                records += entries.size();
            }
            // A channel's metrics share the wait (ChannelMetricsScenario).
            ChannelMetricsScenario channel = new ChannelMetricsScenario(server.endpoint(), dir.resolve("data"));
            channel.deliverAndCheckPrometheus(kinesis);
            Instant to = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
            int put = records;
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                assertThat(sum(cloudWatch, "IncomingRecords", from, to)).isEqualTo(put);
                // Data plus partition key, as for throughput: 10 + 1 bytes a record.
                assertThat(sum(cloudWatch, "IncomingBytes", from, to)).isEqualTo(put * 11.0);
                channel.checkCloudWatch(cloudWatch, to);
            });
        }
    }

    private static double sum(CloudWatchClient cloudWatch, String metric, Instant from, Instant to) {
        return cloudWatch.getMetricStatistics(b -> b.namespace("AWS/Kinesis").metricName(metric)
                .dimensions(Dimension.builder().name("StreamName").value("watched").build())
                .startTime(from).endTime(to).period(60).statistics(Statistic.SUM))
                .datapoints().stream().mapToDouble(Datapoint::sum).sum();
    }

    private static PutRecordsRequestEntry entry(int dataBytes) {
        return PutRecordsRequestEntry.builder().partitionKey("k").data(SdkBytes.fromByteArray(new byte[dataBytes]))
                .build();
    }

    private String get(URI uri, int status) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri + " answered " + response.body()).isEqualTo(status);
        if (status == 200) {
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                    assertThat(v).startsWith("text/plain; version=0.0.4"));
        }
        return response.body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
