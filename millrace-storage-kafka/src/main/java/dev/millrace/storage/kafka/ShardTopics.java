package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The shard topics as the cluster's controller sees them, through one {@link Admin} client: creating a shard's topic
 * with its settings, reading them back, changing them, offsets by position and time, deleting.
 *
 * <p>A shard topic is created with (and these are what make it a Kinesis shard):
 * <pre>
 *   partitions                      1                      the shard is the topic
 *   replication factor              config.replicationFactorFor(brokers)
 *   min.insync.replicas             config.minInsyncReplicasFor(factor)
 *   message.timestamp.type          LogAppendTime           arrival time = the broker's clock
 *   retention.ms                    the log's retention     reads filter expired records exactly on top
 *   segment.ms                      1 h                     so deletion is not 7-day (the default) granular
 *   max.message.bytes               10 MiB + 16 KiB         Kinesis's record ceiling; each stream's own
 *                                                           (UpdateMaxRecordSize) limit is the server's check
 *   cleanup.policy                  delete                  never compacted, whatever the broker default
 *   unclean.leader.election.enable  false                   an unclean leader drops acknowledged records
 * </pre>
 * A sealed shard's topic has {@code max.message.bytes=1}: every write to it fails with RecordTooLarge (a batch has a
 * 61-byte header), from this node or any other, and that setting is also how a restarted node knows it is sealed.
 *
 * <p>Every call waits at most {@code timeoutMs} and converts Kafka's failures once ({@link KafkaErrors}).
 *
 * <p>Thread-safe ({@link Admin} is).
 */
final class ShardTopics implements AutoCloseable {
    static final String SEALED_MAX_MESSAGE_BYTES = "1";
    static final long SEGMENT_MS = 60L * 60 * 1000;
    private static final long POLL_INTERVAL_MS = 50;

    /** What a shard topic's configuration says about the log. */
    record TopicState(boolean sealed, long retentionMs) {
    }

    private final Admin admin;
    private final KafkaStorageConfig config;
    private final long timeoutMs;

    ShardTopics(Admin admin, KafkaStorageConfig config, long timeoutMs) {
        this.admin = admin;
        this.config = config;
        this.timeoutMs = timeoutMs;
    }

