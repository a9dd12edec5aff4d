package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure a one-partition topic the nodes coordinate through ({@link KafkaStorageConfig#nodesTopic()},
 * {@link KafkaStorageConfig#writerElectionTopic()}) exists, the way {@link MetadataTopic} does for the metadata
 * topic: created with the configured replication and {@code min.insync.replicas} (chosen from the cluster's size as
 * for every topic), or, if another node created it first (two nodes starting together race; the loser's
 * {@code TopicExistsException} is expected), checked; then waited on until its partition has a leader.
 *
 * <p>A topic found with settings of its own: more than one partition is refused (the election needs exactly one
 * partition to own, the membership reads one); the settings the topic was asked to have ({@code cleanup.policy},
 * {@code message.timestamp.type}...) are set on it if they differ, since the code relies on them.
 *
 * <p>Stateless, thread-safe.
 */
final class CoordinationTopics {
    private static final Logger log = LoggerFactory.getLogger(CoordinationTopics.class);
    static final long TIMEOUT_MS = 30_000;
    private static final long LEADER_POLL_MS = 100;

    private CoordinationTopics() {
    }

    /** Creates {@code topic} with one partition and {@code settings}, or checks and fixes the one found. */
    static void ensure(Admin admin, KafkaStorageConfig config, String topic, Map<String, String> settings) {
        // Brokers that are down but registered count: the topic's copies must not shrink during a broker restart.
        int brokers = KafkaErrors.await(admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true))
                .nodes(), TIMEOUT_MS, "describe the Kafka cluster").size();
        short factor = config.replicationFactorFor(brokers);
        Map<String, String> topicConfig = new HashMap<>(settings);
        topicConfig.put("min.insync.replicas", Integer.toString(config.minInsyncReplicasFor(factor)));
        boolean found = false;
        try {
            KafkaErrors.await(admin.createTopics(List.of(new NewTopic(topic, 1, factor).configs(topicConfig))).all(),
                    TIMEOUT_MS, "create topic " + topic + " (replication factor " + factor + ", " + brokers
                            + " brokers)");
            log.info("Created topic {} (replication factor {})", topic, factor);
        } catch (StorageException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
            found = true;
        }
        awaitLeader(admin, topic);
        if (found) {
            // Only once its partitions passed: a topic this code refuses is left as it was.
            fixSettings(admin, topic, settings);
        }
    }

    private static void fixSettings(Admin admin, String topic, Map<String, String> settings) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config found = KafkaErrors.await(admin.describeConfigs(List.of(resource)).all(), TIMEOUT_MS,
                "describe topic " + topic).get(resource);
        List<AlterConfigOp> changes = new ArrayList<>();
        settings.forEach((name, value) -> {
            ConfigEntry entry = found.get(name);
            if (entry == null || !value.equals(entry.value())) {
                log.warn("Topic {} has {}={}; setting it to {}", topic, name, entry == null ? "?" : entry.value(),
                        value);
                changes.add(new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET));
            }
        });
        if (!changes.isEmpty()) {
            KafkaErrors.await(admin.incrementalAlterConfigs(Map.of(resource, changes)).all(), TIMEOUT_MS,
                    "change the settings of topic " + topic);
        }
    }

    private static void awaitLeader(Admin admin, String topic) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (true) {
            try {
                TopicDescription description = KafkaErrors.await(admin.describeTopics(List.of(topic))
                        .allTopicNames(), TIMEOUT_MS, "describe topic " + topic).get(topic);
                if (description.partitions().size() != 1) {
                    throw new StorageException("topic " + topic + " has " + description.partitions().size()
                            + " partitions; it must have exactly one");
                }
                if (description.partitions().get(0).leader() != null) {
                    return;
                }
            } catch (StorageException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new StorageException("topic " + topic + " has no leader after " + TIMEOUT_MS
                        + " ms (retryable)");
            }
            KafkaMetadataStore.sleepQuietly(LEADER_POLL_MS);
            if (Thread.currentThread().isInterrupted()) {
                throw new StorageException("interrupted while waiting for a leader of topic " + topic);
            }
        }
    }
}
