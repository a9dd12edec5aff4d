package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ScalingType;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardFilterType;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.ValidationException;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * SplitShard, MergeShards, UpdateShardCount and UpdateStreamMode through the AWS SDK for Java v2: lineage as AWS
 * reports it, writes moving to the children at once, closed parents readable to their end, and the end of a closed
 * shard answered with a null NextShardIterator and ChildShards, the only combination KCL accepts.
 */
class ReshardingTest {
    @TempDir
    static Path dir;
    private static MillraceProcess server;
    private static KinesisClient kinesis;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"));
        kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder());
    }

    @AfterAll
    static void stop() {
        kinesis.close();
        assertThat(server.stop()).isZero();
    }

    private static Map<String, Shard> byId(String stream) {
        return Streams.shards(kinesis, stream).stream().collect(Collectors.toMap(Shard::shardId, s -> s));
    }

    private static PutRecordResponse put(String stream, String key, String data) {
        return kinesis.putRecord(b -> b.streamName(stream).partitionKey(key).data(SdkBytes.fromUtf8String(data)));
    }

    @Test
    void splitClosesTheParentAndWritesGoToTheChildren() {
        Streams.createActive(kinesis, "split", 1);
        put("split", "before", "old");
        BigInteger middle = BigInteger.ONE.shiftLeft(127);
        kinesis.splitShard(b -> b.streamName("split").shardToSplit("shardId-000000000000")
                .newStartingHashKey(middle.toString()));
        Streams.awaitActive(kinesis, "split");

        Map<String, Shard> shards = byId("split");
        assertThat(shards).containsOnlyKeys("shardId-000000000000", "shardId-000000000001", "shardId-000000000002");
        Shard parent = shards.get("shardId-000000000000");
        assertThat(parent.sequenceNumberRange().endingSequenceNumber()).isNotNull();
        assertThat(shards.get("shardId-000000000001").parentShardId()).isEqualTo("shardId-000000000000");
        assertThat(shards.get("shardId-000000000001").hashKeyRange().endingHashKey())
                .isEqualTo(middle.subtract(BigInteger.ONE).toString());
        assertThat(shards.get("shardId-000000000002").hashKeyRange().startingHashKey()).isEqualTo(middle.toString());

        PutRecordResponse after = put("split", "before", "new");
        assertThat(after.shardId()).isNotEqualTo("shardId-000000000000");
        assertThat(kinesis.listShards(b -> b.streamName("split").shardFilter(f -> f.type(ShardFilterType.AT_LATEST)))
                .shards()).extracting(Shard::shardId).containsExactlyInAnyOrder("shardId-000000000001",
                "shardId-000000000002");

        String iterator = kinesis.getShardIterator(b -> b.streamName("split").shardId("shardId-000000000000")
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        GetRecordsResponse first = kinesis.getRecords(b -> b.shardIterator(iterator));
        assertThat(first.records()).extracting(r -> r.data().asUtf8String()).containsExactly("old");
        GetRecordsResponse end = first.nextShardIterator() == null ? first
                : kinesis.getRecords(b -> b.shardIterator(first.nextShardIterator()));
        assertThat(end.nextShardIterator()).isNull();
        assertThat(end.childShards()).extracting(ChildShard::shardId)
                .containsExactlyInAnyOrder("shardId-000000000001", "shardId-000000000002");
        assertThat(end.childShards().get(0).parentShards()).containsExactly("shardId-000000000000");
    }

    @Test
    void mergeJoinsAdjacentShardsWithBothParentsNamed() {
        Streams.createActive(kinesis, "merge", 3);
        kinesis.mergeShards(b -> b.streamName("merge").shardToMerge("shardId-000000000001")
                .adjacentShardToMerge("shardId-000000000002"));
        Streams.awaitActive(kinesis, "merge");
        Shard child = byId("merge").get("shardId-000000000003");
        assertThat(child.parentShardId()).isEqualTo("shardId-000000000001");
        assertThat(child.adjacentParentShardId()).isEqualTo("shardId-000000000002");
        assertThatThrownBy(() -> kinesis.mergeShards(b -> b.streamName("merge").shardToMerge("shardId-000000000000")
                .adjacentShardToMerge("shardId-000000000001"))).isInstanceOf(ResourceInUseException.class);
        assertThatThrownBy(() -> kinesis.splitShard(b -> b.streamName("merge").shardToSplit("shardId-000000000000")
                .newStartingHashKey("0"))).isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void updateShardCountScalesUniformlyWithinAwsLimits() {
        Streams.createActive(kinesis, "scale", 2);
        var response = kinesis.updateShardCount(b -> b.streamName("scale").targetShardCount(3)
                .scalingType(ScalingType.UNIFORM_SCALING));
        assertThat(response.currentShardCount()).isEqualTo(2);
        assertThat(response.targetShardCount()).isEqualTo(3);
        Streams.awaitActive(kinesis, "scale");
        List<Shard> open = kinesis.listShards(b -> b.streamName("scale")
                .shardFilter(f -> f.type(ShardFilterType.AT_LATEST))).shards();
        assertThat(open).hasSize(3);
        BigInteger width = BigInteger.ONE.shiftLeft(128).divide(BigInteger.valueOf(3));
        assertThat(open).extracting(s -> new BigInteger(s.hashKeyRange().startingHashKey()))
                .containsExactlyInAnyOrder(BigInteger.ZERO, width, width.multiply(BigInteger.TWO));
        assertThatThrownBy(() -> kinesis.updateShardCount(b -> b.streamName("scale").targetShardCount(7)
                .scalingType(ScalingType.UNIFORM_SCALING))).isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void onDemandStreamsRefuseManualResharding() {
        Streams.createActive(kinesis, "mode", 1);
        kinesis.updateStreamMode(b -> b.streamARN("arn:aws:kinesis:us-east-1:000000000000:stream/mode")
                .streamModeDetails(d -> d.streamMode(StreamMode.ON_DEMAND)));
        Streams.awaitActive(kinesis, "mode");
        assertThat(kinesis.describeStreamSummary(b -> b.streamName("mode")).streamDescriptionSummary()
                .streamModeDetails().streamMode()).isEqualTo(StreamMode.ON_DEMAND);
        assertThatThrownBy(() -> kinesis.splitShard(b -> b.streamName("mode").shardToSplit("shardId-000000000000")
                .newStartingHashKey("12345"))).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> kinesis.updateShardCount(b -> b.streamName("mode").targetShardCount(2)
                .scalingType(ScalingType.UNIFORM_SCALING))).isInstanceOf(ValidationException.class);
    }
}
