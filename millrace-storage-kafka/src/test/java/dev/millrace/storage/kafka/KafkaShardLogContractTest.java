package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.contract.ShardLogContract;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shard log contract against the Kafka log store as in production (reads at the tip answered from memory): one
 * single-node cluster for the class, a topic prefix per test.
 */
class KafkaShardLogContractTest extends ShardLogContract {
    static KafkaTestCluster cluster;
    static Admin admin;

    @BeforeAll
    static void startCluster() {
        cluster = KafkaTestCluster.start(1);
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

    @Override
    protected LogBackend newBackend() {
        return new KafkaLogBackend(cluster.bootstrapServers(), admin);
    }
}
