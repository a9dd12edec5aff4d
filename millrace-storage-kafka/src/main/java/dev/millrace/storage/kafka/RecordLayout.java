package dev.millrace.storage.kafka;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.crypto.SealedBytes;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
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
 *   key        the partition key as UTF-8 bytes (1..256 characters), or null when the record has none;
 *              always null for an encrypted record
 *   value      the data, exactly as given; empty for empty data, never null.
 *              An encrypted record's value is the sealed envelope (SealedBytes: nonce | ciphertext | tag, purpose
 *              RECORD, bound to the key id) of
 *                keyLength (2 bytes, 0: none) | partition key, UTF-8
 *                | hashKeyLength (1 byte, 0: none) | explicit hash key, ASCII decimal
 *                | data (the rest)
 *   headers    "millrace.ehk" = the explicit hash key, ASCII decimal digits; present only when the producer
 *              sent one and the record is plain.
 *              "millrace.kid" = the id of the key an encrypted record is sealed with, ASCII; present exactly on
 *              encrypted records.
 *              Any other header is ignored when reading.
 * </pre>
 *
 * <p>Encryption is per record, not per append: positions are Kafka offsets, so each Kinesis record stays one Kafka
 * record. The broker numbers a record after it was sealed, so its offset is not bound into the ciphertext.
 *
 * <p>The shard a record belongs to is chosen by Millrace (MD5 of the partition key, or the explicit hash key), never
 * by Kafka's partitioner: each record names partition 0 of its shard's topic.
 *
 * <p>Stateless, thread-safe.
 */
final class RecordLayout {
    /** The header carrying the explicit hash key. */
    static final String EXPLICIT_HASH_KEY_HEADER = "millrace.ehk";
    /** The header naming the key an encrypted record is sealed with. */
    static final String KEY_ID_HEADER = "millrace.kid";
    /**
     * The largest record Kinesis accepts (data plus partition key) once a stream's UpdateMaxRecordSize has raised its
     * limit to the ceiling; each stream's own limit is checked by the server before a record gets here.
     */
    static final int MAX_RECORD_BYTES = 10 * 1024 * 1024;
    /**
     * The topics' {@code max.message.bytes} and the producer's {@code max.request.size}: the largest record plus room
     * for Kafka's batch header (61 bytes), the record's own framing and its headers, and, for an encrypted record,
     * the envelope's lengths, explicit hash key, nonce and tag (under 100 bytes) and the key id header (under 300).
     */
    static final int MAX_MESSAGE_BYTES = MAX_RECORD_BYTES + 16 * 1024;
    private static final int KEY_LENGTH_BYTES = 2;
    private static final int HASH_KEY_LENGTH_BYTES = 1;

    private RecordLayout() {
    }

    /** The plain Kafka record for {@code record}. */
    static ProducerRecord<byte[], byte[]> toKafka(TopicPartition partition, AppendRecord record) {
        return toKafka(partition, record, null);
    }

    /**
     * The Kafka record for {@code record}, encrypted with {@code key} unless it is null; throws
     * {@link IllegalArgumentException} if it is larger than allowed.
     */
    static ProducerRecord<byte[], byte[]> toKafka(TopicPartition partition, AppendRecord record, DataKey key) {
        byte[] partitionKey = record.partitionKey() == null ? null
                : record.partitionKey().getBytes(StandardCharsets.UTF_8);
        long sizeBytes = (long) record.dataLength() + (partitionKey == null ? 0 : partitionKey.length);
        if (sizeBytes > MAX_RECORD_BYTES) {
            throw new IllegalArgumentException("record of " + sizeBytes + " bytes (data and partition key) exceeds "
                    + MAX_RECORD_BYTES + " bytes, the most Kinesis allows");
        }
        // No timestamp of ours: the topic's LogAppendTime makes the broker stamp the record on arrival.
        if (key == null) {
            List<Header> headers = record.explicitHashKey() == null ? List.of()
                    : List.of(new RecordHeader(EXPLICIT_HASH_KEY_HEADER,
                            record.explicitHashKey().getBytes(StandardCharsets.US_ASCII)));
            return new ProducerRecord<>(partition.topic(), partition.partition(), null, partitionKey, record.data(),
                    headers);
        }
        List<Header> headers = List.of(new RecordHeader(KEY_ID_HEADER,
                key.keyId().getBytes(StandardCharsets.US_ASCII)));
        return new ProducerRecord<>(partition.topic(), partition.partition(), null, null,
                seal(partitionKey, record, key), headers);
    }

