package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the December 2026 API added, against the API reference: DryRun on the five data-plane operations, the
 * RecordDistributionStrategy of on-demand streams, and the channel operations' answers while channels are not
 * delivered.
 */
class DecemberApiTest {
    private static final String ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/";

    @TempDir
    Path dir;
    private ManualClock clock;
    private ApiHarness api;

    @BeforeEach
    void setUp() {
        clock = new ManualClock(1_700_000_000_000L);
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.AWS);
        api.call("CreateStream", "{\"StreamName\":\"p\",\"ShardCount\":2}");
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private String errorOf(String operation, String body) {
        try {
            api.call(operation, body);
        } catch (ApiHarness.ApiError e) {
            return e.type;
        }
        return "no error";
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> records(String stream, String shardId) {
        String it = (String) api.call("GetShardIterator", "{\"StreamName\":\"" + stream + "\",\"ShardId\":\""
                + shardId + "\",\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
        return (List<Map<String, Object>>) api.call("GetRecords", "{\"ShardIterator\":\"" + it + "\"}").get("Records");
    }

    @Test
    void aDryRunPutValidatesEverythingAndStoresNothing() {
        assertThat(errorOf("PutRecord", "{\"StreamName\":\"p\",\"Data\":\"AA==\",\"PartitionKey\":\"k\","
                + "\"DryRun\":true}")).isEqualTo("DryRunOperationException");
        clock.advanceMs(1_000);
        assertThat(errorOf("PutRecords", "{\"StreamName\":\"p\",\"DryRun\":true,\"Records\":[{\"Data\":\"AA==\","
                + "\"PartitionKey\":\"k\"}]}")).isEqualTo("DryRunOperationException");
        // Whatever would fail for real fails the same way in a dry run.
        assertThat(errorOf("PutRecord", "{\"StreamName\":\"nope\",\"Data\":\"AA==\",\"PartitionKey\":\"k\","
                + "\"DryRun\":true}")).isEqualTo("ResourceNotFoundException");
        assertThat(errorOf("PutRecord", "{\"StreamName\":\"p\",\"Data\":\"AA==\",\"DryRun\":true}"))
                .isEqualTo("InvalidArgumentException");
        assertThat(records("p", "shardId-000000000000")).isEmpty();
        assertThat(records("p", "shardId-000000000001")).isEmpty();
        // DryRun false is an ordinary call.
        api.call("PutRecord", "{\"StreamName\":\"p\",\"Data\":\"AA==\",\"PartitionKey\":\"k\",\"DryRun\":false}");
    }

    @Test
    void dryRunReadsAndSubscriptionsCheckTheirTargetsAndAreLimitedToOnePerSecondPerStream() {
        assertThat(errorOf("GetShardIterator", "{\"StreamName\":\"p\",\"ShardId\":\"shardId-000000000009\","
                + "\"ShardIteratorType\":\"LATEST\",\"DryRun\":true}")).isEqualTo("ResourceNotFoundException");
        String getIterator = "{\"StreamName\":\"p\",\"ShardId\":\"shardId-000000000000\","
                + "\"ShardIteratorType\":\"LATEST\",\"DryRun\":true}";
        assertThat(errorOf("GetShardIterator", getIterator)).isEqualTo("DryRunOperationException");
        assertThat(errorOf("GetShardIterator", getIterator)).isEqualTo("ThrottlingException");
        clock.advanceMs(1_000);
        String it = (String) api.call("GetShardIterator", "{\"StreamName\":\"p\",\"ShardId\":\"shardId-000000000000\","
                + "\"ShardIteratorType\":\"LATEST\"}").get("ShardIterator");
        assertThat(errorOf("GetRecords", "{\"ShardIterator\":\"" + it + "\",\"DryRun\":true}"))
                .isEqualTo("DryRunOperationException");
        assertThat(errorOf("GetRecords", "{\"ShardIterator\":\"garbage\",\"DryRun\":true}"))
                .isEqualTo("InvalidArgumentException");
    }

    @Test
    @SuppressWarnings("unchecked")
    void autoSpreadsRecordsEvenlyAndIgnoresKeys() {
        api.call("CreateStream", "{\"StreamName\":\"a\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"},"
                + "\"RecordDistributionStrategy\":\"AUTO\"}");
        Map<String, Object> summary = (Map<String, Object>) api.call("DescribeStreamSummary",
                "{\"StreamName\":\"a\"}").get("StreamDescriptionSummary");
        assertThat(summary).containsEntry("RecordDistributionStrategy", "AUTO").containsEntry("ChannelCount", 0L);
        int shards = ((Number) summary.get("OpenShardCount")).intValue();
        Map<String, Integer> perShard = new HashMap<>();
        for (int i = 0; i < 100 * shards; i++) {
            // One partition key and an explicit hash key that would pin every record to the first shard.
            String body = i % 3 == 0 ? "{\"StreamName\":\"a\",\"Data\":\"AA==\",\"PartitionKey\":\"same\","
                    + "\"ExplicitHashKey\":\"0\"}" : "{\"StreamName\":\"a\",\"Data\":\"AA==\"}";
            perShard.merge((String) api.call("PutRecord", body).get("ShardId"), 1, Integer::sum);
        }
        assertThat(perShard).hasSize(shards).allSatisfy((shard, n) -> assertThat(n).isEqualTo(100));
        // A record written without a partition key reads back without one.
        List<Map<String, Object>> read = records("a", "shardId-000000000000");
        assertThat(read).hasSize(100).anySatisfy(r -> assertThat(r).doesNotContainKey("PartitionKey"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theStrategyIsAnOnDemandSettingThatChangesAtOnce() {
        assertThat(errorOf("CreateStream", "{\"StreamName\":\"x\",\"ShardCount\":1,"
                + "\"RecordDistributionStrategy\":\"AUTO\"}")).isEqualTo("InvalidArgumentException");
        assertThat(errorOf("UpdateStreamRecordDistributionStrategy", "{\"StreamARN\":\"" + ARN + "p\","
                + "\"RecordDistributionStrategy\":\"AUTO\"}")).isEqualTo("InvalidArgumentException");
        assertThat(errorOf("UpdateStreamRecordDistributionStrategy", "{\"StreamARN\":\"" + ARN + "p\","
                + "\"RecordDistributionStrategy\":\"RANDOM\"}")).isEqualTo("ValidationException");
        Map<String, Object> provisioned = (Map<String, Object>) api.call("DescribeStreamSummary",
                "{\"StreamName\":\"p\"}").get("StreamDescriptionSummary");
        assertThat(provisioned).doesNotContainKey("RecordDistributionStrategy");

        api.call("UpdateStreamMode", "{\"StreamARN\":\"" + ARN + "p\",\"StreamModeDetails\":{\"StreamMode\":"
                + "\"ON_DEMAND\"}}");
        assertThat(api.call("UpdateStreamRecordDistributionStrategy", "{\"StreamARN\":\"" + ARN + "p\","
                + "\"RecordDistributionStrategy\":\"AUTO\"}")).isEmpty();
        Map<String, Object> auto = (Map<String, Object>) api.call("DescribeStreamSummary",
                "{\"StreamName\":\"p\"}").get("StreamDescriptionSummary");
        assertThat(auto).containsEntry("RecordDistributionStrategy", "AUTO");
        api.call("PutRecord", "{\"StreamName\":\"p\",\"Data\":\"AA==\"}");
        assertThat(errorOf("UpdateStreamMode", "{\"StreamARN\":\"" + ARN + "p\",\"StreamModeDetails\":"
                + "{\"StreamMode\":\"PROVISIONED\"}}")).isEqualTo("InvalidArgumentException");

        api.call("UpdateStreamRecordDistributionStrategy", "{\"StreamARN\":\"" + ARN + "p\","
                + "\"RecordDistributionStrategy\":\"USER_PARTITION_KEY\"}");
        assertThat(errorOf("PutRecord", "{\"StreamName\":\"p\",\"Data\":\"AA==\"}"))
                .isEqualTo("InvalidArgumentException");
    }

    @Test
    void operationsWithoutAnOutputAnswerAnEmptyBody() {
        assertThat(api.body("AddTagsToStream", "{\"StreamName\":\"p\",\"Tags\":{\"k\":\"v\"}}")).isEmpty();
        assertThat(api.body("ListTagsForStream", "{\"StreamName\":\"p\"}")).isNotEmpty();
    }
}
