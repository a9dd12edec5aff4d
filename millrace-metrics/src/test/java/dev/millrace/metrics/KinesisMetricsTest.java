package dev.millrace.metrics;

import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class KinesisMetricsTest {
    /** 2026-01-01T00:00:00Z, a minute's start. */
    private static final long T0 = 1_767_225_600_000L;

    private final ManualClock clock = new ManualClock(T0 + 5_000);
    private final List<Published> published = new ArrayList<>();
    private final KinesisMetrics metrics = new KinesisMetrics(clock,
            (account, region, aggregates) -> published.add(new Published(account, region, aggregates)));

    private record Published(String account, String region, List<MinuteAggregate> aggregates) {
    }

    /** AWS's *.Success: one sample per call, 1 or 0, so that the minute's Average is the success rate. */
    @Test
    void failedCallsAreSamplesOfZeroOfTheirSuccessMetric() {
        StreamMeter orders = metrics.account("111122223333", "eu-west-1").stream("orders");
        orders.getRecords("shardId-000000000000", Set.of("ALL", "ReadProvisionedThroughputExceeded"), 900, 2, 20, 0);
        orders.getRecordsFailed("shardId-000000000000", Set.of("ReadProvisionedThroughputExceeded"), 400);
        orders.readThrottled("shardId-000000000000", Set.of("ReadProvisionedThroughputExceeded"), 100);
        orders.putRecords(1_000, 2, 2, 0, 0, 20);
        orders.putRecordsFailed(300);
        orders.subscribed("app", StreamMeter.Subscription.ESTABLISHED);
        orders.subscriptionEvent("app", null, Set.of(), 1, 10, 0);
        orders.subscriptionEventFailed("app");

        clock.setMs(T0 + 60_000 + KinesisMetrics.PUBLISH_GRACE_MS);
        metrics.publishEnded();
        Map<String, MinuteAggregate> byName = published.get(0).aggregates().stream()
                .filter(a -> !a.dimensions().containsKey("ShardId"))
                .collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
        assertThat(byName.get("GetRecords.Success")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "GetRecords.Success", Map.of("StreamName", "orders"), "Count", T0, 3, 1, 0, 1));
        assertThat(byName.get("GetRecords.Latency").sampleCount()).isEqualTo(3);
        assertThat(byName.get("ReadProvisionedThroughputExceeded").sampleCount()).isEqualTo(3);
        assertThat(byName.get("ReadProvisionedThroughputExceeded").sum()).isEqualTo(1);
        assertThat(byName.get("PutRecords.Success")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "PutRecords.Success", Map.of("StreamName", "orders"), "Count", T0, 2, 1, 0, 1));
        assertThat(byName.get("PutRecords.TotalRecords").sampleCount()).as("the refused call processed no record")
                .isEqualTo(1);
        assertThat(byName.get("SubscribeToShardEvent.Success")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "SubscribeToShardEvent.Success", Map.of("StreamName", "orders", "ConsumerName", "app"), "Count", T0,
                2, 1, 0, 1));
        MinuteAggregate shardThrottled = published.get(0).aggregates().stream()
                .filter(a -> a.metricName().equals("ReadProvisionedThroughputExceeded")
                        && a.dimensions().containsKey("ShardId")).findFirst().orElseThrow();
        assertThat(shardThrottled.sampleCount()).isEqualTo(3);
        assertThat(shardThrottled.sum()).isEqualTo(1);
    }

    @Test
    void aMinuteIsPublishedOnceItEndedWithExactStatistics() {
        StreamMeter orders = metrics.account("111122223333", "eu-west-1").stream("orders");
        orders.putRecords(12_000, 3, 2, 1, 0, 200);
        clock.advanceMs(1_000);
        orders.putRecords(30_500, 5, 5, 0, 0, 700);
        orders.stored(2, 200);
        orders.stored(5, 700);
        orders.writeThrottled("shardId-000000000000", Set.of());

        metrics.publishEnded();
        assertThat(published).as("the minute is not over").isEmpty();

        clock.setMs(T0 + 60_000 + KinesisMetrics.PUBLISH_GRACE_MS - 1);
        metrics.publishEnded();
        assertThat(published).as("within the grace after its end").isEmpty();

        clock.setMs(T0 + 60_000 + KinesisMetrics.PUBLISH_GRACE_MS);
        metrics.publishEnded();
        assertThat(published).hasSize(1);
        Published p = published.get(0);
        assertThat(p.account()).isEqualTo("111122223333");
        assertThat(p.region()).isEqualTo("eu-west-1");
        Map<String, MinuteAggregate> byName = p.aggregates().stream()
                .collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
        assertThat(byName.get("PutRecords.Latency")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "PutRecords.Latency", Map.of("StreamName", "orders"), "Milliseconds", T0, 2, 42.5, 12, 30.5));
        assertThat(byName.get("PutRecords.TotalRecords")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "PutRecords.TotalRecords", Map.of("StreamName", "orders"), "Count", T0, 2, 8, 3, 5));
        assertThat(byName.get("PutRecords.ThrottledRecords").sum()).isEqualTo(1);
        assertThat(byName.get("PutRecords.ThrottledRecords").maximum()).isEqualTo(1);
        assertThat(byName.get("PutRecords.ThrottledRecords").minimum()).isEqualTo(0);
        assertThat(byName.get("PutRecords.Records").sum()).isEqualTo(7);
        assertThat(byName.get("PutRecords.Bytes")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "PutRecords.Bytes", Map.of("StreamName", "orders"), "Bytes", T0, 2, 900, 200, 700));
        assertThat(byName.get("IncomingRecords")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "IncomingRecords", Map.of("StreamName", "orders"), "Count", T0, 2, 7, 2, 5));
        // One sample per record stored or throttled: the average is the share throttled (1 of 8).
        assertThat(byName.get("WriteProvisionedThroughputExceeded")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "WriteProvisionedThroughputExceeded", Map.of("StreamName", "orders"), "Count", T0, 8, 1, 0, 1));
        assertThat(byName).as("nothing was read, nothing was put with PutRecord")
                .doesNotContainKeys("GetRecords.Success", "PutRecord.Success");
        assertThat(p.aggregates()).as("basic monitoring: no shard-level metric")
                .allSatisfy(a -> assertThat(a.dimensions()).containsOnlyKeys("StreamName"));

        metrics.publishEnded();
        assertThat(published).as("published once").hasSize(1);
    }

    @Test
    void eachMinuteIsItsOwn() {
        StreamMeter s = metrics.account("1", "us-east-1").stream("s");
        s.putRecord(4, true, 10);
        clock.setMs(T0 + 60_000);
        s.putRecord(6, true, 20);
        s.putRecord(8, false, 30);
        clock.setMs(T0 + 3 * 60_000);
        metrics.publishEnded();

        List<MinuteAggregate> bytes = published.stream().flatMap(p -> p.aggregates().stream())
                .filter(a -> a.metricName().equals("PutRecord.Bytes")).toList();
        assertThat(bytes).extracting(MinuteAggregate::minuteStartMs, MinuteAggregate::sampleCount,
                MinuteAggregate::sum).containsExactly(
                org.assertj.core.groups.Tuple.tuple(T0, 1L, 10.0),
                org.assertj.core.groups.Tuple.tuple(T0 + 60_000, 1L, 20.0));
        MinuteAggregate success = published.stream().flatMap(p -> p.aggregates().stream())
                .filter(a -> a.metricName().equals("PutRecord.Success") && a.minuteStartMs() == T0 + 60_000)
                .findFirst().orElseThrow();
        assertThat(success.sampleCount()).isEqualTo(2);
        assertThat(success.sum()).isEqualTo(1);
        assertThat(success.minimum()).isEqualTo(0);
    }

    @Test
    void shardLevelMetricsOnlyForWhatEnhancedMonitoringLists() {
        StreamMeter s = metrics.account("1", "us-east-1").stream("s");
        s.stored(4, 100);
        s.storedInShard("shardId-000000000003", Set.of("IncomingBytes", "OutgoingRecords"), 4, 100);
        s.getRecords("shardId-000000000003", Set.of("IncomingBytes", "OutgoingRecords"), 1, 4, 100, 250);
        s.stored(1, 9);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();

        List<MinuteAggregate> shardLevel = published.get(0).aggregates().stream()
                .filter(a -> a.dimensions().containsKey("ShardId")).toList();
        assertThat(shardLevel).extracting(MinuteAggregate::metricName, MinuteAggregate::dimensions,
                MinuteAggregate::sum).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("IncomingBytes",
                        Map.of("StreamName", "s", "ShardId", "shardId-000000000003"), 100.0),
                org.assertj.core.groups.Tuple.tuple("OutgoingRecords",
                        Map.of("StreamName", "s", "ShardId", "shardId-000000000003"), 4.0));
        MinuteAggregate streamBytes = published.get(0).aggregates().stream()
                .filter(a -> a.metricName().equals("IncomingBytes") && !a.dimensions().containsKey("ShardId"))
                .findFirst().orElseThrow();
        assertThat(streamBytes.sum()).as("the stream-level metric counts every shard").isEqualTo(109);
        MinuteAggregate age = published.get(0).aggregates().stream()
                .filter(a -> a.metricName().equals("GetRecords.IteratorAgeMilliseconds")).findFirst().orElseThrow();
        assertThat(age.maximum()).isEqualTo(250);
    }

    @Test
    void consumerMetricsCarryTheConsumerName() {
        StreamMeter s = metrics.account("1", "us-east-1").stream("s");
        s.subscribed("app", StreamMeter.Subscription.ESTABLISHED);
        s.subscribed("app", StreamMeter.Subscription.RATE_EXCEEDED);
        s.subscriptionEvent("app", "shardId-000000000000", Set.of(), 3, 30, 1_000);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();

        Map<String, MinuteAggregate> byName = published.get(0).aggregates().stream()
                .collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
        assertThat(byName.get("SubscribeToShard.RateExceeded").dimensions())
                .isEqualTo(Map.of("StreamName", "s", "ConsumerName", "app"));
        assertThat(byName.get("SubscribeToShard.RateExceeded").sum()).isEqualTo(1);
        assertThat(byName.get("SubscribeToShard.Success").sampleCount()).isEqualTo(2);
        assertThat(byName.get("SubscribeToShard.Success").sum()).isEqualTo(1);
        assertThat(byName.get("SubscribeToShardEvent.Records").sum()).isEqualTo(3);
        assertThat(byName.get("SubscribeToShardEvent.MillisBehindLatest").maximum()).isEqualTo(1_000);
    }

    /** DeliveryToS3.*: AWS's names, units and the three dimensions GetMetricStatistics needs, per channel id. */
    @Test
    void channelMetricsCarryTheChannelsThreeDimensions() {
        StreamMeter s = metrics.account("1", "us-east-1").stream("orders");
        s.channelDelivered(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 7, 2, 900, 1, 400);
        s.channelDelivered(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 3, 0, 300, 1, 100);
        s.channelDeliveryFailed(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 2);
        s.channelDataFreshness(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 61_500);
        s.channelDataFreshness(StreamMeter.ChannelDestination.S3, "to-lake", "id-1", 0);
        s.channelDelivered(StreamMeter.ChannelDestination.S3, "to-lake", "id-2", 1, 0, 10, 1, 10);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();

        Map<String, String> dims = Map.of("ChannelName", "to-lake", "ChannelId", "id-1", "StreamName", "orders");
        Map<String, MinuteAggregate> byName = published.get(0).aggregates().stream()
                .filter(a -> a.dimensions().equals(dims))
                .collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
        assertThat(byName.keySet()).containsExactlyInAnyOrder("DeliveryToS3.DataFreshness", "DeliveryToS3.BytesIn",
                "DeliveryToS3.BytesProcessed", "DeliveryToS3.BytesOut", "DeliveryToS3.RecordCount",
                "DeliveryToS3.SuccessfulRecordCount", "DeliveryToS3.FailedRecordCount",
                "DeliveryToS3.DeliverySuccess", "DeliveryToS3.DLQDeliverySuccess");
        assertThat(byName.get("DeliveryToS3.RecordCount").sum()).isEqualTo(12);
        assertThat(byName.get("DeliveryToS3.SuccessfulRecordCount").sum()).isEqualTo(10);
        assertThat(byName.get("DeliveryToS3.FailedRecordCount").sum()).isEqualTo(2);
        assertThat(byName.get("DeliveryToS3.DLQDeliverySuccess").sum()).isEqualTo(2);
        assertThat(byName.get("DeliveryToS3.BytesIn").sum()).isEqualTo(1_200);
        assertThat(byName.get("DeliveryToS3.BytesOut")).isEqualTo(new MinuteAggregate("AWS/Kinesis",
                "DeliveryToS3.BytesOut", dims, "Bytes", T0, 2, 500, 100, 400));
        assertThat(byName.get("DeliveryToS3.DeliverySuccess")).as("2 objects written, 2 attempts failed")
                .isEqualTo(new MinuteAggregate("AWS/Kinesis", "DeliveryToS3.DeliverySuccess", dims, "Count", T0,
                        4, 2, 0, 1));
        assertThat(byName.get("DeliveryToS3.DataFreshness")).as("recorded in ms, published in seconds")
                .isEqualTo(new MinuteAggregate("AWS/Kinesis", "DeliveryToS3.DataFreshness", dims, "Seconds", T0,
                        2, 61.5, 0, 61.5));
        assertThat(published.get(0).aggregates()).filteredOn(a -> "id-2".equals(a.dimensions().get("ChannelId")))
                .extracting(MinuteAggregate::metricName).doesNotContain("DeliveryToS3.DataFreshness")
                .contains("DeliveryToS3.RecordCount");
    }

    /** DeliveryToIceberg.*: an Iceberg channel's batches are rows and commits, under AWS's Iceberg names only. */
    @Test
    void anIcebergChannelsMetricsAreDeliveryToIceberg() {
        StreamMeter s = metrics.account("1", "us-east-1").stream("orders");
        s.channelDelivered(StreamMeter.ChannelDestination.ICEBERG, "to-table", "id-9", 7, 2, 900, 1, 400);
        s.channelDeliveryFailed(StreamMeter.ChannelDestination.ICEBERG, "to-table", "id-9", 1);
        s.channelDataFreshness(StreamMeter.ChannelDestination.ICEBERG, "to-table", "id-9", 3_000);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();

        Map<String, String> dims = Map.of("ChannelName", "to-table", "ChannelId", "id-9", "StreamName", "orders");
        Map<String, MinuteAggregate> byName = published.get(0).aggregates().stream()
                .filter(a -> a.dimensions().equals(dims))
                .collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
        assertThat(byName.keySet()).containsExactlyInAnyOrder("DeliveryToIceberg.DataFreshness",
                "DeliveryToIceberg.BytesIn", "DeliveryToIceberg.BytesProcessed", "DeliveryToIceberg.BytesOut",
                "DeliveryToIceberg.TotalRowCount", "DeliveryToIceberg.SuccessfulRowCount",
                "DeliveryToIceberg.FailedRowCount", "DeliveryToIceberg.CommitSuccess",
                "DeliveryToIceberg.DLQDeliverySuccess");
        assertThat(byName.get("DeliveryToIceberg.TotalRowCount").sum()).isEqualTo(9);
        assertThat(byName.get("DeliveryToIceberg.SuccessfulRowCount").sum()).isEqualTo(7);
        assertThat(byName.get("DeliveryToIceberg.FailedRowCount").sum()).isEqualTo(2);
        assertThat(byName.get("DeliveryToIceberg.DLQDeliverySuccess").sum()).isEqualTo(2);
        assertThat(byName.get("DeliveryToIceberg.BytesOut").sum()).isEqualTo(400);
        assertThat(byName.get("DeliveryToIceberg.CommitSuccess")).as("1 commit, 1 failed attempt")
                .isEqualTo(new MinuteAggregate("AWS/Kinesis", "DeliveryToIceberg.CommitSuccess", dims, "Count", T0,
                        2, 1, 0, 1));
        assertThat(byName.get("DeliveryToIceberg.DataFreshness").maximum()).isEqualTo(3);
    }

    @Test
    void concurrentRecordingAcrossMinuteBoundariesLosesNothing() throws Exception {
        StreamMeter s = metrics.account("1", "us-east-1").stream("s");
        int threads = 8;
        int perThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < perThread; i++) {
                    s.stored(1, 3);
                }
                return null;
            }));
        }
        Future<?> ticking = pool.submit(() -> {
            start.await();
            for (int minute = 1; minute <= 4; minute++) {
                Thread.sleep(5);
                clock.setMs(T0 + minute * 60_000L);
            }
            return null;
        });
        start.countDown();
        for (Future<?> f : done) {
            f.get(30, TimeUnit.SECONDS);
        }
        ticking.get(30, TimeUnit.SECONDS);
        pool.shutdown();
        clock.setMs(T0 + 10 * 60_000);
        metrics.publishEnded();

        List<MinuteAggregate> records = published.stream().flatMap(p -> p.aggregates().stream())
                .filter(a -> a.metricName().equals("IncomingRecords")).toList();
        assertThat(records.stream().mapToDouble(MinuteAggregate::sum).sum()).isEqualTo(threads * perThread);
        assertThat(records.stream().mapToLong(MinuteAggregate::sampleCount).sum()).isEqualTo(threads * perThread);
        assertThat(records).extracting(MinuteAggregate::minuteStartMs).doesNotHaveDuplicates();
        double bytes = published.stream().flatMap(p -> p.aggregates().stream())
                .filter(a -> a.metricName().equals("IncomingBytes")).mapToDouble(MinuteAggregate::sum).sum();
        assertThat(bytes).isEqualTo(3.0 * threads * perThread);
    }

    @Test
    void aSinkThatThrowsLosesOnlyItsAccountsMinute() {
        KinesisMetrics failing = new KinesisMetrics(clock, (account, region, aggregates) -> {
            if (account.equals("bad")) {
                throw new IllegalStateException("down");
            }
            published.add(new Published(account, region, aggregates));
        });
        failing.account("bad", "us-east-1").stream("s").putRecord(1, true, 1);
        failing.account("good", "us-east-1").stream("s").putRecord(1, true, 1);
        clock.setMs(T0 + 2 * 60_000);
        failing.publishEnded();
        assertThat(published).extracting(Published::account).containsExactly("good");
    }

    @Test
    void idleStreamsAreForgottenAfterAnHour() {
        AccountMetrics account = metrics.account("1", "us-east-1");
        StreamMeter s = account.stream("s");
        s.stored(1, 1);
        s.storedInShard("shardId-000000000000", Set.of("IncomingBytes"), 1, 1);
        clock.setMs(T0 + 2 * 60_000);
        metrics.publishEnded();
        assertThat(account.stream("s")).isSameAs(s);
        clock.setMs(T0 + 60_000 + KinesisMetrics.FORGET_IDLE_MS + 1);
        metrics.publishEnded();
        assertThat(account.stream("s")).as("a new meter: the old one was forgotten").isNotSameAs(s);
    }
}
