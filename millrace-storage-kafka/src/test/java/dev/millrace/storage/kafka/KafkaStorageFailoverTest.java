package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.ChildKafkaCluster;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

/**
 * The Kafka backend when brokers die: three child-JVM brokers, shard topics with replication factor 3 and
 * {@code min.insync.replicas} 2, and SIGKILL ({@link ChildKafkaCluster#kill}) rather than a graceful stop.
 * <ol>
 *   <li>Writers append batches to three shards without pause; the leader of one shard's partition is SIGKILLed.
 *       Appends may fail for a while, each with a {@link StorageException} that {@link KafkaErrors#retryable} calls
 *       retryable, then succeed again on every shard. Every
 *       acknowledged record reads back exactly once, at the position it was given, in append order; a record whose
 *       append failed may be there or not, but at most once, and nothing else is.</li>
 *   <li>Two of three nodes are SIGKILLed (the quorum and min ISR are lost): an append fails with a retryable
 *       {@link StorageException} within the producer's delivery timeout, never hangs and never reports success; once
 *       both nodes are back, appends succeed and everything acknowledged before is still there.</li>
 * </ol>
 *
 * <p>One cluster for the class (three child brokers take 10 to 30 s to start on two shared cores); the tests run in
 * order and each leaves every node running.
 */
