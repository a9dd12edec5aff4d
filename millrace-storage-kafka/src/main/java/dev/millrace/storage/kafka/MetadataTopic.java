package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.millrace.storage.kafka.KafkaMetadataStore.OPEN_TIMEOUT_MS;

/**
 * Makes sure the metadata topic ({@link KafkaStorageConfig#metadataTopic()}) exists as {@link KafkaMetadataStore}
 * needs it: one partition (commits keep their order), {@code cleanup.policy=compact} (the latest record per key is
 * kept forever), the configured replication and {@code min.insync.replicas}, a {@code max.message.bytes} that holds
 * the largest record, and a leader.
 *
 * <p>Stateless, thread-safe.
 */
final class MetadataTopic {
    private static final Logger log = LoggerFactory.getLogger(MetadataTopic.class);
    /** Lagging readers see single commits for this long before compaction may merge them. */
    static final long MIN_COMPACTION_LAG_MS = 3_600_000;

    private MetadataTopic() {
    }

    /**
     * Creates the topic (compacted, one partition) or checks the one found: a second partition or a delete policy
     * would lose metadata, so they are refused; a {@code max.message.bytes} below one full record is raised.
     */
    static void ensure(Admin admin, KafkaStorageConfig config, int maxRecordBytes) {
        String topic = config.metadataTopic();
        // Brokers that are down but registered count: the topic's copies must not shrink during a broker restart.
        int brokers = get(admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true)).nodes(),
                "describe the cluster").size();
        short factor = config.replicationFactorFor(brokers);
        Map<String, String> topicConfig = Map.of(
                "cleanup.policy", "compact",
                "min.insync.replicas", Integer.toString(config.minInsyncReplicasFor(factor)),
                "max.message.bytes", Integer.toString(maxRecordBytes),
                "min.compaction.lag.ms", Long.toString(MIN_COMPACTION_LAG_MS));
        try {
            get(admin.createTopics(List.of(new NewTopic(topic, 1, factor).configs(topicConfig))).all(),
                    "create topic " + topic + " (replication factor " + factor + ", " + brokers + " brokers)");
            log.info("Created metadata topic {} (replication factor {})", topic, factor);
        } catch (StorageException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
            checkExisting(admin, topic, maxRecordBytes);
        }
        awaitLeader(admin, topic);
    }

    private static void checkExisting(Admin admin, String topic, int maxRecordBytes) {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config found = get(admin.describeConfigs(List.of(resource)).all(), "describe topic " + topic).get(resource);
        ConfigEntry policy = found.get("cleanup.policy");
        if (policy == null || !"compact".equals(policy.value())) {
            throw new StorageException("metadata topic " + topic + " has cleanup.policy="
                    + (policy == null ? "?" : policy.value()) + "; it must be exactly 'compact', or old metadata is"
                    + " deleted");
        }
        ConfigEntry maxBytes = found.get("max.message.bytes");
        if (maxBytes == null || Long.parseLong(maxBytes.value()) < maxRecordBytes) {
            get(admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry("max.message.bytes", Integer.toString(maxRecordBytes)),
                    AlterConfigOp.OpType.SET)))).all(), "raise max.message.bytes of " + topic);
        }
    }

    private static void awaitLeader(Admin admin, String topic) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OPEN_TIMEOUT_MS);
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                        .get(OPEN_TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic);
                if (description.partitions().size() != 1) {
                    throw new StorageException("metadata topic " + topic + " has " + description.partitions().size()
                            + " partitions; it must have exactly one, or commits lose their order");
                }
                if (description.partitions().get(0).leader() != null) {
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw KafkaMetadataStore.converted("cannot describe metadata topic " + topic, e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while waiting for metadata topic " + topic, e);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new StorageException("metadata topic " + topic + " could not be described (retryable)", e);
            }
            if (System.nanoTime() > deadline) {
                throw new StorageException("metadata topic " + topic + " has no leader after " + OPEN_TIMEOUT_MS
                        + " ms (retryable)");
            }
            KafkaMetadataStore.sleepQuietly(100);
        }
    }

    private static <T> T get(KafkaFuture<T> future, String what) {
        try {
            return future.get(OPEN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw KafkaMetadataStore.converted("cannot " + what, e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new StorageException("cannot " + what + " within " + OPEN_TIMEOUT_MS + " ms (retryable)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted: cannot " + what, e);
        }
    }
}
