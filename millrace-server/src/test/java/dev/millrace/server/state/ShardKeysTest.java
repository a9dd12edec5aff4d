package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kept shard keys (the same instance each time, equal to a freshly built one, new for a re-created stream), and shard
 * throttles kept the same way.
 */
class ShardKeysTest {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private FileMetadataStore store;
    private EmbeddedLogStore logs;
    private StreamRegistry registry;

    @BeforeEach
    void open() {
        store = FileMetadataStore.open(dir.resolve("meta"));
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir.resolve("logs")), clock);
        registry = new StreamRegistry(store, logs, clock, Account.DEFAULT, 0, 1_000);
    }

    @AfterEach
    void close() {
        logs.close();
        store.close();
    }

    @Test
    void aShardsKeyIsBuiltOnceAndAReCreatedStreamGetsNewOnes() {
        StreamRecord s = registry.create("s", 3, "PROVISIONED", Map.of(), 1024, null, null);
        ShardKeys keys = new ShardKeys("p/");
        String first = keys.of(s, 2);
        assertThat(first).isEqualTo("p/" + StreamRegistry.buildShardKey(s, 2)).endsWith("-s-000002");
        assertThat(keys.of(s, 2)).isSameAs(first);
        assertThat(keys.of(s, 0)).isEqualTo("p/" + StreamRegistry.buildShardKey(s, 0));
        assertThat(keys.of(s, 7)).as("an index past the shards (a split's child)")
                .isEqualTo("p/" + StreamRegistry.buildShardKey(s, 7));
        assertThat(keys.of(s, 2)).as("kept across the memo's growth").isSameAs(first);

        clock.advanceMs(5_000);
        StreamRecord again = new StreamRecord(s.name(), s.epochMs() + 5_000, s.status(), s.statusUntilMs(),
                s.retentionHours(), s.mode(), s.shards(), s.tags(), s.encryptionType(), s.keyId(),
                s.shardLevelMetrics(), s.maxRecordSizeKiB(), s.warmThroughputMiBps(), s.shardCountUpdatesMs(),
                s.distribution(), s.pendingShards());
        assertThat(keys.of(again, 2)).as("a re-created stream's shard").isNotEqualTo(first)
                .isEqualTo("p/" + StreamRegistry.buildShardKey(again, 2));
        assertThat(keys.of(s, 2)).as("both incarnations kept side by side (as same-named streams of two accounts)")
                .isSameAs(first);
        keys.forget("s");
        assertThat(keys.of(s, 2)).isEqualTo(first).isNotSameAs(first);
        assertThat(registry.logKey(s, 1)).isSameAs(registry.logKey(s, 1))
                .endsWith(StreamRegistry.buildShardKey(s, 1));
    }

    @Test
    void keysOfManyStreamsAreKeptSideBySide() {
        ShardKeys keys = new ShardKeys("p/");
        java.util.List<StreamRecord> streams = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            streams.add(registry.create("many-" + i, 100, "PROVISIONED", Map.of(), 1024, null, null));
        }
        java.util.Map<String, String> first = new java.util.HashMap<>();
        java.util.Random random = new java.util.Random(7);
        for (int n = 0; n < 20_000; n++) {
            StreamRecord s = streams.get(random.nextInt(10));
            int index = random.nextInt(100);
            String key = keys.of(s, index);
            String before = first.putIfAbsent(s.name() + "/" + index, key);
            if (before != null) {
                assertThat(key).as("%s shard %d", s.name(), index).isSameAs(before);
            }
        }
        assertThat(first).hasSize(1000);
    }

    @Test
    void aShardsThrottleIsItsOwnKeptAcrossGrowthAndNewForAReCreatedStream() {
        Throttles throttles = new Throttles(clock, ThroughputLimits.AWS);
        StreamRecord s = registry.create("t", 2, "PROVISIONED", Map.of(), 1024, null, null);
        ShardRecord first = s.shards().get(0);
        Throttles.ShardThrottle a = throttles.shard(s, first);
        assertThat(throttles.shard(s, first)).isSameAs(a);
        assertThat(throttles.shard(s, s.shards().get(1))).isNotSameAs(a);
        ShardRecord child = new ShardRecord(9, 0, -1, first.startingHashKey(), first.endingHashKey(), 0,
                first.createdMs(), null, null);
        Throttles.ShardThrottle c = throttles.shard(s, child);
        assertThat(throttles.shard(s, child)).as("an index past the shards (a split's child)").isSameAs(c);
        assertThat(throttles.shard(s, first)).as("kept across the growth").isSameAs(a);
        StreamRecord again = new StreamRecord(s.name(), s.epochMs() + 1, s.status(), s.statusUntilMs(),
                s.retentionHours(), s.mode(), s.shards(), s.tags(), s.encryptionType(), s.keyId(),
                s.shardLevelMetrics(), s.maxRecordSizeKiB(), s.warmThroughputMiBps(), s.shardCountUpdatesMs(),
                s.distribution(), s.pendingShards());
        assertThat(throttles.shard(again, first)).as("a re-created stream's shard starts anew").isNotSameAs(a);
    }
}
