package dev.millrace.storage.kafka;

import dev.millrace.storage.Cluster;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Storage;
import dev.millrace.storage.crypto.KeyRing;

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
    /** Null for a store opened alone ({@link #open}), which is always the writer. */
    private final KafkaCluster cluster;

    private KafkaStorage(KafkaLogStore logs, KafkaMetadataStore metadata, KafkaCluster cluster) {
        this.logs = logs;
        this.metadata = metadata;
        this.cluster = cluster;
    }

    /** {@link #open(KafkaStorageConfig, Clock, KeyRing)} with no keys: encrypted records cannot be read. */
    public static KafkaStorage open(KafkaStorageConfig config, Clock clock) {
        return open(config, clock, KeyRing.NONE);
    }

    /**
     * Connects to the cluster, creating this backend's topics if needed; metadata is read back before it returns.
     * Encrypted records are read with keys from {@code keys}.
     */
    public static KafkaStorage open(KafkaStorageConfig config, Clock clock, KeyRing keys) {
        KafkaMetadataStore metadata = KafkaMetadataStore.open(config, clock);
        try {
            return new KafkaStorage(KafkaLogStore.open(config, clock, KafkaLogStore::newProducer,
                    KafkaLogStore.recentAppendsBudgetBytes(), keys), metadata, null);
        } catch (RuntimeException e) {
            metadata.close();
            throw e;
        }
    }

    /**
     * Opens the storage as one node of several sharing the cluster and topic prefix: the metadata store opens as a
     * follower, the node announces itself and joins the writer election ({@link KafkaCluster}), and its store becomes
     * the writer if and when the node is elected. Returns without waiting for an election.
     */
    public static KafkaStorage openNode(KafkaStorageConfig config, Clock clock, NodeInfo self) {
        return openNode(config, clock, self, KeyRing.NONE);
    }

    /** {@link #openNode(KafkaStorageConfig, Clock, NodeInfo)}, reading encrypted records with keys from {@code keys}. */
    public static KafkaStorage openNode(KafkaStorageConfig config, Clock clock, NodeInfo self, KeyRing keys) {
        KafkaMetadataStore metadata = KafkaMetadataStore.openFollower(config, clock);
        KafkaLogStore logs = null;
        try {
            logs = KafkaLogStore.open(config, clock, KafkaLogStore::newProducer,
                    KafkaLogStore.recentAppendsBudgetBytes(), keys);
            return new KafkaStorage(logs, metadata, KafkaCluster.join(config, clock, self, metadata));
        } catch (RuntimeException e) {
            if (logs != null) {
                logs.close();
            }
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
    public Cluster cluster() {
        return cluster != null ? cluster : Cluster.solo();
    }

    /** Leaves the cluster first (so another node is elected at once), then closes logs, then metadata. */
    @Override
    public void close() {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            try {
                logs.close();
            } finally {
                metadata.close();
            }
        }
    }
}
