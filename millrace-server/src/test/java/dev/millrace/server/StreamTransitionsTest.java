package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * What a stream shows and accepts while it is CREATING, UPDATING after a split or merge, and DELETING, as AWS answered
 * (kinesalite's recorded createStream, deleteStream, splitShard and mergeShards tests): no shards while CREATING; the
 * old shards, which still take the writes, while UPDATING; the new ones once ACTIVE, also after a restart mid-UPDATING.
 */
class StreamTransitionsTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long DELAY_MS = 500;
    private static final String ACCOUNT = " under account 000000000000";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private ApiHarness api;

    @BeforeEach
    void open() {
        api = harness();
    }

    @AfterEach
    void close() {
        api.close();
    }

    private ApiHarness harness() {
        return new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF, DELAY_MS);
    }

    private ApiHarness.ApiError error(String operation, String body) {
        ApiHarness.ApiError e = catchThrowableOfType(() -> api.call(operation, body), ApiHarness.ApiError.class);
        assertThat(e).as("%s %s", operation, body).isNotNull();
        return e;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> description() {
        return (Map<String, Object>) api.call("DescribeStream", "{\"StreamName\":\"s\"}").get("StreamDescription");
    }

    @SuppressWarnings("unchecked")
    private List<String> describedShardIds() {
        return ((List<Map<String, Object>>) description().get("Shards")).stream()
                .map(s -> (String) s.get("ShardId")).toList();
    }

    @SuppressWarnings("unchecked")
    private List<String> listedShardIds() {
        return ((List<Map<String, Object>>) api.call("ListShards", "{\"StreamName\":\"s\"}").get("Shards")).stream()
                .map(s -> (String) s.get("ShardId")).toList();
    }

    private String putShard(String explicitHashKey) {
        return (String) api.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"a\",\"Data\":\"AA==\","
                + "\"ExplicitHashKey\":\"" + explicitHashKey + "\"}").get("ShardId");
    }

    @Test
    void aCreatingStreamHasNoShardsYet() {
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":3}");
        assertThat(description().get("StreamStatus")).isEqualTo("CREATING");
        assertThat(describedShardIds()).isEmpty();
        assertThat(listedShardIds()).isEmpty();
        Map<?, ?> summary = (Map<?, ?>) api.call("DescribeStreamSummary", "{\"StreamName\":\"s\"}")
                .get("StreamDescriptionSummary");
        assertThat(summary.get("OpenShardCount")).isEqualTo(0L);
        assertThat(api.call("DescribeLimits", "{}").get("OpenShardCount")).as("the account counts them already")
                .isEqualTo(3L);

        ApiHarness.ApiError iterator = error("GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"shardId-0\","
                + "\"ShardIteratorType\":\"LATEST\"}");
        assertThat(iterator.type).isEqualTo("ResourceNotFoundException");
        assertThat(iterator.message).isEqualTo("Shard shardId-000000000000 in stream s" + ACCOUNT + " does not exist");
        assertThat(error("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"a\",\"Data\":\"\"}").message)
                .isEqualTo("Stream s" + ACCOUNT + " not found.");
        ApiHarness.ApiError merge = error("MergeShards", "{\"StreamName\":\"s\",\"ShardToMerge\":\"shardId-0\","
                + "\"AdjacentShardToMerge\":\"shardId-1\"}");
        assertThat(merge.type).isEqualTo("ResourceInUseException");
        assertThat(merge.message).isEqualTo("Stream s" + ACCOUNT + " not ACTIVE, instead in state CREATING");
        assertThat(error("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-0\","
                + "\"NewStartingHashKey\":\"2\"}").type).isEqualTo("ResourceInUseException");

        clock.advanceMs(DELAY_MS);
        assertThat(description().get("StreamStatus")).isEqualTo("ACTIVE");
        assertThat(describedShardIds()).containsExactly("shardId-000000000000", "shardId-000000000001",
                "shardId-000000000002");
        assertThat(putShard("0")).isEqualTo("shardId-000000000000");
    }

    @Test
    void aStreamDeletedWhileCreatingIsDeletingWithNoShardsThenGone() {
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        api.call("DeleteStream", "{\"StreamName\":\"s\"}");
        assertThat(description().get("StreamStatus")).isEqualTo("DELETING");
        assertThat(describedShardIds()).isEmpty();
        clock.advanceMs(DELAY_MS);
        assertThat(error("DescribeStream", "{\"StreamName\":\"s\"}").type).isEqualTo("ResourceNotFoundException");
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}");
        clock.advanceMs(DELAY_MS);
        assertThat(describedShardIds()).hasSize(2);
    }

    @Test
    void aSplitShowsAndTakesWritesOnTheOldShardUntilUpdatingEnds() {
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        clock.advanceMs(DELAY_MS);
        api.call("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"x-0\",\"NewStartingHashKey\":\"2\"}");
        assertThat(description().get("StreamStatus")).isEqualTo("UPDATING");
        assertThat(describedShardIds()).containsExactly("shardId-000000000000");
        assertThat(listedShardIds()).containsExactly("shardId-000000000000");
        assertThat(error("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"shard-0\","
                + "\"NewStartingHashKey\":\"2\"}").message)
                .isEqualTo("Stream s" + ACCOUNT + " not ACTIVE, instead in state UPDATING");
        clock.advanceMs(100);
        assertThat(putShard("1")).isEqualTo("shardId-000000000000");

        clock.advanceMs(DELAY_MS);
        assertThat(description().get("StreamStatus")).isEqualTo("ACTIVE");
        assertThat(describedShardIds()).containsExactly("shardId-000000000000", "shardId-000000000001",
                "shardId-000000000002");
        assertThat(putShard("1")).isEqualTo("shardId-000000000001");
        ShardRecord parent = api.streams.get("s").shard(0);
        ShardRecord child = api.streams.get("s").shard(1);
        assertThat(parent.closedMs()).as("closed when UPDATING ended").isEqualTo(T0 + 2 * DELAY_MS + 100);
        assertThat(child.createdMs()).isEqualTo(T0 + 2 * DELAY_MS + 100);
        assertThat(parent.endingPosition()).as("sealed after the write it took while UPDATING").isNotNull();

        String iterator = (String) api.call("GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"shardId-0\","
                + "\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
        Map<String, Object> read = api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
        assertThat((List<?>) read.get("Records")).hasSize(1);
        assertThat((List<?>) read.get("ChildShards")).hasSize(2);
    }

    @Test
    void aMergeShowsTheOldShardsUntilUpdatingEnds() {
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":3}");
        clock.advanceMs(DELAY_MS);
        api.call("MergeShards", "{\"StreamName\":\"s\",\"ShardToMerge\":\"a-0\",\"AdjacentShardToMerge\":\"b-1\"}");
        assertThat(describedShardIds()).containsExactly("shardId-000000000000", "shardId-000000000001",
                "shardId-000000000002");
        assertThat(putShard("113427455640312821154458202477256070485")).isEqualTo("shardId-000000000001");
        assertThat(error("MergeShards", "{\"StreamName\":\"s\",\"ShardToMerge\":\"shard-1\","
                + "\"AdjacentShardToMerge\":\"shard-2\"}").message)
                .isEqualTo("Stream s" + ACCOUNT + " not ACTIVE, instead in state UPDATING");
        clock.advanceMs(DELAY_MS);
        assertThat(listedShardIds()).containsExactly("shardId-000000000000", "shardId-000000000001",
                "shardId-000000000002", "shardId-000000000003");
        assertThat(putShard("113427455640312821154458202477256070485")).isEqualTo("shardId-000000000003");
    }

    @Test
    void aRestartMidUpdatingKeepsTheOldShardsAndAppliesTheSplitWhenUpdatingEnds() {
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        clock.advanceMs(DELAY_MS);
        api.call("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-0\",\"NewStartingHashKey\":\"2\"}");
        assertThat(putShard("1")).isEqualTo("shardId-000000000000");
        api.close();
        api = harness();
        assertThat(description().get("StreamStatus")).isEqualTo("UPDATING");
        assertThat(describedShardIds()).containsExactly("shardId-000000000000");
        assertThat(putShard("1")).isEqualTo("shardId-000000000000");

        clock.advanceMs(DELAY_MS);
        api.close();
        api = harness();
        assertThat(describedShardIds()).containsExactly("shardId-000000000000", "shardId-000000000001",
                "shardId-000000000002");
        assertThat(api.streams.get("s").shard(0).endingPosition()).isEqualTo(2L);
        assertThat(putShard("1")).isEqualTo("shardId-000000000001");
    }
}
