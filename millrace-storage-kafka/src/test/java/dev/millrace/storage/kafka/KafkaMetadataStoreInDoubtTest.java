package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

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
    private static final class FlakyCommits implements Producer<byte[], byte[]> {
        private final KafkaProducer<byte[], byte[]> real;
        volatile Fault next = Fault.NONE;
        private boolean retryOwed;
        private boolean landed;

        FlakyCommits(Map<String, Object> settings) {
            this.real = new KafkaProducer<>(settings);
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

        @Override
        public void initTransactions() {
            real.initTransactions();
        }

        @Override
        public void beginTransaction() {
            real.beginTransaction();
        }

        @Override
        public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
                                             ConsumerGroupMetadata groupMetadata) {
            real.sendOffsetsToTransaction(offsets, groupMetadata);
        }

        @Override
        public void abortTransaction() {
            real.abortTransaction();
        }

        @Override
        public void registerMetricForSubscription(KafkaMetric metric) {
            real.registerMetricForSubscription(metric);
        }

        @Override
        public void unregisterMetricFromSubscription(KafkaMetric metric) {
            real.unregisterMetricFromSubscription(metric);
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
            return real.send(record);
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            return real.send(record, callback);
        }

        @Override
        public void flush() {
            real.flush();
        }

        @Override
        public List<PartitionInfo> partitionsFor(String topic) {
            return real.partitionsFor(topic);
        }

        @Override
        public Map<MetricName, ? extends Metric> metrics() {
            return real.metrics();
        }

        @Override
        public Uuid clientInstanceId(Duration timeout) {
            return real.clientInstanceId(timeout);
        }

        @Override
        public void close() {
            real.close();
        }

        @Override
        public void close(Duration timeout) {
            real.close(timeout);
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
