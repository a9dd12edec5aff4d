package dev.millrace.server;

import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.protocol.Account;
import dev.millrace.server.records.RecordWriter;
import dev.millrace.server.records.ShardPlacement;
import dev.millrace.server.records.StreamKeys;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.Throttles;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.Cluster;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records are counted once, by the node that stores them: entries a call forwards to their shard's owner count in
 * the owner's metrics (its {@link RecordWriter#writeOwned}), not in those of the node that received the call; and
 * records throttled at the owner count there as WriteProvisionedThroughputExceeded.
 */
class RecordWriterMetricsTest {
    private static final long T0 = 1_767_225_600_000L;
    private static final BigInteger UPPER_HALF = BigInteger.TWO.pow(127);

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private final ExecutorService appends = Executors.newFixedThreadPool(2);
    private final List<MinuteAggregate> receivedHere = new ArrayList<>();
    private final List<MinuteAggregate> storedThere = new ArrayList<>();
    private final KinesisMetrics receiving = new KinesisMetrics(clock, (a, r, list) -> receivedHere.addAll(list));
    private final KinesisMetrics owning = new KinesisMetrics(clock, (a, r, list) -> storedThere.addAll(list));
    private ApiHarness api;

    @AfterEach
    void close() {
        appends.shutdownNow();
        api.close();
    }

