package dev.millrace.server;

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
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * With throughput limits on, one SubscribeToShard session sends at most 2 MiB/s: on a manual clock that stands
 * still, a backlog of 10 MiB stops flowing after the first bucket's worth, and every second of clock lets about
 * 2 MiB more through.
 */
class FanOutRateTest {
    private static final int RECORD_BYTES = 1_000_000;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private ApiHarness api;

    @AfterEach
    void close() {
        api.close();
    }

    private long settled(CountingSink sink) throws InterruptedException {
        long before;
        do {
            before = sink.records.get();
            Thread.sleep(300);
        } while (sink.records.get() != before);
        return before;
    }

    @Test
    void aSessionSendsAtMostTwoMebibytesPerSecond() throws Exception {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.AWS);
        api.call("CreateStream", "{\"StreamName\":\"r\",\"ShardCount\":1}");
        String data = Base64.getEncoder().encodeToString(new byte[RECORD_BYTES]);
        for (int i = 0; i < 10; i++) {
            api.call("PutRecord", "{\"StreamName\":\"r\",\"PartitionKey\":\"k\",\"Data\":\"" + data + "\"}");
            clock.advanceMs(1000);
        }
        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/r\","
                + "\"ConsumerName\":\"c\"}");
        ConsumerRecord consumer = api.consumers.list("r").get(0);
        StreamRecord stream = api.streams.get("r");
        CountingSink sink = new CountingSink();
        api.fanOut.subscribe(consumer.arn(api.streams.account()), stream, stream.shard(0), 0, sink, "t");

        // Records of 1,000,000 bytes; a full bucket is 2 MiB, and one event (at most 2 MiB) may overdraw it.
        // Lower bounds are awaited (a loaded machine may run the session late); upper bounds are read once the
        // count has stood still, since the clock does not move meanwhile.
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.records.get() >= 2);
        long burst = settled(sink);
        assertThat(burst).as("records sent while the clock stands still").isBetween(2L, 4L);
        clock.advanceMs(1000);
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.records.get() >= burst + 1);
        long oneSecondLater = settled(sink);
        assertThat(oneSecondLater - burst).as("records one more second lets through").isBetween(1L, 3L);
        for (int s = 0; s < 10; s++) {
            clock.advanceMs(1000);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.records.get() >= 10);
        assertThat(settled(sink)).as("everything arrives in the end").isEqualTo(10L);
    }
}
