package dev.millrace.server.channels;

import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.server.channels.ChannelMetering.Channel;
import dev.millrace.server.channels.ChannelMetering.Reading;
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
    private static final Channel CHANNEL = new Channel("111122223333", "eu-west-1", "orders", "to-lake", "id-1");
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
    void recordsWhatGrewSinceTheLastReadingOnly() {
        Object stats = new Object();
        metering.record(CHANNEL, new Reading(stats, 5, 1, 600, 1, 300, 0), 0);
        metering.record(CHANNEL, new Reading(stats, 5, 1, 600, 1, 300, 0), 4_000);
        metering.record(CHANNEL, new Reading(stats, 12, 3, 1_000, 2, 450, 2), 0);

        Map<String, MinuteAggregate> minute = publishFirstMinute();
        assertThat(minute.get("DeliveryToS3.SuccessfulRecordCount").sum()).isEqualTo(12);
        assertThat(minute.get("DeliveryToS3.SuccessfulRecordCount").sampleCount()).as("nothing new, no sample")
                .isEqualTo(2);
        assertThat(minute.get("DeliveryToS3.RecordCount").sum()).isEqualTo(15);
        assertThat(minute.get("DeliveryToS3.FailedRecordCount").sum()).isEqualTo(3);
        assertThat(minute.get("DeliveryToS3.DLQDeliverySuccess").sum()).isEqualTo(3);
        assertThat(minute.get("DeliveryToS3.BytesIn").sum()).isEqualTo(1_000);
        assertThat(minute.get("DeliveryToS3.BytesOut").sum()).isEqualTo(450);
        assertThat(minute.get("DeliveryToS3.DeliverySuccess").sampleCount()).as("2 objects, 2 failed attempts")
                .isEqualTo(4);
        assertThat(minute.get("DeliveryToS3.DeliverySuccess").sum()).isEqualTo(2);
        assertThat(minute.get("DeliveryToS3.DataFreshness").sampleCount()).isEqualTo(3);
        assertThat(minute.get("DeliveryToS3.DataFreshness").maximum()).isEqualTo(4);
    }

    @Test
    void nothingBeforeTheFirstDeliveryAttempt() {
        Object stats = new Object();
        metering.record(CHANNEL, new Reading(stats, 0, 0, 0, 0, 0, 0), 3_000);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();
        assertThat(published).isEmpty();

        clock.setMs(T0 + 2 * 60_000 + 1_000);
        metering.record(CHANNEL, new Reading(stats, 0, 0, 0, 0, 0, 1), 9_000);
        clock.setMs(T0 + 4 * 60_000);
        metrics.publishEnded();
        assertThat(published).extracting(MinuteAggregate::metricName)
                .containsExactlyInAnyOrder("DeliveryToS3.DeliverySuccess", "DeliveryToS3.DataFreshness");
    }

    @Test
    void countersThatStartAgainAreCountedFromZeroNeverNegatively() {
        metering.record(CHANNEL, new Reading(new Object(), 10, 0, 100, 1, 50, 0), 0);
        // The channel stopped and started being delivered here: the engine's counters start from 0 again.
        metering.record(CHANNEL, new Reading(new Object(), 4, 0, 40, 1, 20, 0), 0);
        metering.retain(Set.of());
        Object third = new Object();
        metering.record(CHANNEL, new Reading(third, 1, 0, 10, 1, 5, 0), 0);

        Map<String, MinuteAggregate> minute = publishFirstMinute();
        assertThat(minute.get("DeliveryToS3.SuccessfulRecordCount").sum()).isEqualTo(15);
        assertThat(minute.get("DeliveryToS3.BytesOut").sum()).isEqualTo(75);
        assertThat(minute.get("DeliveryToS3.DeliverySuccess").sum()).isEqualTo(3);
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
}