    @Test
    void forwardedEntriesCountOnTheOwnerOnly() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.call("CreateStream", "{\"StreamName\":\"w\",\"ShardCount\":2}");
        Account scope = api.streams.account();
        RecordWriter owner = new RecordWriter(api.streams, api.autoScaler, new Throttles(clock, ThroughputLimits.OFF),
                appends, ShardPlacement.LOCAL, StreamKeys.NONE, owning.account(scope.id(), scope.region()));
        Cluster.Node other = new Cluster.Node("other", "http://127.0.0.1:1");
        ShardPlacement secondShardElsewhere = new ShardPlacement() {
            @Override
            public Cluster.Node remoteOwner(Account account, StreamRecord s, ShardRecord shard) {
                return shard.index() == 1 ? other : null;
            }

            @Override
            public List<List<RecordWriter.Outcome>> appendAt(Cluster.Node node, Account account, StreamRecord s,
                                                             List<Group> groups) {
                return groups.stream().map(g -> owner.writeOwned(s, g.shard(), g.entries())).toList();
            }
        };
        RecordWriter front = new RecordWriter(api.streams, api.autoScaler, new Throttles(clock, ThroughputLimits.OFF),
                appends, secondShardElsewhere, StreamKeys.NONE, receiving.account(scope.id(), scope.region()));
        StreamRecord s = api.streams.get("w");
        List<RecordWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            BigInteger key = i < 2 ? BigInteger.valueOf(i) : UPPER_HALF.add(BigInteger.valueOf(i));
            entries.add(RecordWriter.Entry.of(s, "k", key.toString(), ("r" + i).getBytes(StandardCharsets.UTF_8)));
        }

        assertThat(front.write(s, entries)).allMatch(o -> o instanceof RecordWriter.Written);
        clock.advanceMs(2 * 60_000);
        receiving.publishEnded();
        owning.publishEnded();

        assertThat(sum(receivedHere, "IncomingRecords")).as("shard 0's two entries, stored here").isEqualTo(2);
        assertThat(sum(storedThere, "IncomingRecords")).as("shard 1's three entries, stored there").isEqualTo(3);
        assertThat(sum(storedThere, "IncomingBytes")).as("data and key: 3 bytes each").isEqualTo(9);
    }

    @Test
    void throttledRecordsCountWhereTheyWereRefused() {
        ThroughputLimits tiny = new ThroughputLimits(true, 0.001); // about 1 KiB and 1 record a second
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, tiny);
        api.call("CreateStream", "{\"StreamName\":\"w\",\"ShardCount\":1}");
        Account scope = api.streams.account();
        RecordWriter writer = new RecordWriter(api.streams, api.autoScaler, new Throttles(clock, tiny), appends,
                ShardPlacement.LOCAL, StreamKeys.NONE, owning.account(scope.id(), scope.region()));
        StreamRecord s = api.streams.get("w");
        List<RecordWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            entries.add(RecordWriter.Entry.of(s, "k", null, new byte[10]));
        }

        List<RecordWriter.Outcome> outcomes = writer.write(s, entries);
        long throttled = outcomes.stream().filter(o -> o instanceof RecordWriter.Throttled).count();
        clock.advanceMs(2 * 60_000);
        owning.publishEnded();

        assertThat(throttled).as("one record a second").isEqualTo(2);
        MinuteAggregate exceeded = storedThere.stream()
                .filter(a -> a.metricName().equals("WriteProvisionedThroughputExceeded")).findFirst().orElseThrow();
        assertThat(exceeded.sampleCount()).as("one sample per record").isEqualTo(3);
        assertThat(exceeded.sum()).isEqualTo(2);
        assertThat(sum(storedThere, "IncomingRecords")).isEqualTo(1);
    }

    /**
     * AWS: the Minimum, Maximum and Average of the stream's IncomingRecords and IncomingBytes are per put operation, and
     * those of a shard's per put operation and shard; a call over several shards is one sample of the stream.
     */
    @Test
    void aPutOverSeveralShardsIsOneStreamSampleAndOneSamplePerShard() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.call("CreateStream", "{\"StreamName\":\"w\",\"ShardCount\":2}");
        api.call("EnableEnhancedMonitoring", "{\"StreamName\":\"w\",\"ShardLevelMetrics\":[\"IncomingRecords\"]}");
        Account scope = api.streams.account();
        RecordWriter writer = new RecordWriter(api.streams, api.autoScaler, new Throttles(clock, ThroughputLimits.OFF),
                appends, ShardPlacement.LOCAL, StreamKeys.NONE, owning.account(scope.id(), scope.region()));
        StreamRecord s = api.streams.get("w");
        for (int records : new int[]{5, 3}) {
            List<RecordWriter.Entry> entries = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                BigInteger key = i < 2 ? BigInteger.valueOf(i) : UPPER_HALF.add(BigInteger.valueOf(i));
                entries.add(RecordWriter.Entry.of(s, "k", key.toString(), new byte[10]));
            }
            assertThat(writer.write(s, entries)).allMatch(o -> o instanceof RecordWriter.Written);
        }
        clock.advanceMs(2 * 60_000);
        owning.publishEnded();

        MinuteAggregate stream = storedThere.stream().filter(a -> a.metricName().equals("IncomingRecords")
                && !a.dimensions().containsKey("ShardId")).findFirst().orElseThrow();
        assertThat(stream.sampleCount()).as("one sample per put operation").isEqualTo(2);
        assertThat(stream.sum()).isEqualTo(8);
        assertThat(stream.minimum()).isEqualTo(3);
        assertThat(stream.maximum()).isEqualTo(5);
        MinuteAggregate bytes = storedThere.stream().filter(a -> a.metricName().equals("IncomingBytes")
                && !a.dimensions().containsKey("ShardId")).findFirst().orElseThrow();
        assertThat(bytes.sampleCount()).isEqualTo(2);
        assertThat(bytes.maximum()).as("5 records of 10 bytes and a 1-byte key").isEqualTo(55);
        List<MinuteAggregate> perShard = storedThere.stream().filter(a -> a.metricName().equals("IncomingRecords")
                && a.dimensions().containsKey("ShardId")).toList();
        assertThat(perShard).extracting(a -> a.dimensions().get("ShardId"))
                .containsExactlyInAnyOrder("shardId-000000000000", "shardId-000000000001");
        for (MinuteAggregate shard : perShard) {
            assertThat(shard.sampleCount()).as("one sample per put operation and shard").isEqualTo(2);
            assertThat(shard.sum()).as("2 + 2 and 3 + 1").isEqualTo(4);
        }
        assertThat(perShard.stream().mapToDouble(MinuteAggregate::maximum).sum()).as("2 + 3 in the first call")
                .isEqualTo(5);
        assertThat(storedThere).noneMatch(a -> a.metricName().equals("IncomingBytes")
                && a.dimensions().containsKey("ShardId"));
    }

    private static double sum(List<MinuteAggregate> aggregates, String metric) {
        return aggregates.stream().filter(a -> a.metricName().equals(metric)
                && !a.dimensions().containsKey("ShardId")).mapToDouble(MinuteAggregate::sum).sum();
    }
}
