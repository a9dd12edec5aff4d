package dev.millrace.server;

import dev.millrace.server.state.HashKeys;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ShardRecord;
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
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * How shard ids are read and echoed, in which order GetShardIterator, SplitShard and MergeShards look at the shard
 * id, the stream and the shard, and SplitShard's and MergeShards' own rules, with the texts AWS answered (kinesalite's
 * recorded tests). Stream "s" has AWS's three initial shards.
 */
class ShardIdsAndReshardingRulesTest {
    private static final String ACCOUNT = " under account 000000000000";
    private static final BigInteger SHARD_0_END = new BigInteger("113427455640312821154458202477256070484");
    private static final BigInteger SHARD_2_START = new BigInteger("226854911280625642308916404954512140970");

    @TempDir
    Path dir;
    private ApiHarness api;

    @BeforeEach
    void stream() {
        api = new ApiHarness(dir, new ManualClock(1_700_000_000_000L), ScalingLimits.AWS);
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":3}");
    }

    @AfterEach
    void close() {
        api.close();
    }

    private ApiHarness.ApiError error(String operation, String body) {
        ApiHarness.ApiError e = catchThrowableOfType(() -> api.call(operation, body), ApiHarness.ApiError.class);
        assertThat(e).as("%s %s", operation, body).isNotNull();
        return e;
    }

    private ApiHarness.ApiError iteratorError(String stream, String shardId) {
        return error("GetShardIterator", "{\"StreamName\":\"" + stream + "\",\"ShardId\":\"" + shardId
                + "\",\"ShardIteratorType\":\"LATEST\"}");
    }

    private ApiHarness.ApiError splitError(String stream, String shardId, String key) {
        return error("SplitShard", "{\"StreamName\":\"" + stream + "\",\"ShardToSplit\":\"" + shardId
                + "\",\"NewStartingHashKey\":\"" + key + "\"}");
    }

    private ApiHarness.ApiError mergeError(String stream, String shard, String adjacent) {
        return error("MergeShards", "{\"StreamName\":\"" + stream + "\",\"ShardToMerge\":\"" + shard
                + "\",\"AdjacentShardToMerge\":\"" + adjacent + "\"}");
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> shards() {
        return (List<Map<String, Object>>) api.call("ListShards", "{\"StreamName\":\"s\"}").get("Shards");
    }

    @Test
    void aShardIdIsWhateverFollowsTheLastHyphenOrABareNumber() {
        assertThat(ShardRecord.parseShardId("shardId-000000000005")).isEqualTo(5);
        assertThat(ShardRecord.parseShardId("shardId-5")).isEqualTo(5);
        assertThat(ShardRecord.parseShardId("shard-5")).isEqualTo(5);
        assertThat(ShardRecord.parseShardId("__kinesalite_test_0.123-7")).isEqualTo(7);
        assertThat(ShardRecord.parseShardId("a-00002147483647")).isEqualTo(Integer.MAX_VALUE);
        assertThat(ShardRecord.parseShardId("-00002147483647")).isEqualTo(Integer.MAX_VALUE);
        assertThat(ShardRecord.parseShardId("2147483647")).isEqualTo(Integer.MAX_VALUE);
        assertThat(ShardRecord.parseShardId("0")).isZero();
        assertThat(ShardRecord.parseShardId("x-000")).isZero();
        for (String unreadable : List.of("2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4", "shardId-",
                "shardId-1a", "", "99999999999999999999")) {
            assertThat(ShardRecord.parseShardId(unreadable)).as(unreadable).isEqualTo(-1);
        }
    }

    @Test
    void getShardIteratorReadsTheShardIdFirstAndReportsAnUnknownStreamAsAMissingShard() {
        for (String shardId : List.of("2147483647", "x.y_z-2147483647", "a-00002147483647", "-00002147483647")) {
            ApiHarness.ApiError e = iteratorError("nope", shardId);
            assertThat(e.type).isEqualTo("ResourceNotFoundException");
            assertThat(e.message).isEqualTo("Shard shardId-002147483647 in stream nope" + ACCOUNT + " does not exist");
        }
        for (String shardId : List.of("2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4")) {
            assertThat(iteratorError("nope", shardId).message).as(shardId)
                    .isEqualTo("Could not find shard " + shardId + " in stream nope" + ACCOUNT + ".");
        }
        assertThat(iteratorError("s", "shardId-5").message)
                .isEqualTo("Shard shardId-000000000005 in stream s" + ACCOUNT + " does not exist");
        assertThat(api.call("GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"any.prefix_-2\","
                + "\"ShardIteratorType\":\"TRIM_HORIZON\"}")).containsKey("ShardIterator");
    }

    @Test
    void splitShardReadsTheShardIdThenTheStreamThenTheShard() {
        assertThat(splitError("nope", "2147483647", "2").message).isEqualTo("Stream nope" + ACCOUNT + " not found.");
        assertThat(splitError("nope", "x-2147483647", "2").type).isEqualTo("ResourceNotFoundException");
        for (String shardId : List.of("2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4")) {
            ApiHarness.ApiError e = splitError("nope", shardId, "2");
            assertThat(e.type).isEqualTo("ResourceNotFoundException");
            assertThat(e.message).isEqualTo("Could not find shard " + shardId + " in stream nope" + ACCOUNT + ".");
        }
        assertThat(splitError("s", "shardId-5", "2").message)
                .isEqualTo("Could not find shard shardId-000000000005 in stream s" + ACCOUNT + ".");
    }

    @Test
    void newStartingHashKeyMustBeAboveOnePlusTheStartAndBelowTheEnd() {
        for (BigInteger key : List.of(BigInteger.ZERO, BigInteger.ONE, SHARD_0_END, SHARD_0_END.add(BigInteger.ONE))) {
            ApiHarness.ApiError e = splitError("s", "shard-0", key.toString());
            assertThat(e.type).as(key.toString()).isEqualTo("InvalidArgumentException");
            assertThat(e.message).isEqualTo("NewStartingHashKey " + key + " used in SplitShard() on shard "
                    + "shardId-000000000000 in stream s" + ACCOUNT + " is not both greater than one plus the shard's "
                    + "StartingHashKey 0 and less than the shard's EndingHashKey " + SHARD_0_END + ".");
        }
        assertThat(splitError("s", "shard-2", "999999999999999999999999999999999999999").message)
                .isEqualTo("NewStartingHashKey 999999999999999999999999999999999999999 used in SplitShard() on shard "
                        + "shardId-000000000002 in stream s" + ACCOUNT + " is not both greater than one plus the "
                        + "shard's StartingHashKey " + SHARD_2_START + " and less than the shard's EndingHashKey "
                        + HashKeys.MAX + ".");
        assertThat(shards()).hasSize(3);

        api.call("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\","
                + "\"NewStartingHashKey\":\"2\"}");
        api.call("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"other-4\",\"NewStartingHashKey\":\""
                + SHARD_0_END.subtract(BigInteger.ONE) + "\"}");
        assertThat(shards()).extracting(s -> (Object) ((Map<?, ?>) s.get("HashKeyRange")).get("StartingHashKey"))
                .containsExactly("0", "113427455640312821154458202477256070485", SHARD_2_START.toString(), "0", "2",
                        "2", SHARD_0_END.subtract(BigInteger.ONE).toString());
        ApiHarness.ApiError closed = splitError("s", "shard-0", "5");
        assertThat(closed.type).isEqualTo("ResourceInUseException");
    }

    @Test
    void mergeShardsReadsBothShardIdsThenTheStreamThenTheShards() {
        assertThat(mergeError("nope", "2147483647", "x-0").message).isEqualTo("Stream nope" + ACCOUNT + " not found.");
        assertThat(mergeError("nope", "x-0", "-00002147483647").message)
                .isEqualTo("Stream nope" + ACCOUNT + " not found.");
        for (String shardId : List.of("2147483648", "shardId-002147483648", "ABKLFD8", "2.14E4")) {
            assertThat(mergeError("nope", shardId, "x-0").message)
                    .isEqualTo("Could not find shard " + shardId + " in stream nope" + ACCOUNT + ".");
            assertThat(mergeError("nope", "x-0", shardId).message)
                    .isEqualTo("Could not find shard " + shardId + " in stream nope" + ACCOUNT + ".");
        }
        assertThat(mergeError("s", "shardId-5", "x-0").message)
                .isEqualTo("Could not find shard shardId-000000000005 in stream s" + ACCOUNT + ".");
        assertThat(mergeError("s", "x-0", "shardId-5").message)
                .isEqualTo("Could not find shard shardId-000000000005 in stream s" + ACCOUNT + ".");
    }

    @Test
    void shardToMergeMustHoldTheLowerRangeAndAdjacentShardToMergeStartRightAfterIt() {
        ApiHarness.ApiError apart = mergeError("s", "a-0", "b-2");
        assertThat(apart.type).isEqualTo("InvalidArgumentException");
        assertThat(apart.message).isEqualTo("Shards shardId-000000000000 and shardId-000000000002 in stream s"
                + ACCOUNT + " are not an adjacent pair of shards eligible for merging");
        assertThat(mergeError("s", "a-1", "b-0").message).isEqualTo("Shards shardId-000000000001 and "
                + "shardId-000000000000 in stream s" + ACCOUNT + " are not an adjacent pair of shards eligible for "
                + "merging");
        assertThat(mergeError("s", "a-1", "b-1").type).isEqualTo("InvalidArgumentException");

        api.call("MergeShards", "{\"StreamName\":\"s\",\"ShardToMerge\":\"a-1\",\"AdjacentShardToMerge\":\"b-2\"}");
        Map<String, Object> child = shards().get(3);
        assertThat(child.get("ShardId")).isEqualTo("shardId-000000000003");
        assertThat(child.get("ParentShardId")).isEqualTo("shardId-000000000001");
        assertThat(child.get("AdjacentParentShardId")).isEqualTo("shardId-000000000002");
        assertThat(((Map<?, ?>) child.get("HashKeyRange")).get("EndingHashKey")).isEqualTo(HashKeys.MAX.toString());
    }

    @Test
    void theAccountLimitMessageIsAwss() {
        ApiHarness.ApiError e = error("CreateStream", "{\"StreamName\":\"big\",\"ShardCount\":99998}");
        assertThat(e.type).isEqualTo("LimitExceededException");
        assertThat(e.message).isEqualTo("This request would exceed the shard limit for the account 000000000000 in "
                + "us-east-1. Current shard count for the account: 3. Limit: 100000. Number of additional shards that "
                + "would have resulted from this request: 99998. Refer to the AWS Service Limits page "
                + "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how "
                + "to request higher limits.");
    }
}
