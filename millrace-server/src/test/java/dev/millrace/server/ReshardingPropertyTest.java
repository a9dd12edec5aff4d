package dev.millrace.server;

import dev.millrace.server.state.HashKeys;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.log.FileUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random sequences of puts, splits, merges, UpdateShardCount and stream-mode changes through the API. Afterwards the
 * open shards cover the hash key space exactly once, every record is in exactly one shard, and reading every shard in
 * index order (every parent has a smaller index than its children) returns each partition key's records in the order
 * they were put, which is what a consumer that finishes parents before children sees.
 *
 * <p>Run twice: with changes applied at once, and with AWS's UPDATING on a manual clock, where a reshard takes effect
 * only when UPDATING ends: until then ListShards shows the old shards and the puts in between go to them.
 */
class ReshardingPropertyTest {
    private static final String STREAM = "p";
    private static final long TRANSITION_DELAY_MS = 500;

    /** One step of a random scenario; {@code a} and {@code b} pick shards, keys or targets. */
    record Step(int kind, int a, int b) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Step> step = Arbitraries.integers().between(0, 9).flatMap(kind ->
                Arbitraries.integers().between(0, 1_000_000).flatMap(a ->
                        Arbitraries.integers().between(0, 1_000_000).map(b -> new Step(kind, a, b))));
        return step.list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 60)
    void shouldKeepCoverageAndPerKeyOrderThroughAnyReshard(@ForAll("steps") List<Step> steps) throws Exception {
        run(steps, 0);
    }

    @Property(tries = 30)
    void shouldKeepCoverageAndPerKeyOrderWhenReshardsWaitForUpdatingToEnd(@ForAll("steps") List<Step> steps)
            throws Exception {
        run(steps, TRANSITION_DELAY_MS);
    }

    private static void run(List<Step> steps, long delayMs) throws Exception {
        Path dir = Files.createTempDirectory("millrace-reshard-");
        ManualClock clock = new ManualClock(System.currentTimeMillis());
        try (ApiHarness api = new ApiHarness(dir, clock, new ScalingLimits(64, 1000, 0.5, 2.0), ThroughputLimits.OFF,
                delayMs)) {
            api.call("CreateStream", "{\"StreamName\":\"" + STREAM + "\",\"ShardCount\":" + (1 + steps.size() % 4)
                    + "}");
            clock.advanceMs(delayMs);
            Map<String, List<String>> put = new HashMap<>();
            int seq = 0;
            for (Step step : steps) {
                if (step.kind() < 4) {
                    seq = put(api, put, step, seq);
                } else {
                    clock.advanceMs(delayMs);
                    List<Map<String, Object>> before = shards(api);
                    boolean reshards = switch (step.kind()) {
                        case 4, 5 -> split(api, step);
                        case 6, 7 -> merge(api, step);
                        case 8 -> updateShardCount(api, step, clock, delayMs);
                        default -> toggleMode(api);
                    };
                    if (reshards && delayMs > 0) {
                        assertThat(shards(api)).isEqualTo(before);
                    }
                }
                assertCoverage(api);
            }
            clock.advanceMs(delayMs);
            assertCoverage(api);
            assertEveryRecordOnceInKeyOrder(api, put);
        } finally {
            FileUtil.deleteTree(dir);
        }
    }

    private static int put(ApiHarness api, Map<String, List<String>> put, Step step, int seq) {
        StringBuilder body = new StringBuilder("{\"StreamName\":\"" + STREAM + "\",\"Records\":[");
        List<String[]> batch = new ArrayList<>();
        for (int i = 0; i < 1 + step.b() % 20; i++) {
            String key = "key-" + ((step.a() + i * 7) % 25);
            String data = key + "#" + (seq++);
            batch.add(new String[]{key, data});
            body.append(i == 0 ? "" : ",").append("{\"PartitionKey\":\"").append(key).append("\",\"Data\":\"")
                    .append(b64(data)).append("\"}");
        }
        Map<String, Object> r = api.call("PutRecords", body.append("]}").toString());
        assertThat(((Number) r.get("FailedRecordCount")).intValue()).isZero();
        for (String[] kd : batch) {
            put.computeIfAbsent(kd[0], k -> new ArrayList<>()).add(kd[1]);
        }
        return seq;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> shards(ApiHarness api) {
        return (List<Map<String, Object>>) api.call("ListShards", "{\"StreamName\":\"" + STREAM + "\"}").get("Shards");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> openShards(ApiHarness api) {
        List<Map<String, Object>> open = new ArrayList<>();
        for (Map<String, Object> s : shards(api)) {
            if (!((Map<String, Object>) s.get("SequenceNumberRange")).containsKey("EndingSequenceNumber")) {
                open.add(s);
            }
        }
        open.sort(Comparator.comparing(ReshardingPropertyTest::start));
        return open;
    }

    @SuppressWarnings("unchecked")
    private static BigInteger start(Map<String, Object> shard) {
        return new BigInteger((String) ((Map<String, Object>) shard.get("HashKeyRange")).get("StartingHashKey"));
    }

    @SuppressWarnings("unchecked")
    private static BigInteger end(Map<String, Object> shard) {
        return new BigInteger((String) ((Map<String, Object>) shard.get("HashKeyRange")).get("EndingHashKey"));
    }

    private static boolean provisioned(ApiHarness api) {
        return api.streams.get(STREAM).mode().equals("PROVISIONED");
    }

    /** Splits at a key SplitShard accepts: greater than one plus the shard's first key, less than its last. */
    private static boolean split(ApiHarness api, Step step) {
        List<Map<String, Object>> open = openShards(api);
        Map<String, Object> shard = open.get(step.a() % open.size());
        BigInteger choices = end(shard).subtract(start(shard)).subtract(BigInteger.TWO);
        if (choices.signum() <= 0 || !provisioned(api) || open.size() >= 64) {
            return false;
        }
        BigInteger at = start(shard).add(BigInteger.TWO).add(choices.subtract(BigInteger.ONE)
                .multiply(BigInteger.valueOf(step.b())).divide(BigInteger.valueOf(1_000_000)));
        api.call("SplitShard", "{\"StreamName\":\"" + STREAM + "\",\"ShardToSplit\":\"" + shard.get("ShardId")
                + "\",\"NewStartingHashKey\":\"" + at + "\"}");
        return true;
    }

    /** Merges two adjacent open shards, the lower one as ShardToMerge, as MergeShards requires. */
    private static boolean merge(ApiHarness api, Step step) {
        List<Map<String, Object>> open = openShards(api);
        if (open.size() < 2 || !provisioned(api)) {
            return false;
        }
        int i = step.a() % (open.size() - 1);
        api.call("MergeShards", "{\"StreamName\":\"" + STREAM + "\",\"ShardToMerge\":\"" + open.get(i).get("ShardId")
                + "\",\"AdjacentShardToMerge\":\"" + open.get(i + 1).get("ShardId") + "\"}");
        return true;
    }

    private static boolean updateShardCount(ApiHarness api, Step step, ManualClock clock, long delayMs) {
        int open = openShards(api).size();
        int lo = (open + 1) / 2;
        int hi = Math.min(open * 2, 32);
        if (!provisioned(api) || hi < lo) {
            return false;
        }
        int target = lo + step.a() % (hi - lo + 1);
        api.call("UpdateShardCount", "{\"StreamName\":\"" + STREAM + "\",\"TargetShardCount\":" + target
                + ",\"ScalingType\":\"UNIFORM_SCALING\"}");
        assertThat(openShards(api)).hasSize(delayMs > 0 ? open : target);
        if (delayMs > 0) {
            clock.advanceMs(delayMs);
            assertThat(openShards(api)).hasSize(target);
        }
        return false;
    }

    private static boolean toggleMode(ApiHarness api) {
        String next = provisioned(api) ? "ON_DEMAND" : "PROVISIONED";
        api.call("UpdateStreamMode", "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:000000000000:stream/" + STREAM
                + "\",\"StreamModeDetails\":{\"StreamMode\":\"" + next + "\"}}");
        return false;
    }

    private static void assertCoverage(ApiHarness api) {
        BigInteger expected = BigInteger.ZERO;
        for (Map<String, Object> shard : openShards(api)) {
            assertThat(start(shard)).isEqualTo(expected);
            assertThat(end(shard)).isGreaterThanOrEqualTo(start(shard));
            expected = end(shard).add(BigInteger.ONE);
        }
        assertThat(expected).isEqualTo(HashKeys.MAX.add(BigInteger.ONE));
    }

    @SuppressWarnings("unchecked")
    private static void assertEveryRecordOnceInKeyOrder(ApiHarness api, Map<String, List<String>> put) {
        Map<String, List<String>> read = new HashMap<>();
        List<Map<String, Object>> all = new ArrayList<>(shards(api));
        all.sort(Comparator.comparing(s -> (String) s.get("ShardId")));
        for (Map<String, Object> shard : all) {
            String iterator = (String) api.call("GetShardIterator", "{\"StreamName\":\"" + STREAM + "\",\"ShardId\":\""
                    + shard.get("ShardId") + "\",\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
            while (iterator != null) {
                Map<String, Object> r = api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
                List<Map<String, Object>> records = (List<Map<String, Object>>) r.get("Records");
                for (Map<String, Object> rec : records) {
                    String data = new String(Base64.getDecoder().decode((String) rec.get("Data")), StandardCharsets.UTF_8);
                    read.computeIfAbsent((String) rec.get("PartitionKey"), k -> new ArrayList<>()).add(data);
                    BigInteger hash = HashKeys.ofPartitionKey((String) rec.get("PartitionKey"));
                    assertThat(hash).isBetween(start(shard), end(shard));
                }
                iterator = (String) r.get("NextShardIterator");
                if (iterator != null && records.isEmpty()) {
                    break;
                }
                if (iterator == null) {
                    assertThat((List<Object>) r.get("ChildShards")).isNotEmpty();
                }
            }
        }
        assertThat(read).isEqualTo(put);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
