package dev.millrace.server.channels;

import dev.millrace.channels.delivery.DeliverySpec;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class ChannelMeteringTest {
    /** 2026-01-01T00:00:00Z, a minute's start. */
    private static final long T0 = 1_767_225_600_000L;
    private static final DeliverySpec SPEC = DeliverySpec.fromApi("id-1", "to-lake", "111122223333", "eu-west-1",
            "orders", "arn:aws:kinesis:eu-west-1:111122223333:stream/orders", 1L, "JSON", "arn:aws:s3:::lake",
            "111122223333", "GZIP", null, null, "arn:aws:s3:::lake-dlq", null, "errors/", 60, T0);
    private static final Map<String, String> DIMENSIONS = Map.of("ChannelName", "to-lake", "ChannelId", "id-1",
            "StreamName", "orders");

    private final ManualClock clock = new ManualClock(T0 + 1_000);
    private final List<MinuteAggregate> published = new ArrayList<>();
    private final KinesisMetrics metrics = new KinesisMetrics(clock, (account, region, aggregates) -> {
        assertThat(account).isEqualTo("111122223333");
        assertThat(region).isEqualTo("eu-west-1");
        published.addAll(aggregates);
    });
    private final ChannelMetering metering = new ChannelMetering(metrics);

    @Test
    void eachBatchIsASampleOfEachCountAndEachObjectOrFailedAttemptOneOfDeliverySuccess() {
        metering.delivered(SPEC, 5, 1, 600, 300);
        metering.failed(SPEC);
        metering.delivered(SPEC, 7, 2, 400, 150);
        metering.delivered(SPEC, 0, 3, 30, 0);
        metering.freshness(SPEC, 4_000);
        metering.freshness(SPEC, 0);

        Map<String, MinuteAggregate> minute = publishFirstMinute();
        assertThat(minute.get("DeliveryToS3.SuccessfulRecordCount")).isEqualTo(aggregate(
                "DeliveryToS3.SuccessfulRecordCount", "Count", 3, 12, 0, 7));
        assertThat(minute.get("DeliveryToS3.RecordCount").sum()).isEqualTo(18);
        assertThat(minute.get("DeliveryToS3.FailedRecordCount").sum()).isEqualTo(6);
        assertThat(minute.get("DeliveryToS3.DLQDeliverySuccess").sum()).isEqualTo(6);
        assertThat(minute.get("DeliveryToS3.BytesIn").sum()).isEqualTo(1_030);
        assertThat(minute.get("DeliveryToS3.BytesProcessed").sum()).isEqualTo(1_030);
        assertThat(minute.get("DeliveryToS3.BytesOut").sum()).isEqualTo(450);
        assertThat(minute.get("DeliveryToS3.DeliverySuccess"))
                .as("2 objects written, 1 attempt failed; a batch all dead-lettered writes no object")
                .isEqualTo(aggregate("DeliveryToS3.DeliverySuccess", "Count", 3, 2, 0, 1));
        assertThat(minute.get("DeliveryToS3.DataFreshness")).isEqualTo(aggregate("DeliveryToS3.DataFreshness",
                "Seconds", 2, 4, 0, 4));
    }

    @Test
    void aTableChannelsBatchesAreDeliveryToIcebergCommitsEvenWhenEveryRecordWasDeadLettered() {
        DeliverySpec table = DeliverySpec.forTable("id-1", "to-lake", "111122223333", "eu-west-1", "orders",
                "arn:aws:kinesis:eu-west-1:111122223333:stream/orders", 1L, new TableTarget("id-1", "to-lake",
                        "arn:aws:s3tables:eu-west-1:111122223333:bucket/lake", "shop", "orders", "ZSTD", "ts", "JSON",
                        "arn:aws:glue:eu-west-1:111122223333:schema/r/s", null, null),
                "arn:aws:s3:::lake-dlq", null, "errors/", 60, T0);
        metering.delivered(table, 5, 1, 600, 300);
        metering.delivered(table, 0, 3, 30, 0);
        metering.failed(table);
        metering.freshness(table, 2_000);

        Map<String, MinuteAggregate> minute = publishFirstMinute();
        assertThat(minute.keySet()).allMatch(name -> name.startsWith("DeliveryToIceberg."));
        assertThat(minute.get("DeliveryToIceberg.SuccessfulRowCount").sum()).isEqualTo(5);
        assertThat(minute.get("DeliveryToIceberg.FailedRowCount").sum()).isEqualTo(4);
        assertThat(minute.get("DeliveryToIceberg.TotalRowCount").sum()).isEqualTo(9);
        assertThat(minute.get("DeliveryToIceberg.BytesOut").sum()).isEqualTo(300);
        assertThat(minute.get("DeliveryToIceberg.CommitSuccess")).as("2 commits, 1 attempt failed")
                .isEqualTo(aggregate("DeliveryToIceberg.CommitSuccess", "Count", 3, 2, 0, 1));
        assertThat(minute.get("DeliveryToIceberg.DataFreshness").maximum()).isEqualTo(2);
    }

    @Test
    void noFreshnessBeforeTheFirstDeliveryAttemptNorAfterTheChannelLeft() {
        metering.freshness(SPEC, 3_000);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();
        assertThat(published).isEmpty();

        metering.failed(SPEC);
        metering.freshness(SPEC, 9_000);
        metering.retain(Set.of());
        metering.freshness(SPEC, 12_000);
        clock.setMs(T0 + 4 * 60_000);
        metrics.publishEnded();
        assertThat(published).extracting(MinuteAggregate::metricName)
                .containsExactlyInAnyOrder("DeliveryToS3.DeliverySuccess", "DeliveryToS3.DataFreshness");
        assertThat(published).filteredOn(a -> a.metricName().equals("DeliveryToS3.DataFreshness"))
                .extracting(MinuteAggregate::maximum).containsExactly(9.0);
    }

    private Map<String, MinuteAggregate> publishFirstMinute() {
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();
        assertThat(published).allSatisfy(a -> {
            assertThat(a.dimensions()).isEqualTo(DIMENSIONS);
            assertThat(a.minuteStartMs()).isEqualTo(T0);
        });
        return published.stream().collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
    }

    private static MinuteAggregate aggregate(String name, String unit, long samples, double sum, double min,
                                             double max) {
        return new MinuteAggregate("AWS/Kinesis", name, DIMENSIONS, unit, T0, samples, sum, min, max);
    }
}
