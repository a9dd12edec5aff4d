package dev.millrace.server;

import dev.millrace.storage.ManualClock;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** AWS's per-shard and control-plane limits, on a manual clock. */
class ThrottlingTest {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private ApiHarness api;

    private ApiHarness open(ThroughputLimits limits) {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, limits);
        api.call("CreateStream", "{\"StreamName\":\"t\",\"ShardCount\":1}");
        return api;
    }

    @AfterEach
    void close() {
        if (api != null) {
            api.close();
        }
    }

    private static String data(int bytes) {
        return Base64.getEncoder().encodeToString(new byte[bytes]);
    }

    private void putRecord(int bytes) {
        api.call("PutRecord", "{\"StreamName\":\"t\",\"PartitionKey\":\"k\",\"Data\":\"" + data(bytes) + "\"}");
    }

    private static void assertThrottled(Runnable call, String type) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiHarness.ApiError.class,
                e -> assertThat(e.type).isEqualTo(type));
    }

    @Test
    void putRecordIsLimitedTo1000RecordsPerSecondPerShard() {
        open(ThroughputLimits.AWS);
        for (int i = 0; i < 1000; i++) {
            putRecord(1);
        }
        assertThrottled(() -> putRecord(1), "ProvisionedThroughputExceededException");
        clock.advanceMs(100);
        for (int i = 0; i < 100; i++) {
            putRecord(1);
        }
        assertThrottled(() -> putRecord(1), "ProvisionedThroughputExceededException");
    }

    @Test
    void putRecordIsLimitedToOneMebibytePerSecondPerShard() {
        open(ThroughputLimits.AWS);
        putRecord(600 * 1024);
        assertThrottled(() -> putRecord(600 * 1024), "ProvisionedThroughputExceededException");
        clock.advanceMs(600);
        putRecord(600 * 1024);
    }

    @Test
    @SuppressWarnings("unchecked")
    void putRecordsFailsOnlyTheEntriesOverTheLimitInOrder() {
        open(ThroughputLimits.AWS);
        StringBuilder body = new StringBuilder("{\"StreamName\":\"t\",\"Records\":[");
        for (int i = 0; i < 500; i++) {
            body.append(i == 0 ? "" : ",").append("{\"PartitionKey\":\"k").append(i).append("\",\"Data\":\"AA==\"}");
        }
        String request = body.append("]}").toString();
        assertThat(((Number) api.call("PutRecords", request).get("FailedRecordCount")).intValue()).isZero();
        assertThat(((Number) api.call("PutRecords", request).get("FailedRecordCount")).intValue()).isZero();
        clock.advanceMs(300);
        Map<String, Object> second = api.call("PutRecords", request);
        assertThat(((Number) second.get("FailedRecordCount")).intValue()).isEqualTo(200);
        List<Map<String, Object>> results = (List<Map<String, Object>>) second.get("Records");
        assertThat(results.subList(0, 300)).allMatch(r -> r.containsKey("SequenceNumber"));
        assertThat(results.subList(300, 500)).allMatch(r ->
                "ProvisionedThroughputExceededException".equals(r.get("ErrorCode"))
                        && ((String) r.get("ErrorMessage")).startsWith("Rate exceeded for shard shardId-000000000000"));
    }

    private String iterator() {
        return (String) api.call("GetShardIterator", "{\"StreamName\":\"t\",\"ShardId\":\"shardId-000000000000\","
                + "\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
    }

    @Test
    void getRecordsIsLimitedToFiveCallsPerSecondAndGetShardIteratorToFive() {
        open(ThroughputLimits.AWS);
        String it = iterator();
        for (int i = 0; i < 5; i++) {
            api.call("GetRecords", "{\"ShardIterator\":\"" + it + "\"}");
        }
        assertThrottled(() -> api.call("GetRecords", "{\"ShardIterator\":\"" + it + "\"}"),
                "ProvisionedThroughputExceededException");
        for (int i = 0; i < 4; i++) {
            iterator();
        }
        assertThrottled(this::iterator, "ProvisionedThroughputExceededException");
        clock.advanceMs(1000);
        api.call("GetRecords", "{\"ShardIterator\":\"" + it + "\"}");
        iterator();
    }

    @Test
    void aTenMebibyteReadIsPaidOffOverAboutFiveSeconds() {
        open(ThroughputLimits.AWS);
        for (int i = 0; i < 10; i++) {
            putRecord(1024 * 1024 - 1);
            clock.advanceMs(1000);
        }
        String it = iterator();
        Map<String, Object> big = api.call("GetRecords", "{\"ShardIterator\":\"" + it + "\"}");
        assertThat((List<?>) big.get("Records")).hasSizeGreaterThanOrEqualTo(9);
        String next = (String) big.get("NextShardIterator");
        clock.advanceMs(3000);
        assertThrottled(() -> api.call("GetRecords", "{\"ShardIterator\":\"" + next + "\"}"),
                "ProvisionedThroughputExceededException");
        clock.advanceMs(2000);
        api.call("GetRecords", "{\"ShardIterator\":\"" + next + "\"}");
    }

    @Test
    void controlPlaneCallsOverTheirRateGetLimitExceeded() {
        open(ThroughputLimits.AWS);
        for (int i = 0; i < 4; i++) {
            api.call("CreateStream", "{\"StreamName\":\"c" + i + "\",\"ShardCount\":1}");
        }
        assertThrottled(() -> api.call("CreateStream", "{\"StreamName\":\"c9\",\"ShardCount\":1}"),
                "LimitExceededException");
        clock.advanceMs(1000);
        api.call("CreateStream", "{\"StreamName\":\"c9\",\"ShardCount\":1}");
    }

    @Test
    void limitsCanBeScaledOrSwitchedOff() {
        open(new ThroughputLimits(true, 2.0));
        for (int i = 0; i < 2000; i++) {
            putRecord(1);
        }
        assertThrottled(() -> putRecord(1), "ProvisionedThroughputExceededException");
        api.close();
        api = null;
        api = new ApiHarness(dir.resolve("off"), clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.call("CreateStream", "{\"StreamName\":\"t\",\"ShardCount\":1}");
        for (int i = 0; i < 3000; i++) {
            putRecord(1);
        }
    }
}
