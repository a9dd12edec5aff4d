package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.contract.LogModelContract;
import net.jqwik.api.PropertyDefaults;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.kafka.clients.admin.Admin;

/**
 * The model property against the Kafka log store: one single-node cluster for the class, a topic prefix per try.
 * Every append is a produce acknowledged by the broker and every read a fetch, so it runs fewer tries than the
 * embedded engine's 200.
 */
@PropertyDefaults(tries = 30)
class KafkaLogModelTest extends LogModelContract {
    private static KafkaTestCluster cluster;
    private static Admin admin;

    @BeforeContainer
    static void startCluster() {
        cluster = KafkaTestCluster.start(1);
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
