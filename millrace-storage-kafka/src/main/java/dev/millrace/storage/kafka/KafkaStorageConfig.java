package dev.millrace.storage.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to reach and use a Kafka cluster: its bootstrap servers, the prefix of every topic Millrace owns there, how
 * many copies each topic keeps, and client properties (SASL, TLS, timeouts) handed to every producer, consumer and
 * admin client this backend makes.
 *
 * <p>Topics: one per shard, {@code <prefix>shard.<shardKey>} (a shard key is {@code [A-Za-z0-9._-]{1,200}}), and
 * {@code <prefix>metadata} for the metadata store, {@code <prefix>nodes} for node membership and
 * {@code <prefix>writer-election} for electing the metadata writer. Kafka allows 249 characters in a topic name, so
 * the prefix may have at most 40.
 *
 * <p>Immutable, thread-safe.
 *
 * @param bootstrapServers  {@code host:port[,host:port...]}
 * @param topicPrefix       leads every topic name; {@code [A-Za-z0-9._-]{0,40}}
 * @param replicationFactor copies of each topic, or 0 for min(3, brokers in the cluster)
 * @param minInsyncReplicas copies a write needs before it is acknowledged, or 0 for 2 when the factor is at least 3,
 *                          otherwise 1
 * @param clientProperties  passed to every Kafka client, after this backend's own settings (so they can override
 *                          them: an operator's word wins)
 * @param writerSessionTimeoutMs how long the metadata writer may be silent before the others elect another
 *                          ({@link WriterElection}'s {@code session.timeout.ms}), from
 *                          {@link #MIN_WRITER_SESSION_TIMEOUT_MS} to {@link #MAX_WRITER_SESSION_TIMEOUT_MS}
 */
public record KafkaStorageConfig(String bootstrapServers, String topicPrefix, int replicationFactor,
                                 int minInsyncReplicas, Map<String, String> clientProperties,
                                 long writerSessionTimeoutMs) {
    public static final String DEFAULT_TOPIC_PREFIX = "millrace.";
    /**
     * A crashed writer is replaced 1 to 2 s after this (issue #15 asks for 15 s in all): long enough that a writer
     * paused by a GC or a busy machine is not deposed for it.
     */
    public static final long DEFAULT_WRITER_SESSION_TIMEOUT_MS = 10_000;
    /** Three of the election's 1 s heartbeats, Kafka's advice for a session's least. */
    public static final long MIN_WRITER_SESSION_TIMEOUT_MS = 3_000;
    /** Beyond 5 minutes without a writer, metadata calls would wait for a takeover longer than any client does. */
    public static final long MAX_WRITER_SESSION_TIMEOUT_MS = 300_000;
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{0,40}");

    public KafkaStorageConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("no Kafka bootstrap servers given");
        }
        if (!PREFIX.matcher(topicPrefix).matches()) {
            throw new IllegalArgumentException("Kafka topic prefix '" + topicPrefix
                    + "' must be at most 40 of the characters A-Z a-z 0-9 . _ -");
        }
        if (replicationFactor < 0 || replicationFactor > Short.MAX_VALUE) {
            throw new IllegalArgumentException("replication factor " + replicationFactor);
        }
        if (minInsyncReplicas < 0 || (replicationFactor > 0 && minInsyncReplicas > replicationFactor)) {
            throw new IllegalArgumentException("min in-sync replicas " + minInsyncReplicas
                    + " must lie between 1 and the replication factor " + replicationFactor);
        }
        clientProperties = Map.copyOf(clientProperties);
        if (writerSessionTimeoutMs < MIN_WRITER_SESSION_TIMEOUT_MS
                || writerSessionTimeoutMs > MAX_WRITER_SESSION_TIMEOUT_MS) {
            throw new IllegalArgumentException("writer session timeout " + writerSessionTimeoutMs + " ms must lie "
                    + "between " + MIN_WRITER_SESSION_TIMEOUT_MS + " and " + MAX_WRITER_SESSION_TIMEOUT_MS + " ms");
        }
    }

    /** A config with the default writer session ({@link #DEFAULT_WRITER_SESSION_TIMEOUT_MS}). */
    public KafkaStorageConfig(String bootstrapServers, String topicPrefix, int replicationFactor,
                              int minInsyncReplicas, Map<String, String> clientProperties) {
        this(bootstrapServers, topicPrefix, replicationFactor, minInsyncReplicas, clientProperties,
                DEFAULT_WRITER_SESSION_TIMEOUT_MS);
    }

    /** A config with the defaults: prefix {@code millrace.}, replication and min ISR chosen from the cluster. */
    public static KafkaStorageConfig of(String bootstrapServers) {
        return new KafkaStorageConfig(bootstrapServers, DEFAULT_TOPIC_PREFIX, 0, 0, Map.of());
    }

    public KafkaStorageConfig withTopicPrefix(String prefix) {
        return new KafkaStorageConfig(bootstrapServers, prefix, replicationFactor, minInsyncReplicas, clientProperties,
                writerSessionTimeoutMs);
    }

    public KafkaStorageConfig withWriterSessionTimeoutMs(long timeoutMs) {
        return new KafkaStorageConfig(bootstrapServers, topicPrefix, replicationFactor, minInsyncReplicas,
                clientProperties, timeoutMs);
    }

    /** The settings every client starts from: bootstrap servers, then the operator's properties over them. */
    public Map<String, Object> clientConfig(Map<String, Object> ownSettings) {
        Map<String, Object> config = new HashMap<>(ownSettings);
        config.put("bootstrap.servers", bootstrapServers);
        config.putAll(clientProperties);
        return config;
    }

    /** The topic holding the shard with this key. */
    public String shardTopic(String shardKey) {
        return topicPrefix + "shard." + shardKey;
    }

    /** The compacted topic holding the metadata store. */
    public String metadataTopic() {
        return topicPrefix + "metadata";
    }

    /** The compacted topic where every node announces itself ({@link NodeMembership}). */
    public String nodesTopic() {
        return topicPrefix + "nodes";
    }

    /**
     * The one-partition topic whose partition 0 the metadata writer owns in its consumer group
     * ({@link WriterElection}); it never holds records.
     */
    public String writerElectionTopic() {
        return topicPrefix + "writer-election";
    }

    /** The factor to create topics with, given the number of brokers the cluster has. */
    public short replicationFactorFor(int brokers) {
        return (short) (replicationFactor > 0 ? replicationFactor : Math.max(1, Math.min(3, brokers)));
    }

    /** The {@code min.insync.replicas} to create topics with, given their replication factor. */
    public int minInsyncReplicasFor(short factor) {
        return minInsyncReplicas > 0 ? minInsyncReplicas : factor >= 3 ? 2 : 1;
    }
}
