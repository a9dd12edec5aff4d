package dev.millrace.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;
import dev.millrace.server.fanout.EventSink;
import dev.millrace.server.state.ConsumerRecord;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * GetRecords and SubscribeToShard answer a shard's records alike (they share {@code records.RecordPage}): the same
 * records with the same members, and at the end of a split shard the same children and no continuation.
 */
class RecordPageTest {
    private static final String ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/p";

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_250L);
    private ApiHarness api;

    @AfterEach
    void close() {
        api.close();
    }

    /** Keeps the JSON payload of every SubscribeToShardEvent. */
    private static final class EventSinkCollector implements EventSink {
        final List<Map<String, Object>> events = new CopyOnWriteArrayList<>();

        @Override
        public void start(String requestId) {
        }

        @Override
        @SuppressWarnings("unchecked")
        public void send(byte[] message) {
            String text = new String(message, StandardCharsets.ISO_8859_1);
            if (!text.contains("SubscribeToShardEvent")) {
                return;
            }
            // The payload starts at its opening brace (headers hold none) and ends before the 4-byte message CRC.
            byte[] payload = Arrays.copyOfRange(message, text.indexOf('{'), message.length - 4);
            try (JsonParser p = new JsonFactory().createParser(payload)) {
                p.nextToken();
                events.add((Map<String, Object>) JsonTree.read(p));
            } catch (IOException e) {
                throw new AssertionError(e);
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

    @Test
    @SuppressWarnings("unchecked")
    void getRecordsAndSubscribeToShardRenderAClosedShardAlike() {
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF);
        api.call("CreateStream", "{\"StreamName\":\"p\",\"ShardCount\":1}");
        api.call("PutRecord", "{\"StreamName\":\"p\",\"PartitionKey\":\"a\",\"Data\":\"AA==\"}");
        clock.advanceMs(1_500);
        api.call("StartStreamEncryption", "{\"StreamName\":\"p\",\"EncryptionType\":\"KMS\","
                + "\"KeyId\":\"alias/aws/kinesis\"}");
        api.call("PutRecords", "{\"StreamName\":\"p\",\"Records\":[{\"PartitionKey\":\"b\",\"Data\":\"AQI=\"},"
                + "{\"PartitionKey\":\"c\",\"Data\":\"\"}]}");
        api.call("SplitShard", "{\"StreamName\":\"p\",\"ShardToSplit\":\"shardId-000000000000\","
                + "\"NewStartingHashKey\":\"2\"}");
        String iterator = (String) api.call("GetShardIterator", "{\"StreamName\":\"p\",\"ShardId\":"
                + "\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
        Map<String, Object> answer = api.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");

        api.call("RegisterStreamConsumer", "{\"StreamARN\":\"" + ARN + "\",\"ConsumerName\":\"c\"}");
        ConsumerRecord consumer = api.consumers.list("p").get(0);
        StreamRecord stream = api.streams.get("p");
        EventSinkCollector sink = new EventSinkCollector();
        api.fanOut.subscribe(consumer.arn(api.streams.account()), stream, stream.shard(0), 0, sink, "t");
        await().atMost(Duration.ofSeconds(10)).until(() -> !sink.events.isEmpty());
        Map<String, Object> event = sink.events.get(0);

        List<Map<String, Object>> records = (List<Map<String, Object>>) answer.get("Records");
        assertThat(records).hasSize(3);
        assertThat(records).extracting(r -> r.get("PartitionKey")).containsExactly("a", "b", "c");
        assertThat(records).extracting(r -> r.get("EncryptionType")).containsOnly("KMS");
        assertThat(event.get("Records")).isEqualTo(records);
        assertThat((List<Object>) answer.get("ChildShards")).hasSize(2);
        assertThat(event.get("ChildShards")).isEqualTo(answer.get("ChildShards"));
        assertThat(answer).containsEntry("NextShardIterator", null).containsEntry("MillisBehindLatest", 0L);
        assertThat(event).containsEntry("ContinuationSequenceNumber", null)
                .containsEntry("MillisBehindLatest", answer.get("MillisBehindLatest"));
    }
}
