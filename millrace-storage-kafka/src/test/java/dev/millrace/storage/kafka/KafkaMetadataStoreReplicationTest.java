package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The metadata topic on three brokers: created with three copies and {@code min.insync.replicas=2}; stopping the
 * broker that leads it loses no acknowledged commit, and the same writer goes on once another broker leads (it is
 * not fenced by the move of the partition or of its transaction coordinator).
 */
class KafkaMetadataStoreReplicationTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void commitsSurviveTheLossOfTheLeadingBrokerAndTheWriterGoesOn() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3); Admin admin = cluster.admin()) {
            KafkaStorageConfig config = KafkaStorageConfig.of(cluster.bootstrapServers()).withTopicPrefix("rep.");
            try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC())) {
                TopicDescription topic = admin.describeTopics(List.of(store.topic())).allTopicNames()
                        .get(30, TimeUnit.SECONDS).get(store.topic());
                assertThat(topic.partitions().get(0).replicas()).hasSize(3);
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, store.topic());
                assertThat(admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource)
                        .get("min.insync.replicas").value()).isEqualTo("2");

                for (int i = 1; i <= 20; i++) {
                    store.commit(Map.of("k" + (i % 5), b("v" + i)));
                }
                int leader = topic.partitions().get(0).leader().id();
                cluster.stopNode(leader);
                long acknowledged = 20;
                for (int i = 21; i <= 40; i++) {
                    int n = i;
                    // A commit during the move may fail (retryable); none may be lost once acknowledged.
                    await().atMost(60, TimeUnit.SECONDS).ignoreExceptionsInstanceOf(StorageException.class)
                            .until(() -> store.commit(Map.of("k" + (n % 5), b("v" + n))) > 0);
                    acknowledged = store.version();
                }
                assertThat(store.writable()).isTrue();
                assertThat(acknowledged).isGreaterThanOrEqualTo(40);
                cluster.startNode(leader);
            }
            try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC())) {
                assertThat(store.version()).isGreaterThanOrEqualTo(40);
                for (int i = 36; i <= 40; i++) {
                    assertThat(new String(store.get("k" + (i % 5)).orElseThrow(), StandardCharsets.UTF_8))
                            .isEqualTo("v" + i);
                }
                assertThat(store.scan("k")).hasSize(5);
            }
        }
    }
}
