package dev.millrace.server;

import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.Caller;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The consumer-level metrics of enhanced fan-out: a subscription established and one refused within 5 seconds
 * (SubscribeToShard.Success, .RateExceeded), and the events that carried the records (SubscribeToShardEvent.*), all
 * under the dimensions StreamName and ConsumerName.
 */
class FanOutMetricsTest {
    private static final long T0 = 1_767_225_600_000L;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private final List<MinuteAggregate> published = new ArrayList<>();
    private final KinesisMetrics metrics = new KinesisMetrics(clock, (a, r, list) -> published.addAll(list));
    private ApiHarness api;

    @AfterEach
    void close() {
        api.close();
    }

    @Test
    void subscriptionsAndTheirEventsAreCountedPerConsumer() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.fanOut.useMetrics(metrics.account(api.streams.account().id(), api.streams.account().region()));
        api.call("CreateStream", "{\"StreamName\":\"r\",\"ShardCount\":1}");
        for (String data : List.of("AAAA", "AAAAAA==", "AA==")) { // 3, 4 and 1 bytes
            api.call("PutRecord", "{\"StreamName\":\"r\",\"PartitionKey\":\"k\",\"Data\":\"" + data + "\"}");
        }
        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/r\","
                + "\"ConsumerName\":\"c\"}");
        ConsumerRecord consumer = api.consumers.list("r").get(0);
        StreamRecord stream = api.streams.get("r");
        CountingSink sink = new CountingSink();
        String arn = consumer.arn(api.streams.account());
        api.fanOut.subscribe(arn, stream, stream.shard(0), 0, sink, "first");
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.records.get() >= 3);
        assertThatThrownBy(() -> api.fanOut.subscribe(arn, stream, stream.shard(0), 0, new CountingSink(), "again"))
                .isInstanceOfSatisfying(KinesisException.class,
                        e -> assertThat(e.errorType()).isEqualTo("ResourceInUseException"));

        clock.advanceMs(2 * 60_000);
        metrics.publishEnded();

        Map<String, MinuteAggregate> byName = published.stream().filter(a -> a.minuteStartMs() == T0)
                .collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
        assertThat(byName.get("SubscribeToShard.Success").dimensions())
                .isEqualTo(Map.of("StreamName", "r", "ConsumerName", "c"));
        assertThat(byName.get("SubscribeToShard.Success").sampleCount()).isEqualTo(2);
        assertThat(byName.get("SubscribeToShard.Success").sum()).isEqualTo(1);
        assertThat(byName.get("SubscribeToShard.RateExceeded").sum()).isEqualTo(1);
        assertThat(byName.get("SubscribeToShardEvent.Records").sum()).isEqualTo(3);
        assertThat(byName.get("SubscribeToShardEvent.Bytes").sum()).as("data and keys").isEqualTo(3 + 4 + 1 + 3);
        assertThat(byName.get("SubscribeToShardEvent.Success").sum())
                .isEqualTo(byName.get("SubscribeToShardEvent.Success").sampleCount());
    }

    /**
     * A SubscribeToShard call refused once its consumer's stream is found is a sample of 0 of SubscribeToShard.Success,
     * and a subscription ended by an error event instead of the next one a sample of 0 of
     * SubscribeToShardEvent.Success: their averages are then AWS's success rates. A dry run is not a call.
     */
    @Test
    void refusedSubscriptionsAndAnEventNotPublishedAreSamplesOfZero() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.fanOut.useMetrics(metrics.account(api.streams.account().id(), api.streams.account().region()));
        api.call("CreateStream", "{\"StreamName\":\"r\",\"ShardCount\":1}");
        api.call("PutRecord", "{\"StreamName\":\"r\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\"}");
        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/r\","
                + "\"ConsumerName\":\"c\"}");
        String arn = api.consumers.list("r").get(0).arn(api.streams.account());
        assertThat(subscribe(arn, "shardId-000000000009", "{\"Type\":\"TRIM_HORIZON\"}", new CountingSink()))
                .isEqualTo("ResourceNotFoundException");
        assertThat(subscribe(arn, "shardId-000000000000", "{\"Type\":\"AT_SEQUENCE_NUMBER\",\"SequenceNumber\":"
                + "\"1\"}", new CountingSink())).isEqualTo("InvalidArgumentException");
        assertThat(subscribe(arn, "shardId-000000000000", "{\"Type\":\"TRIM_HORIZON\"},\"DryRun\":true",
                new CountingSink())).isEqualTo("DryRunOperationException");
        CountingSink sink = new CountingSink();
        assertThat(subscribe(arn, "shardId-000000000000", "{\"Type\":\"TRIM_HORIZON\"}", sink)).isNull();
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.records.get() == 1);
        // The stream goes: the session's next look (at most once a second) ends it with an error event.
        StreamRecord stream = api.streams.get("r");
        api.call("DeleteStream", "{\"StreamName\":\"r\",\"EnforceConsumerDeletion\":true}");
        clock.advanceMs(1_001);
        api.fanOut.wake(stream, stream.shard(0));
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.exceptions.get() == 1);

        clock.advanceMs(2 * 60_000);
        metrics.publishEnded();
        Map<String, MinuteAggregate> byName = published.stream().filter(a -> a.minuteStartMs() == T0)
                .collect(Collectors.toMap(MinuteAggregate::metricName, a -> a));
        MinuteAggregate subscribed = byName.get("SubscribeToShard.Success");
        assertThat(subscribed.sampleCount()).as("two refused, one established").isEqualTo(3);
        assertThat(subscribed.sum()).isEqualTo(1);
        assertThat(byName.get("SubscribeToShard.RateExceeded").sum()).isZero();
        MinuteAggregate events = published.stream().filter(a -> a.metricName().equals("SubscribeToShardEvent.Success"))
                .reduce((a, b) -> new MinuteAggregate(a.namespace(), a.metricName(), a.dimensions(), a.unit(),
                        a.minuteStartMs(), a.sampleCount() + b.sampleCount(), a.sum() + b.sum(), 0, 0)).orElseThrow();
        assertThat(events.sum()).as("events published").isPositive();
        assertThat(events.sampleCount()).as("and the one that was not").isEqualTo((long) events.sum() + 1);
    }

    /** SubscribeToShard through the API: null once subscribed, else the error type. */
    private String subscribe(String consumerArn, String shardId, String startingPosition, CountingSink sink) {
        String body = "{\"ConsumerARN\":\"" + consumerArn + "\",\"ShardId\":\"" + shardId
                + "\",\"StartingPosition\":" + startingPosition + "}";
        KinesisApi.Result r = api.rawApi().subscribe("Kinesis_20131202.SubscribeToShard",
                body.getBytes(StandardCharsets.UTF_8), sink, "sub-" + shardId, Caller.UNCHECKED, Account.DEFAULT);
        return r == null ? null : r.errorType();
    }
}
