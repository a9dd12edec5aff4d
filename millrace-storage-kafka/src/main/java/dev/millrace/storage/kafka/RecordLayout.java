package dev.millrace.storage.kafka;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.StoredRecord;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How one Kinesis record is stored in Kafka: one Kafka record per Kinesis record, in the shard's own single-partition
 * topic ({@link KafkaStorageConfig#shardTopic}), laid out so that Kafka's own tools (console consumer, kcat) show
 * sensible records:
 *
 * <pre>
 *   topic      &lt;prefix&gt;shard.&lt;shardKey&gt;    one topic per shard, one partition (0)
 *   offset     the record's position in the shard (Kafka numbers it; ShardLog positions are offsets)
 *   timestamp  LogAppendTime: the leader broker's clock when it appended the record
 *              (topic config message.timestamp.type=LogAppendTime) = ApproximateArrivalTimestamp
 *   key        the partition key as UTF-8 bytes (1..256 characters), or null when the record has none
 *   value      the data, exactly as given; empty for empty data, never null
 *   headers    "millrace.ehk" = the explicit hash key, ASCII decimal digits; present only when the producer
 *              sent one. Any other header is ignored when reading.
 * </pre>
 *
 * <p>The shard a record belongs to is chosen by Millrace (MD5 of the partition key, or the explicit hash key), never
 * by Kafka's partitioner: each record names partition 0 of its shard's topic.
 *
 * <p>Stateless, thread-safe.
 */
final class RecordLayout {
    /** The header carrying the explicit hash key. */
    static final String EXPLICIT_HASH_KEY_HEADER = "millrace.ehk";
    /**
     * The largest record Kinesis accepts (data plus partition key) once a stream's UpdateMaxRecordSize has raised its
     * limit to the ceiling; each stream's own limit is checked by the server before a record gets here.
     */
    static final int MAX_RECORD_BYTES = 10 * 1024 * 1024;
    /**
     * The topics' {@code max.message.bytes} and the producer's {@code max.request.size}: the largest record plus room
     * for Kafka's batch header (61 bytes), the record's own framing and the explicit-hash-key header.
     */
    static final int MAX_MESSAGE_BYTES = MAX_RECORD_BYTES + 16 * 1024;

    private RecordLayout() {
    }

    /** The Kafka record for {@code record}; throws {@link IllegalArgumentException} if it is larger than allowed. */
    static ProducerRecord<byte[], byte[]> toKafka(TopicPartition partition, AppendRecord record) {
        byte[] key = record.partitionKey() == null ? null : record.partitionKey().getBytes(StandardCharsets.UTF_8);
        long sizeBytes = (long) record.data().length + (key == null ? 0 : key.length);
        if (sizeBytes > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("record of " + sizeBytes + " bytes (data and partition key) exceeds "
                    + MAX_RECORD_BYTES + " bytes, the most Kinesis allows");
        }
        List<Header> headers = record.explicitHashKey() == null ? List.of()
                : List.of(new RecordHeader(EXPLICIT_HASH_KEY_HEADER,
                        record.explicitHashKey().getBytes(StandardCharsets.US_ASCII)));
        // No timestamp of ours: the topic's LogAppendTime makes the broker stamp the record on arrival.
        return new ProducerRecord<>(partition.topic(), partition.partition(), null, key, record.data(), headers);
    }

    /** The stored record a Kafka record holds. */
    static StoredRecord fromKafka(ConsumerRecord<byte[], byte[]> record) {
        byte[] key = record.key();
        Header hashKey = record.headers().lastHeader(EXPLICIT_HASH_KEY_HEADER);
        byte[] value = record.value();
        return new StoredRecord(record.offset(), record.timestamp(),
                key == null ? null : new String(key, StandardCharsets.UTF_8),
                hashKey == null || hashKey.value() == null ? null
                        : new String(hashKey.value(), StandardCharsets.US_ASCII),
                value == null ? new byte[0] : value);
    }

    /** The payload bytes a record counts for against a read's byte budget: its data, as in the embedded engine. */
    static int payloadBytes(ConsumerRecord<byte[], byte[]> record) {
        return record.value() == null ? 0 : record.value().length;
    }
}
