package dev.millrace.it;

import dev.millrace.it.KclHarness.Put;
import dev.millrace.it.KclJournal.Event;
import dev.millrace.it.KclWorker.App;
import dev.millrace.it.KclWorker.Retrieval;
import dev.millrace.kafka.testkit.KafkaTestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue #15's KCL test: a KCL 3.x application with two workers, each pointed at a different Millrace node of a
 * cluster of three on one Kafka broker, consumes a stream of 4 shards while records are put and while the cluster
 * is hurt. The second worker joins once the first holds every shard, so two leases are handed over between live
 * workers through different nodes; then the metadata writer's node (neither worker's) is SIGKILLed, a shard is split
 * through a survivor, and the node of one worker, the writer again by then, is SIGKILLed too. Every record put is
 * processed at least once (exactly once on shards whose lease never moved), each key's records in put order, the
 * split's children only after their parent ended, and no shard is ever held by the two workers at once; the
 * surviving worker ends up holding every lease, checkpointed at its shard's last record.
 *
 * <p>The worker whose node died keeps running, as a worker of an application without a load balancer would: its
 * every call fails, so it can neither renew its leases nor read; they expire and the KCL leader (the survivor, once
 * the dead worker's leader lock has expired too) assigns them to the survivor. KCL's lease taking rests on DynamoDB
 * conditional writes, which followers forward to the metadata writer; their linearizability across the nodes is what
 * keeps two workers from holding one lease.
 *
 * <p>One Kafka broker in this JVM for the class; each test starts its own three nodes on its own topic prefix.
 */
@Tag("solo") // runs alone: see millrace-it/pom.xml
class ClusterKclTest {
    private static final String PARENT = "shardId-000000000000";
    /** Between two PutRecords calls of 50 records: ~500 records a second, slow enough for 2 cores. */
    private static final long PUT_PAUSE_MILLIS = 80;
    /** Records put after each step of the damage before the next one, so that every step happens under load. */
    private static final int RECORDS_PER_STEP = 1_500;
    /**
     * How long two workers' holds of one shard may overlap in the journals. A worker learns that it lost a lease
     * only between two calls to its processor (KCL's scheduler loop, every 250 ms here, drops consumers whose lease is
     * no longer held; a checkpoint with a stale lease fails), so a batch it was handed just before may still be
     * processed; and a journal's times are taken when a line is written, not when KCL decided. Lease expiry itself
     * leaves a margin the other way: the KCL leader counts a lease's {@link KclWorker#FAILOVER_TIME_MILLIS} from
     * when its own scan saw the counter change, after the owner's renewal.
     */
    private static final long OVERLAP_TOLERANCE_MICROS = 1_000_000;

    private static KafkaTestCluster kafka;
    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka() {
        kafka = KafkaTestCluster.start(1);
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void fanOutAcrossNodesSurvivesKilledNodesAndASplit() throws Exception {
        Map<String, Integer> before = KclHarness.OPERATIONS.snapshot();
        scenario("cluster-kcl-fanout", Retrieval.FAN_OUT);
        assertThat(calls(before, "Kinesis.SubscribeToShard")).isGreaterThanOrEqualTo(6);
        assertThat(calls(before, "Kinesis.GetRecords")).isZero();
        assertThat(calls(before, "CloudWatch.PutMetricData")).as("metrics published").isPositive();
    }

    /**
     * The same scenario with polling workers: about 100 s, so only with {@code -Dmillrace.it.long=true} (the default
     * suite must stay within 30 minutes on 2 cores). What it adds to the fan-out run, GetRecords relayed to a shard's
     * owner node, ClusterNodesTest covers in every run; KCL's polling retrieval, KclTwoWorkersTest.
     */
    @Test
    @EnabledIfSystemProperty(named = "millrace.it.long", matches = "true")
    void pollingAcrossNodesSurvivesKilledNodesAndASplit() throws Exception {
        Map<String, Integer> before = KclHarness.OPERATIONS.snapshot();
        scenario("cluster-kcl-polling", Retrieval.POLLING);
        assertThat(calls(before, "Kinesis.GetRecords")).isPositive();
        assertThat(calls(before, "Kinesis.SubscribeToShard")).isZero();
    }

    private static int calls(Map<String, Integer> before, String operation) {
        return KclHarness.OPERATIONS.count(operation) - before.getOrDefault(operation, 0);
    }

    private void scenario(String stream, Retrieval retrieval) throws Exception {
        try (MillraceNodes nodes = MillraceNodes.start(3, dir.resolve(stream), kafka.bootstrapServers(),
                stream + ".", 0);
             Scenario s = new Scenario(nodes, stream, retrieval)) {
            s.run();
        }
    }

    /** One run: the nodes, the clients per node, the producer, the two workers and their journals. */
    private static final class Scenario implements AutoCloseable {
        private final MillraceNodes nodes;
        private final String stream;
        private final Retrieval retrieval;
        private final KclHarness.Phases phases;
        private final List<KinesisClient> producerClients = new ArrayList<>();
        private final List<KinesisClient> control = new ArrayList<>();
        private final List<DynamoDbClient> ddb = new ArrayList<>();
        private final Set<Integer> dead = ConcurrentHashMap.newKeySet();
        private final ClusterProducer producer;
        private final List<Path> journals = new ArrayList<>();
        private final List<KclWorker> workers = new ArrayList<>();
        /** The node each worker talks to, by worker index (worker-1 is index 0). */
        private final int[] workerNode = new int[2];
        private Thread producerThread;

        Scenario(MillraceNodes nodes, String stream, Retrieval retrieval) {
            this.nodes = nodes;
            this.stream = stream;
            this.retrieval = retrieval;
            this.phases = new KclHarness.Phases(stream);
            for (int i = 0; i < nodes.size(); i++) {
                URI endpoint = nodes.node(i).endpoint();
                producerClients.add(Clients.syncNoRetries(endpoint));
                control.add(Clients.syncRetrying(endpoint, 5));
                ddb.add(KclHarness.dynamo(endpoint));
            }
            this.producer = new ClusterProducer(producerClients, dead, stream);
        }

        void run() throws Exception {
            int firstWriter = await().atMost(Duration.ofSeconds(30)).until(nodes::writers, w -> w.size() == 1)
                    .get(0);
            workerNode[0] = (firstWriter + 1) % 3;
            workerNode[1] = (firstWriter + 2) % 3;
            Streams.createActive(control.get(workerNode[0]), stream, 4);
            phases.done("node" + firstWriter + " the writer, stream active");
            producerThread = new Thread(() -> producer.run(PUT_PAUSE_MILLIS), stream + "-producer");
            producerThread.start();
            startWorkers();
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(this::bothConsuming);
            phases.done("both workers consuming");

            long firstKillAt = KclHarness.nowMicros();
            kill(firstWriter, "the metadata writer's node, neither worker's");
            List<Integer> elected = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(nodes::writers, w -> w.size() == 1);
            phases.done("node" + elected.get(0) + " the writer");
            awaitMorePut(RECORDS_PER_STEP);
            List<String> children = split();
            awaitMorePut(RECORDS_PER_STEP);

            // The worker whose node dies is the one on the writer's node, so that its death costs an election too.
            List<Integer> writers = nodes.writers();
            int victimNode = writers.size() == 1 ? writers.get(0) : workerNode[0];
            int victim = workerNode[0] == victimNode ? 0 : 1;
            int survivor = 1 - victim;
            Set<String> victimShards = awaitActiveLeasesOf(victim);
            kill(victimNode, workerId(victim) + "'s node" + (writers.contains(victimNode) ? ", the writer" : ""));
            long killedAt = KclHarness.nowMicros();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> nodes.writers().equals(List.of(workerNode[survivor])));
            phases.done("node" + workerNode[survivor] + " the writer");
            awaitMorePut(RECORDS_PER_STEP);
            producer.stop();
            producerThread.join(90_000);
            assertThat(producerThread.isAlive()).as("producer still running").isFalse();
            phases.done(producer.acknowledged() + " records put");

            Map<String, Put> puts = producer.puts();
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> KclHarness.processed(events()).containsAll(puts.keySet()));
            phases.done("all processed");
            Map<String, String> expected = new HashMap<>(producer.lastSequenceNumbers());
            expected.put(PARENT, KclHarness.SHARD_END);
            assertThat(expected).as("shards written to").hasSize(6);
            DynamoDbClient live = ddb.get(workerNode[survivor]);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> KclHarness.checkpoints(live, app(0).applicationName()).equals(expected));
            phases.done("checkpoints final");
            assertThat(owners(live)).as("owners of the leases of shards not ended").allSatisfy((shard, owner) ->
                    assertThat(owner).isEqualTo(workerId(survivor)));
            workers.get(survivor).shutdown();
            phases.done("survivor shut down");

            check(events(), puts, children, victim, victimShards, firstKillAt, killedAt);
            assertThat(KclHarness.checkpoints(live, app(0).applicationName()))
                    .as("checkpoints after the survivor's graceful shutdown").isEqualTo(expected);
        }

        private App app(int worker) {
            return new App(nodes.node(workerNode[worker]).endpoint(), stream, stream + "-app", retrieval, true);
        }

        private static String workerId(int worker) {
            return "worker-" + (worker + 1);
        }

        /**
         * worker-1 first; worker-2 once worker-1 holds every shard, so that KCL's balancing must hand two leases over
         * between live workers on different nodes (a graceful handoff: the holder's {@code shutdownRequested} and
         * checkpoint go through one node, the take through the other), which is what the overlap check is most
         * about. Waiting for that also waits for worker-1 to have set the application up (awaitApplicationVersion).
         */
        private void startWorkers() {
            for (int w = 0; w < 2; w++) {
                if (w > 0) {
                    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                            .until(() -> KclHarness.shardsPerJournal(events()).getOrDefault(0, Set.of()).size() == 4);
                    KclHarness.awaitApplicationVersion(ddb.get(workerNode[0]), app(0).applicationName());
                }
                Path journal = KclHarness.logs(stream).resolve(workerId(w) + ".journal");
                journals.add(journal);
                workers.add(KclWorker.start(app(w), workerId(w), journal));
                phases.done(workerId(w) + " started on node" + workerNode[w]);
            }
        }

        private List<Event> events() {
            return KclJournal.read(journals);
        }

        private boolean bothConsuming() {
            return KclHarness.processedPerJournal(events()).size() == 2
                    && owners(liveDdb()).values().containsAll(List.of(workerId(0), workerId(1)));
        }

        private DynamoDbClient liveDdb() {
            return ddb.get(workerNode[dead.contains(workerNode[0]) ? 1 : 0]);
        }

        /** The owner of each lease whose shard has not ended. */
        private Map<String, String> owners(DynamoDbClient client) {
            Map<String, String> owners = new HashMap<>();
            KclHarness.leases(client, app(0).applicationName()).forEach((shard, item) -> {
                if (!KclHarness.SHARD_END.equals(KclHarness.attribute(item, "checkpoint"))) {
                    owners.put(shard, KclHarness.attribute(item, "leaseOwner"));
                }
            });
            return owners;
        }

        /** The shards, not ended, whose leases {@code worker} holds, once it holds one. */
        private Set<String> awaitActiveLeasesOf(int worker) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> owners(liveDdb()).containsValue(workerId(worker)));
            return owners(liveDdb()).entrySet().stream().filter(e -> workerId(worker).equals(e.getValue()))
                    .map(Map.Entry::getKey).collect(Collectors.toSet());
        }

        private void kill(int node, String what) {
            dead.add(node);
            nodes.node(node).kill9();
            phases.done("SIGKILL node" + node + " (" + what + ") at " + producer.acknowledged() + " put");
        }

        private void awaitMorePut(int more) {
            int target = producer.acknowledged() + more;
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                    .until(() -> producer.acknowledged() >= target || !producerThread.isAlive());
            assertThat(producerThread.isAlive()).as("producer running; failures " + producer.failures()).isTrue();
        }

        /**
         * Splits {@value #PARENT} in two through a live node while records are put; returns the children. A call
         * whose answer was lost may have split it: each attempt first looks for the children.
         */
        private List<String> split() {
            KinesisClient kinesis = control.get(workerNode[0]);
            Shard parent = Streams.shards(kinesis, stream).stream().filter(s -> s.shardId().equals(PARENT))
                    .findFirst().orElseThrow();
            BigInteger start = new BigInteger(parent.hashKeyRange().startingHashKey());
            BigInteger end = new BigInteger(parent.hashKeyRange().endingHashKey());
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
                if (children(kinesis).isEmpty()) {
                    kinesis.splitShard(b -> b.streamName(stream).shardToSplit(PARENT)
                            .newStartingHashKey(start.add(end).shiftRight(1).toString()));
                }
                return true;
            });
            Streams.awaitActive(kinesis, stream);
            List<String> children = children(kinesis);
            assertThat(children).hasSize(2);
            phases.done("split at " + producer.acknowledged() + " put");
            return children;
        }

        private List<String> children(KinesisClient kinesis) {
            return Streams.shards(kinesis, stream).stream().filter(s -> PARENT.equals(s.parentShardId()))
                    .map(Shard::shardId).toList();
        }

        private void check(List<Event> events, Map<String, Put> puts, List<String> children, int victim,
                           Set<String> victimShards, long firstKillAt, long killedAt) {
            Map<String, String> unacknowledged = producer.unacknowledged();
            List<Event> withoutGhosts = events.stream().filter(e -> !isGhost(e, puts, unacknowledged)).toList();
            List<Event> ghosts = events.stream().filter(e -> isGhost(e, puts, unacknowledged)).toList();
            if (!ghosts.isEmpty()) {
                // Which failed attempts left a copy behind: a call cut by a kill is expected to; an entry answered
                // with an error code that was appended all the same is worth a look in the nodes' logs.
                System.out.printf("%s: records with ghost copies, by their first failed attempt: %s%n", stream,
                        ghosts.stream().map(Event::data).distinct().collect(Collectors.groupingBy(
                                unacknowledged::get, TreeMap::new, Collectors.counting())));
            }
            int replays = KclHarness.assertEveryRecordProcessedAtLeastOnce(withoutGhosts, puts);
            assertExactlyOnceWhereNoLeaseMoved(withoutGhosts);
            KclHarness.assertFirstProcessingInPutOrder(events);
            KclHarness.assertEachHoldReadsForward(events);
            KclHarness.assertParentEndedBeforeChildren(events, PARENT, children);
            long overlap = KclHarness.assertNoShardHeldByTwoWorkersAtOnce(events, OVERLAP_TOLERANCE_MICROS);
            int liveHandoffs = KclHarness.leaseMoves(events.stream().filter(e -> e.micros() < firstKillAt).toList());
            assertThat(liveHandoffs).as("leases handed from worker-1, which held all, to worker-2").isPositive();
            long takeover = takeoverMicros(events, 1 - victim, victimShards, killedAt);
            System.out.printf("%s: %d records put (%d ghost copies processed, %d entries retried, longest wait "
                            + "for an acknowledgement %.1f s), %d replays, %d holds that moved to the other worker "
                            + "(%d between live workers before the first kill), "
                            + "closest holds of one shard by two workers %.3f s (overlap if > 0), "
                            + "takeover of %s %.1f s after worker-%d's node died; processed per worker %s; "
                            + "put failures %s; %s%n",
                    stream, puts.size(), ghosts.size(), unacknowledged.size(),
                    producer.longestWait().toMillis() / 1e3, replays, KclHarness.leaseMoves(events), liveHandoffs,
                    overlap / 1e6, victimShards, takeover / 1e6, victim + 1,
                    KclHarness.processedPerJournal(events), producer.failures(), phases);
            System.out.printf("%s: a message of each kind of put failure: %s%n", stream, producer.failureSamples());
        }

        /** A copy of a record appended by an attempt that was never acknowledged (see {@link ClusterProducer}). */
        private static boolean isGhost(Event e, Map<String, Put> puts, Map<String, String> unacknowledged) {
            if (e.type() != Event.Type.P || !unacknowledged.containsKey(e.data())) {
                return false;
            }
            Put put = puts.get(e.data());
            return put != null && !(put.shardId().equals(e.shardId())
                    && put.sequenceNumber().equals(e.sequenceNumber()));
        }

        /** On a shard initialized once in all the journals nothing can have been read twice. */
        private static void assertExactlyOnceWhereNoLeaseMoved(List<Event> events) {
            Map<String, Long> inits = events.stream().filter(e -> e.type() == Event.Type.I)
                    .collect(Collectors.groupingBy(Event::shardId, Collectors.counting()));
            Map<String, Long> times = events.stream()
                    .filter(e -> e.type() == Event.Type.P && inits.getOrDefault(e.shardId(), 0L) == 1)
                    .collect(Collectors.groupingBy(Event::data, Collectors.counting()));
            assertThat(times).as("records processed more than once on shards whose lease never moved")
                    .allSatisfy((data, n) -> assertThat(n).as(data).isEqualTo(1));
        }

        /**
         * How long after the kill the survivor had initialized every shard the victim held; each must have been
         * taken, from a checkpoint no older than the victim's last journaled one.
         */
        private static long takeoverMicros(List<Event> events, int survivor, Set<String> victimShards,
                                           long killedAt) {
            assertThat(victimShards).as("shards the victim held when its node died").isNotEmpty();
            Map<String, String> victimCheckpoints = new HashMap<>();
            events.stream().filter(e -> e.file() != survivor && e.type() == Event.Type.C && e.micros() <= killedAt)
                    .forEach(e -> victimCheckpoints.put(e.shardId(), e.sequenceNumber()));
            long latest = 0;
            for (String shard : victimShards) {
                Event taken = events.stream().filter(e -> e.file() == survivor && e.type() == Event.Type.I
                        && e.shardId().equals(shard) && e.micros() > killedAt).findFirst().orElseThrow(() ->
                        new AssertionError("the survivor never initialized " + shard + " after the kill"));
                String victimLast = victimCheckpoints.get(shard);
                if (victimLast != null) {
                    assertThat(taken.sequenceNumber()).as("checkpoint %s resumed from", shard).matches("\\d+");
                    assertThat(new BigInteger(taken.sequenceNumber())).as("checkpoint %s resumed from", shard)
                            .isGreaterThanOrEqualTo(new BigInteger(victimLast));
                }
                latest = Math.max(latest, taken.micros() - killedAt);
            }
            return latest;
        }

        /** Workers first (the dead node's worker at once, no checkpoints), then the clients; the test stops nodes. */
        @Override
        public void close() throws InterruptedException {
            producer.stop();
            if (producerThread != null) {
                producerThread.interrupt();
                producerThread.join(10_000);
            }
            workers.forEach(KclWorker::close);
            producerClients.forEach(KinesisClient::close);
            control.forEach(KinesisClient::close);
            ddb.forEach(DynamoDbClient::close);
        }
    }
}
