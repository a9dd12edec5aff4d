package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.contract.ShardLogContract;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The shard log contract against the Kafka log store with no recent appends kept in memory, so that every read goes to
 * the brokers ({@link KafkaShardLogContractTest} runs it as in production, where reads at the tip are answered from
 * memory).
 */
class KafkaShardLogFromKafkaContractTest extends ShardLogContract {
    private static KafkaTestCluster cluster;
    private static Admin admin;

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
        return new KafkaLogBackend(cluster.bootstrapServers(), admin, false);
    }
}