@Tag("chaos")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaStorageFailoverTest {
    /**
     * Set through the client properties, so the bound on a failing append is known here. Shorter than the 10 to 14 s
     * a leader's SIGKILL stalls writes for (the broker session timeout is 9 s), so that appends do fail meanwhile and
     * the test sees what becomes of them.
     */
    private static final long DELIVERY_TIMEOUT_MS = 8_000;
    private static final long REQUEST_TIMEOUT_MS = 3_000;
    private static final int BATCH = 20;

    private static ChildKafkaCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = ChildKafkaCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KafkaStorageConfig config(String prefix) {
        return new KafkaStorageConfig(cluster.bootstrapServers(), prefix, 3, 2, Map.of(
                "delivery.timeout.ms", Long.toString(DELIVERY_TIMEOUT_MS),
                "request.timeout.ms", Long.toString(REQUEST_TIMEOUT_MS)));
    }

    @Test
    @Order(1)
    void sigkillOfAShardLeaderLosesNoAcknowledgedAppendAndWritesResume() throws Exception {
        KafkaStorageConfig config = config("failover.");
        List<String> keys = List.of("s0", "s1", "s2");
        try (KafkaStorage storage = KafkaStorage.open(config, Clock.systemUTC())) {
            Map<String, ShardLog> logs = new HashMap<>();
            for (String key : keys) {
                logs.put(key, storage.logs().openOrCreate(key));
                cluster.awaitLeader(config.shardTopic(key), 0, -1, Duration.ofSeconds(30));
            }
            assertTopicSettings(config.shardTopic("s0"));
            int victim = cluster.leaderOf(config.shardTopic("s0"), 0);
            Map<String, Integer> leaders = new HashMap<>();
            keys.forEach(k -> leaders.put(k, cluster.leaderOf(config.shardTopic(k), 0)));

            List<Writer> writers = keys.stream().map(k -> new Writer(logs.get(k))).toList();
            writers.forEach(Writer::start);
            try {
                awaitAll(writers, w -> w.acked.size() >= 1_000, Duration.ofSeconds(60), "1,000 appends per shard");
                long killedAt = System.nanoTime();
                cluster.kill(victim);
                Map<Writer, Integer> atKill = new HashMap<>();
                writers.forEach(w -> atKill.put(w, w.acked.size()));
                awaitAll(writers, w -> w.acked.size() >= atKill.get(w) + 500, Duration.ofSeconds(90),
                        "500 more appends per shard after the SIGKILL");
                System.out.printf("SIGKILL of node %d (leaders %s): every shard wrote 500 more records %d ms "
                        + "later; failed appends per shard %s%n", victim, leaders,
                        (System.nanoTime() - killedAt) / 1_000_000,
                        writers.stream().map(w -> w.log.key() + "=" + w.failures.size()).toList());
            } finally {
                writers.forEach(Writer::halt);
            }
            for (Writer w : writers) {
                assertThat(w.unexpected).as("non-storage failures of %s", w.log.key()).isEmpty();
                for (StorageException e : w.failures) {
                    assertRetryable(e);
                }
                assertReadsBackExactly(w);
            }
        } finally {
            restartDeadNodes();
        }
        for (String key : keys) {
            cluster.awaitIsr(config.shardTopic(key), 0, 3, Duration.ofSeconds(90));
        }
    }

    @Test
    @Order(2)
    void withTwoOfThreeNodesDeadAppendsFailRetryablyAndResumeAfterRestart() throws Exception {
        KafkaStorageConfig config = config("minority.");
        try (KafkaStorage storage = KafkaStorage.open(config, Clock.systemUTC())) {
            ShardLog log = storage.logs().openOrCreate("q0");
            cluster.awaitLeader(config.shardTopic("q0"), 0, -1, Duration.ofSeconds(30));
            Writer ledger = new Writer(log);
            for (int i = 0; i < 10; i++) {
                assertThat(ledger.appendOnce()).isTrue();
            }
            int survivor = cluster.leaderOf(config.shardTopic("q0"), 0);
            List<Integer> dead = new ArrayList<>();
            for (int node = 0; node < cluster.size(); node++) {
                if (node != survivor) {
                    dead.add(node);
                }
            }
            dead.forEach(cluster::kill);

            for (int attempt = 0; attempt < 2; attempt++) {
                long start = System.nanoTime();
                Throwable thrown = catchThrowable(ledger::appendOrThrow);
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                System.out.printf("append with nodes %s dead: %s after %d ms%n", dead, thrown, tookMs);
                assertThat(thrown).as("an append acknowledged with only one of three replicas alive")
                        .isInstanceOf(StorageException.class).isNotInstanceOf(ShardSealedException.class);
                assertRetryable((StorageException) thrown);
                assertThat(tookMs).as("a failing append gives up within the delivery timeout")
                        .isLessThan(DELIVERY_TIMEOUT_MS + 10_000);
            }

            cluster.startNode(dead.stream().mapToInt(Integer::intValue).toArray());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            boolean resumed = false;
            while (!resumed && System.nanoTime() < deadline) {
                try {
                    ledger.appendOrThrow();
                    resumed = true;
                } catch (StorageException e) {
                    assertRetryable(e);
                    Thread.sleep(200);
                }
            }
            assertThat(resumed).as("appends succeed again once the nodes are back").isTrue();
            for (int i = 0; i < 10; i++) {
                assertThat(ledger.appendOnce()).isTrue();
            }
            assertReadsBackExactly(ledger);
        } finally {
            restartDeadNodes();
        }
    }

    private static void assertTopicSettings(String topic) throws Exception {
        try (Admin admin = cluster.admin()) {
            assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().get(0)
                    .replicas()).as("replicas of %s", topic).hasSize(3);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
        }
    }

    private static void assertRetryable(StorageException e) {
        assertThat(e).as("a storage failure while brokers are down").isNotInstanceOf(ShardSealedException.class);
        assertThat(KafkaErrors.retryable(e)).as("retryable: %s", e).isTrue();
    }

    /**
     * Reads the whole shard: every acknowledged record once, at its position, in append order; anything else one of
     * the failed appends' records, at most once.
     */
    private static void assertReadsBackExactly(Writer w) {
        List<StoredRecord> read = new ArrayList<>();
        long position = w.log.startPosition();
        long end = w.log.endPosition();
        while (position < end) {
            ReadResult r = w.log.read(position, 1_000, 1 << 20);
            read.addAll(r.records());
            assertThat(r.nextPosition()).as("read progress at %d of %s", position, w.log.key()).isGreaterThan(position);
            position = r.nextPosition();
        }
        Set<String> seen = new HashSet<>();
        List<String> ackedInReadOrder = new ArrayList<>();
        for (StoredRecord r : read) {
            String value = new String(r.data(), StandardCharsets.UTF_8);
            assertThat(seen.add(value)).as("%s read twice from %s", value, w.log.key()).isTrue();
            Long ackedAt = w.acked.get(value);
            if (ackedAt != null) {
                assertThat(r.position()).as("position of %s", value).isEqualTo(ackedAt);
                ackedInReadOrder.add(value);
            } else {
                assertThat(w.unacknowledged).as("a record nobody appended in %s", w.log.key()).contains(value);
            }
        }
        assertThat(ackedInReadOrder).as("acknowledged records of %s, in append order", w.log.key())
                .containsExactlyElementsOf(w.ackOrder);
        System.out.printf("%s: %d acknowledged records read back; %d records of failed appends, %d of them stored%n",
                w.log.key(), w.ackOrder.size(), w.unacknowledged.size(), read.size() - ackedInReadOrder.size());
    }

    private static void restartDeadNodes() {
        List<Integer> dead = new ArrayList<>();
        for (int node = 0; node < cluster.size(); node++) {
            if (!cluster.isAlive(node)) {
                dead.add(node);
            }
        }
        if (!dead.isEmpty()) {
            cluster.startNode(dead.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    private static void awaitAll(List<Writer> writers, java.util.function.Predicate<Writer> done, Duration timeout,
                                 String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!writers.stream().allMatch(done)) {
            if (System.nanoTime() > deadline) {
                fail("not within " + timeout + ": " + what + "; acknowledged " + writers.stream()
                        .map(w -> w.log.key() + "=" + w.acked.size() + " (failures " + w.failures.size() + ", last "
                                + (w.failures.isEmpty() ? "-" : w.failures.get(w.failures.size() - 1)) + ")")
                        .toList());
            }
            for (Writer w : writers) {
                assertThat(w.unexpected).as("non-storage failures of %s", w.log.key()).isEmpty();
            }
            Thread.sleep(100);
        }
    }

    /**
     * Appends batches of {@value #BATCH} numbered records to one shard, one batch at a time, and notes which were
     * acknowledged (value to position, and their order) and which were not.
     *
     * <p>Its thread appends; the test thread reads the ledger, which is made of concurrent collections (the ack order
     * list is read only after {@link #halt}).
     */
    private static final class Writer {
        final ShardLog log;
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final List<String> ackOrder = java.util.Collections.synchronizedList(new ArrayList<>());
        final Set<String> unacknowledged = ConcurrentHashMap.newKeySet();
        final List<StorageException> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Throwable> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;
        private int next;

        Writer(ShardLog log) {
            this.log = log;
            this.thread = new Thread(this::run, "writer-" + log.key());
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void halt() {
            stop.set(true);
            try {
                thread.join(DELIVERY_TIMEOUT_MS + 30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(thread.isAlive()).as("writer of %s stopped", log.key()).isFalse();
        }

        private void run() {
            while (!stop.get()) {
                try {
                    if (!appendOnce()) {
                        Thread.sleep(50);
                    }
                } catch (Throwable t) {
                    unexpected.add(t);
                    return;
                }
            }
        }

        /** One batch; false (and the failure noted) if the append failed with a storage exception. */
        boolean appendOnce() {
            try {
                appendOrThrow();
                return true;
            } catch (StorageException e) {
                failures.add(e);
                return false;
            }
        }

        void appendOrThrow() {
            List<String> values = new ArrayList<>();
            List<AppendRecord> records = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                String value = log.key() + "-" + next++;
                values.add(value);
                records.add(AppendRecord.of("pk-" + (next % 7), value));
            }
            AppendResult result;
            try {
                result = log.append(records);
            } catch (StorageException e) {
                unacknowledged.addAll(values);
                throw e;
            }
            assertThat(result.recordCount()).isEqualTo(BATCH);
            for (int i = 0; i < BATCH; i++) {
                acked.put(values.get(i), result.positionOf(i));
                ackOrder.add(values.get(i));
            }
        }
    }
}
