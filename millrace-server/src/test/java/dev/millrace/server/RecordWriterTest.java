package dev.millrace.server;

import dev.millrace.server.records.RecordWriter;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.Throttles;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardSealedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RecordWriter}, the append path of PutRecord and PutRecords: one outcome per entry, in the given order;
 * entries go to the shard whose range holds their hash key, are numbered as reads number them, are throttled past
 * their shard's allowance, and fail, alone, when their shard's append fails.
 */
class RecordWriterTest {
    private static final BigInteger UPPER_HALF = BigInteger.TWO.pow(127);

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final ExecutorService appends = Executors.newFixedThreadPool(2);
    private ApiHarness api;

    @AfterEach
    void close() {
        appends.shutdownNow();
        api.close();
    }

    private RecordWriter open(ThroughputLimits limits, int shardCount) {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, limits);
        api.call("CreateStream", "{\"StreamName\":\"w\",\"ShardCount\":" + shardCount + "}");
        return new RecordWriter(api.streams, api.autoScaler, new Throttles(clock, limits), appends);
    }

    private static RecordWriter.Entry entry(StreamRecord s, BigInteger hashKey, String data) {
        return RecordWriter.Entry.of(s, "k", hashKey.toString(), data.getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private List<String> numbersRead(String shardId) {
        String iterator = (String) api.call("GetShardIterator", "{\"StreamName\":\"w\",\"ShardId\":\"" + shardId
                + "\",\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
        List<Map<String, Object>> records = (List<Map<String, Object>>) api.call("GetRecords",
                "{\"ShardIterator\":\"" + iterator + "\"}").get("Records");
        return records.stream().map(r -> (String) r.get("SequenceNumber")).toList();
    }

    @Test
    void entriesLandOnTheirShardsInOrderUnderTheNumbersReadsShow() {
        RecordWriter writer = open(ThroughputLimits.OFF, 2);
        StreamRecord s = api.streams.get("w");
        List<RecordWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            entries.add(entry(s, i % 2 == 0 ? BigInteger.valueOf(i) : UPPER_HALF.add(BigInteger.valueOf(i)), "r" + i));
        }

        List<RecordWriter.Outcome> outcomes = writer.write(s, entries);

        assertThat(outcomes).hasSize(6).allMatch(o -> o instanceof RecordWriter.Written);
        List<RecordWriter.Written> written = outcomes.stream().map(o -> (RecordWriter.Written) o).toList();
        assertThat(written).extracting(RecordWriter.Written::shardId).containsExactly("shardId-000000000000",
                "shardId-000000000001", "shardId-000000000000", "shardId-000000000001", "shardId-000000000000",
                "shardId-000000000001");
        assertThat(written).extracting(RecordWriter.Written::encryptionType).containsOnly("NONE");
        assertThat(numbersRead("shardId-000000000000")).containsExactly(written.get(0).sequenceNumber(),
                written.get(2).sequenceNumber(), written.get(4).sequenceNumber());
        assertThat(numbersRead("shardId-000000000001")).containsExactly(written.get(1).sequenceNumber(),
                written.get(3).sequenceNumber(), written.get(5).sequenceNumber());
    }

    @Test
    void aCallTouchingManyShardsWaitsForOneFsync() {
        RecordWriter writer = open(ThroughputLimits.OFF, 20);
        StreamRecord s = api.streams.get("w");
        BigInteger step = BigInteger.TWO.pow(128).divide(BigInteger.valueOf(20));
        List<RecordWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            entries.add(entry(s, step.multiply(BigInteger.valueOf(i % 20)).add(BigInteger.ONE), "m" + i));
        }
        for (int i = 0; i < 20; i++) {
            api.streams.log(s, s.shard(i)); // opened (created) before counting: shard creation forces nothing observed
        }
        java.util.concurrent.atomic.AtomicInteger fsyncs = new java.util.concurrent.atomic.AtomicInteger();
        api.logStore().observeFsyncs(nanos -> fsyncs.incrementAndGet());

        List<RecordWriter.Outcome> outcomes = writer.write(s, entries);

        assertThat(outcomes).hasSize(40).allMatch(o -> o instanceof RecordWriter.Written);
        assertThat(fsyncs.get()).as("one write-ahead log force for the 20 shards of the call").isEqualTo(1);
        for (int i = 0; i < 20; i++) {
            assertThat(numbersRead(s.shard(i).shardId())).containsExactly(
                    ((RecordWriter.Written) outcomes.get(i)).sequenceNumber(),
                    ((RecordWriter.Written) outcomes.get(i + 20)).sequenceNumber());
        }
    }

    @Test
    void entriesPastTheirShardsAllowanceAreThrottledAndNotWritten() {
        RecordWriter writer = open(ThroughputLimits.AWS, 1);
        StreamRecord s = api.streams.get("w");
        List<RecordWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 1_002; i++) {
            entries.add(entry(s, BigInteger.ONE, "x"));
        }

        List<RecordWriter.Outcome> outcomes = writer.write(s, entries);

        // 1,000 records per second per shard; the bucket starts full and the clock stands still.
        assertThat(outcomes.subList(0, 1_000)).allMatch(o -> o instanceof RecordWriter.Written);
        assertThat(outcomes.subList(1_000, 1_002)).allSatisfy(o -> {
            assertThat(o).isInstanceOf(RecordWriter.Throttled.class);
            assertThat(((RecordWriter.Throttled) o).error().getMessage()).isEqualTo("Rate exceeded for shard "
                    + "shardId-000000000000 in stream w under account 000000000000.");
        });
        assertThat(api.streams.log(s, s.shard(0)).endPosition()).isEqualTo(1_000);
    }

    @Test
    void aShardWhoseAppendsKeepFailingFailsOnlyItsOwnEntries() {
        RecordWriter writer = open(ThroughputLimits.OFF, 2);
        StreamRecord s = api.streams.get("w");
        // Sealed in storage while the stream still lists it open: every attempt, re-routed or not, finds it sealed.
        api.streams.log(s, s.shard(0)).seal();
        List<RecordWriter.Entry> entries = List.of(entry(s, BigInteger.ZERO, "a"), entry(s, UPPER_HALF, "b"),
                entry(s, BigInteger.TEN, "c"));

        List<RecordWriter.Outcome> outcomes = writer.write(s, entries);

        assertThat(outcomes.get(1)).isInstanceOf(RecordWriter.Written.class);
        for (RecordWriter.Outcome o : List.of(outcomes.get(0), outcomes.get(2))) {
            assertThat(o).isInstanceOf(RecordWriter.Failed.class);
            assertThat(((RecordWriter.Failed) o).shardId()).isEqualTo("shardId-000000000000");
            assertThat(((RecordWriter.Failed) o).error()).isInstanceOf(ShardSealedException.class);
        }
        assertThat(numbersRead("shardId-000000000001")).containsExactly(
                ((RecordWriter.Written) outcomes.get(1)).sequenceNumber());
    }
}
