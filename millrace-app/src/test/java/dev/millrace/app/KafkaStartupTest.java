package dev.millrace.app;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.kafka.KafkaStorageConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static dev.millrace.app.MillraceMainTest.assertOneLineProblem;
import static dev.millrace.app.MillraceMainTest.runServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link KafkaStartup} against a real one-broker cluster: it counts the brokers, works out the replication the topics
 * will get, and refuses, in one line, a replication factor or min.insync.replicas the cluster cannot give.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time, on one cluster.
 */
class KafkaStartupTest {
    private static KafkaTestCluster cluster;

    @BeforeAll
    static void startCluster() {
        cluster = KafkaTestCluster.start(1);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static KafkaStorageConfig config(int replicationFactor, int minInsyncReplicas) {
        return new KafkaStorageConfig(cluster.bootstrapServers(), "startup.", replicationFactor, minInsyncReplicas,
                Map.of());
    }

    @Test
    void countsTheBrokersAndChoosesTheReplication() throws StartupProblem {
        assertThat(KafkaStartup.check(config(0, 0), 10_000)).isEqualTo(new KafkaStartup.Cluster(1, (short) 1, 1));
        assertThat(KafkaStartup.check(config(1, 1), 10_000)).isEqualTo(new KafkaStartup.Cluster(1, (short) 1, 1));
    }

    @Test
    void moreCopiesThanBrokersIsAStartupProblem() {
        assertThatThrownBy(() -> KafkaStartup.check(config(3, 0), 10_000)).isInstanceOf(StartupProblem.class)
                .hasMessageStartingWith("--kafka-replication-factor 3 needs as many brokers, but the Kafka cluster at "
                        + cluster.bootstrapServers() + " has 1");
        assertThatThrownBy(() -> KafkaStartup.check(config(0, 2), 10_000)).isInstanceOf(StartupProblem.class)
                .hasMessageStartingWith("--kafka-min-insync-replicas 2 is more than the replication factor 1");
    }

    @Test
    void clientSettingsTheClientRejectsAreAStartupProblem() {
        KafkaStorageConfig bad = new KafkaStorageConfig(cluster.bootstrapServers(), "startup.", 0, 0,
                Map.of("security.protocol", "CARRIER_PIGEON"));
        assertThatThrownBy(() -> KafkaStartup.check(bad, 10_000)).isInstanceOf(StartupProblem.class)
                .hasMessageStartingWith("cannot set up a Kafka client for " + cluster.bootstrapServers())
                .hasMessageContaining("CARRIER_PIGEON");
    }

    @Test
    void kafkaRefusalsWhileOpeningAreExplainedAndOtherFailuresAreNot() {
        KafkaStorageConfig config = config(0, 0);
        StartupProblem problem = KafkaStartup.explainOpenFailure(new StorageException("cannot create topic "
                + "startup.metadata", new TopicAuthorizationException("Not authorized to access topics")), config);
        assertThat(problem).isNotNull();
        assertThat(problem.getMessage()).startsWith("cannot open the Kafka storage (topic prefix 'startup.') on the "
                + "cluster at " + cluster.bootstrapServers() + ": cannot create topic startup.metadata: Not "
                + "authorized to access topics");
        assertThat(KafkaStartup.explainOpenFailure(new IllegalStateException("a bug"), config)).isNull();
    }

    @Test
    void tooFewBrokersIsOneLineOnStderr(@TempDir Path dir) throws Exception {
        assertOneLineProblem(runServer(dir, "--port", "0", "--data-dir", dir.resolve("data").toString(),
                "--storage", "kafka", "--kafka-bootstrap-servers", cluster.bootstrapServers(),
                "--kafka-replication-factor", "3"),
                "--kafka-replication-factor 3 needs as many brokers", "has 1; lower it");
    }
}
