package dev.millrace.it;

import dev.millrace.kafka.testkit.ChildKafkaCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue #15's chaos test: three Kafka brokers and three Millrace nodes, all child processes, and a writer that spreads
 * PutRecords over the nodes and sends what failed to another node. Under that load a Millrace node is SIGKILLed, then
 * the metadata writer's node, then a Kafka broker. Afterwards every record the SDK reported written reads back once,
 * unchanged, in its writer's order within its shard, through the surviving node.
 *
 * <p>What a node's death may cost: the calls in flight on it fail (the client sees a connection error or a retryable
 * 5xx), and for a few seconds the shards it owned answer their entries with a retryable InternalFailure from the
 * other nodes; the writer retries those elsewhere.
 */
@Tag("chaos")
class ClusterChaosTest {
    private static final String STREAM = "chaos";
    private static ChildKafkaCluster kafka;
    private static MillraceNodes nodes;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        kafka = ChildKafkaCluster.start(3);
        nodes = MillraceNodes.start(3, dir, kafka.bootstrapServers(), "it-chaos.", 0,
                "--kafka-replication-factor", "3", "--kafka-min-insync-replicas", "2",
                "--kafka-property", "delivery.timeout.ms=8000", "--kafka-property", "request.timeout.ms=3000");
    }

    @AfterAll
    static void stop() {
        try {
            if (nodes != null) {
                nodes.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    /** What was acknowledged: per value, the shard and sequence number the SDK was told. */
    private record Acked(String shardId, String sequenceNumber) {
    }

    @Test
    void killingANodeThenTheWriterThenABrokerLosesNoAcknowledgedRecord() throws Exception {
        List<KinesisClient> clients = IntStream.range(0, 3).mapToObj(i -> Clients.syncNoRetries(nodes.node(i)
                .endpoint())).toList();
        try {
            Streams.createActive(Clients.syncRetrying(nodes.node(0).endpoint(), 10), STREAM, 4);
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes.writers().size() == 1);
            int writer = nodes.writers().get(0);
            int first = (writer + 1) % 3;
            Map<String, Acked> acked = new ConcurrentHashMap<>();
            Set<Integer> dead = ConcurrentHashMap.newKeySet();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong callFailures = new AtomicLong();
            AtomicLong entryFailures = new AtomicLong();
            Thread load = new Thread(() -> write(clients, dead, running, acked, callFailures, entryFailures));
            load.start();
            awaitMore(acked, 2_000);
            kill(first, dead, acked, "a node");
            awaitMore(acked, 2_000);
            kill(writer, dead, acked, "the metadata writer's node");
            awaitMore(acked, 2_000);
            int survivor = 3 - first - writer;
            await().atMost(Duration.ofSeconds(20)).until(() -> nodes.writers().equals(List.of(survivor)));
            int broker = kafka.awaitLeader("it-chaos.metadata", 0, -1, Duration.ofSeconds(30));
            long before = acked.size();
            kafka.kill(broker);
            System.out.printf("ClusterChaosTest: SIGKILL of broker %d (metadata leader) at %d acknowledged%n", broker,
                    before);
            awaitMore(acked, 2_000);
            running.set(false);
            load.join();
            System.out.printf("ClusterChaosTest: %d acknowledged, %d failed calls, %d failed entries%n", acked.size(),
                    callFailures.get(), entryFailures.get());
            assertEveryAcknowledgedRecordOnce(clients.get(survivor), acked);
        } finally {
            clients.forEach(KinesisClient::close);
        }
    }

    private static void kill(int node, Set<Integer> dead, Map<String, Acked> acked, String what) {
        dead.add(node);
        nodes.node(node).kill9();
        System.out.printf("ClusterChaosTest: SIGKILL of node%d (%s) at %d acknowledged%n", node, what, acked.size());
    }

    private static void awaitMore(Map<String, Acked> acked, int more) {
        int target = acked.size() + more;
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> acked.size()
                >= target);
    }

    /**
     * Writes batches of 50 records, each value unique, to the live nodes in turn; entries that failed, and whole
     * calls that failed, are sent again (same values) to the next node. A value is acknowledged at most once here: a
     * retried value that had landed unacknowledged may read back twice, which Kinesis allows; acknowledged values must
     * read back once.
     */
    private static void write(List<KinesisClient> clients, Set<Integer> dead, AtomicBoolean running,
                              Map<String, Acked> acked, AtomicLong callFailures, AtomicLong entryFailures) {
        long nextValue = 0;
        int node = 0;
        List<String> pending = new ArrayList<>();
        while (running.get()) {
            while (pending.size() < 50) {
                pending.add("v" + nextValue++);
            }
            do {
                node = (node + 1) % 3;
            } while (dead.contains(node));
            List<String> sent = List.copyOf(pending);
            List<PutRecordsRequestEntry> entries = sent.stream().map(v -> PutRecordsRequestEntry.builder()
                    .partitionKey("pk-" + v.hashCode() % 16).data(SdkBytes.fromUtf8String(v)).build()).toList();
            try {
                PutRecordsResponse r = clients.get(node).putRecords(b -> b.streamName(STREAM).records(entries));
                pending.clear();
                for (int i = 0; i < sent.size(); i++) {
                    PutRecordsResultEntry e = r.records().get(i);
                    if (e.errorCode() == null) {
                        acked.put(sent.get(i), new Acked(e.shardId(), e.sequenceNumber()));
                    } else {
                        assertThat(e.errorCode()).isIn("InternalFailure", "ServiceUnavailable",
                                "ProvisionedThroughputExceededException");
                        entryFailures.incrementAndGet();
                        pending.add(sent.get(i));
                    }
                }
            } catch (SdkException e) {
                callFailures.incrementAndGet();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private static void assertEveryAcknowledgedRecordOnce(KinesisClient reader, Map<String, Acked> acked) {
        KinesisClient retrying = Clients.syncRetrying(endpointOf(reader), 10);
        Map<String, List<Record>> byShard = new HashMap<>();
        for (Shard shard : Streams.shards(retrying, STREAM)) {
            byShard.put(shard.shardId(), Streams.readShard(retrying, STREAM, shard.shardId(), 10_000));
        }
        Map<String, Integer> seen = new HashMap<>();
        for (Map.Entry<String, List<Record>> e : byShard.entrySet()) {
            BigInteger last = BigInteger.valueOf(-1);
            Set<String> sequenceNumbers = new HashSet<>();
            for (Record r : e.getValue()) {
                BigInteger seq = new BigInteger(r.sequenceNumber());
                assertThat(seq).as("sequence numbers grow in %s", e.getKey()).isGreaterThan(last);
                last = seq;
                assertThat(sequenceNumbers.add(r.sequenceNumber())).isTrue();
                String value = r.data().asUtf8String();
                Acked a = acked.get(value);
                if (a != null && a.shardId().equals(e.getKey()) && a.sequenceNumber().equals(r.sequenceNumber())) {
                    seen.merge(value, 1, Integer::sum);
                }
            }
        }
        List<String> missing = acked.keySet().stream().filter(v -> !seen.containsKey(v)).sorted().limit(20).toList();
        assertThat(missing).as("acknowledged values not read back at their sequence number").isEmpty();
        assertThat(seen.values()).allMatch(n -> n == 1);
        retrying.close();
    }

    private static java.net.URI endpointOf(KinesisClient client) {
        return client.serviceClientConfiguration().endpointOverride().orElseThrow();
    }
}
