package dev.millrace.server;

import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A write wakes the SubscribeToShard sessions of its shard at once: the shard log tells fan-out of the append. The
 * clock stands still, so no heartbeat is due, and the session's next timer is five real seconds away; records that
 * arrive within two seconds were pushed because of the write.
 */
class FanOutWakeTest {
    private static final String ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/w";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private ApiHarness api;

    @BeforeEach
    void open() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.call("CreateStream", "{\"StreamName\":\"w\",\"ShardCount\":1}");
        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"" + ARN + "\",\"ConsumerName\":\"c\"}");
    }

    @AfterEach
    void close() {
        api.close();
    }

    private CountingSink subscribe() {
        ConsumerRecord consumer = api.consumers.list("w").get(0);
        StreamRecord stream = api.streams.get("w");
        CountingSink sink = new CountingSink();
        api.fanOut.subscribe(consumer.arn(api.streams.account()), stream, stream.shard(0),
                api.streams.log(stream, stream.shard(0)).endPosition(), sink, "t");
        return sink;
    }

    private static void awaitRecords(CountingSink sink, long expected) {
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(sink.records).hasValue(expected));
    }

    @Test
    void putRecordAndPutRecordsWakeTheShardsSessions() {
        CountingSink sink = subscribe();

        api.call("PutRecord", "{\"StreamName\":\"w\",\"PartitionKey\":\"k\",\"Data\":\"AA==\"}");
        awaitRecords(sink, 1);
        api.call("PutRecords", "{\"StreamName\":\"w\",\"Records\":[{\"PartitionKey\":\"a\",\"Data\":\"AQ==\"},"
                + "{\"PartitionKey\":\"b\",\"Data\":\"Ag==\"}]}");
        awaitRecords(sink, 3);
    }

    @Test
    void aSessionThatTakesOverIsWokenToo() {
        CountingSink first = subscribe();
        clock.advanceMs(5_000);
        // The first session ends, and with it the shard's last reader: fan-out stops and starts listening again.
        CountingSink second = subscribe();

        api.call("PutRecord", "{\"StreamName\":\"w\",\"PartitionKey\":\"k\",\"Data\":\"AA==\"}");
        awaitRecords(second, 1);
        assertThat(first.records).hasValue(0);
        assertThat(api.fanOut.sessionCount()).isEqualTo(1);
    }
}
