package dev.millrace.it;

import dev.millrace.it.Streams.Written;
import dev.millrace.kafka.testkit.ChildKafkaCluster;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Millrace on a three-broker Kafka cluster whose brokers die: the server (a child process, {@code --storage kafka},
 * replication factor 3, {@code min.insync.replicas} 2) on a {@link ChildKafkaCluster}, driven by the AWS SDK for
 * Java v2 with clients that never retry, so that the test knows exactly what was acknowledged.
 * <ol>
 *   <li>Under a PutRecords load, the leader of one shard's partition is SIGKILLed. Calls may fail meanwhile, but only
 *       with a retryable 5xx or per-record InternalFailure/ServiceUnavailable; the load goes on once Kafka has a new
 *       leader; every record the SDK reported written (no ErrorCode) reads back through GetRecords exactly once,
 *       unchanged, in each writer's order, and nothing that nobody sent.</li>
 *   <li>With two of three brokers dead (fewer than min ISR), PutRecords and PutRecord answer a retryable 5xx error,
 *       or PutRecords fails every entry with InternalFailure/ServiceUnavailable: never a 4xx, never a success; once
 *       the brokers are back, writes succeed again and nothing acknowledged is gone.</li>
 *   <li>The server is SIGKILLed under load and started again on the same cluster, prefix and data directory: every
 *       stream, setting and acknowledged record is there, and new records land after the old ones.</li>
 *   <li>The server starts while one broker of three is down (min ISR is still met) and serves every stream
 *       (the start-up check and topic creation count registered brokers that are down).</li>
 * </ol>
 *
 * <p>One Kafka cluster and one ledger for the class; the tests run in order, each leaving every broker running.
 */
