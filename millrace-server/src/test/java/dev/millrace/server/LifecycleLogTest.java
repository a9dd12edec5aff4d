package dev.millrace.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.millrace.server.state.Lifecycle;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lifecycle log ({@link Lifecycle}): the API's changes, made through the handlers, give one INFO line per event
 * with the stream's name, ARN, account and region as key-value pairs; changes that are no event (tags) give none.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class LifecycleLogTest {
    private static final String ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/";

    @TempDir
    Path dir;
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private ApiHarness api;
    private ManualClock clock;

    @BeforeEach
    void capture() {
        events.start();
        ((Logger) LoggerFactory.getLogger(Lifecycle.class)).addAppender(events);
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger(Lifecycle.class)).detachAppender(events);
        if (api != null) {
            api.close();
        }
    }

    @Test
    void eachChangeOfAStreamIsOneLineWithItsArnAccountAndRegion() {
        clock = new ManualClock(Instant.parse("2026-12-06T12:00:00Z").toEpochMilli());
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF, 0);
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}");
        assertThat(eventNames()).containsExactly("stream-created", "stream-active");
        Map<String, String> created = keyValues(events.list.get(0));
        assertThat(created).containsEntry("stream", "s").containsEntry("arn", ARN + "s")
                .containsEntry("account", "000000000000").containsEntry("region", "us-east-1");
        assertThat(events.list.get(0).getFormattedMessage()).isEqualTo("Stream s created (PROVISIONED, 2 shards, "
                + ARN + "s, account 000000000000, region us-east-1)");

        events.list.clear();
        api.call("AddTagsToStream", "{\"StreamName\":\"s\",\"Tags\":{\"team\":\"a\"}}");
        assertThat(events.list).as("tags are no lifecycle event").isEmpty();

        api.call("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\","
                + "\"NewStartingHashKey\":\"85070591730234615865843651857942052864\"}");
        api.call("MergeShards", "{\"StreamName\":\"s\",\"ShardToMerge\":\"shardId-000000000003\","
                + "\"AdjacentShardToMerge\":\"shardId-000000000001\"}");
        api.call("IncreaseStreamRetentionPeriod", "{\"StreamName\":\"s\",\"RetentionPeriodHours\":48}");
        assertThat(eventNames()).containsExactly("shard-split", "shards-merged", "retention-changed");
        assertThat(events.list.get(0).getFormattedMessage()).startsWith("Stream s: shard shardId-000000000000 split"
                + " into shardId-000000000002 and shardId-000000000003 by SplitShard");
        assertThat(events.list.get(1).getFormattedMessage()).startsWith("Stream s: shards shardId-000000000003 and "
                + "shardId-000000000001 merged into shardId-000000000004 by MergeShards");
        assertThat(keyValues(events.list.get(2))).containsEntry("retentionHours", "48");

        events.list.clear();
        api.call("DeleteStream", "{\"StreamName\":\"s\"}");
        assertThat(eventNames()).containsExactly("stream-deleting", "stream-deleted");
        assertThat(events.list).allSatisfy(e -> assertThat(e.getLevel().toString()).isEqualTo("INFO"));
    }

    @Test
    void consumersAreRegisteredAndDeregistered() {
        clock = new ManualClock(Instant.parse("2026-12-06T12:00:00Z").toEpochMilli());
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF, 0);
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        events.list.clear();
        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"" + ARN + "s\",\"ConsumerName\":\"c\"}");
        api.call("DeregisterStreamConsumer", "{\"StreamARN\":\"" + ARN + "s\",\"ConsumerName\":\"c\"}");
        assertThat(eventNames()).containsExactly("consumer-registered", "consumer-active",
                "consumer-deregistering", "consumer-deregistered");
        assertThat(keyValues(events.list.get(0))).containsEntry("consumer", "c").containsEntry("stream", "s")
                .hasEntrySatisfying("arn", arn -> assertThat(arn).startsWith(ARN + "s/consumer/c:"));
    }

    private List<String> eventNames() {
        return events.list.stream().map(e -> keyValues(e).get("event")).collect(Collectors.toList());
    }

    private static Map<String, String> keyValues(ILoggingEvent e) {
        Map<String, String> out = new HashMap<>();
        for (KeyValuePair kv : e.getKeyValuePairs() == null ? List.<KeyValuePair>of() : e.getKeyValuePairs()) {
            out.put(kv.key, String.valueOf(kv.value));
        }
        return out;
    }
}
