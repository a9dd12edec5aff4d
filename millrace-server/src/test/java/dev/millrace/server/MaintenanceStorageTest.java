package dev.millrace.server;

import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Maintenance passes touch only shards that hold data, and a deleted stream leaves nothing behind (issue #13: the
 * 60-second retention pass created a log directory for every shard, written or not; a DeleteStream during that pass
 * left 15,762 shard directories behind, since the pass re-created the logs the deletion had just removed).
 */
class MaintenanceStorageTest {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);

    private ApiHarness harness(UnaryOperator<LogStore> wrap) {
        return new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF, 0, 100_000, wrap);
    }

    private List<String> shardDirs() throws IOException {
        Path shards = dir.resolve("shards");
        if (!Files.isDirectory(shards)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(shards)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void passesOverAThousandNeverWrittenShardsCreateNoFiles() throws IOException {
        try (ApiHarness api = harness(UnaryOperator.identity())) {
            api.call("CreateStream", "{\"StreamName\":\"wide\",\"ShardCount\":1000}");
            api.call("CreateStream", "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}");
            api.call("DescribeStream", "{\"StreamName\":\"wide\"}");
            clock.advanceMs(3_600_000);
            api.streams.trimExpired();
            api.streams.settleDue();
            api.autoScaler.tick();
            assertThat(shardDirs()).as("log directories after the passes").isEmpty();

            api.call("PutRecord", "{\"StreamName\":\"wide\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\"}");
            api.streams.trimExpired();
            assertThat(shardDirs()).as("only the shard written to has a log").hasSize(1);
        }
    }

    /**
     * A retention pass runs over a stream with data while DeleteStream deletes it; once both are done, no shard
     * directory may remain. To land the deletion in the middle of the pass every time, the pass stops at the
     * stream's seventh shard until the deletion is done, or for at most 300 ms (the deletion may rightly be waiting
     * for the pass to leave the stream).
     */
    @Test
    void deleteStreamRacingRetentionLeavesNothingBehind() throws Exception {
        Map<String, CountDownLatch> reached = new ConcurrentHashMap<>();
        Map<String, CountDownLatch> deleted = new ConcurrentHashMap<>();
        Thread[] passThread = new Thread[1];
        UnaryOperator<LogStore> pausing = real -> (LogStore) Proxy.newProxyInstance(LogStore.class.getClassLoader(),
                new Class<?>[]{LogStore.class}, (proxy, method, args) -> {
                    if (Thread.currentThread() == passThread[0] && method.getName().startsWith("open")
                            && ((String) args[0]).endsWith("-000006")) {
                        String stream = ((String) args[0]).split("-")[1];
                        reached.computeIfAbsent(stream, k -> new CountDownLatch(1)).countDown();
                        deleted.computeIfAbsent(stream, k -> new CountDownLatch(1)).await(300, TimeUnit.MILLISECONDS);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (ApiHarness api = harness(pausing)) {
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<?> passes = pool.submit(() -> {
                    passThread[0] = Thread.currentThread();
                    while (!stop.get()) {
                        api.streams.trimExpired();
                        Thread.sleep(1);
                    }
                    return null;
                });
                for (int round = 0; round < 8; round++) {
                    String name = "r" + round;
                    api.call("CreateStream", "{\"StreamName\":\"" + name + "\",\"ShardCount\":12}");
                    BigInteger width = BigInteger.ONE.shiftLeft(128).divide(BigInteger.valueOf(12));
                    StringBuilder records = new StringBuilder();
                    for (int i = 0; i < 12; i++) {
                        records.append(i == 0 ? "" : ",").append("{\"ExplicitHashKey\":\"")
                                .append(width.multiply(BigInteger.valueOf(i))).append("\",\"PartitionKey\":\"k\",")
                                .append("\"Data\":\"AAAA\"}");
                    }
                    api.call("PutRecords", "{\"StreamName\":\"" + name + "\",\"Records\":[" + records + "]}");
                    assertThat(reached.computeIfAbsent(name, k -> new CountDownLatch(1)).await(30, TimeUnit.SECONDS))
                            .as("the pass reached stream %s", name).isTrue();
                    api.call("DeleteStream", "{\"StreamName\":\"" + name + "\"}");
                    deleted.computeIfAbsent(name, k -> new CountDownLatch(1)).countDown();
                }
                stop.set(true);
                passes.get(60, TimeUnit.SECONDS);
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
            api.streams.settleDue();
            assertThat(shardDirs()).as("shard directories of deleted streams").isEmpty();
        }
    }

    /** A log left by a writer that raced a deletion belongs to no stream: it is gone after a restart. */
    @Test
    void logsOfDeletedStreamsAreGoneAfterARestart() throws IOException {
        String leftover;
        try (ApiHarness api = harness(UnaryOperator.identity())) {
            api.call("CreateStream", "{\"StreamName\":\"kept-one\",\"ShardCount\":2}");
            api.call("PutRecord", "{\"StreamName\":\"kept-one\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\"}");
            api.call("CreateStream", "{\"StreamName\":\"gone\",\"ShardCount\":2}");
            var gone = api.streams.get("gone");
            api.call("DeleteStream", "{\"StreamName\":\"gone\"}");
            // What an append that looked the stream up just before the deletion does after it.
            leftover = api.streams.log(gone, gone.shards().get(0)).key();
            assertThat(shardDirs()).contains(leftover).hasSize(2);
        }
        try (ApiHarness api = harness(UnaryOperator.identity())) {
            assertThat(shardDirs()).doesNotContain(leftover).hasSize(1);
            assertThat(shardDirs().get(0)).as("the live stream's log is kept").contains("-kept-one-");
            assertThat(api.streams.find("kept-one")).isPresent();
        }
    }

    /** Closing parents that were never written (a split, then a merge of the children) creates no empty, sealed logs. */
    @Test
    void reshardingNeverWrittenShardsCreatesNoLogs() throws IOException {
        try (ApiHarness api = harness(UnaryOperator.identity())) {
            api.call("CreateStream", "{\"StreamName\":\"quiet\",\"ShardCount\":2}");
            api.streams.settleDue();
            api.call("SplitShard", "{\"StreamName\":\"quiet\",\"ShardToSplit\":\"shardId-000000000000\","
                    + "\"NewStartingHashKey\":\"" + BigInteger.ONE.shiftLeft(126) + "\"}");
            api.streams.settleDue();
            api.call("MergeShards", "{\"StreamName\":\"quiet\",\"ShardToMerge\":\"shardId-000000000002\","
                    + "\"AdjacentShardToMerge\":\"shardId-000000000003\"}");
            api.streams.settleDue();
            assertThat(shardDirs()).as("log directories after closing three never-written shards").isEmpty();

            var closed = api.streams.get("quiet").shards().stream().filter(sh -> !sh.open()).toList();
            assertThat(closed).hasSize(3).allSatisfy(sh -> assertThat(sh.ended()).isTrue());
            // A reader of the parent is sent on to its children as usual.
            String iterator = (String) api.call("GetShardIterator", "{\"StreamName\":\"quiet\",\"ShardId\":"
                    + "\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
            Map<String, Object> page = api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
            assertThat((List<?>) page.get("Records")).isEmpty();
            assertThat((List<?>) page.get("ChildShards")).hasSize(2);
        }
    }

    /**
     * An append that routed to a never-written parent just before it was closed, and reaches the store only after
     * the close (which, finding no log, ended the shard without one): it must not land in a log nobody reads. It is
     * refused as sealed and routed again, to a child, where it is read back.
     */
    @Test
    void anAppendRacingTheCloseOfANeverWrittenParentLandsInAChild() throws Exception {
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        Thread[] writer = new Thread[1];
        UnaryOperator<LogStore> pausing = real -> (LogStore) Proxy.newProxyInstance(LogStore.class.getClassLoader(),
                new Class<?>[]{LogStore.class}, (proxy, method, args) -> {
                    if (Thread.currentThread() == writer[0] && method.getName().equals("openOrCreate")
                            && ((String) args[0]).endsWith("-000000") && reached.getCount() > 0) {
                        reached.countDown();
                        closed.await(30, TimeUnit.SECONDS);
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (ApiHarness api = harness(pausing)) {
            api.call("CreateStream", "{\"StreamName\":\"race\",\"ShardCount\":1}");
            api.streams.settleDue();
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Map<String, Object>> put = pool.submit(() -> {
                    writer[0] = Thread.currentThread();
                    return api.call("PutRecord", "{\"StreamName\":\"race\",\"PartitionKey\":\"k\","
                            + "\"Data\":\"AAAA\"}");
                });
                assertThat(reached.await(30, TimeUnit.SECONDS)).as("the append reached the store").isTrue();
                api.call("SplitShard", "{\"StreamName\":\"race\",\"ShardToSplit\":\"shardId-000000000000\","
                        + "\"NewStartingHashKey\":\"" + BigInteger.ONE.shiftLeft(127) + "\"}");
                api.streams.settleDue();
                assertThat(api.streams.get("race").shards().get(0).ended()).as("the parent ended").isTrue();
                closed.countDown();
                String shardId = (String) put.get(30, TimeUnit.SECONDS).get("ShardId");
                assertThat(shardId).as("the append was routed again").isNotEqualTo("shardId-000000000000");

                String iterator = (String) api.call("GetShardIterator", "{\"StreamName\":\"race\",\"ShardId\":\""
                        + shardId + "\",\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
                Map<String, Object> page = api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
                assertThat((List<?>) page.get("Records")).as("the acknowledged record is readable").hasSize(1);
            } finally {
                closed.countDown();
                pool.shutdownNow();
            }
        }
    }
}