@Tag("solo") // runs alone: see millrace-it/pom.xml
@Tag("chaos")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaFailoverTest {
    private static final String PREFIX = "it-failover.";
    private static final String STREAM = "failover";
    private static final int SHARDS = 3;
    /** A second stream, written once, with a tag: what a restart must keep besides the loaded stream's records. */
    private static final String QUIET = "failover-quiet";
    /**
     * The server's producer gives up on a record after this (its default is 20 s): shorter than the 10 to 14 s a
     * leader's SIGKILL stalls writes for, so that some PutRecords entries do fail meanwhile and the test sees what
     * becomes of them; and the fewer-than-min-ISR answers come sooner.
     */
    private static final long DELIVERY_TIMEOUT_MS = 8_000;

    private static ChildKafkaCluster cluster;
    private static MillraceProcess server;
    private static final Ledger ledger = new Ledger();

    @TempDir
    static Path dataDir;

    @BeforeAll
    static void start() {
        cluster = ChildKafkaCluster.start(3);
        server = startServer();
    }

    @AfterAll
    static void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** A failed test must not leave the next one with dead brokers. */
    @AfterEach
    void restartBrokers() {
        restartDeadNodes();
    }

    private static MillraceProcess startServer() {
        MillraceProcess p = MillraceProcess.start(dataDir, "--storage", "kafka",
                "--kafka-bootstrap-servers", cluster.bootstrapServers(), "--kafka-topic-prefix", PREFIX,
                "--kafka-replication-factor", "3", "--kafka-min-insync-replicas", "2",
                "--kafka-property", "delivery.timeout.ms=" + DELIVERY_TIMEOUT_MS,
                "--kafka-property", "request.timeout.ms=3000", KafkaBackend.QUICK_TAKEOVER.get(0),
                KafkaBackend.QUICK_TAKEOVER.get(1));
        p.awaitReady();
        return p;
    }

    @Test
    @Order(1)
    void sigkillOfAShardLeaderUnderPutRecordsLosesNoAcknowledgedRecord() throws Exception {
        try (KinesisClient kinesis = Clients.syncNoRetries(server.endpoint())) {
            Streams.createActive(kinesis, STREAM, SHARDS);
            Streams.createActive(kinesis, QUIET, 1);
            kinesis.addTagsToStream(b -> b.streamName(QUIET).tags(Map.of("team", "chaos")));
            putBatch(kinesis, QUIET, "quiet", 20, new Random(7), ledger);
            assertThat(ledger.acked).hasSize(20);
        }
        long killedAt;
        try (Writers writers = new Writers(server, 2, "a")) {
            writers.awaitAcked(3_000, Duration.ofSeconds(90));
            String topic = shardTopics().get(0);
            int victim = cluster.awaitLeader(topic, 0, -1, Duration.ofSeconds(30));
            int before = ledger.acked.size();
            killedAt = System.nanoTime();
            cluster.kill(victim);
            writers.awaitAcked(before + 3_000, Duration.ofSeconds(120));
            System.out.printf("SIGKILL of node %d (leader of %s): 3,000 more records acknowledged %d ms later; "
                            + "slowest PutRecords %d ms; entry errors %s; call failures %s%n", victim, topic,
                    (System.nanoTime() - killedAt) / 1_000_000, writers.slowestMs.get(), ledger.entryErrorCounts(),
                    ledger.callFailures);
        }
        assertOnlyRetryableFailures();
        try (KinesisClient kinesis = Clients.syncNoRetries(server.endpoint())) {
            assertEveryAcknowledgedRecordOnce(kinesis);
        }
        restartDeadNodes();
        for (String t : shardTopics()) {
            cluster.awaitIsr(t, 0, 3, Duration.ofSeconds(90));
        }
    }

    @Test
    @Order(2)
    void withFewerThanMinIsrBrokersWritesAnswerRetryable5xxAndResumeAfterwards() throws Exception {
        int survivor = cluster.leaderOf(shardTopics().get(0), 0);
        List<Integer> dead = new ArrayList<>();
        for (int node = 0; node < cluster.size(); node++) {
            if (node != survivor) {
                dead.add(node);
            }
        }
        try (KinesisClient kinesis = Clients.syncNoRetries(server.endpoint())) {
            dead.forEach(cluster::kill);
            Random random = new Random(11);
            CompletableFuture<Void> single = null;
            for (int attempt = 0; attempt < 2; attempt++) {
                if (attempt == 1) {
                    // Each failing call waits out the delivery timeout; the PutRecord, like the second PutRecords,
                    // comes after a first answer, so the two wait together (8 s instead of 16).
                    single = CompletableFuture.runAsync(() -> putRecordExpectingFailure(kinesis, dead));
                }
                long start = System.nanoTime();
                int before = ledger.acked.size();
                String outcome = putBatchExpectingFailure(kinesis, "minority-" + attempt, random);
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                System.out.printf("PutRecords with nodes %s dead: %s after %d ms%n", dead, outcome, tookMs);
                assertThat(ledger.acked).as("records acknowledged with one of three replicas alive").hasSize(before);
                assertThat(tookMs).as("the answer comes within the delivery timeout").isLessThan(
                        DELIVERY_TIMEOUT_MS + 10_000);
            }
            single.get(DELIVERY_TIMEOUT_MS + 30_000, TimeUnit.MILLISECONDS);

            restartDeadNodes();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            int before = ledger.acked.size();
            for (int round = 0; ledger.acked.size() < before + 100; round++) {
                assertThat(System.nanoTime()).as("writes resume after the restart").isLessThan(deadline);
                int acked = ledger.acked.size();
                putBatch(kinesis, STREAM, "resumed-" + round, 50, random, ledger);
                if (ledger.acked.size() == acked) {
                    Thread.sleep(200);
                }
            }
            assertOnlyRetryableFailures();
            assertEveryAcknowledgedRecordOnce(kinesis);
        }
        for (String t : shardTopics()) {
            cluster.awaitIsr(t, 0, 3, Duration.ofSeconds(90));
        }
    }

    @Test
    @Order(3)
    void aServerSigkilledUnderLoadComesBackWithEveryStreamAndAcknowledgedRecord() throws Exception {
        Map<String, String> newestBefore;
        try (KinesisClient kinesis = Clients.syncNoRetries(server.endpoint())) {
            newestBefore = newestByShard(kinesis);
        }
        try (Writers writers = new Writers(server, 2, "b")) {
            writers.awaitAcked(ledger.acked.size() + 2_000, Duration.ofSeconds(90));
            ledger.serverKilled.set(true);
            server.kill9();
            writers.awaitEnd();
        }
        server = startServer();
        try (KinesisClient kinesis = Clients.syncNoRetries(server.endpoint())) {
            assertThat(kinesis.listStreams().streamNames()).containsExactlyInAnyOrder(STREAM, QUIET);
            assertThat(Streams.shards(kinesis, STREAM)).hasSize(SHARDS);
            assertThat(kinesis.listTagsForStream(b -> b.streamName(QUIET)).tags())
                    .anySatisfy(t -> assertThat(t.key() + "=" + t.value()).isEqualTo("team=chaos"));
            assertEveryAcknowledgedRecordOnce(kinesis);
            Map<String, String> newest = newestByShard(kinesis);
            for (Shard shard : Streams.shards(kinesis, STREAM)) {
                String partitionKey = "after-restart-" + shard.shardId();
                PutRecordResponse r = kinesis.putRecord(b -> b.streamName(STREAM).partitionKey(partitionKey)
                        .explicitHashKey(shard.hashKeyRange().startingHashKey())
                        .data(SdkBytes.fromUtf8String("after")));
                assertThat(r.shardId()).isEqualTo(shard.shardId());
                // Into the ledger, so that the next test's read-back counts it as acknowledged, not as unknown.
                ledger.ack(STREAM, r.shardId(), partitionKey, new Written(r.sequenceNumber(), partitionKey,
                        "after".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                String key = STREAM + "/" + shard.shardId();
                assertThat(Streams.compareSequence(r.sequenceNumber(), newest.get(key)))
                        .as("a new record lands after the old ones in %s", key).isPositive();
                assertThat(Streams.compareSequence(newest.get(key), newestBefore.get(key)))
                        .as("the load reached %s", key).isPositive();
            }
            assertThat(server.stop()).isZero();
        }
    }

    @Test
    @Order(4)
    void aServerStartedWhileOneBrokerOfThreeIsDownServesEveryStream() throws Exception {
        assertThat(server.isAlive()).as("the previous test stopped the server").isFalse();
        int victim = cluster.leaderOf(shardTopics().get(0), 0);
        cluster.kill(victim);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (cluster.registeredBrokers().contains(victim)) {
            assertThat(System.nanoTime()).as("node %d fenced", victim).isLessThan(deadline);
            Thread.sleep(200);
        }
        // Two of three brokers are min ISR: every topic takes writes, so a node restarted now (during a rolling
        // restart of the brokers, say) must serve.
        server = startServer();
        try (KinesisClient kinesis = Clients.syncNoRetries(server.endpoint())) {
            assertThat(kinesis.listStreams().streamNames()).containsExactlyInAnyOrder(STREAM, QUIET);
            Random random = new Random(13);
            int before = ledger.acked.size();
            long writeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int round = 0; ledger.acked.size() < before + 100; round++) {
                assertThat(System.nanoTime()).as("writes with two of three brokers").isLessThan(writeDeadline);
                putBatch(kinesis, STREAM, "degraded-" + round, 50, random, ledger);
            }
            assertEveryAcknowledgedRecordOnce(kinesis);
            assertThat(server.stop()).isZero();
        }
    }

    /**
     * The topics of {@link #STREAM}'s shards, sorted (shard 0 first). The server names a shard's topic
     * {@code <prefix>shard.<shard key>} and its shard keys end in {@code -<stream>-<shard index>}; it creates a topic
     * at the shard's first write.
     */
    private static List<String> shardTopics() throws Exception {
        try (Admin admin = cluster.admin()) {
            Set<String> all = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<String> topics = all.stream().filter(t -> t.startsWith(PREFIX + "shard.")
                    && t.matches(".*-" + STREAM + "-\\d+")).sorted().toList();
            assertThat(topics).as("%s's shard topics among %s", STREAM, all).hasSize(SHARDS);
            return topics;
        }
    }

    /** Starts every broker that is not running, together (two dead voters need each other for a quorum). */
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

    /**
     * One PutRecords of {@code count} records; acknowledged entries go to the ledger, failed ones (and a failed call's)
     * to its unacknowledged keys, their error codes and failures to its failure lists.
     */
    private static void putBatch(KinesisClient kinesis, String stream, String keyPrefix, int count, Random random,
                                 Ledger ledger) {
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            entries.add(PutRecordsRequestEntry.builder().partitionKey(keyPrefix + "-" + i)
                    .data(SdkBytes.fromByteArray(RestartTest.randomData(random))).build());
        }
        PutRecordsResponse r;
        try {
            r = kinesis.putRecords(b -> b.streamName(stream).records(entries));
        } catch (SdkException e) {
            entries.forEach(entry -> ledger.unackedKeys.add(entry.partitionKey()));
            ledger.callFailures.add(e);
            return;
        }
        for (int i = 0; i < entries.size(); i++) {
            PutRecordsResultEntry result = r.records().get(i);
            PutRecordsRequestEntry entry = entries.get(i);
            if (result.errorCode() == null) {
                ledger.ack(stream, result.shardId(), keyPrefix,
                        new Written(result.sequenceNumber(), entry.partitionKey(), entry.data().asByteArray()));
            } else {
                ledger.unackedKeys.add(entry.partitionKey());
                ledger.entryErrors.add(result.errorCode());
            }
        }
    }

    /** A PutRecord that must fail with a retryable 5xx, within the delivery timeout (and some). */
    private static void putRecordExpectingFailure(KinesisClient kinesis, List<Integer> dead) {
        long start = System.nanoTime();
        try {
            PutRecordResponse r = kinesis.putRecord(b -> b.streamName(STREAM).partitionKey("minority-single")
                    .data(SdkBytes.fromUtf8String("x")));
            fail("PutRecord acknowledged with one of three replicas alive: " + r);
        } catch (AwsServiceException e) {
            assertRetryable5xx(e);
        } finally {
            ledger.unackedKeys.add("minority-single");
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("PutRecord with nodes %s dead: 5xx after %d ms%n", dead, tookMs);
        assertThat(tookMs).as("the PutRecord's answer comes within the delivery timeout").isLessThan(
                DELIVERY_TIMEOUT_MS + 10_000);
    }

    /** A PutRecords that must fail: as a whole with a retryable 5xx, or in every entry. Returns what happened. */
    private static String putBatchExpectingFailure(KinesisClient kinesis, String keyPrefix, Random random) {
        int errorsBefore = ledger.entryErrors.size();
        int failuresBefore = ledger.callFailures.size();
        putBatch(kinesis, STREAM, keyPrefix, 50, random, ledger);
        if (ledger.callFailures.size() > failuresBefore) {
            Throwable e = ledger.callFailures.toArray(new Throwable[0])[ledger.callFailures.size() - 1];
            assertThat(e).as("how the call failed").isInstanceOf(AwsServiceException.class);
            assertRetryable5xx((AwsServiceException) e);
            return "call failed: " + e;
        }
        List<String> codes = new ArrayList<>(ledger.entryErrors).subList(errorsBefore, ledger.entryErrors.size());
        assertThat(codes).as("entries failed").hasSize(50);
        assertThat(codes).allSatisfy(KafkaFailoverTest::assertRetryableCode);
        return "every entry failed: " + new HashSet<>(codes);
    }

    private static void assertRetryable5xx(AwsServiceException e) {
        assertThat(e.statusCode()).as("status of %s", e).isBetween(500, 599);
        assertRetryableCode(e.awsErrorDetails().errorCode());
    }

    private static void assertRetryableCode(String code) {
        assertThat(code).isIn("InternalFailure", "ServiceUnavailable", "ServiceUnavailableException",
                "InternalFailureException");
    }

    /** Every failure seen so far was a retryable 5xx, a retryable entry error, or the connection lost to a kill. */
    private static void assertOnlyRetryableFailures() {
        assertThat(ledger.entryErrors).allSatisfy(KafkaFailoverTest::assertRetryableCode);
        for (Throwable t : ledger.callFailures) {
            if (t instanceof AwsServiceException e) {
                assertRetryable5xx(e);
            } else {
                assertThat(t).as("a call failure other than a 5xx").isInstanceOf(SdkException.class);
                assertThat(ledger.serverKilled.get()).as("a client-side failure (%s) while the server was up", t)
                        .isTrue();
            }
        }
    }

    /**
     * Reads every shard of both streams through GetRecords: each acknowledged record exactly once, unchanged, in its
     * shard, in its writer's order; sequence numbers rising; every other record one that was sent unacknowledged.
     */
    private static void assertEveryAcknowledgedRecordOnce(KinesisClient kinesis) {
        Map<String, Acked> unread = new HashMap<>(ledger.acked);
        int unacknowledgedStored = 0;
        for (String stream : List.of(STREAM, QUIET)) {
            for (Shard shard : Streams.shards(kinesis, stream)) {
                List<Written> read = Streams.readShard(kinesis, stream, shard.shardId(), 10_000).stream()
                        .map(Written::of).toList();
                Map<String, List<String>> byWriter = new HashMap<>();
                Set<String> keys = new HashSet<>();
                for (int i = 0; i < read.size(); i++) {
                    Written w = read.get(i);
                    if (i > 0) {
                        assertThat(Streams.compareSequence(w.sequenceNumber(), read.get(i - 1).sequenceNumber()))
                                .as("sequence numbers rise in %s/%s", stream, shard.shardId()).isPositive();
                    }
                    assertThat(keys.add(w.partitionKey())).as("%s read twice", w).isTrue();
                    Acked acked = unread.remove(w.partitionKey());
                    if (acked == null) {
                        assertThat(ledger.unackedKeys).as("a record nobody sent: %s", w).contains(w.partitionKey());
                        unacknowledgedStored++;
                        continue;
                    }
                    assertThat(w).as("record %s", w.partitionKey()).isEqualTo(acked.written());
                    assertThat(acked.stream() + "/" + acked.shardId()).isEqualTo(stream + "/" + shard.shardId());
                    byWriter.computeIfAbsent(acked.writer(), k -> new ArrayList<>()).add(w.partitionKey());
                }
                byWriter.forEach((writer, order) -> assertThat(order)
                        .as("%s's records in %s/%s, in the order acknowledged", writer, stream, shard.shardId())
                        .containsExactlyElementsOf(ledger.order(writer, stream, shard.shardId())));
            }
        }
        assertThat(unread.keySet().stream().sorted().limit(10).toList()).as("acknowledged records lost (of %d)",
                ledger.acked.size()).isEmpty();
        System.out.printf("read back all %d acknowledged records; %d sent without an acknowledgement, %d of those "
                + "stored%n", ledger.acked.size(), ledger.unackedKeys.size(), unacknowledgedStored);
    }

    private static Map<String, String> newestByShard(KinesisClient kinesis) {
        Map<String, String> newest = new HashMap<>();
        for (Shard shard : Streams.shards(kinesis, STREAM)) {
            List<Written> read = Streams.readShardWritten(kinesis, STREAM, shard.shardId());
            newest.put(STREAM + "/" + shard.shardId(), read.isEmpty() ? "0" : read.get(read.size() - 1)
                    .sequenceNumber());
        }
        return newest;
    }

    record Acked(String stream, String shardId, String writer, Written written) {
    }

    /**
     * What the SDK reported: acknowledged records by partition key (keys never repeat), each writer's acknowledged
     * keys per shard in order, and the keys, error codes and failures of everything else. Thread-safe: writers add
     * concurrently; each writer appends only to its own order lists.
     */
    static final class Ledger {
        final Map<String, Acked> acked = new ConcurrentHashMap<>();
        final Map<String, List<String>> orders = new ConcurrentHashMap<>();
        final Set<String> unackedKeys = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<String> entryErrors = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Throwable> callFailures = new ConcurrentLinkedQueue<>();
        final AtomicBoolean serverKilled = new AtomicBoolean();

        /** {@code keyPrefix} up to its first '-' names the writer. */
        void ack(String stream, String shardId, String keyPrefix, Written w) {
            String writer = keyPrefix.split("-", 2)[0];
            acked.put(w.partitionKey(), new Acked(stream, shardId, writer, w));
            orders.computeIfAbsent(writer + "|" + stream + "|" + shardId,
                    k -> Collections.synchronizedList(new ArrayList<>())).add(w.partitionKey());
        }

        /** How many entries failed, by error code. */
        Map<String, Long> entryErrorCounts() {
            return entryErrors.stream().collect(java.util.stream.Collectors.groupingBy(c -> c,
                    java.util.TreeMap::new, java.util.stream.Collectors.counting()));
        }

        List<String> order(String writer, String stream, String shardId) {
            return List.copyOf(orders.getOrDefault(writer + "|" + stream + "|" + shardId, List.of()));
        }
    }

    /**
     * Writer threads, each with its own client that never retries, putting batches of 100 records to {@link #STREAM}
     * until closed, until 150 s have passed, or until the server is gone (a client-side failure after
     * {@link MillraceProcess#kill9}).
     */
    private static final class Writers implements AutoCloseable {
        private final List<Thread> threads = new ArrayList<>();
        private final List<KinesisClient> clients = new ArrayList<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong slowestMs = new AtomicLong();
        private final AtomicInteger running = new AtomicInteger();
        private final MillraceProcess target;

        Writers(MillraceProcess target, int count, String phase) {
            this.target = target;
            for (int t = 0; t < count; t++) {
                KinesisClient kinesis = Clients.syncNoRetries(target.endpoint());
                clients.add(kinesis);
                Random random = new Random(31L * t + phase.hashCode());
                String writer = phase + t;
                Thread thread = new Thread(() -> write(kinesis, random, writer), "writer-" + writer);
                thread.setDaemon(true);
                threads.add(thread);
                running.incrementAndGet();
                thread.start();
            }
        }

        private void write(KinesisClient kinesis, Random random, String writer) {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                for (int round = 0; !stop.get() && System.nanoTime() < deadline; round++) {
                    long start = System.nanoTime();
                    int failuresBefore = ledger.callFailures.size();
                    putBatch(kinesis, STREAM, writer + "-" + round, 100, random, ledger);
                    slowestMs.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                    if (ledger.callFailures.size() > failuresBefore && !target.isAlive()) {
                        ledger.serverKilled.set(true);
                        return;
                    }
                }
            } finally {
                running.decrementAndGet();
            }
        }

        void awaitAcked(int total, Duration timeout) throws InterruptedException {
            awaitUntil(() -> ledger.acked.size() >= total, timeout, "acknowledged records reach " + total);
        }

        private void awaitUntil(BooleanSupplier done, Duration timeout, String what) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.getAsBoolean()) {
                if (System.nanoTime() > deadline || running.get() == 0) {
                    fail(what + ": not within " + timeout + " (" + ledger.acked.size() + " acknowledged, writers "
                            + "running " + running.get() + ", entry errors " + ledger.entryErrorCounts()
                            + ", call failures " + ledger.callFailures + ")");
                }
                Thread.sleep(100);
            }
        }

        void awaitEnd() throws InterruptedException {
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertThat(t.isAlive()).as("writer %s ended", t.getName()).isFalse();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            awaitEnd();
            clients.forEach(KinesisClient::close);
        }
    }
}
