package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.Registration;
import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Node membership against a real one-node cluster, several nodes in one JVM: they find each other, a node that
 * closes is dropped at once (its tombstone), one that crashes (stops heartbeating) after the liveness window, a
 * restarted node comes back, and records other programs write to the topic are skipped without stopping anyone.
 */
@ExtendWith(SharedKafka.class)
class NodeMembershipTest {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static KafkaTestCluster cluster;
    private final List<NodeMembership> started = new CopyOnWriteArrayList<>();
    private KafkaStorageConfig config;

    @BeforeAll
    static void startCluster(KafkaTestCluster shared) {
        cluster = shared;
    }

    @BeforeEach
    void prefix() {
        config = KafkaStorageConfig.of(cluster.bootstrapServers())
                .withTopicPrefix("members" + PREFIXES.incrementAndGet() + ".");
    }

    @AfterEach
    void closeAll() {
        started.forEach(NodeMembership::close);
    }

    private NodeMembership start(String nodeId, long startedMs) {
        NodeMembership m = NodeMembership.start(config,
                new NodeInfo(nodeId, "http://127.0.0.1:" + (4000 + nodeId.hashCode() % 1000), startedMs),
                Clock.systemUTC());
        started.add(m);
        return m;
    }

    private static List<String> ids(NodeMembership m) {
        return m.liveNodes().stream().map(NodeInfo::nodeId).toList();
    }

    @Test
    void nodesSeeEachOtherAndAClosedNodeIsDroppedAtOnce() {
        NodeMembership a = start("a", 1);
        assertThat(ids(a)).as("a node sees itself once start() returns").containsExactly("a");
        NodeMembership c = start("c", 3);
        NodeMembership b = start("b", 2);
        List<List<NodeInfo>> changes = new CopyOnWriteArrayList<>();
        Registration registration = a.onChange(changes::add);
        for (NodeMembership m : List.of(a, b, c)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> ids(m).equals(List.of("a", "b", "c")));
        }
        assertThat(a.liveNodes()).contains(b.self(), c.self());

