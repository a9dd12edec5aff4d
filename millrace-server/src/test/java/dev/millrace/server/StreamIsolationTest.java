package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.ShardLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * No stream's control-plane work stalls another's (issue #13: while one stream resharded into 10,000 shards, calls on
 * other streams took 7-10 s, every registry change being serialised on one lock). Here the reshard of stream
 * {@code slow} is held inside sealing its parents' logs until the test lets it go; meanwhile every kind of call on
 * other streams, and the maintenance passes, must complete. Nothing is timed closely: the reshard is blocked for as
 * long as the test needs, so a call that waited for it would never finish, and each is given a generous 30 s.
 */
class StreamIsolationTest {
    @TempDir
    Path dir;
    private final CountDownLatch sealing = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService pool = Executors.newFixedThreadPool(2);
    private ApiHarness api;

    @AfterEach
    void close() {
        release.countDown();
        pool.shutdownNow();
        if (api != null) {
            api.close();
        }
    }

    /** The store, with {@code seal()} on the shards of stream {@code slow} held until {@link #release}. */
    private LogStore slowSeals(LogStore real) {
        return (LogStore) Proxy.newProxyInstance(LogStore.class.getClassLoader(), new Class<?>[]{LogStore.class},
                (proxy, method, args) -> {
                    Object result = invoke(real, method, args);
                    if (result instanceof java.util.Optional<?> found && found.isPresent()
                            && found.get() instanceof ShardLog shard) {
                        return java.util.Optional.of(slowSeal(shard)); // openIfExists, which the close uses
                    }
                    return result instanceof ShardLog shard ? slowSeal(shard) : result;
                });
    }

    private ShardLog slowSeal(ShardLog real) {
        return (ShardLog) Proxy.newProxyInstance(ShardLog.class.getClassLoader(), new Class<?>[]{ShardLog.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("seal") && real.key().contains("-slow-")) {
                        sealing.countDown();
                        release.await(60, TimeUnit.SECONDS);
                    }
                    return invoke(real, method, args);
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void callsOnOtherStreamsCompleteWhileOneStreamReshards() throws Exception {
        api = new ApiHarness(dir, Clock.systemUTC(), ScalingLimits.AWS, ThroughputLimits.OFF, 0, 100_000,
                this::slowSeals);
        api.call("CreateStream", "{\"StreamName\":\"slow\",\"ShardCount\":2}");
        api.call("CreateStream", "{\"StreamName\":\"other\",\"ShardCount\":1}");
        api.call("CreateStream", "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}");
        // A parent that holds records has a log to seal (one never written ends without a log, and no seal()).
        api.call("PutRecord", "{\"StreamName\":\"slow\",\"PartitionKey\":\"k\",\"ExplicitHashKey\":\"0\","
                + "\"Data\":\"AAAA\"}");
        Future<Map<String, Object>> reshard = pool.submit(() -> api.call("UpdateShardCount",
                "{\"StreamName\":\"slow\",\"TargetShardCount\":4,\"ScalingType\":\"UNIFORM_SCALING\"}"));
        assertThat(sealing.await(30, TimeUnit.SECONDS)).as("the reshard reached seal()").isTrue();

        Map<String, Runnable> calls = new LinkedHashMap<>();
        calls.put("CreateStream", () -> api.call("CreateStream", "{\"StreamName\":\"new\",\"ShardCount\":3}"));
        calls.put("DescribeStream", () -> api.call("DescribeStream", "{\"StreamName\":\"other\"}"));
        calls.put("DescribeStreamSummary of the stream resharding",
                () -> api.call("DescribeStreamSummary", "{\"StreamName\":\"slow\"}"));
        calls.put("ListStreams", () -> api.call("ListStreams", "{}"));
        calls.put("UpdateShardCount", () -> api.call("UpdateShardCount",
                "{\"StreamName\":\"other\",\"TargetShardCount\":2,\"ScalingType\":\"UNIFORM_SCALING\"}"));
        calls.put("AddTagsToStream", () -> api.call("AddTagsToStream",
                "{\"StreamName\":\"other\",\"Tags\":{\"k\":\"v\"}}"));
        calls.put("IncreaseStreamRetentionPeriod", () -> api.call("IncreaseStreamRetentionPeriod",
                "{\"StreamName\":\"other\",\"RetentionPeriodHours\":48}"));
        calls.put("UpdateStreamWarmThroughput", () -> api.call("UpdateStreamWarmThroughput",
                "{\"StreamName\":\"od\",\"WarmThroughputMiBps\":8}"));
        calls.put("PutRecord", () -> api.call("PutRecord",
                "{\"StreamName\":\"other\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\"}"));
        calls.put("DescribeLimits", () -> api.call("DescribeLimits", "{}"));
        calls.put("settle pass", () -> api.streams.settleDue());
        calls.put("retention pass", () -> api.streams.trimExpired());
        calls.put("auto-scaling pass", () -> api.autoScaler.tick());
        calls.put("DeleteStream", () -> api.call("DeleteStream", "{\"StreamName\":\"other\"}"));
        for (Map.Entry<String, Runnable> call : calls.entrySet()) {
            Future<?> done = pool.submit(call.getValue());
            try {
                done.get(30, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                fail(call.getKey() + " waited for another stream's reshard");
            }
        }
        assertThat(reshard.isDone()).as("the reshard is still held in seal()").isFalse();

        release.countDown();
        assertThat(reshard.get(30, TimeUnit.SECONDS)).containsEntry("TargetShardCount", 4L);
        assertThat(api.streams.get("slow").openShards()).hasSize(4);
        assertThat(api.streams.get("new").openShards()).hasSize(3);
        assertThat(api.streams.get("od").openShards()).hasSize(8);
        assertThat(api.streams.find("other")).isEmpty();
    }
}
