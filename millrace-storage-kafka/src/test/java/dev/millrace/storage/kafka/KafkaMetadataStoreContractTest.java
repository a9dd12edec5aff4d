package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.contract.MetadataStoreContract;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;

/**
 * The metadata store contract against the Kafka metadata store: one single-node cluster shared with the other classes
 * ({@link SharedKafka}), a topic prefix per test (JUnit makes an instance per test); reopening closes the store and
 * opens a new one on the same prefix.
 */
@ExtendWith(SharedKafka.class)
class KafkaMetadataStoreContractTest extends MetadataStoreContract {
    private static KafkaTestCluster cluster;
    private static Admin admin;

    private KafkaStorageConfig config;

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
    protected MetadataStore openStore() {
        if (config == null) {
            config = KafkaStorageConfig.of(cluster.bootstrapServers())
                    .withTopicPrefix(KafkaTestTopics.nextPrefix("meta"));
        }
        return KafkaMetadataStore.open(config, Clock.systemUTC());
    }

    @Override
    protected void discardStorage() {
        if (config != null) {
            KafkaTestTopics.deleteTopics(admin, config.topicPrefix());
        }
    }
}