    /**
     * How many brokers the cluster has, counting those that are down but still registered (fenced): a topic created
     * while one broker of three restarts must still get three copies. Also proves the cluster can be reached.
     */
    int brokerCount() {
        return KafkaErrors.await(admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true)).nodes(),
                timeoutMs, "describing the Kafka cluster").size();
    }

    /**
     * Whether a broker says it creates any topic a client asks about ({@code auto.create.topics.enable}, true in Apache
     * Kafka's own defaults); false when it cannot tell (a cluster that does not let this client read broker configs).
     */
    boolean brokersCreateTopicsOnDemand() {
        try {
            Node any = KafkaErrors.await(admin.describeCluster().nodes(), timeoutMs, "describing the Kafka cluster")
                    .iterator().next();
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, any.idString());
            ConfigEntry entry = KafkaErrors.await(admin.describeConfigs(List.of(broker)).all(), timeoutMs,
                    "reading the configuration of broker " + any.idString()).get(broker)
                    .get("auto.create.topics.enable");
            return entry != null && Boolean.parseBoolean(entry.value());
        } catch (StorageException e) {
            return false;
        }
    }

    /** Creates the topic unless it exists; returns whether this call created it. */
    boolean create(String topic, long retentionMs) {
        short factor = config.replicationFactorFor(brokerCount());
        NewTopic newTopic = new NewTopic(topic, 1, factor).configs(Map.of(
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(config.minInsyncReplicasFor(factor)),
                TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime",
                TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs),
                TopicConfig.SEGMENT_MS_CONFIG, Long.toString(SEGMENT_MS),
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(RecordLayout.MAX_MESSAGE_BYTES),
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                TopicConfig.UNCLEAN_LEADER_ELECTION_ENABLE_CONFIG, "false"));
        try {
            KafkaErrors.await(admin.createTopics(List.of(newTopic)).all(), timeoutMs, "creating topic " + topic);
            return true;
        } catch (StorageException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false; // another node, or an earlier attempt whose answer was lost, created it
            }
            throw e;
        }
    }

    /** Whether the topic exists (as the broker answering knows it). */
    boolean exists(String topic) {
        return describeTopic(topic) != null;
    }

    /**
     * Returns once the topic's partition has a leader: a write to a topic created a moment ago can otherwise fail with
     * NOT_LEADER_OR_FOLLOWER and be retried until its delivery timeout.
     */
    void awaitLeader(String topic) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (true) {
            TopicDescription description = describeTopic(topic);
            if (description != null && !description.partitions().isEmpty()) {
                TopicPartitionInfo partition = description.partitions().get(0);
                Node leader = partition.leader();
                if (leader != null && !leader.isEmpty()) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw KafkaErrors.convert("waiting for a leader of topic " + topic,
                        new org.apache.kafka.common.errors.TimeoutException("no leader within " + timeoutMs + " ms"));
            }
            sleep(POLL_INTERVAL_MS);
        }
    }

    /** The topic's description, or null if it does not exist. */
    private TopicDescription describeTopic(String topic) {
        try {
            return KafkaErrors.await(admin.describeTopics(List.of(topic)).allTopicNames(), timeoutMs,
                    "describing topic " + topic).get(topic);
        } catch (StorageException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw e;
        }
    }

    /** Which of {@code names} do not exist (as the broker answering knows them); one admin call for all. */
    Set<String> missing(Collection<String> names) {
        Set<String> missing = new HashSet<>();
        if (names.isEmpty()) {
            return missing;
        }
        Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(names).topicNameValues();
        for (Map.Entry<String, KafkaFuture<TopicDescription>> e : described.entrySet()) {
            try {
                KafkaErrors.await(e.getValue(), timeoutMs, "describing topic " + e.getKey());
            } catch (StorageException failure) {
                if (!(failure.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw failure;
                }
                missing.add(e.getKey());
            }
        }
        return missing;
    }

    /** What the topic's configuration says, or null if the topic does not exist. */
    TopicState state(String topic) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config topicConfig;
        try {
            topicConfig = KafkaErrors.await(admin.describeConfigs(List.of(resource)).all(), timeoutMs,
                    "reading the configuration of topic " + topic).get(resource);
        } catch (StorageException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return null;
            }
            throw e;
        }
        ConfigEntry maxMessage = topicConfig.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        ConfigEntry retention = topicConfig.get(TopicConfig.RETENTION_MS_CONFIG);
        long retentionMs = retention == null || retention.value() == null ? -1 : Long.parseLong(retention.value());
        return new TopicState(maxMessage != null && SEALED_MAX_MESSAGE_BYTES.equals(maxMessage.value()),
                retentionMs <= 0 ? Long.MAX_VALUE : retentionMs);
    }

    /** Sets one topic configuration value, leaving the others alone. */
    void setConfig(String topic, String name, String value) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        AlterConfigOp op = new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
        KafkaErrors.await(admin.incrementalAlterConfigs(Map.of(resource, List.of(op))).all(), timeoutMs,
                "setting " + name + "=" + value + " on topic " + topic);
    }

    /**
     * Returns once a broker answers with the configuration value set: the controller has committed it and brokers
     * apply it a moment later (about 100 ms on one node).
     */
    void awaitConfig(String topic, String name, String value) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        while (true) {
            Config current = KafkaErrors.await(admin.describeConfigs(List.of(resource)).all(), timeoutMs,
                    "reading the configuration of topic " + topic).get(resource);
            ConfigEntry entry = current.get(name);
            if (entry != null && value.equals(entry.value())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw KafkaErrors.convert("waiting for " + name + "=" + value + " on topic " + topic,
                        new org.apache.kafka.common.errors.TimeoutException("not applied within " + timeoutMs + " ms"));
            }
            sleep(POLL_INTERVAL_MS);
        }
    }

    /** The partition's high watermark: the offset the next acknowledged record gets. */
    long latestOffset(TopicPartition partition) {
        return offset(partition, OffsetSpec.latest(), "the end offset");
    }

    /** The first offset the partition still holds. */
    long earliestOffset(TopicPartition partition) {
        return offset(partition, OffsetSpec.earliest(), "the start offset");
    }

    /** The first offset whose timestamp is at or after {@code timestampMs} ({@code >= 0}), or -1 if there is none. */
    long offsetForTime(TopicPartition partition, long timestampMs) {
        return offset(partition, OffsetSpec.forTimestamp(timestampMs), "the offset at time " + timestampMs);
    }

    private long offset(TopicPartition partition, OffsetSpec spec, String what) {
        ListOffsetsResult result = admin.listOffsets(Map.of(partition, spec));
        String description = "looking up " + what + " of " + partition;
        return KafkaErrors.await(result.partitionResult(partition), timeoutMs, description).offset();
    }

    /** Deletes the topic if it exists and returns once the cluster no longer lists it. */
    void delete(String topic) {
        try {
            KafkaErrors.await(admin.deleteTopics(List.of(topic)).all(), timeoutMs, "deleting topic " + topic);
        } catch (StorageException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw e;
            }
        }
        // The controller has forgotten it; the brokers' metadata follows a moment later, and a shard re-created under
        // the same key (the server never does that, tests do) must not find the old topic.
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        while (exists(topic)) {
            if (System.nanoTime() > deadline) {
                throw KafkaErrors.convert("deleting topic " + topic,
                        new org.apache.kafka.common.errors.TimeoutException("still listed after " + timeoutMs + " ms"));
            }
            sleep(POLL_INTERVAL_MS);
        }
    }

    /** The names of every topic starting with {@code prefix}. */
    List<String> topicsStartingWith(String prefix) {
        List<String> names = new ArrayList<>();
        for (String name : KafkaErrors.await(admin.listTopics().names(), timeoutMs, "listing topics")) {
            if (name.startsWith(prefix)) {
                names.add(name);
            }
        }
        return names;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while waiting for Kafka", e);
        }
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofMillis(timeoutMs));
    }
}
