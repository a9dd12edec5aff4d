package dev.millrace.metrics;

import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static dev.millrace.metrics.PrometheusText.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PrometheusExpositionTest {
    private static final long T0 = 1_767_225_600_000L;

    private final ManualClock clock = new ManualClock(T0);
    private final KinesisMetrics metrics = new KinesisMetrics(clock, MinuteSink.NONE);

    @Test
    void showsTheKinesisMetricsWithTheirLabelsAcrossPublishedAndCurrentMinutes() {
        StreamMeter s = metrics.account("111122223333", "eu-west-1").stream("orders");
        s.stored(3, 30);
        s.storedInShard("shardId-000000000000", Set.of("IncomingRecords"), 3, 30);
        s.putRecords(7_500, 3, 3, 0, 0, 30);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();
        s.stored(2, 20);
        s.storedInShard("shardId-000000000000", Set.of("IncomingRecords"), 2, 20);
        s.getRecords("shardId-000000000000", Set.of(), 5, 5, 50, 1234);
        s.subscriptionEvent("app", "shardId-000000000000", Set.of(), 1, 10, 0);
        PrometheusExposition exposition = new PrometheusExposition(metrics, StorageGauges.NONE);

        String text = new String(exposition.scrape(), StandardCharsets.UTF_8);

        Map<String, String> stream = Map.of("account", "111122223333", "region", "eu-west-1", "stream", "orders");
        assertThat(value(text, "kinesis_incoming_records_total", stream)).isEqualTo(5);
        assertThat(value(text, "kinesis_incoming_bytes_total", stream)).isEqualTo(50);
        assertThat(value(text, "kinesis_put_records_latency_milliseconds_count", stream)).isEqualTo(1);
        assertThat(value(text, "kinesis_put_records_latency_milliseconds_sum", stream)).as("kept in microseconds")
                .isEqualTo(7.5);
        assertThat(value(text, "kinesis_get_records_iterator_age_milliseconds", stream)).isEqualTo(1234);
        assertThat(value(text, "kinesis_read_provisioned_throughput_exceeded_total", stream)).isEqualTo(0);
        Map<String, String> shard = new HashMap<>(stream);
        shard.put("shard", "shardId-000000000000");
        assertThat(value(text, "kinesis_shard_incoming_records_total", shard)).isEqualTo(5);
        assertThat(text).doesNotContain("kinesis_shard_incoming_bytes_total");
        Map<String, String> consumer = new HashMap<>(stream);
        consumer.put("consumer", "app");
        assertThat(value(text, "kinesis_subscribe_to_shard_event_bytes_total", consumer)).isEqualTo(10);
        assertThat(text).contains("# TYPE kinesis_incoming_records_total counter");
        assertThat(text).as("the JVM's and the process's metrics").contains("jvm_memory_used_bytes")
                .contains("process_cpu_seconds_total");
    }

    @Test
    void showsChannelMetricsWithChannelLabels() {
        StreamMeter s = metrics.account("111122223333", "eu-west-1").stream("orders");
        s.channelDelivered(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 7, 2, 900, 1, 400);
        s.channelDeliveryFailed(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 3);
        s.channelDataFreshness(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 2_500);
        PrometheusExposition exposition = new PrometheusExposition(metrics, StorageGauges.NONE);

        String text = new String(exposition.scrape(), StandardCharsets.UTF_8);

        Map<String, String> channel = Map.of("account", "111122223333", "region", "eu-west-1", "stream", "orders",
                "channel", "to-lake", "channel_id", "id-1");
        assertThat(value(text, "kinesis_channel_delivery_to_s3_records_total", channel)).isEqualTo(9);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_successful_records_total", channel)).isEqualTo(7);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_failed_records_total", channel)).isEqualTo(2);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_dlq_delivery_success_total", channel)).isEqualTo(2);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_bytes_in_total", channel)).isEqualTo(900);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_bytes_out_total", channel)).isEqualTo(400);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_delivery_success_count", channel)).isEqualTo(4);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_delivery_success_sum", channel)).isEqualTo(1);
        assertThat(value(text, "kinesis_channel_delivery_to_s3_data_freshness_seconds", channel)).isEqualTo(2.5);
        assertThat(text).contains("# TYPE kinesis_channel_delivery_to_s3_delivery_success summary");
    }

    @Test
    void showsStorageMetrics() {
        PrometheusExposition exposition = new PrometheusExposition(metrics, new StorageGauges() {
            @Override
            public long openFiles() {
                return 17;
            }

            @Override
            public void diskBytesPerStream(StreamBytes out) {
                out.accept("1", "us-east-1", "a", 4096);
            }
        });
        exposition.fsyncNanos().accept(3_000_000);
        exposition.fsyncNanos().accept(1_000_000);

        String text = new String(exposition.scrape(), StandardCharsets.UTF_8);

        assertThat(value(text, "millrace_storage_open_files", Map.of())).isEqualTo(17);
        assertThat(value(text, "millrace_storage_stream_disk_bytes",
                Map.of("account", "1", "region", "us-east-1", "stream", "a"))).isEqualTo(4096);
        assertThat(value(text, "millrace_storage_fsync_seconds_count", Map.of())).isEqualTo(2);
        assertThat(value(text, "millrace_storage_fsync_seconds_sum", Map.of())).isCloseTo(0.004, within(1e-9));
        assertThat(value(text, "millrace_storage_fsync_seconds_bucket", Map.of("le", "0.001"))).isEqualTo(1);
    }
}