    private static byte[] seal(byte[] partitionKey, AppendRecord record, DataKey key) {
        byte[] hashKey = record.explicitHashKey() == null ? new byte[0]
                : record.explicitHashKey().getBytes(StandardCharsets.US_ASCII);
        if (hashKey.length > 0xFF || (partitionKey != null && partitionKey.length > 0xFFFF)) {
            throw new IllegalArgumentException("partition key or explicit hash key too long to store");
        }
        int keyBytes = partitionKey == null ? 0 : partitionKey.length;
        ByteBuffer plain = ByteBuffer.allocate(KEY_LENGTH_BYTES + keyBytes + HASH_KEY_LENGTH_BYTES + hashKey.length
                + record.dataLength());
        plain.putShort((short) keyBytes);
        if (partitionKey != null) {
            plain.put(partitionKey);
        }
        plain.put((byte) hashKey.length).put(hashKey).put(record.data()).flip();
        ByteBuffer sealed = ByteBuffer.allocate(SealedBytes.sealedBytes(plain.remaining()));
        SealedBytes.seal(key, SealedBytes.Purpose.RECORD, 0, 0, plain, sealed);
        return sealed.array();
    }

    /**
     * The stored record a Kafka record holds, opened with its key from {@code keys} if it is encrypted.
     *
     * @throws dev.millrace.storage.crypto.KeyUnavailableException if its key is unavailable
     * @throws CorruptDataException if it is encrypted and does not open (changed bytes, another key's material)
     */
    static StoredRecord fromKafka(ConsumerRecord<byte[], byte[]> record, KeyRing keys) {
        Header keyId = record.headers().lastHeader(KEY_ID_HEADER);
        if (keyId != null) {
            return open(record, keyId, keys);
        }
        byte[] key = record.key();
        Header hashKey = record.headers().lastHeader(EXPLICIT_HASH_KEY_HEADER);
        byte[] value = record.value();
        return new StoredRecord(record.offset(), record.timestamp(),
                key == null ? null : new String(key, StandardCharsets.UTF_8),
                hashKey == null || hashKey.value() == null ? null
                        : new String(hashKey.value(), StandardCharsets.US_ASCII),
                value == null ? new byte[0] : value);
    }

    private static StoredRecord open(ConsumerRecord<byte[], byte[]> record, Header keyId, KeyRing keys) {
        byte[] id = keyId.value();
        byte[] value = record.value();
        if (id == null || id.length == 0 || value == null || SealedBytes.plaintextBytes(value.length) < 0) {
            throw new CorruptDataException("record at offset " + record.offset() + " of " + record.topic()
                    + " is marked encrypted but has no key id or no room for its ciphertext");
        }
        DataKey key = keys.key(new String(id, StandardCharsets.US_ASCII));
        ByteBuffer plain = ByteBuffer.allocate(SealedBytes.plaintextBytes(value.length));
        SealedBytes.open(key, SealedBytes.Purpose.RECORD, 0, 0, ByteBuffer.wrap(value), plain);
        plain.flip();
        try {
            byte[] partitionKey = new byte[Short.toUnsignedInt(plain.getShort())];
            plain.get(partitionKey);
            byte[] hashKey = new byte[Byte.toUnsignedInt(plain.get())];
            plain.get(hashKey);
            byte[] data = new byte[plain.remaining()];
            plain.get(data);
            return new StoredRecord(record.offset(), record.timestamp(),
                    partitionKey.length == 0 ? null : new String(partitionKey, StandardCharsets.UTF_8),
                    hashKey.length == 0 ? null : new String(hashKey, StandardCharsets.US_ASCII), data, true);
        } catch (BufferUnderflowException e) {
            // Authenticated, so a writer bug rather than damage; say so instead of guessing.
            throw new CorruptDataException("record at offset " + record.offset() + " of " + record.topic()
                    + " opened but does not parse");
        }
    }
}
