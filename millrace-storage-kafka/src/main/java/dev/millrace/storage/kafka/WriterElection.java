package dev.millrace.storage.kafka;

import dev.millrace.storage.FailureLog;
import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidSessionTimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Elects the one node that writes the metadata topic, among the nodes sharing a Kafka cluster and topic prefix, with
 * Kafka's group membership: every node joins the consumer group {@code <prefix>metadata-writer}
 * ({@link #groupId}) subscribed to the one-partition topic {@link KafkaStorageConfig#writerElectionTopic()} (which
 * never holds records), and the member the group assigns partition 0 is the writer.
 *
 * <p><b>Protocol.</b> The classic group protocol ({@code group.protocol=classic}), because there the client's
 * {@code session.timeout.ms} decides when a silent member is dropped (under the newer consumer protocol the broker's
 * {@code group.consumer.session.timeout.ms}, 45 s by default, would). No {@code group.instance.id}: a static member
 * that crashes keeps its assignment until its session ends and is meant to come back to it, the opposite of a quick
 * takeover. The assignor is the cooperative sticky one: when a node joins, the writer keeps partition 0 and is not
 * deposed and re-elected; and a partition moves between live members only after its owner has given it up, so two
 * live members never both hold it.
 *
 * <p><b>Takeover.</b> When the writer {@link #close closes}, it leaves the group; the others learn of the rebalance
 * with their next heartbeat ({@link #HEARTBEAT_INTERVAL_MS}) and one gets partition 0 within about two seconds. When
 * the writer crashes, the group coordinator notices after the session timeout without a heartbeat
 * ({@link KafkaStorageConfig#writerSessionTimeoutMs()}, 10 s by default), then rebalances: the survivors rejoin at
 * their next heartbeat and poll (1 s + {@link #POLL_MS}), and the join and sync round trips take milliseconds, so by
 * default the new writer is elected 11 to 12 s after the crash, under the 15 s that issue #15 requires. What could
 * stretch it: the rebalance waits for every surviving member to rejoin, at most {@code max.poll.interval.ms} (set to
 * the session timeout so that a member stuck in a listener delays it by at most that, and is then dropped from the
 * group); and a group with no members at all waits
 * {@code group.initial.rebalance.delay.ms} (3 s by default) before its first election, which only happens when the
 * first node starts.
 *
 * <p><b>Overlap.</b> From the listeners' point of view, {@code deposed()} of the old writer comes before
 * {@code elected()} of the new one, as long as the old writer is alive and in touch with the group. A writer that
 * crashed cannot report, and one that is cut off from Kafka or paused (GC, a stopped VM) longer than the session
 * timeout still believes it is elected until its next poll learns that it lost the partition
 * ({@code onPartitionsLost}): for that while two nodes may both act as writer. The metadata writer's transactional
 * fencing covers it: the new writer's {@code initTransactions()} on the shared {@code transactional.id} fences the old
 * producer, whose next commit fails, so the old writer cannot write after the new one began.
 *
 * <p>Thread-safe. The listener is called from the election thread, never concurrently; it should return quickly
 * (hand long work to another thread), since the group's rebalances wait for it.
 */
public final class WriterElection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WriterElection.class);
    /** At most a third of the shortest session ({@link KafkaStorageConfig#MIN_WRITER_SESSION_TIMEOUT_MS}). */
    static final long HEARTBEAT_INTERVAL_MS = 1_000;
    static final long POLL_MS = 200;
    private static final long BACKOFF_MS = 500;
    private static final long CLOSE_TIMEOUT_MS = 10_000;
    private static final long WARN_INTERVAL_MS = 60_000;
    static final String GROUP_SUFFIX = "metadata-writer";

    /** Told when this node becomes the writer and when it stops being it. */
    public interface Listener {
        /** This node is now the metadata writer. */
        void elected();

        /** This node is no longer the metadata writer (also when the election closes). */
        void deposed();
    }

    private final String nodeId;
    private final long sessionTimeoutMs;
    private final String topic;
    private final TopicPartition partition;
    private final Listener listener;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final FailureLog pollFailures;
    private volatile boolean elected;
    private volatile boolean running = true;
    /** Set by {@link #abandonForTest}: the listener hears nothing more and the group is not left. */
    private volatile boolean abandoned;

    private WriterElection(KafkaStorageConfig config, String nodeId, Listener listener,
                           KafkaConsumer<byte[], byte[]> consumer) {
        this.nodeId = nodeId;
        this.sessionTimeoutMs = config.writerSessionTimeoutMs();
        this.topic = config.writerElectionTopic();
        this.partition = new TopicPartition(topic, 0);
        this.listener = listener;
        this.consumer = consumer;
        // Only paces log lines; the election itself runs on Kafka's timers.
        this.pollFailures = new FailureLog(log, "Writer election of node " + nodeId, Clock.systemUTC(),
                WARN_INTERVAL_MS);
        this.thread = new Thread(this::run, "writer-election-" + nodeId);
        this.thread.setDaemon(true);
    }

    /** The consumer group the nodes of this prefix elect their metadata writer in. */
    public static String groupId(KafkaStorageConfig config) {
        return config.topicPrefix() + GROUP_SUFFIX;
    }

    /**
     * Creates the election topic if missing and joins the election; {@code listener} hears the outcome from the
     * election thread.
     *
     * @throws StorageException if Kafka cannot be reached or the topic cannot be made
     */
    public static WriterElection start(KafkaStorageConfig config, String nodeId, Listener listener) {
        Objects.requireNonNull(listener, "listener");
        if (!NodeInfo.validNodeId(nodeId)) {
            throw new IllegalArgumentException("node id '" + nodeId
                    + "' must be 1 to 64 of the characters A-Z a-z 0-9 . _ -");
        }
        try (Admin admin = Admin.create(config.clientConfig(Map.of()))) {
            // It never holds records; delete (not compact) keeps any stray writes from growing it.
            CoordinationTopics.ensure(admin, config, config.writerElectionTopic(), Map.of(
                    "cleanup.policy", "delete",
                    "retention.ms", "60000"));
        } catch (KafkaException e) {
            throw KafkaErrors.convert("prepare topic " + config.writerElectionTopic(), e);
        }
        KafkaConsumer<byte[], byte[]> consumer;
        try {
            consumer = new KafkaConsumer<>(config.clientConfig(consumerSettings(config, nodeId)));
        } catch (KafkaException e) {
            throw KafkaErrors.convert("join the writer election", e);
        }
        WriterElection election = new WriterElection(config, nodeId, listener, consumer);
        try {
            consumer.subscribe(List.of(config.writerElectionTopic()), election.new Rebalances());
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        election.thread.start();
        return election;
    }

    static Map<String, Object> consumerSettings(KafkaStorageConfig config, String nodeId) {
        Map<String, Object> settings = new HashMap<>();
        settings.put("group.id", groupId(config));
        settings.put("group.protocol", "classic");
        settings.put("client.id", config.topicPrefix() + "writer-election-" + nodeId);
        // The classic protocol's session: a member silent this long is dropped from the group.
        settings.put("session.timeout.ms", Long.toString(config.writerSessionTimeoutMs()));
        settings.put("heartbeat.interval.ms", Long.toString(HEARTBEAT_INTERVAL_MS));
        settings.put("max.poll.interval.ms", Long.toString(config.writerSessionTimeoutMs()));
        settings.put("partition.assignment.strategy", CooperativeStickyAssignor.class.getName());
        settings.put("enable.auto.commit", "false");
        settings.put("allow.auto.create.topics", "false");
        settings.put("auto.offset.reset", "latest");
        settings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        settings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return settings;
    }

    private void run() {
        try {
            while (running) {
                try {
                    // The topic holds no records; polling is what heartbeats, joins and runs the callbacks.
                    consumer.poll(Duration.ofMillis(POLL_MS));
                    pollFailures.healed("takes part again");
                } catch (WakeupException e) {
                    // close() woke the poll; the loop condition ends it.
                } catch (InvalidSessionTimeoutException e) {
                    // Only the operator can mend this one: say which setting, or the node silently never writes.
                    pollFailures.failure("cannot join: its session timeout, " + sessionTimeoutMs + " ms, is outside "
                            + "what the brokers allow (group.min.session.timeout.ms to group.max.session.timeout.ms,"
                            + " 6000 to 1800000 by default); it will not become the writer until it is restarted with"
                            + " one in range (retrying)", e);
                    KafkaMetadataStore.sleepQuietly(BACKOFF_MS);
                } catch (KafkaException | IllegalStateException e) {
                    pollFailures.failure("polling failed (retrying)", e);
                    KafkaMetadataStore.sleepQuietly(BACKOFF_MS);
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("Writer election of node {} died", nodeId, e);
        } finally {
            leave();
        }
    }

    /** Leaves the group (unless abandoned) and reports the end of this node's term, on the election thread. */
    private void leave() {
        try {
            if (abandoned) {
                // A crash sends no LeaveGroup: the coordinator must notice the missing heartbeats.
                consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation
                        .REMAIN_IN_GROUP).withTimeout(Duration.ofMillis(CLOSE_TIMEOUT_MS)));
            } else {
                consumer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
            }
        } catch (KafkaException e) {
            log.warn("Writer election of node {}: leaving the group failed: {}", nodeId, e.toString());
        }
        depose();
    }

    private void elect() {
        if (elected || abandoned) {
            return;
        }
        elected = true;
        log.info("Node {} is elected metadata writer", nodeId);
        try {
            listener.elected();
        } catch (RuntimeException e) {
            log.error("Writer election of node {}: the elected() listener failed", nodeId, e);
        }
    }

    private void depose() {
        if (!elected || abandoned) {
            return;
        }
        elected = false;
        log.info("Node {} is no longer metadata writer", nodeId);
        try {
            listener.deposed();
        } catch (RuntimeException e) {
            log.error("Writer election of node {}: the deposed() listener failed", nodeId, e);
        }
    }

    /** Whether this node holds partition 0, so is the metadata writer, as far as it knows (see the class comment). */
    public boolean isElected() {
        return elected;
    }

    /**
     * For tests: behaves like a node that crashed. The election thread stops without leaving the group (closing
     * the consumer without a LeaveGroup, so its heartbeats stop too), and the listener hears nothing more.
     */
    void abandonForTest() {
        abandoned = true;
        stop();
    }

    /** Leaves the group, so that another node is elected at once, and reports {@code deposed()} if elected. */
    @Override
    public void close() {
        stop();
    }

    private void stop() {
        running = false;
        if (!thread.isAlive()) {
            return;
        }
        consumer.wakeup();
        if (Thread.currentThread() == thread) {
            return; // called from a listener: the loop ends after it returns
        }
        try {
            thread.join(2 * CLOSE_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Calls the listener when partition 0 comes or goes; runs on the election thread, inside poll(). */
    private final class Rebalances implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.contains(partition)) {
                elect();
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.contains(partition)) {
                depose();
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (partitions.contains(partition)) {
                depose();
            }
        }
    }
}
