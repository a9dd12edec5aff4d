package dev.millrace.storage.kafka;

import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.FailureLog;
import dev.millrace.storage.Registration;
import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Which Millrace nodes share this Kafka cluster and topic prefix, found through Kafka alone: every node writes a
 * heartbeat to the compacted one-partition topic {@link KafkaStorageConfig#nodesTopic()} and reads everyone's.
 *
 * <p><b>Writing.</b> Every {@link #HEARTBEAT_MS} this node produces key = its node id, value = its {@link NodeInfo}
 * (layout there), with a plain idempotent producer, {@code acks=all}. {@link #start} sends the first heartbeat and
 * waits for it, so a node that cannot write there does not start. {@link #close} produces a tombstone (null value),
 * so the others drop the node at once rather than after {@link #LIVENESS_MS}.
 *
 * <p><b>Reading and liveness.</b> A tailer thread reads the topic from its beginning (assign and seek, no consumer
 * group: every node reads everything) and keeps, per node, its latest value and the timestamp the broker gave that
 * record. The topic has {@code message.timestamp.type=LogAppendTime}, so every timestamp is the partition leader's
 * clock at append. A node is live while its last heartbeat's timestamp is within {@link #LIVENESS_MS} of the newest
 * heartbeat timestamp this tailer has seen from any node (this one included, which heartbeats as long as it runs).
 * Why broker time and this reference: comparing a record's producer timestamp with this node's clock would make
 * liveness depend on two nodes' clocks agreeing (a node whose clock runs 6 s ahead would see everyone dead); with
 * both timestamps from the same leader's clock, only that clock's rate matters. And measuring against the newest
 * record read, rather than "now", makes a tailer that lags (a GC pause, a slow fetch) see an old but consistent
 * picture instead of declaring everyone dead. A leader change may move the clock by the brokers' skew; NTP keeps
 * that far below 5 s.
 *
 * <p>Startup reads the topic up to its end as of {@link #start} before returning, so {@link #liveNodes()} is
 * complete at once and listeners never see the replay of long-dead nodes. The topic's {@code segment.ms} is
 * {@link #SEGMENT_MS}, so that compaction can clean old heartbeats and that replay stays short.
 *
 * <p><b>Bounds.</b> The tailer keeps only live nodes (a dead node's entry is dropped; its next heartbeat brings it
 * back), so the map holds at most the nodes that exist. Records larger than {@link #MAX_RECORD_BYTES}, with a key that
 * is no node id, or a value that does not decode (another program writing to the topic) are skipped with a WARN,
 * rate-limited; they never stop the tailer. Node ids must be unique among running nodes: two nodes with one id are one
 * node to everyone (a WARN says so when this node reads a heartbeat of its id that is not its own).
 *
 * <p>Thread-safe. Listeners are called from the tailer thread, one at a time, in order of change.
 */
public final class NodeMembership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NodeMembership.class);
    /** How often a node announces itself. */
    public static final long HEARTBEAT_MS = 1_000;
    /** How long after its last heartbeat (broker time) a node still counts as live. */
    public static final long LIVENESS_MS = 5_000;
    /** Records larger than this are no heartbeat of ours and are skipped. */
    static final int MAX_RECORD_BYTES = 64 * 1024;
    /** Segments roll this often, so that compaction can drop old heartbeats. */
    static final long SEGMENT_MS = 600_000;
    private static final long POLL_MS = 200;
    private static final long BACKOFF_MS = 500;
    private static final long CLOSE_TIMEOUT_MS = 10_000;
    private static final long WARN_INTERVAL_MS = 60_000;

    private final String topic;
    private final TopicPartition partition;
    private final NodeInfo self;
    private final Clock clock;
    private final Producer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final ScheduledExecutorService heartbeats;
    private final Thread tailer;
    private final FailureLog sendFailures;
    private final FailureLog readFailures;
    private final CopyOnWriteArrayList<Consumer<List<NodeInfo>>> listeners = new CopyOnWriteArrayList<>();

    /** Per node id, its latest heartbeat; only the tailer thread changes it, under this object's lock. */
    private final Map<String, Heard> heard = new HashMap<>();
    private long newestHeartbeatMs = Long.MIN_VALUE;
    private List<NodeInfo> live = List.of();
    private long firstHeartbeatMs;
    private long lastWarnMs = Long.MIN_VALUE;
    private long unwarned;
    private volatile boolean running = true;
    private volatile boolean crashed;
    private boolean closed;

    private record Heard(NodeInfo info, long timestampMs) {
    }

    private NodeMembership(KafkaStorageConfig config, NodeInfo self, Clock clock, Producer<byte[], byte[]> producer,
                           KafkaConsumer<byte[], byte[]> consumer) {
        this.topic = config.nodesTopic();
        this.partition = new TopicPartition(topic, 0);
        this.self = self;
        this.clock = clock;
        this.producer = producer;
        this.consumer = consumer;
        this.sendFailures = new FailureLog(log, "Heartbeat of node " + self.nodeId() + " to " + topic, clock,
                WARN_INTERVAL_MS);
        this.readFailures = new FailureLog(log, "Node membership reader of " + topic, clock, WARN_INTERVAL_MS);
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "node-heartbeat-" + self.nodeId());
            t.setDaemon(true);
            return t;
        });
        this.tailer = new Thread(this::tail, "node-membership-" + self.nodeId());
        this.tailer.setDaemon(true);
    }

    /**
     * Creates the nodes topic if missing, announces {@code self} and reads the topic up to its current end, then
     * heartbeats and tails in the background. {@code clock} paces the log lines; liveness runs on broker time.
     *
     * @throws StorageException if Kafka cannot be reached or the topic cannot be made or read
     */
    public static NodeMembership start(KafkaStorageConfig config, NodeInfo self, Clock clock) {
        try (Admin admin = Admin.create(config.clientConfig(Map.of()))) {
            CoordinationTopics.ensure(admin, config, config.nodesTopic(), Map.of(
                    "cleanup.policy", "compact",
                    "message.timestamp.type", "LogAppendTime",
                    "segment.ms", Long.toString(SEGMENT_MS)));
        } catch (KafkaException e) {
            throw KafkaErrors.convert("prepare topic " + config.nodesTopic(), e);
        }
        Producer<byte[], byte[]> producer = null;
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            producer = new KafkaProducer<>(config.clientConfig(producerSettings()));
            consumer = new KafkaConsumer<>(config.clientConfig(consumerSettings()));
            NodeMembership membership = new NodeMembership(config, self, clock, producer, consumer);
            membership.load();
            return membership;
        } catch (RuntimeException e) {
            if (consumer != null) {
                consumer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
            }
            if (producer != null) {
                producer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
            }
            throw e instanceof StorageException s ? s : KafkaErrors.convert("start node membership", e);
        }
    }

    private static Map<String, Object> producerSettings() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("acks", "all");
        settings.put("enable.idempotence", "true");
        settings.put("linger.ms", "0");
        // A heartbeat older than the liveness window is worthless; do not let sends pile up behind an outage.
        settings.put("request.timeout.ms", "4000");
        settings.put("delivery.timeout.ms", "5000");
        settings.put("max.block.ms", "5000");
        settings.put("key.serializer", ByteArraySerializer.class.getName());
        settings.put("value.serializer", ByteArraySerializer.class.getName());
        return settings;
    }

    private static Map<String, Object> consumerSettings() {
        Map<String, Object> settings = new HashMap<>();
        settings.put("enable.auto.commit", "false");
        settings.put("allow.auto.create.topics", "false");
        settings.put("auto.offset.reset", "earliest");
        settings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        settings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return settings;
    }

    /** Sends the first heartbeat and waits for it, reads up to the end, then starts the threads. */
    private void load() {
        firstHeartbeatMs = KafkaErrors.await(producer.send(heartbeat()), CoordinationTopics.TIMEOUT_MS,
                "announce node " + self.nodeId() + " on " + topic).timestamp();
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        long end = consumer.endOffsets(List.of(partition), Duration.ofMillis(CoordinationTopics.TIMEOUT_MS))
                .get(partition);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CoordinationTopics.TIMEOUT_MS);
        while (consumer.position(partition, Duration.ofMillis(CoordinationTopics.TIMEOUT_MS)) < end) {
            if (System.nanoTime() > deadline) {
                throw new StorageException("could not read " + topic + " to its end (offset " + end + ") within "
                        + CoordinationTopics.TIMEOUT_MS + " ms (retryable)");
            }
            readRecords(consumer.poll(Duration.ofMillis(POLL_MS)), false);
        }
        synchronized (this) {
            live = computeLive();
        }
        tailer.start();
        heartbeats.scheduleAtFixedRate(this::beat, HEARTBEAT_MS, HEARTBEAT_MS, TimeUnit.MILLISECONDS);
    }

    private ProducerRecord<byte[], byte[]> heartbeat() {
        // No timestamp of ours: the topic's LogAppendTime makes the broker stamp the record.
        return new ProducerRecord<>(topic, 0, (Long) null, key(self.nodeId()), self.encode());
    }

    private static byte[] key(String nodeId) {
        return nodeId.getBytes(StandardCharsets.UTF_8);
    }

    private void beat() {
        try {
            producer.send(heartbeat(), (metadata, failure) -> {
                if (failure == null) {
                    sendFailures.healed("heartbeats arrive again");
                } else {
                    sendFailures.failure("heartbeat failed (retrying)", failure);
                }
            });
        } catch (KafkaException e) {
            sendFailures.failure("heartbeat not sent (retrying)", e);
        }
    }

    private void tail() {
        try {
            while (running) {
                try {
                    readRecords(consumer.poll(Duration.ofMillis(POLL_MS)), true);
                    readFailures.healed("reads again");
                } catch (WakeupException e) {
                    // close() woke the poll; the loop condition ends it.
                } catch (KafkaException | IllegalStateException e) {
                    readFailures.failure("reading failed (retrying)", e);
                    KafkaMetadataStore.sleepQuietly(BACKOFF_MS);
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("Node membership reader of {} died; the live set stays as it was", topic, e);
        } finally {
            consumer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        }
    }

    /** Applies a poll's records, then tells the listeners if the live set changed (and {@code notify} is set). */
    private void readRecords(Iterable<ConsumerRecord<byte[], byte[]>> records, boolean notify) {
        List<NodeInfo> changed = null;
        synchronized (this) {
            for (ConsumerRecord<byte[], byte[]> record : records) {
                accept(record);
            }
            List<NodeInfo> now = computeLive();
            if (!now.equals(live)) {
                live = now;
                changed = now;
            }
        }
        if (changed != null && notify) {
            for (Consumer<List<NodeInfo>> listener : listeners) {
                try {
                    listener.accept(changed);
                } catch (RuntimeException e) {
                    log.warn("A node membership listener failed", e);
                }
            }
        }
    }

    private void accept(ConsumerRecord<byte[], byte[]> record) {
        byte[] keyBytes = record.key();
        String nodeId = keyBytes == null ? null : new String(keyBytes, StandardCharsets.UTF_8);
        int sizeBytes = (keyBytes == null ? 0 : keyBytes.length) + (record.value() == null ? 0
                : record.value().length);
        if (sizeBytes > MAX_RECORD_BYTES) {
            skip(record, sizeBytes + " bytes, more than " + MAX_RECORD_BYTES);
            return;
        }
        if (!NodeInfo.validNodeId(nodeId)) {
            skip(record, "its key is no node id");
            return;
        }
        if (record.value() == null) {
            heard.remove(nodeId);
            return;
        }
        NodeInfo info;
        try {
            info = NodeInfo.decode(record.value());
        } catch (CorruptDataException e) {
            skip(record, e.getMessage());
            return;
        }
        if (!info.nodeId().equals(nodeId)) {
            skip(record, "key " + nodeId + " but value of node " + info.nodeId());
            return;
        }
        // Older records of this id are an earlier life of this node; newer ones another node's.
        if (nodeId.equals(self.nodeId()) && !info.equals(self) && record.timestamp() > firstHeartbeatMs) {
            warn("Node id " + nodeId + " is used by another node too (" + info.endpoint() + ", started at "
                    + info.startedMs() + "); node ids must be unique");
        }
        heard.put(nodeId, new Heard(info, record.timestamp()));
        newestHeartbeatMs = Math.max(newestHeartbeatMs, record.timestamp());
    }

    private void skip(ConsumerRecord<byte[], byte[]> record, String why) {
        warn("Skipped a record at offset " + record.offset() + " of " + topic + " that is no node heartbeat: " + why);
    }

    /** A WARN line, at most one per {@link #WARN_INTERVAL_MS}: the topic may hold any number of bad records. */
    private void warn(String line) {
        long nowMs = clock.millis();
        if (lastWarnMs != Long.MIN_VALUE && nowMs - lastWarnMs < WARN_INTERVAL_MS) {
            unwarned++;
            return;
        }
        log.warn("{}{}", line, unwarned == 0 ? "" : " (" + unwarned + " more warnings since the last one)");
        lastWarnMs = nowMs;
        unwarned = 0;
    }

    /** The live nodes by node id; drops the dead ones from the map. */
    private List<NodeInfo> computeLive() {
        List<NodeInfo> result = new ArrayList<>();
        for (Iterator<Heard> it = heard.values().iterator(); it.hasNext(); ) {
            Heard h = it.next();
            if (newestHeartbeatMs - h.timestampMs() <= LIVENESS_MS) {
                result.add(h.info());
            } else {
                it.remove();
            }
        }
        result.sort(Comparator.comparing(NodeInfo::nodeId));
        return List.copyOf(result);
    }

    /** The live nodes, sorted by node id; a copy. */
    public synchronized List<NodeInfo> liveNodes() {
        return live;
    }

    /** This node, as it announces itself. */
    public NodeInfo self() {
        return self;
    }

    /**
     * Calls {@code listener} with the live nodes (sorted by node id) each time that set changes, from the tailer
     * thread; it should return quickly, since later changes wait for it.
     */
    public Registration onChange(Consumer<List<NodeInfo>> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** For tests: how many nodes the tailer keeps an entry for. */
    synchronized int trackedNodesForTest() {
        return heard.size();
    }

    /** For tests: behaves like a node that crashed, no heartbeats and no tombstone (the reader goes on). */
    void stopHeartbeatsForTest() {
        crashed = true;
        heartbeats.shutdownNow();
    }

    /** Stops heartbeating, tells the others this node left (a tombstone), and stops reading. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        heartbeats.shutdownNow();
        try {
            heartbeats.awaitTermination(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (!crashed) {
                producer.send(new ProducerRecord<>(topic, 0, (Long) null, key(self.nodeId()), (byte[]) null))
                        .get(CLOSE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("Node {} could not announce leaving on {}; the others drop it after {} ms: {}",
                    self.nodeId(), topic, LIVENESS_MS, e.toString());
        } finally {
            producer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
            running = false;
            consumer.wakeup();
            if (Thread.currentThread() == tailer) {
                return; // closed by a listener: the tailer ends once it returns
            }
            try {
                tailer.join(CLOSE_TIMEOUT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
