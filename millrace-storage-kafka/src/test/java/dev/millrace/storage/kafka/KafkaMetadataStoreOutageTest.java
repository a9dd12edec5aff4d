package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.StorageException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The metadata store while its only broker is down (its own cluster, since the broker is stopped): commits fail with a
 * storage error and change nothing, reads go on from memory, and once the broker is back the same store commits
 * again, with versions that go on from where they were.
 */
class KafkaMetadataStoreOutageTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void commitsFailWhileTheBrokerIsDownChangeNothingAndResumeAfterwards() {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
            // Short client timeouts (an operator's properties win over the store's) so that failures come fast.
            KafkaStorageConfig config = new KafkaStorageConfig(cluster.bootstrapServers(), "outage.", 0, 0,
                    Map.of("delivery.timeout.ms", "3000", "request.timeout.ms", "1000", "max.block.ms", "5000"));
            try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC())) {
                assertThat(store.commit(Map.of("a", b("1")))).isEqualTo(1);
                List<Long> heard = Collections.synchronizedList(new ArrayList<>());
                store.onCommit((version, changes) -> heard.add(version));

                cluster.stopNode(0);
                for (String value : new String[] {"x", "y"}) {
                    assertThatThrownBy(() -> store.commit(Map.of("lost", b(value))))
                            .isInstanceOfSatisfying(StorageException.class,
                                    e -> System.out.println("Commit while the broker is down: " + e.getMessage()));
                }
                assertThat(store.get("lost")).isEmpty();
                assertThat(s(store.get("a").orElseThrow())).isEqualTo("1");
                assertThat(store.version()).isEqualTo(1);
                assertThat(heard).isEmpty();

                cluster.startNode(0);
                await().atMost(90, TimeUnit.SECONDS).ignoreExceptionsInstanceOf(StorageException.class)
                        .until(() -> store.commit(Map.of("b", b("2"))) > 0);
                assertThat(store.version()).isEqualTo(2);
                assertThat(heard).containsExactly(2L);
                assertThat(store.writable()).isTrue();
            }
            try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC())) {
                assertThat(store.version()).isEqualTo(2);
                assertThat(store.scan("").keySet()).containsExactly("a", "b");
            }
        }
    }

    private static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
