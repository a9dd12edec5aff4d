package dev.millrace.server;

import dev.millrace.storage.ManualClock;
import dev.millrace.server.state.HashKeys;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On-demand scaling on a manual clock: a producer that sends 1,500 records/s into one shard's hash key range (over
 * the 1,000/s limit, but well within a 4-shard stream's capacity) is throttled at first; the scaler splits the hot
 * shard where its traffic divides, and the throttling stops within a minute. When the load goes away, cold shards
 * are merged back down to four.
 */
class AutoScalingTest {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private ApiHarness api;

    @BeforeEach
    void open() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.AWS);
        api.call("CreateStream", "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}");
    }

    @AfterEach
    void close() {
        api.close();
    }

    /** Partition keys that all hash into the first quarter of the key space: the first shard's range. */
    private static List<String> hotKeys() {
        BigInteger quarter = BigInteger.ONE.shiftLeft(126);
        List<String> keys = new ArrayList<>();
        for (int i = 0; keys.size() < 300; i++) {
            if (HashKeys.ofPartitionKey("user-" + i).compareTo(quarter) < 0) {
                keys.add("user-" + i);
            }
        }
        return keys;
    }

    /** Puts 1,500 records in three calls; returns how many were throttled. */
    private int oneSecondOfLoad(List<String> keys, int second) {
        int throttled = 0;
        for (int call = 0; call < 3; call++) {
            StringBuilder body = new StringBuilder("{\"StreamName\":\"od\",\"Records\":[");
            for (int i = 0; i < 500; i++) {
                String key = keys.get((second * 1500 + call * 500 + i) % keys.size());
                body.append(i == 0 ? "" : ",").append("{\"PartitionKey\":\"").append(key).append("\",\"Data\":\"AAAA\"}");
            }
            Map<String, Object> r = api.call("PutRecords", body.append("]}").toString());
            throttled += ((Number) r.get("FailedRecordCount")).intValue();
        }
        return throttled;
    }

    private int openShards() {
        return api.streams.get("od").openShards().size();
    }

    @Test
    void aHotShardIsSplitAndTheThrottlingStopsWithinAMinute() {
        assertThat(openShards()).isEqualTo(4);
        List<String> keys = hotKeys();
        int[] throttledPerSecond = new int[60];
        for (int second = 0; second < 60; second++) {
            throttledPerSecond[second] = oneSecondOfLoad(keys, second);
            clock.advanceMs(1000);
            if (second % 5 == 4) {
                api.autoScaler.tick();
            }
        }
        assertThat(throttledPerSecond[0]).as("the shard's 1,000 records/s limit bites at first").isGreaterThan(0);
        for (int second = 45; second < 60; second++) {
            assertThat(throttledPerSecond[second]).as("second %d", second).isZero();
        }
        assertThat(openShards()).isGreaterThan(4);

        for (int minute = 0; minute < 30 && openShards() > 4; minute++) {
            clock.advanceMs(60_000);
            api.autoScaler.tick();
        }
        assertThat(openShards()).as("idle shards are merged back to the minimum").isEqualTo(4);
    }

    @Test
    void warmThroughputPreSplitsTheStream() {
        Map<String, Object> r = api.call("UpdateStreamWarmThroughput",
                "{\"StreamName\":\"od\",\"WarmThroughputMiBps\":10}");
        assertThat(openShards()).isEqualTo(10);
        @SuppressWarnings("unchecked")
        Map<String, Object> warm = (Map<String, Object>) r.get("WarmThroughput");
        assertThat(((Number) warm.get("CurrentMiBps")).intValue()).isEqualTo(10);
    }
}
