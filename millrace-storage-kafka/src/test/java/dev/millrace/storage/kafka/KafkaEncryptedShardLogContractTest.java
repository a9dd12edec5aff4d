package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.contract.EncryptedShardLogContract;
import dev.millrace.storage.contract.LogBackend;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The encrypted shard log contract against the Kafka log store as in production (reads at the tip answered from
 * memory, where encrypted records are held in plaintext and their key is asked for all the same): one single-node
 * cluster shared with the other classes ({@link SharedKafka}), a topic prefix per test.
 */
@ExtendWith(SharedKafka.class)
class KafkaEncryptedShardLogContractTest extends EncryptedShardLogContract {
    static KafkaTestCluster cluster;
    static Admin admin;

    @BeforeAll
    static void startCluster(KafkaTestCluster shared) {
        cluster = shared;
        admin = cluster.admin();
    }

    @AfterAll
    static void closeAdmin() {
        if (admin != null) {
            admin.close();
        }
    }

    @Override
    protected LogBackend newBackend() {
        return new KafkaLogBackend(cluster.bootstrapServers(), admin);
    }
}
