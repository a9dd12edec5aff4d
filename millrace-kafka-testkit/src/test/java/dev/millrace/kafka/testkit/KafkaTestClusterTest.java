package dev.millrace.kafka.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaTestClusterTest {

    @Test
    void aStartedClusterStoresAndServesRecordsAcrossANodeRestart() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(3)) {
            try (Admin admin = cluster.admin()) {
                assertThat(admin.describeCluster().nodes().get()).hasSize(3);
                admin.createTopics(List.of(new NewTopic("t", 1, (short) 3)
                        .configs(Map.of("min.insync.replicas", "2")))).all().get();
            }
            Map<String, Object> producerConfig = Map.of("bootstrap.servers", cluster.bootstrapServers(),
                    "acks", "all", "key.serializer", StringSerializer.class.getName(),
                    "value.serializer", StringSerializer.class.getName());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig)) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("t", 0, "k", "v" + i)).get();
                }
                cluster.stopNode(0);
                for (int i = 10; i < 20; i++) {
                    producer.send(new ProducerRecord<>("t", 0, "k", "v" + i)).get();
                }
                cluster.startNode(0);
            }
            List<String> values = new ArrayList<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                    "bootstrap.servers", cluster.bootstrapServers(),
                    "key.deserializer", StringDeserializer.class.getName(),
                    "value.deserializer", StringDeserializer.class.getName()))) {
                TopicPartition tp = new TopicPartition("t", 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (values.size() < 20 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        values.add(r.value());
                    }
                }
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                expected.add("v" + i);
            }
            assertThat(values).isEqualTo(expected);
        }
    }
}
