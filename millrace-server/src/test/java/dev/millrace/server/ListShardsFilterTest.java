package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ListShards' ShardFilter types on a stream with history, on a manual clock: shard 0 split at T0+10 s into 2 and 3,
 * shard 1 merged with 3 at T0+20 s into 4. Also shard iterators' 5-minute lifetime and tamper checks.
 */
class ListShardsFilterTest {
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private ApiHarness api;

    @BeforeEach
    void history() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS);
        api.call("CreateStream", "{\"StreamName\":\"f\",\"ShardCount\":2}");
        clock.advanceMs(10_000);
        api.call("SplitShard", "{\"StreamName\":\"f\",\"ShardToSplit\":\"shardId-000000000000\",\"NewStartingHashKey\":\""
                + BigInteger.ONE.shiftLeft(126) + "\"}");
        clock.advanceMs(10_000);
        api.call("MergeShards", "{\"StreamName\":\"f\",\"ShardToMerge\":\"shardId-000000000003\","
                + "\"AdjacentShardToMerge\":\"shardId-000000000001\"}");
        clock.advanceMs(10_000);
    }

    @AfterEach
    void close() {
        api.close();
    }

    @SuppressWarnings("unchecked")
    private List<String> ids(String filter) {
        Map<String, Object> r = api.call("ListShards", "{\"StreamName\":\"f\"" + (filter == null ? ""
                : ",\"ShardFilter\":" + filter) + "}");
        return ((List<Map<String, Object>>) r.get("Shards")).stream().map(s -> (String) s.get("ShardId")).toList();
    }

    private static String at(long ms) {
        return String.format("%d.%03d", ms / 1000, ms % 1000);
    }

    @Test
    void everyFilterTypeSelectsTheShardsTheApiReferenceDescribes() {
        assertThat(ids(null)).containsExactly("shardId-000000000000", "shardId-000000000001", "shardId-000000000002",
                "shardId-000000000003", "shardId-000000000004");
        assertThat(ids("{\"Type\":\"AT_LATEST\"}")).containsExactly("shardId-000000000002", "shardId-000000000004");
        assertThat(ids("{\"Type\":\"AT_TRIM_HORIZON\"}")).containsExactly("shardId-000000000000",
                "shardId-000000000001");
        assertThat(ids("{\"Type\":\"FROM_TRIM_HORIZON\"}")).hasSize(5);
        assertThat(ids("{\"Type\":\"AFTER_SHARD_ID\",\"ShardId\":\"shardId-000000000002\"}"))
                .containsExactly("shardId-000000000003", "shardId-000000000004");
        assertThat(ids("{\"Type\":\"AT_TIMESTAMP\",\"Timestamp\":" + at(T0 + 15_000) + "}"))
                .containsExactly("shardId-000000000001", "shardId-000000000002", "shardId-000000000003");
        assertThat(ids("{\"Type\":\"FROM_TIMESTAMP\",\"Timestamp\":" + at(T0 + 15_000) + "}"))
                .containsExactly("shardId-000000000001", "shardId-000000000002", "shardId-000000000003",
                        "shardId-000000000004");
        assertThat(ids("{\"Type\":\"AT_TIMESTAMP\",\"Timestamp\":" + at(T0 - 60_000) + "}"))
                .as("before the stream existed counts as its creation")
                .containsExactly("shardId-000000000000", "shardId-000000000001");
    }

    @Test
    void closedShardsLeaveOnceTheirRecordsExpire() {
        clock.advanceMs(25 * 3_600_000L);
        api.streams.trimExpired();
        assertThat(ids(null)).containsExactly("shardId-000000000002", "shardId-000000000004");
        assertThat(ids("{\"Type\":\"AT_TRIM_HORIZON\"}")).containsExactly("shardId-000000000002",
                "shardId-000000000004");
    }

    @Test
    void filtersAreCheckedForTheirOwnParameters() {
        assertThatThrownBy(() -> ids("{\"Type\":\"AT_TIMESTAMP\"}")).isInstanceOfSatisfying(ApiHarness.ApiError.class,
                e -> assertThat(e.type).isEqualTo("InvalidArgumentException"));
        assertThatThrownBy(() -> ids("{\"Type\":\"AFTER_SHARD_ID\"}")).isInstanceOfSatisfying(
                ApiHarness.ApiError.class, e -> assertThat(e.type).isEqualTo("InvalidArgumentException"));
    }

    @Test
    void iteratorsExpireAfterFiveMinutesAndCannotBeForged() {
        String iterator = (String) api.call("GetShardIterator", "{\"StreamName\":\"f\",\"ShardId\":"
                + "\"shardId-000000000002\",\"ShardIteratorType\":\"LATEST\"}").get("ShardIterator");
        clock.advanceMs(299_000);
        api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
        clock.advanceMs(2_000);
        assertThatThrownBy(() -> api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}"))
                .isInstanceOfSatisfying(ApiHarness.ApiError.class, e -> {
                    assertThat(e.type).isEqualTo("ExpiredIteratorException");
                    assertThat(e.getMessage()).contains("further in the future than the tolerated delay of 300000 "
                            + "milliseconds");
                });
        char[] chars = iterator.toCharArray();
        chars[20] = chars[20] == 'A' ? 'B' : 'A';
        assertThatThrownBy(() -> api.call("GetRecords", "{\"ShardIterator\":\"" + new String(chars) + "\"}"))
                .isInstanceOfSatisfying(ApiHarness.ApiError.class, e -> {
                    assertThat(e.type).isEqualTo("InvalidArgumentException");
                    assertThat(e.getMessage()).contains("Invalid ShardIterator.");
                });
    }
}