        long closedAtNs = System.nanoTime();
        c.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> ids(a).equals(List.of("a", "b"))
                && ids(b).equals(List.of("a", "b")));
        long droppedAfterMs = (System.nanoTime() - closedAtNs) / 1_000_000;
        assertThat(droppedAfterMs).as("dropped by its tombstone, not by the liveness window")
                .isLessThan(NodeMembership.LIVENESS_MS - 2_000);
        await().atMost(Duration.ofSeconds(2)).until(() -> !changes.isEmpty()
                && changes.get(changes.size() - 1).equals(List.of(a.self(), b.self())));

        registration.close();
        int heard = changes.size();
        b.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> ids(a).equals(List.of("a")));
        assertThat(changes).as("no calls after the registration closed").hasSize(heard);
    }

    @Test
    void aCrashedNodeIsDroppedAfterTheLivenessWindowAndComesBackWhenRestarted() {
        NodeMembership a = start("a", 1);
        NodeMembership b = start("b", 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> ids(a).equals(List.of("a", "b")));

        long crashedAtNs = System.nanoTime();
        b.stopHeartbeatsForTest();
        await().atMost(Duration.ofSeconds(15)).until(() -> ids(a).equals(List.of("a")));
        long droppedAfterMs = (System.nanoTime() - crashedAtNs) / 1_000_000;
        // Its last heartbeat went out at most one interval before the crash.
        assertThat(droppedAfterMs).isBetween(NodeMembership.LIVENESS_MS - NodeMembership.HEARTBEAT_MS - 500,
                NodeMembership.LIVENESS_MS + 3_000);
        assertThat(a.trackedNodesForTest()).as("the dead node's entry is dropped, not kept").isEqualTo(1);

        NodeMembership b2 = start("b", 22);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.liveNodes().equals(List.of(a.self(), b2.self())));
        assertThat(a.liveNodes().get(1).startedMs()).isEqualTo(22);
        assertThat(ids(b2)).containsExactly("a", "b");
    }

    @Test
    void foreignAndGarbageRecordsAreSkipped() throws Exception {
        NodeMembership a = start("a", 1);
        NodeInfo foreign = new NodeInfo("f", "http://elsewhere:1", 7);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                "bootstrap.servers", cluster.bootstrapServers(),
                "key.serializer", ByteArraySerializer.class.getName(),
                "value.serializer", ByteArraySerializer.class.getName()))) {
            String topic = config.nodesTopic();
            // (A record without a key the broker itself refuses on a compacted topic.)
            List<ProducerRecord<byte[], byte[]>> garbage = List.of(
                    new ProducerRecord<>(topic, 0, bytes("x"), bytes("not a node record")),
                    new ProducerRecord<>(topic, 0, bytes("bad key/"), new NodeInfo("g", "http://g", 1).encode()),
                    new ProducerRecord<>(topic, 0, bytes("liar"), new NodeInfo("h", "http://h", 1).encode()),
                    new ProducerRecord<>(topic, 0, bytes("big"), new byte[NodeMembership.MAX_RECORD_BYTES + 1]),
                    new ProducerRecord<>(topic, 0, bytes("empty"), new byte[0]));
            for (ProducerRecord<byte[], byte[]> record : garbage) {
                producer.send(record).get();
            }
            producer.send(new ProducerRecord<>(topic, 0, bytes("f"), foreign.encode())).get();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> ids(a).equals(List.of("a", "f")));
        assertThat(a.liveNodes()).contains(foreign);

        // A node starting now replays the garbage while loading; it must start all the same.
        NodeMembership b = start("b", 2);
        assertThat(ids(b)).contains("a", "b").doesNotContain("x", "big", "empty", "liar", "g", "h");
        // The foreign node sends no more heartbeats, so both drop it once the window has passed.
        await().atMost(Duration.ofSeconds(15)).until(() -> ids(a).equals(List.of("a", "b"))
                && ids(b).equals(List.of("a", "b")));
        assertThat(a.trackedNodesForTest()).isEqualTo(2);
        assertThat(b.trackedNodesForTest()).isEqualTo(2);
    }

    @Test
    void nodesStartingTogetherCreateTheTopicOnceAndAForeignTopicIsFixedOrRefused() throws Exception {
        List<java.util.concurrent.Future<NodeMembership>> racing = new ArrayList<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (String id : List.of("r1", "r2", "r3")) {
                racing.add(pool.submit(() -> start(id, 1)));
            }
            for (java.util.concurrent.Future<NodeMembership> f : racing) {
                NodeMembership m = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                await().atMost(Duration.ofSeconds(5)).until(() -> ids(m).equals(List.of("r1", "r2", "r3")));
            }
        } finally {
            pool.shutdown();
        }

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            KafkaStorageConfig wrongSettings = config.withTopicPrefix(config.topicPrefix() + "w.");
            admin.createTopics(List.of(new NewTopic(wrongSettings.nodesTopic(), 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "delete", "message.timestamp.type", "CreateTime")))).all().get();
            NodeMembership.start(wrongSettings, new NodeInfo("w", "http://w", 1), Clock.systemUTC()).close();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, wrongSettings.nodesTopic());
            Config fixed = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(fixed.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(fixed.get("message.timestamp.type").value()).isEqualTo("LogAppendTime");

            KafkaStorageConfig twoPartitions = config.withTopicPrefix(config.topicPrefix() + "p.");
            admin.createTopics(List.of(new NewTopic(twoPartitions.nodesTopic(), 2, (short) 1))).all().get();
            assertThatThrownBy(() -> NodeMembership.start(twoPartitions, new NodeInfo("p", "http://p", 1),
                    Clock.systemUTC())).isInstanceOf(StorageException.class)
                    .hasMessageContaining("has 2 partitions; it must have exactly one");
            ConfigResource refused = new ConfigResource(ConfigResource.Type.TOPIC, twoPartitions.nodesTopic());
            assertThat(admin.describeConfigs(List.of(refused)).all().get().get(refused).get("cleanup.policy")
                    .value()).as("a refused topic is left as it was").isEqualTo("delete");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
