package dev.millrace.storage.kafka;

import dev.millrace.storage.LogStore;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Storage;

import java.time.Clock;

/**
 * The Kafka backend: shard logs ({@link KafkaLogStore}) and metadata ({@link KafkaMetadataStore}) on one Kafka
 * cluster, under one topic prefix.
 *
 * <p>Thread-safe.
 */
public final class KafkaStorage implements Storage {
    private final KafkaLogStore logs;
    private final KafkaMetadataStore metadata;

    private KafkaStorage(KafkaLogStore logs, KafkaMetadataStore metadata) {
        this.logs = logs;
        this.metadata = metadata;
    }

    /** Connects to the cluster, creating this backend's topics if needed; metadata is read back before it returns. */
    public static KafkaStorage open(KafkaStorageConfig config, Clock clock) {
        KafkaMetadataStore metadata = KafkaMetadataStore.open(config, clock);
        try {
            return new KafkaStorage(KafkaLogStore.open(config, clock), metadata);
        } catch (RuntimeException e) {
            metadata.close();
            throw e;
        }
    }

    @Override
    public LogStore logs() {
        return logs;
    }

    @Override
    public MetadataStore metadata() {
        return metadata;
    }

    @Override
    public void close() {
        try {
            logs.close();
        } finally {
            metadata.close();
        }
    }
}
