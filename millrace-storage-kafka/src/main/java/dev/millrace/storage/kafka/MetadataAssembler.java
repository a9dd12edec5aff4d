package dev.millrace.storage.kafka;

import dev.millrace.storage.CorruptDataException;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Turns the topic's records back into commits: data records are gathered until a version record closes them
 * (see the layout in {@link KafkaMetadataStore}); a writer record is handed on by itself. Anything else on the topic is damage or
 * another program's writing, and stops the reader rather than be guessed at.
 *
 * <p>Not thread-safe: one reading thread.
 */
final class MetadataAssembler {
    private final Consumer<WriterInfo> writers;
    private Map<String, byte[]> gathered = new LinkedHashMap<>();

    /** An assembler that ignores writer records. */
    MetadataAssembler() {
        this(writer -> { });
    }

    /** An assembler that hands every writer record's value to {@code writers}, in the topic's order. */
    MetadataAssembler(Consumer<WriterInfo> writers) {
        this.writers = writers;
    }

    /** Returns the commit this record closes, or {@code null} if it is a data or writer record. */
    KafkaMetadataStore.Commit accept(ConsumerRecord<byte[], byte[]> record) {
        byte[] key = record.key();
        if (key == null) {
            throw corrupt(record, "a record without a key");
        }
        if (key.length > 0 && key[0] == 0) {
            if (Arrays.equals(key, KafkaMetadataStore.WRITER_KEY)) {
                writers.accept(readWriterValue(record));
                return null;
            }
            if (!Arrays.equals(key, KafkaMetadataStore.VERSION_KEY)) {
                throw corrupt(record, "an unknown reserved key");
            }
            byte[] value = record.value();
            if (value == null || value.length != Long.BYTES || ByteBuffer.wrap(value).getLong() <= 0) {
                throw corrupt(record, "a version record without a positive 8-byte version");
            }
            KafkaMetadataStore.Commit commit = new KafkaMetadataStore.Commit(ByteBuffer.wrap(value).getLong(), gathered);
            gathered = new LinkedHashMap<>();
            return commit;
        }
        String name = new String(key, StandardCharsets.UTF_8);
        // A key written twice before one version record (compaction merged commits): its later record wins.
        gathered.remove(name);
        gathered.put(name, record.value());
        return null;
    }

    private static WriterInfo readWriterValue(ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            throw corrupt(record, "a writer record without a value");
        }
        try {
            return WriterInfo.decode(record.value());
        } catch (IllegalArgumentException e) {
            throw corrupt(record, "a damaged writer record (" + e.getMessage() + ")");
        }
    }

    private static CorruptDataException corrupt(ConsumerRecord<byte[], byte[]> record, String what) {
        return new CorruptDataException("metadata topic " + record.topic() + " holds " + what + " at offset "
                + record.offset());
    }
}
