package dev.millrace.server;

import dev.millrace.server.fanout.EventSink;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Sequence numbers and iterator positions through the API, on a manual clock, against AWS's recorded answers
 * (kinesalite's putRecord.js, getShardIterator.js, getRecords.js, splitShard.js): AWS's version 2 layout with the
 * record's arrival second, SequenceNumberForOrdering's checks, GetShardIterator's sequence number errors, and KCL
 * checkpoints written in Millrace's earlier layout.
 */
class RecordPositionsTest {
    private static final long T0 = 1_700_000_000_250L;
    private static final String ACCOUNT = "000000000000";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private ApiHarness api;

    @AfterEach
    void close() {
        if (api != null) {
            api.close();
        }
    }

    private void open(ThroughputLimits limits) {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, limits);
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
    }

    private String put(String data) {
        return (String) api.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"" + data
                + "\"}").get("SequenceNumber");
    }

    private String iterator(String shardId, String type, String sequenceNumber) {
        return (String) api.call("GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"" + shardId
                + "\",\"ShardIteratorType\":\"" + type + "\"" + (sequenceNumber == null ? ""
                : ",\"StartingSequenceNumber\":\"" + sequenceNumber + "\"") + "}").get("ShardIterator");
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> records(String iterator) {
        return (List<Map<String, Object>>) api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}")
                .get("Records");
    }

    private static List<Object> data(List<Map<String, Object>> records) {
        return records.stream().map(r -> r.get("Data")).toList();
    }

    private static String hex(String sequenceNumber) {
        return new BigInteger(sequenceNumber).toString(16);
    }

    private static void assertInvalidArgument(Runnable call, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ApiHarness.ApiError.class, e -> {
            assertThat(e.type).isEqualTo("InvalidArgumentException");
            assertThat(e.getMessage()).contains("\"message\":\"" + message + "\"");
        });
    }

    @Test
    void recordsGetAwsShapedNumbersWithTheirArrivalSecondInShardOrder() {
        open(ThroughputLimits.OFF);
        String first = put("AA==");
        clock.advanceMs(2_500);
        String second = put("AQ==");
        String creation = String.format("%09x", T0 / 1000);
        assertThat(hex(first)).isEqualTo("2" + creation + "0" + "0000000000000001" + "00"
                + String.format("%09x", T0 / 1000) + "00000000" + "2");
        assertThat(hex(second)).isEqualTo("2" + creation + "0" + "0000000000000002" + "00"
                + String.format("%09x", (T0 + 2_500) / 1000) + "00000000" + "2");
        assertThat(new BigInteger(second)).isGreaterThan(new BigInteger(first));

        List<Map<String, Object>> read = records(iterator("shardId-000000000000", "TRIM_HORIZON", null));
        assertThat(read).extracting(r -> r.get("SequenceNumber")).containsExactly(first, second);
        for (Map<String, Object> r : read) {
            long arrivalSecs = ((Number) r.get("ApproximateArrivalTimestamp")).longValue();
            assertThat(Long.parseLong(hex((String) r.get("SequenceNumber")).substring(29, 38), 16))
                    .isEqualTo(arrivalSecs);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> range = (Map<String, Object>) ((List<Map<String, Object>>) api.call("ListShards",
                "{\"StreamName\":\"s\"}").get("Shards")).get(0).get("SequenceNumberRange");
        assertThat(hex((String) range.get("StartingSequenceNumber")))
                .isEqualTo("2" + creation + "0" + "0".repeat(16) + "00" + creation + "00000000" + "2");
        assertThat(range).doesNotContainKey("EndingSequenceNumber");
    }

    @Test
    void sequenceNumberForOrderingIsCheckedAsAwsChecksIt() {
        open(ThroughputLimits.OFF);
        for (String hex : new String[] {"20000000000000000000000000000000000000000000000",
                "30000000000000000000000000000000000000000000001", "20000000000800000000000000000000000000000000002",
                "2ffffffffff7fffffffffffffff000000000007fffffff2", "13bb2cc3d80000000000000000000000",
                "2000000000000000000000000000" + String.format("%09x", T0 / 1000 + 1) + "000000002"}) {
            String number = new BigInteger(hex, 16).toString();
            assertInvalidArgument(() -> api.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"a\","
                    + "\"Data\":\"\",\"SequenceNumberForOrdering\":\"" + number + "\"}"),
                    "ExclusiveMinimumSequenceNumber " + number + " used in PutRecord on stream s under account "
                            + ACCOUNT + " is invalid.");
        }
        String earlier = put("AA==");
        for (String ordering : new String[] {earlier, "0",
                new BigInteger("20000000000000000000000000000000000000000000001", 16).toString(),
                "4" + String.format("%013d%06d%020d", T0, 0, 1) + "0".repeat(16)}) {
            String next = (String) api.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"a\",\"Data\":\"\","
                    + "\"SequenceNumberForOrdering\":\"" + ordering + "\"}").get("SequenceNumber");
            assertThat(new BigInteger(next)).isGreaterThan(new BigInteger(earlier));
        }
    }

    @Test
    void getShardIteratorAnswersBadStartingPointsWithAwsTexts() {
        open(ThroughputLimits.OFF);
        String shard = "shardId-000000000000";
        String either = "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber"
                + " or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified ";
        assertInvalidArgument(() -> iterator(shard, "LATEST", "5"), either + "LATEST and also a StartingSequenceNumber.");
        assertInvalidArgument(() -> iterator(shard, "TRIM_HORIZON", "5"),
                either + "TRIM_HORIZON and also a StartingSequenceNumber.");
        assertInvalidArgument(() -> iterator(shard, "AT_SEQUENCE_NUMBER", null),
                either + "AT_SEQUENCE_NUMBER and no StartingSequenceNumber.");
        assertInvalidArgument(() -> iterator(shard, "AFTER_SEQUENCE_NUMBER", null),
                either + "AFTER_SEQUENCE_NUMBER and no StartingSequenceNumber.");
        assertInvalidArgument(() -> iterator(shard, "AT_TIMESTAMP", null), "Must specify timestampInMillis parameter "
                + "for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.");
        assertInvalidArgument(() -> iterator(shard, "AT_SEQUENCE_NUMBER", "5"), "Invalid StartingSequenceNumber. "
                + "It encodes shardId-000000000005, while it was used in a call to a shard with " + shard);
        String nearEnd = new BigInteger("20000000000000000000000000000000000000800000002", 16).toString();
        assertInvalidArgument(() -> iterator(shard, "AT_SEQUENCE_NUMBER", nearEnd), "Invalid StartingSequenceNumber. "
                + "It encodes shardId--02147483648, while it was used in a call to a shard with " + shard);
        String invalid = " used in GetShardIterator on shard " + shard + " in stream s under account " + ACCOUNT
                + " is invalid";
        String largeDate = new BigInteger("13bb2cc3d80000000000000000000000", 16).toString();
        assertInvalidArgument(() -> iterator(shard, "AT_SEQUENCE_NUMBER", largeDate),
                "StartingSequenceNumber " + largeDate + invalid + ".");
        // AWS answers this one with a 500 InternalFailure; a bad argument is not a server error here.
        assertInvalidArgument(() -> iterator(shard, "AT_SEQUENCE_NUMBER", "0"),
                "StartingSequenceNumber 0" + invalid + " because it did not come from this stream.");

        String old = put("AA==");
        api.call("DeleteStream", "{\"StreamName\":\"s\"}");
        clock.advanceMs(1_000);
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        assertInvalidArgument(() -> iterator(shard, "AT_SEQUENCE_NUMBER", old),
                "StartingSequenceNumber " + old + invalid + " because it did not come from this stream.");
    }

    @Test
    void sequenceNumbersPositionReadersIncludingCheckpointsInMillracesEarlierLayout() {
        open(ThroughputLimits.OFF);
        String shard = "shardId-000000000000";
        List<String> numbers = List.of(put("AA=="), put("AQ=="), put("Ag=="));
        assertThat(data(records(iterator(shard, "AT_SEQUENCE_NUMBER", numbers.get(1))))).containsExactly("AQ==",
                "Ag==");
        assertThat(data(records(iterator(shard, "AFTER_SEQUENCE_NUMBER", numbers.get(1))))).containsExactly("Ag==");
        @SuppressWarnings("unchecked")
        String starting = (String) ((Map<String, Object>) ((List<Map<String, Object>>) api.call("ListShards",
                "{\"StreamName\":\"s\"}").get("Shards")).get(0).get("SequenceNumberRange")).get("StartingSequenceNumber");
        assertThat(data(records(iterator(shard, "AFTER_SEQUENCE_NUMBER", starting)))).hasSize(3);
        assertThat(data(records(iterator(shard, "AT_SEQUENCE_NUMBER", starting)))).hasSize(3);

        // What a KCL lease table holds from before the upgrade: "4", epoch ms, shard index, position + 1, zeros.
        String checkpoint = "4" + String.format("%013d%06d%020d", T0, 0, 2) + "0".repeat(16);
        assertThat(data(records(iterator(shard, "AFTER_SEQUENCE_NUMBER", checkpoint)))).containsExactly("Ag==");
        assertThat(data(records(iterator(shard, "AT_SEQUENCE_NUMBER", checkpoint)))).containsExactly("AQ==", "Ag==");
        String otherIncarnation = "4" + String.format("%013d%06d%020d", T0 - 1, 0, 2) + "0".repeat(16);
        assertInvalidArgument(() -> iterator(shard, "AFTER_SEQUENCE_NUMBER", otherIncarnation),
                "StartingSequenceNumber " + otherIncarnation + " used in GetShardIterator on shard " + shard
                        + " in stream s under account " + ACCOUNT + " is invalid because it did not come from this "
                        + "stream.");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSplitEndsTheParentWithAwsEndMarkAndStampsChildrenOneSecondLater() {
        open(ThroughputLimits.OFF);
        put("AA==");
        clock.advanceMs(5_000);
        long splitMs = clock.millis();
        api.call("SplitShard", "{\"StreamName\":\"s\",\"ShardToSplit\":\"shardId-000000000000\","
                + "\"NewStartingHashKey\":\"2\"}");
        clock.advanceMs(1_000);
        List<Map<String, Object>> shards = (List<Map<String, Object>>) api.call("ListShards",
                "{\"StreamName\":\"s\"}").get("Shards");
        Map<String, Object> parent = (Map<String, Object>) shards.get(0).get("SequenceNumberRange");
        String end = (String) parent.get("EndingSequenceNumber");
        assertThat(hex(end).substring(11, 27)).isEqualTo("7fffffffffffffff");
        assertThat(hex(end).substring(1, 10)).isEqualTo(hex((String) parent.get("StartingSequenceNumber"))
                .substring(1, 10));
        assertThat(Long.parseLong(hex(end).substring(29, 38), 16)).isEqualTo(splitMs / 1000);
        for (int i = 1; i <= 2; i++) {
            String start = hex((String) ((Map<String, Object>) shards.get(i).get("SequenceNumberRange"))
                    .get("StartingSequenceNumber"));
            assertThat(Long.parseLong(start.substring(1, 10), 16)).isEqualTo(splitMs / 1000 + 1);
            assertThat(start.substring(29, 38)).isEqualTo(start.substring(1, 10));
            assertThat(start.substring(11, 27)).isEqualTo("0".repeat(16));
            assertThat(start).endsWith(String.format("%08x", i) + "2");
        }
        for (String type : new String[] {"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"}) {
            Map<String, Object> atEnd = api.call("GetRecords", "{\"ShardIterator\":\""
                    + iterator("shardId-000000000000", type, end) + "\"}");
            assertThat((List<Object>) atEnd.get("Records")).isEmpty();
            assertThat(atEnd.get("NextShardIterator")).isNull();
            assertThat((List<Object>) atEnd.get("ChildShards")).hasSize(2);
        }
        String child = (String) api.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"a\",\"Data\":\"\","
                + "\"ExplicitHashKey\":\"1\"}").get("SequenceNumber");
        assertThat(hex(child)).startsWith("2" + String.format("%09x", splitMs / 1000 + 1) + "1");
    }

    @Test
    void failedGetShardIteratorCallsDoNotSpendTheCallersBudget() {
        open(ThroughputLimits.AWS);
        for (int i = 0; i < 10; i++) {
            assertInvalidArgument(() -> iterator("shardId-000000000000", "LATEST", "5"), "Must either specify (1) "
                    + "AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or "
                    + "LATEST and no StartingSequenceNumber. Request specified LATEST and also a "
                    + "StartingSequenceNumber.");
        }
        for (int i = 0; i < 5; i++) {
            assertThat(iterator("shardId-000000000000", "LATEST", null)).isNotEmpty();
        }
        assertThatThrownBy(() -> iterator("shardId-000000000000", "LATEST", null))
                .isInstanceOfSatisfying(ApiHarness.ApiError.class,
                        e -> assertThat(e.type).isEqualTo("ProvisionedThroughputExceededException"));
    }

    @Test
    void anIteratorOfADeletedStreamNamesItsShardAsAwsDoes() {
        open(ThroughputLimits.OFF);
        String iterator = iterator("shardId-000000000000", "LATEST", null);
        api.call("DeleteStream", "{\"StreamName\":\"s\"}");
        clock.advanceMs(1_000);
        api.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        assertThatThrownBy(() -> records(iterator)).isInstanceOfSatisfying(ApiHarness.ApiError.class, e -> {
            assertThat(e.type).isEqualTo("ResourceNotFoundException");
            assertThat(e.getMessage()).contains("Shard shardId-000000000000 in stream s under account " + ACCOUNT
                    + " does not exist");
        });
    }

    /** Keeps the ContinuationSequenceNumber of every event it is sent. */
    private static final class ContinuationSink implements EventSink {
        private static final Pattern CONTINUATION = Pattern.compile("\"ContinuationSequenceNumber\":\"(\\d+)\"");
        final List<String> continuations = new CopyOnWriteArrayList<>();

        @Override
        public void start(String requestId) {
        }

        @Override
        public void send(byte[] message) {
            Matcher m = CONTINUATION.matcher(new String(message, StandardCharsets.ISO_8859_1));
            if (m.find()) {
                continuations.add(m.group(1));
            }
        }

        @Override
        public boolean writable() {
            return true;
        }

        @Override
        public void whenWritable(Runnable callback) {
            callback.run();
        }

        @Override
        public void end() {
        }

        @Override
        public void onClose(Runnable callback) {
        }
    }

    /** A heartbeat (no records) of a session that started at {@code position}: its continuation number. */
    private String heartbeatContinuation(long position) {
        ConsumerRecord consumer = api.consumers.list("s").get(0);
        StreamRecord stream = api.streams.get("s");
        ContinuationSink sink = new ContinuationSink();
        api.fanOut.subscribe(consumer.arn(api.streams.account()), stream, stream.shard(0), position, sink, "t");
        clock.advanceMs(5_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            api.fanOut.wake(stream, stream.shard(0));
            return !sink.continuations.isEmpty();
        });
        return sink.continuations.get(0);
    }

    @Test
    @SuppressWarnings("unchecked")
    void subscribeToShardContinuesFromTheNumberOfTheLastRecordBeforeItsPosition() {
        open(ThroughputLimits.OFF);
        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/s\","
                + "\"ConsumerName\":\"c\"}");
        String starting = (String) ((Map<String, Object>) ((List<Map<String, Object>>) api.call("ListShards",
                "{\"StreamName\":\"s\"}").get("Shards")).get(0).get("SequenceNumberRange")).get("StartingSequenceNumber");
        assertThat(heartbeatContinuation(0)).isEqualTo(starting);

        put("AA==");
        clock.advanceMs(2_500);
        String second = put("AQ==");
        clock.advanceMs(7_000);
        // Not the time of the heartbeat: the arrival second of record 1, as GetRecords and PutRecord number it.
        assertThat(heartbeatContinuation(2)).isEqualTo(second);
    }
}
