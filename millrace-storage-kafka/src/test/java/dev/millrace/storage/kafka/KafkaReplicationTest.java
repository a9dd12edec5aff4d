package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.millrace.storage.contract.LogRecords.dataOf;
import static dev.millrace.storage.contract.LogRecords.readAll;
import static dev.millrace.storage.contract.LogRecords.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Three brokers, replication factor 3, min ISR 2: losing the leader loses no acknowledged record and writes go on;
 * losing two of three makes appends fail as retryable within the delivery timeout instead of hanging or pretending;
 * once the nodes are back, writes resume and every acknowledged record reads back once, in order.
 */
class KafkaReplicationTest {
    /** Short, so that the test does not wait out the production 20 s; passed as an operator's client property. */
    private static final int DELIVERY_TIMEOUT_MS = 8_000;

    @Test
    void leaderLossLosesNothingAndTooFewReplicasFailRetryably() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3); Admin admin = cluster.admin()) {
            KafkaStorageConfig config = new KafkaStorageConfig(cluster.bootstrapServers(), "ha.", 0, 0, Map.of(
                    "delivery.timeout.ms", Integer.toString(DELIVERY_TIMEOUT_MS), "request.timeout.ms", "3000"));
            try (KafkaLogStore store = KafkaLogStore.open(config, Clock.systemUTC())) {
                ShardLog log = store.openOrCreate("shard");
                String topic = config.shardTopic("shard");
                assertReplicated(admin, topic);

                List<String> acknowledged = new ArrayList<>();
                appendBatches(log, "before", 20, acknowledged);
                // A record far above the followers' default fetch size (1 MiB) still replicates to min ISR.
                byte[] big = new byte[RecordLayout.MAX_RECORD_BYTES - 1024];
                Arrays.fill(big, (byte) 'x');
                System.arraycopy("big-0".getBytes(StandardCharsets.UTF_8), 0, big, 0, 5);
                log.append(List.of(new AppendRecord("big", big)));
                acknowledged.add(brief(new String(big, StandardCharsets.UTF_8)));

                int leader = describe(admin, topic).partitions().get(0).leader().id();
                cluster.stopNode(leader);
                appendBatches(log, "after-leader-loss", 20, acknowledged);
                assertThat(briefly(dataOf(readAll(log)))).isEqualTo(acknowledged);

                int second = leader == 0 ? 1 : 0;
                cluster.stopNode(second);
                long started = System.nanoTime();
                try {
                    log.append(records("too-few", 3));
                    fail("an append with one of three replicas alive (min ISR 2) must not succeed");
                } catch (StorageException e) {
                    assertThat(KafkaErrors.retryable(e)).as("retryable: %s", e).isTrue();
                }
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                assertThat(tookMs).isLessThan(DELIVERY_TIMEOUT_MS + 5_000L);

                CompletableFuture<Void> first = CompletableFuture.runAsync(() -> cluster.startNode(leader));
                CompletableFuture<Void> other = CompletableFuture.runAsync(() -> cluster.startNode(second));
                CompletableFuture.allOf(first, other).get(120, TimeUnit.SECONDS);

                appendWithRetries(log, "resumed", acknowledged);
                List<StoredRecord> all = readAll(log);
                // The failed append may have left its records readable (Kinesis is at-least-once); nothing else may
                // appear, and every acknowledged record is there exactly once, in order.
                List<String> data = new ArrayList<>(briefly(dataOf(all)));
                data.removeIf(s -> s.startsWith("too-few-"));
                assertThat(data).isEqualTo(acknowledged);
                assertThat(all).extracting(StoredRecord::position).isSorted().doesNotHaveDuplicates();
            }
        }
    }

    /** A long record's data as its start, length and hash, so that a failure message stays readable. */
    private static String brief(String data) {
        return data.length() <= 100 ? data : data.substring(0, 5) + "... (" + data.length() + " chars, hash "
                + data.hashCode() + ")";
    }

    private static List<String> briefly(List<String> data) {
        return data.stream().map(KafkaReplicationTest::brief).toList();
    }

    private static void appendBatches(ShardLog log, String prefix, int batches, List<String> acknowledged) {
        for (int b = 0; b < batches; b++) {
            AppendResult result = log.append(records(prefix + b, 10));
            assertThat(result.recordCount()).isEqualTo(10);
            for (int i = 0; i < 10; i++) {
                acknowledged.add(prefix + b + "-" + i);
            }
        }
    }

    /** Appends once the cluster has a leader and enough replicas again; a retryable failure meanwhile is retried. */
    private static void appendWithRetries(ShardLog log, String prefix, List<String> acknowledged)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (int attempt = 0; ; attempt++) {
            try {
                log.append(records(prefix + attempt, 5));
                for (int i = 0; i < 5; i++) {
                    acknowledged.add(prefix + attempt + "-" + i);
                }
                return;
            } catch (StorageException e) {
                if (!KafkaErrors.retryable(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    private static void assertReplicated(Admin admin, String topic) throws Exception {
        assertThat(describe(admin, topic).partitions().get(0).replicas()).hasSize(3);
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
    }

    private static TopicDescription describe(Admin admin, String topic) throws Exception {
        return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    }
}
