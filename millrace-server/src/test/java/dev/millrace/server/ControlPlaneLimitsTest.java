package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * AWS's limits on how many shards one call, or the account, may get (issue #13): UpdateStreamWarmThroughput with
 * WarmThroughputMiBps 2147483647 split a stream into 10,000 shards in one call. AWS caps an on-demand stream's warm
 * throughput at 10 GiBps (UpdateStreamWarmThroughput's reference, "you cannot scale to more than 10 GiBps"), and
 * every change that adds shards (CreateStream, warm throughput, auto-scaling) stays within the account's shard limit.
 */
class ControlPlaneLimitsTest {
    private static final String LIMIT_TEXT = "This request would exceed the shard limit for the account 000000000000 "
            + "in us-east-1.";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private ApiHarness api;

    @AfterEach
    void close() {
        if (api != null) {
            api.close();
        }
    }

    private void open(int shardLimit) {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF, 0, shardLimit,
                UnaryOperator.identity());
    }

    private ApiHarness.ApiError error(String operation, String body) {
        ApiHarness.ApiError e = catchThrowableOfType(() -> api.call(operation, body), ApiHarness.ApiError.class);
        assertThat(e).as("%s %s", operation, body).isNotNull();
        return e;
    }

    private void createOnDemand(String name) {
        api.call("CreateStream", "{\"StreamName\":\"" + name + "\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}");
    }

    private int openShards(String name) {
        return api.streams.get(name).openShards().size();
    }

    @Test
    void warmThroughputBeyondTenGiBpsIsRefusedAndSplitsNothing() {
        open(100_000);
        createOnDemand("od");
        ApiHarness.ApiError e = error("UpdateStreamWarmThroughput",
                "{\"StreamName\":\"od\",\"WarmThroughputMiBps\":2147483647}");
        assertThat(e.type).isEqualTo("LimitExceededException");
        assertThat(e.message).contains("2147483647").contains("10240");
        assertThat(error("UpdateStreamWarmThroughput", "{\"StreamName\":\"od\",\"WarmThroughputMiBps\":10241}").type)
                .isEqualTo("LimitExceededException");
        api.autoScaler.tick();
        assertThat(openShards("od")).isEqualTo(4);
        assertThat(api.streams.get("od").warmThroughputMiBps()).as("the refused target is not kept").isNull();

        ApiHarness.ApiError create = error("CreateStream", "{\"StreamName\":\"od2\",\"StreamModeDetails\":"
                + "{\"StreamMode\":\"ON_DEMAND\"},\"WarmThroughputMiBps\":2147483647}");
        assertThat(create.type).isEqualTo("LimitExceededException");
        assertThat(api.streams.find("od2")).isEmpty();
    }

    @Test
    void warmThroughputBeyondTheAccountsShardLimitIsRefused() {
        open(50);
        createOnDemand("od");
        ApiHarness.ApiError e = error("UpdateStreamWarmThroughput", "{\"StreamName\":\"od\",\"WarmThroughputMiBps\":100}");
        assertThat(e.type).isEqualTo("LimitExceededException");
        assertThat(e.message).startsWith(LIMIT_TEXT).contains("Current shard count for the account: 4. Limit: 50.")
                .contains("Number of additional shards that would have resulted from this request: 96.");
        assertThat(openShards("od")).isEqualTo(4);

        Map<String, Object> ok = api.call("UpdateStreamWarmThroughput",
                "{\"StreamName\":\"od\",\"WarmThroughputMiBps\":50}");
        assertThat(openShards("od")).isEqualTo(50);
        assertThat(ok).containsKey("WarmThroughput");
        assertThat(error("CreateStream", "{\"StreamName\":\"p\",\"ShardCount\":1}").type)
                .isEqualTo("LimitExceededException");
    }

    @Test
    void autoScalingStopsAtTheAccountsShardLimit() {
        open(50);
        // The warm target is within the limit when the stream is created; the scaler applies it on its next tick.
        api.call("CreateStream", "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"},"
                + "\"WarmThroughputMiBps\":40}");
        // Meanwhile another stream takes most of the room.
        api.call("CreateStream", "{\"StreamName\":\"p\",\"ShardCount\":40}");
        api.autoScaler.tick();
        assertThat(api.streams.openShardCount()).as("open shards of the account").isEqualTo(50);
        assertThat(openShards("od")).isEqualTo(10);
        api.call("DeleteStream", "{\"StreamName\":\"p\"}");
        api.autoScaler.tick();
        assertThat(openShards("od")).as("room was made: the target is reached").isEqualTo(40);
    }

    @Test
    void concurrentCreatesNeverTogetherExceedTheShardLimit() throws Exception {
        open(100);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String body = "{\"StreamName\":\"s" + i + "\",\"ShardCount\":7}";
                results.add(pool.submit(() -> {
                    try {
                        api.call("CreateStream", body);
                        return true;
                    } catch (ApiHarness.ApiError e) {
                        assertThat(e.type).isEqualTo("LimitExceededException");
                        return false;
                    }
                }));
            }
            int created = 0;
            for (Future<Boolean> r : results) {
                created += r.get() ? 1 : 0;
            }
            assertThat(created).isEqualTo(14);
            assertThat(api.streams.openShardCount()).isEqualTo(98);
        } finally {
            pool.shutdownNow();
        }
    }
}
