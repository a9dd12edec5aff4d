package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.StorageException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Commits whose outcome Kafka leaves unknown: {@code commitTransaction} times out, either after the commit landed
 * (its answer lost) or before it reached the coordinator. Kafka's producer then allows only to call it again; the
 * store reports the commit failed, and its next commit first settles the earlier one. Either way every node ends
 * with the same versions, each commit applied and heard once.
 */
class KafkaMetadataStoreInDoubtTest {

    private enum Fault { NONE, LAND_THEN_TIME_OUT, TIME_OUT_BEFORE_SENDING }

    /** The real producer, with commitTransaction failing as a lost answer or an unreachable coordinator would. */
    private static final class FlakyCommits extends ForwardingProducer {
        volatile Fault next = Fault.NONE;
        private boolean retryOwed;
        private boolean landed;

        FlakyCommits(Map<String, Object> settings) {
            super(settings);
        }

        @Override
        public void commitTransaction() {
            if (retryOwed) {
                // Kafka's retry waits for the same result: the commit already sent completes, or is sent now.
                retryOwed = false;
                if (!landed) {
                    real.commitTransaction();
                }
                return;
            }
            Fault fault = next;
            next = Fault.NONE;
            switch (fault) {
                case LAND_THEN_TIME_OUT -> {
                    real.commitTransaction();
                    retryOwed = true;
                    landed = true;
                    throw new TimeoutException("simulated: the EndTxn answer was lost");
                }
                case TIME_OUT_BEFORE_SENDING -> {
                    real.flush();
                    retryOwed = true;
                    landed = false;
                    throw new TimeoutException("simulated: the coordinator did not answer");
                }
                default -> real.commitTransaction();
            }
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCommitWithAnUnknownOutcomeIsSettledByTheNextOneAndAppliedOnce() {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
            KafkaStorageConfig config = KafkaStorageConfig.of(cluster.bootstrapServers()).withTopicPrefix("doubt.");
            FlakyCommits[] made = new FlakyCommits[1];
            try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC(), settings -> {
                made[0] = new FlakyCommits(settings);
                return made[0];
            })) {
                FlakyCommits producer = made[0];
                List<Long> heard = Collections.synchronizedList(new ArrayList<>());
                store.onCommit((version, changes) -> heard.add(version));
                assertThat(store.commit(Map.of("a", b("1")))).isEqualTo(1);

                // Landed, answer lost: reported failed, yet on the topic; the tailer brings it in.
                producer.next = Fault.LAND_THEN_TIME_OUT;
                assertThatThrownBy(() -> store.commit(Map.of("b", b("2")))).isInstanceOf(StorageException.class)
                        .hasMessageContaining("outcome unknown");
                assertThat(store.awaitCaughtUp(30_000)).isEqualTo(2);
                assertThat(store.get("b")).isPresent();
                assertThat(store.commit(Map.of("c", b("3")))).isEqualTo(3);

                // Not sent: its records sit in an open transaction nobody sees, until the next commit settles it.
                producer.next = Fault.TIME_OUT_BEFORE_SENDING;
                assertThatThrownBy(() -> store.commit(Map.of("d", b("4")))).isInstanceOf(StorageException.class)
                        .hasMessageContaining("outcome unknown");
                // No awaitCaughtUp here: it would wait for the open transaction's outcome, which the next commit decides.
                assertThat(store.version()).isEqualTo(3);
                assertThat(store.get("d")).isEmpty();
                assertThat(store.commit(Map.of("e", b("5")))).isEqualTo(5);
                assertThat(store.get("d")).isPresent();

                assertThat(store.awaitCaughtUp(30_000)).isEqualTo(5);
                assertThat(heard).containsExactly(1L, 2L, 3L, 4L, 5L);
            }
            try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC())) {
                assertThat(store.version()).isEqualTo(5);
                assertThat(store.scan("").keySet()).containsExactly("a", "b", "c", "d", "e");
            }
        }
    }
}
