package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.GetMetricDataRequest;
import software.amazon.awssdk.services.cloudwatch.model.GetMetricDataResponse;
import software.amazon.awssdk.services.cloudwatch.model.InvalidNextTokenException;
import software.amazon.awssdk.services.cloudwatch.model.InvalidParameterCombinationException;
import software.amazon.awssdk.services.cloudwatch.model.InvalidParameterValueException;
import software.amazon.awssdk.services.cloudwatch.model.Metric;
import software.amazon.awssdk.services.cloudwatch.model.MetricDataQuery;
import software.amazon.awssdk.services.cloudwatch.model.MetricDataResult;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.ScanBy;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.cloudwatch.model.StatisticSet;
import software.amazon.awssdk.services.cloudwatch.model.StatusCode;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Metrics read back as on AWS: the SDK for Java v2's CloudWatchClient (Smithy RPC v2 CBOR) and the AWS CLI v2 (the
 * query protocol) publish data points in known minutes, then GetMetricStatistics, GetMetricData (paged) and
 * ListMetrics must answer exactly those values, and bad reads CloudWatch's modeled errors.
 */
class CloudWatchReadTest {
    private static final String AWS = "/usr/bin/aws";

    @TempDir
    static Path work;
    private static MillraceProcess server;
    private static CloudWatchClient cloudWatch;
    /** A whole minute ten minutes ago: data points go into the three minutes from it. */
    private static Instant base;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(work.resolve("data"));
        cloudWatch = CloudWatchClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE",
                        "secret"))).httpClient(UrlConnectionHttpClient.create()).build();
        base = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(10, ChronoUnit.MINUTES);
    }

    @AfterAll
    static void stop() {
        if (cloudWatch != null) {
            cloudWatch.close();
        }
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    private static Dimension orders() {
        return Dimension.builder().name("StreamName").value("orders").build();
    }

    private static Instant minute(int n) {
        return base.plus(n, ChronoUnit.MINUTES);
    }

    /** Minute 0: 1 and 3; minute 1: a statistic set of 4 (sum 20, 2..8); minute 2: 10 once and 20 three times. */
    private static void publish(String namespace) {
        cloudWatch.putMetricData(b -> b.namespace(namespace).metricData(
                latency().value(1.0).timestamp(minute(0).plusSeconds(5)).build(),
                latency().value(3.0).timestamp(minute(0).plusSeconds(55)).build(),
                latency().timestamp(minute(1)).storageResolution(1).statisticValues(StatisticSet.builder()
                        .sampleCount(4.0).sum(20.0).minimum(2.0).maximum(8.0).build()).build(),
                latency().timestamp(minute(2).plusSeconds(30)).values(10.0, 20.0).counts(1.0, 3.0).build()));
    }

    private static MetricDatum.Builder latency() {
        return MetricDatum.builder().metricName("Latency").dimensions(orders()).unit(StandardUnit.MILLISECONDS);
    }

    @Test
    void getMetricStatisticsAnswersEveryStatisticOfEachMinute() {
        publish("SdkStats");
        List<Datapoint> points = new ArrayList<>(cloudWatch.getMetricStatistics(b -> b.namespace("SdkStats")
                .metricName("Latency").dimensions(orders()).startTime(minute(0)).endTime(minute(3)).period(60)
                .statistics(Statistic.SAMPLE_COUNT, Statistic.AVERAGE, Statistic.SUM, Statistic.MINIMUM,
                        Statistic.MAXIMUM)).datapoints());
        points.sort(Comparator.comparing(Datapoint::timestamp));
        assertThat(points).hasSize(3);
        assertPoint(points.get(0), minute(0), 2, 4, 1, 3);
        assertPoint(points.get(1), minute(1), 4, 20, 2, 8);
        assertPoint(points.get(2), minute(2), 4, 70, 10, 20);

        List<Datapoint> whole = cloudWatch.getMetricStatistics(b -> b.namespace("SdkStats").metricName("Latency")
                .dimensions(orders()).startTime(minute(0)).endTime(minute(3)).period(180)
                .statistics(Statistic.SAMPLE_COUNT, Statistic.AVERAGE, Statistic.SUM, Statistic.MINIMUM,
                        Statistic.MAXIMUM)).datapoints();
        assertThat(whole).singleElement().satisfies(p -> assertPoint(p, minute(0), 10, 94, 1, 20));

        assertThat(cloudWatch.getMetricStatistics(b -> b.namespace("SdkStats").metricName("Latency")
                .startTime(minute(0)).endTime(minute(3)).period(60).statistics(Statistic.SUM)).datapoints())
                .as("no dimensions is another metric").isEmpty();
        assertThat(cloudWatch.listMetrics(b -> b.namespace("SdkStats")).metrics()).singleElement()
                .satisfies(m -> assertThat(m.dimensions()).containsExactly(orders()));
    }

    private static void assertPoint(Datapoint p, Instant timestamp, double count, double sum, double min,
                                    double max) {
        assertThat(p.timestamp()).isEqualTo(timestamp);
        assertThat(p.sampleCount()).isEqualTo(count);
        assertThat(p.sum()).isEqualTo(sum);
        assertThat(p.average()).isEqualTo(sum / count);
        assertThat(p.minimum()).isEqualTo(min);
        assertThat(p.maximum()).isEqualTo(max);
        assertThat(p.unit()).isEqualTo(StandardUnit.MILLISECONDS);
    }

    @Test
    void getMetricDataPagesThroughEveryPointOnce() {
        publish("SdkData");
        Metric metric = Metric.builder().namespace("SdkData").metricName("Latency").dimensions(orders()).build();
        GetMetricDataRequest request = GetMetricDataRequest.builder().startTime(minute(-1)).endTime(minute(5))
                .scanBy(ScanBy.TIMESTAMP_ASCENDING).maxDatapoints(2).metricDataQueries(
                        query("total", metric, "Sum"), query("mean", metric, "Average"),
                        query("peak", metric, "Maximum")).build();
        Map<String, List<Double>> values = new LinkedHashMap<>();
        Map<String, List<Instant>> timestamps = new LinkedHashMap<>();
        int pages = 0;
        for (GetMetricDataResponse page : cloudWatch.getMetricDataPaginator(request)) {
            pages++;
            for (MetricDataResult r : page.metricDataResults()) {
                values.computeIfAbsent(r.id(), k -> new ArrayList<>()).addAll(r.values());
                timestamps.computeIfAbsent(r.id(), k -> new ArrayList<>()).addAll(r.timestamps());
                assertThat(r.statusCode()).isIn(StatusCode.COMPLETE, StatusCode.PARTIAL_DATA);
            }
        }
        assertThat(pages).as("9 points, 2 a page").isEqualTo(5);
        assertThat(values.get("total")).containsExactly(4.0, 20.0, 70.0);
        assertThat(values.get("mean")).containsExactly(2.0, 5.0, 17.5);
        assertThat(values.get("peak")).containsExactly(3.0, 8.0, 20.0);
        assertThat(timestamps.get("peak")).containsExactly(minute(0), minute(1), minute(2));

        GetMetricDataResponse newestFirst = cloudWatch.getMetricData(request.toBuilder().maxDatapoints(null)
                .scanBy((ScanBy) null).build());
        assertThat(newestFirst.metricDataResults().get(0).values()).containsExactly(70.0, 20.0, 4.0);
        assertThat(newestFirst.metricDataResults()).extracting(MetricDataResult::statusCode)
                .containsOnly(StatusCode.COMPLETE);
        assertThat(newestFirst.nextToken()).isNull();
    }

    private static MetricDataQuery query(String id, Metric metric, String stat) {
        return MetricDataQuery.builder().id(id).metricStat(s -> s.metric(metric).period(60).stat(stat)).build();
    }

    @Test
    void badReadsGetCloudWatchsModeledErrors() {
        assertThatThrownBy(() -> cloudWatch.getMetricStatistics(b -> b.namespace("X").metricName("Y")
                .startTime(minute(0)).endTime(minute(3)).period(61).statistics(Statistic.SUM)))
                .isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("The parameter Period must be a multiple of 60.");
        assertThatThrownBy(() -> cloudWatch.getMetricStatistics(b -> b.namespace("X").metricName("Y")
                .startTime(minute(0).minus(2, ChronoUnit.DAYS)).endTime(minute(0)).period(60)
                .statistics(Statistic.SUM)))
                .isInstanceOf(InvalidParameterCombinationException.class)
                .hasMessageContaining("You have requested up to 2,880 datapoints, which exceeds the limit of 1,440.");
        assertThatThrownBy(() -> cloudWatch.getMetricStatistics(b -> b.namespace("X").metricName("Y")
                .startTime(minute(0)).endTime(minute(3)).period(60).extendedStatistics("p99")))
                .isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("ExtendedStatistics is not supported");
        assertThatThrownBy(() -> cloudWatch.getMetricData(b -> b.startTime(minute(0)).endTime(minute(3))
                .metricDataQueries(MetricDataQuery.builder().id("e").expression("SUM(METRICS())").build())))
                .isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("Millrace does not evaluate metric math");
        assertThatThrownBy(() -> cloudWatch.getMetricData(b -> b.startTime(minute(0)).endTime(minute(3))
                .nextToken("bm9wZQ").metricDataQueries(query("a", Metric.builder().namespace("X").metricName("Y")
                        .build(), "Sum"))))
                .isInstanceOf(InvalidNextTokenException.class);
    }

    /** The CLI speaks the query protocol: form-encoded requests, XML answers with ISO 8601 timestamps. */
    @Test
    void awsCliPutsThenReadsStatisticsDataAndTheList() throws Exception {
        String datum = "{\"MetricName\":\"Lag\",\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}],"
                + "\"Unit\":\"Milliseconds\",\"Timestamp\":\"" + minute(4).plusSeconds(10) + "\",";
        cli("put-metric-data", "--namespace", "CliRead", "--metric-data", "[" + datum + "\"Value\":42}," + datum
                + "\"StatisticValues\":{\"SampleCount\":3,\"Sum\":30,\"Minimum\":5,\"Maximum\":15}}]");
        String window = minute(0).toString();
        String end = minute(6).toString();
        String stats = cli("get-metric-statistics", "--namespace", "CliRead", "--metric-name", "Lag",
                "--dimensions", "Name=StreamName,Value=orders", "--start-time", window, "--end-time", end,
                "--period", "60", "--statistics", "SampleCount", "Sum", "Minimum", "Maximum", "Average",
                "--query", "Datapoints[0].[Timestamp,SampleCount,Sum,Minimum,Maximum,Average,Unit]",
                "--output", "text");
        String minute4 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC)
                .format(minute(4));
        assertThat(stats.trim()).startsWith(minute4).endsWith("4.0\t72.0\t5.0\t42.0\t18.0\tMilliseconds");

        String data = cli("get-metric-data", "--start-time", window, "--end-time", end, "--metric-data-queries",
                "[{\"Id\":\"lag\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"CliRead\",\"MetricName\":\"Lag\","
                        + "\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}]},\"Period\":60,"
                        + "\"Stat\":\"Maximum\"}}]",
                "--query", "MetricDataResults[0].[Id,StatusCode,Values[0]]", "--output", "text");
        assertThat(data.trim()).isEqualTo("lag\tComplete\t42.0");

        assertThat(cli("list-metrics", "--namespace", "CliRead", "--query",
                "Metrics[].[MetricName,Dimensions[0].Value]", "--output", "text").trim()).isEqualTo("Lag\torders");

        ExternalCommand.Result bad = run("get-metric-statistics", "--namespace", "CliRead", "--metric-name", "Lag",
                "--start-time", window, "--end-time", end, "--period", "30", "--statistics", "Sum");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.stderr()).contains("InvalidParameterValue")
                .contains("The parameter Period must be a multiple of 60.");
    }

    private static String cli(String... args) throws Exception {
        ExternalCommand.Result r = run(args);
        assertThat(r.exitCode()).as("aws cloudwatch %s: %s", String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }

    private static ExternalCommand.Result run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(AWS, "--endpoint-url", server.endpoint().toString(),
                "--output", "json", "cloudwatch"));
        command.addAll(List.of(args));
        return ExternalCommand.run(command, work, Map.of("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE",
                "AWS_SECRET_ACCESS_KEY", "secret", "AWS_DEFAULT_REGION", "us-east-1", "AWS_PAGER", "",
                "AWS_CONFIG_FILE", "/dev/null", "AWS_SHARED_CREDENTIALS_FILE", "/dev/null"), 120);
    }
}
