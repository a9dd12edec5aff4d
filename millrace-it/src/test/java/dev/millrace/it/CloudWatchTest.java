package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchAsyncClient;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.DimensionFilter;
import software.amazon.awssdk.services.cloudwatch.model.InvalidParameterCombinationException;
import software.amazon.awssdk.services.cloudwatch.model.InvalidParameterValueException;
import software.amazon.awssdk.services.cloudwatch.model.ListMetricsResponse;
import software.amazon.awssdk.services.cloudwatch.model.Metric;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.MissingRequiredParameterException;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;
import software.amazon.awssdk.services.cloudwatch.model.StatisticSet;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The AWS SDK for Java v2 CloudWatch clients (Smithy RPC v2 CBOR since late 2025), sync and async as KCL builds
 * it, publishing metrics to Millrace and reading them back with ListMetrics.
 */
class CloudWatchTest {
    @TempDir
    static Path work;
    private static MillraceProcess server;
    private static CloudWatchClient sync;
    private static CloudWatchAsyncClient async;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(work.resolve("data"));
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret"));
        sync = CloudWatchClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create()).build();
        async = CloudWatchAsyncClient.builder().endpointOverride(server.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(NettyNioAsyncHttpClient.create()).build();
    }

    @AfterAll
    static void stop() {
        if (sync != null) {
            sync.close();
            async.close();
        }
        if (server != null) {
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    void publishedMetricsAreListedWithTheirDimensions() {
        sync.putMetricData(b -> b.namespace("OrdersApp").metricData(
                MetricDatum.builder().metricName("MillisBehindLatest").value(12.0).unit(StandardUnit.MILLISECONDS)
                        .timestamp(Instant.now()).dimensions(dim("ShardId", "shardId-000000000000"),
                                dim("Operation", "ProcessTask")).build(),
                MetricDatum.builder().metricName("RecordsProcessed").statisticValues(StatisticSet.builder()
                        .sampleCount(3.0).sum(300.0).minimum(50.0).maximum(150.0).build()).build(),
                MetricDatum.builder().metricName("BytesProcessed").values(1.0, 2.0).counts(3.0, 4.0)
                        .storageResolution(1).build()));
        async.putMetricData(b -> b.namespace("OrdersApp").metricData(MetricDatum.builder()
                .metricName("LeasesHeld").value(4.0).unit(StandardUnit.COUNT).build())).join();

        List<Metric> metrics = sync.listMetricsPaginator(b -> b.namespace("OrdersApp")).metrics().stream()
                .collect(Collectors.toList());
        assertThat(metrics).extracting(Metric::metricName).containsExactlyInAnyOrder("MillisBehindLatest",
                "RecordsProcessed", "BytesProcessed", "LeasesHeld");
        ListMetricsResponse byShard = sync.listMetrics(b -> b.dimensions(DimensionFilter.builder().name("ShardId")
                .value("shardId-000000000000").build()));
        assertThat(byShard.metrics()).singleElement().satisfies(m -> assertThat(m.dimensions())
                .containsExactly(dim("Operation", "ProcessTask"), dim("ShardId", "shardId-000000000000")));
    }

    @Test
    void pagesCoverEveryMetric() {
        for (int batch = 0; batch < 2; batch++) {
            List<MetricDatum> data = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                data.add(MetricDatum.builder().metricName("m" + (batch * 400 + i)).value(1.0).build());
            }
            sync.putMetricData(b -> b.namespace("Paged").metricData(data));
        }
        Set<String> names = sync.listMetricsPaginator(b -> b.namespace("Paged")).metrics().stream()
                .map(Metric::metricName).collect(Collectors.toSet());
        assertThat(names).hasSize(800);
    }

    @Test
    void invalidInputGetsCloudWatchsModeledErrors() {
        assertThatThrownBy(() -> sync.putMetricData(b -> b.namespace("AWS/Kinesis").metricData(
                MetricDatum.builder().metricName("x").value(1.0).build())))
                .isInstanceOf(InvalidParameterValueException.class)
                .hasMessageContaining("The value AWS/Kinesis for parameter Namespace is invalid.")
                .satisfies(e -> assertThat(((InvalidParameterValueException) e).statusCode()).isEqualTo(400));
        assertThatThrownBy(() -> sync.putMetricData(b -> b.metricData(
                MetricDatum.builder().metricName("x").value(1.0).build())))
                .isInstanceOf(MissingRequiredParameterException.class)
                .hasMessageContaining("The parameter Namespace is required.");
        assertThatThrownBy(() -> sync.putMetricData(b -> b.namespace("App").metricData(
                MetricDatum.builder().metricName("x").value(1.0).values(2.0).build())))
                .isInstanceOf(InvalidParameterCombinationException.class);
        assertThat(sync.listMetrics(b -> b.namespace("App")).metrics()).isEmpty();
    }

    private static Dimension dim(String name, String value) {
        return Dimension.builder().name(name).value(value).build();
    }
}
