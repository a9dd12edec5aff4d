package dev.millrace.storage.kafka;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.millrace.storage.contract.LogRecords.readAll;
import static dev.millrace.storage.contract.LogRecords.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The log store on brokers as Apache Kafka ships them, creating any topic a client asks about
 * ({@code auto.create.topics.enable=true}; the test kit's brokers turn it off): a deleted shard must stay deleted
 * whoever reads it afterwards, and the operator is told of the one case Millrace cannot rule out (a producer's
 * metadata refresh right after a shard's last write).
 */
class KafkaAutoCreateTest {
    private static KafkaTestCluster cluster;
    private static Admin admin;

    @BeforeAll
    static void startCluster() {
        cluster = KafkaTestCluster.start(1, Map.of("auto.create.topics.enable", "true"));
        admin = cluster.admin();
    }

    @AfterAll
    static void stopCluster() {
        try {
            if (admin != null) {
                admin.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    void readsNeverCreateADeletedShardsTopicAgainAndADeletedLogRefusesReadsAtOnce() throws Exception {
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        Logger storeLogger = (Logger) LoggerFactory.getLogger(KafkaLogStore.class);
        logged.start();
        storeLogger.addAppender(logged);
        KafkaStorageConfig config = KafkaStorageConfig.of(cluster.bootstrapServers()).withTopicPrefix("auto.");
        // No recent appends in memory: a read must reach Kafka to find the topic gone (RecentAppends says why the
        // last records of a topic deleted by hand may still be answered from memory for a while).
        try (KafkaLogStore store = KafkaLogStore.open(config, Clock.systemUTC(), KafkaLogStore::newProducer, 0)) {
            assertThat(logged.list).as("the operator is told at open").anySatisfy(e ->
                    assertThat(e.getFormattedMessage()).contains("auto.create.topics.enable=false"));

            // Deleted by someone else (another node, an operator) while this node's log and a reader know it.
            ShardLog elsewhere = store.openOrCreate("elsewhere");
            elsewhere.append(records("a", 3));
            assertThat(readAll(elsewhere)).hasSize(3);
            String topic = config.shardTopic("elsewhere");
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            await().atMost(30, TimeUnit.SECONDS).until(() -> !topics().contains(topic));
            long readStartNs = System.nanoTime();
            assertThatThrownBy(() -> elsewhere.read(0, 10, Long.MAX_VALUE)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("no longer exists");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readStartNs))
                    .as("ms until a read of a topic deleted elsewhere fails, its consumer warning all along")
                    .isLessThan(KafkaLogStore.READ_TIMEOUT_MS / 2);
            assertThat(topics()).as("a reader's metadata request created the topic again").doesNotContain(topic);

            // Deleted through this store: a read through the old log fails at once instead of waiting for records.
            ShardLog here = store.openOrCreate("here");
            here.append(records("b", 3));
            store.delete("here");
            long startNs = System.nanoTime();
            assertThatThrownBy(() -> here.read(0, 10, Long.MAX_VALUE)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("closed");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).isLessThan(1_000);
            assertThat(topics()).doesNotContain(config.shardTopic("here"));
        } finally {
            storeLogger.detachAppender(logged);
        }
    }

    private static java.util.Set<String> topics() throws Exception {
        return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    }
}
