package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.contract.EncryptedShardLogContract;
import dev.millrace.storage.contract.LogBackend;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The encrypted shard log contract against the Kafka log store as in production (reads at the tip answered from
 * memory, where encrypted records are held in plaintext and their key is asked for all the same): one single-node
 * cluster for the class, a topic prefix per test.
 */
class KafkaEncryptedShardLogContractTest extends EncryptedShardLogContract {
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
