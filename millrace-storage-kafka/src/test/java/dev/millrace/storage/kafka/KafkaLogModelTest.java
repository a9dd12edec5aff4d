package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.contract.LogModelContract;
import net.jqwik.api.PropertyDefaults;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.clients.admin.Admin;

import java.util.Map;

/**
 * The model property against the Kafka log store: one single-node cluster for the class, a topic prefix per try.
 * Every append is a produce acknowledged by the broker and every read a fetch, so it runs fewer tries than the
 * embedded engine's 200.
 *
 * <p>The model judges expiry by the test's manual clock, which a try moves back and forth at will, while the broker
 * deletes by its own clock whatever {@code retention.ms} (set from the log's retention, down to a second here) says
 * has expired. A broker retention pass in the middle of a try would delete records the manual clock still retains,
 * so the brokers here run none while the class runs: the contract is about what reads return, and Kafka's own deletion is Kafka's.
 */
@PropertyDefaults(tries = 30)
class KafkaLogModelTest extends LogModelContract {
    /** Longer than the class runs, so that the brokers never run a retention pass. */
    private static final long BROKER_RETENTION_PASS_MS = 60L * 60 * 1000;

    private static KafkaTestCluster cluster;
    private static Admin admin;

    @BeforeContainer
    static void startCluster() {
        // The first pass would come 30 s after start-up (log.initial.task.delay.ms), then one every hour.
        cluster = KafkaTestCluster.start(1, Map.of(
                "log.initial.task.delay.ms", Long.toString(BROKER_RETENTION_PASS_MS),
                "log.retention.check.interval.ms", Long.toString(BROKER_RETENTION_PASS_MS)));
        admin = cluster.admin();
    }

    @AfterContainer
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

    @Override
    protected LogBackend newBackend() {
        return new KafkaLogBackend(cluster.bootstrapServers(), admin);
    }
}
