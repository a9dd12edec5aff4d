package dev.millrace.server;

import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
}
