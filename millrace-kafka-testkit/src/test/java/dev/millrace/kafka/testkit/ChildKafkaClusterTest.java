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
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three child-JVM brokers; the leader of a replicated partition is SIGKILLed while an {@code acks=all} producer
 * writes to it. The producer keeps going once a new leader is elected, and every record it was told was written reads
 * back exactly once, at the offset it was given; the killed node comes back on its old ports and log directory and
 * catches up. Then {@link OrphanGuard}: a child whose parent's pipe closes is gone at once.
 *
 * <p>One cluster, one test: three child brokers take 10 to 30 s to start on two shared cores.
 */
@Tag("chaos")
class ChildKafkaClusterTest {
    private static final String TOPIC = "chaos";

    @Test
    void sigkillOfTheLeaderLosesNoAcknowledgedRecordAndTheNodeComesBack() throws Exception {
        try (ChildKafkaCluster cluster = ChildKafkaCluster.start(3)) {
            try (Admin admin = cluster.admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3)
                        .configs(Map.of("min.insync.replicas", "2")))).all().get();
            }
            int leader = cluster.awaitLeader(TOPIC, 0, -1, Duration.ofSeconds(30));
            long leaderPid = cluster.pid(leader);

            ConcurrentSkipListMap<Long, String> acked = new ConcurrentSkipListMap<>();
            AtomicInteger failed = new AtomicInteger();
            AtomicReference<Exception> firstFailure = new AtomicReference<>();
            int sent = 0;
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig(cluster))) {
                sent = send(producer, sent, acked, failed, firstFailure, () -> acked.size() >= 2_000);
                cluster.kill(leader);
                assertThat(ProcessHandle.of(leaderPid).map(ProcessHandle::isAlive)).as("killed").isNotEqualTo(
                        java.util.Optional.of(true));
                int ackedAtKill = acked.size();
                sent = send(producer, sent, acked, failed, firstFailure, () -> acked.size() >= ackedAtKill + 2_000);
                producer.flush();
            }
            int newLeader = cluster.awaitLeader(TOPIC, 0, leader, Duration.ofSeconds(30));
            assertThat(newLeader).isNotEqualTo(leader);
            assertThat(failed.get()).as("records the producer gave up on (first: %s)", firstFailure.get()).isZero();
            assertThat(acked).hasSize(sent);

            List<ConsumerRecord<String, String>> read = readAll(cluster, sent);
            List<String> values = read.stream().map(ConsumerRecord::value).toList();
            assertThat(new HashSet<>(values)).as("no duplicates").hasSize(values.size());
            for (ConsumerRecord<String, String> r : read) {
                assertThat(acked.get(r.offset())).as("offset %d", r.offset()).isEqualTo(r.value());
            }
            assertThat(values).containsExactlyElementsOf(acked.values());

            cluster.startNode(leader);
            assertThat(cluster.pid(leader)).isNotEqualTo(leaderPid);
            cluster.awaitIsr(TOPIC, 0, 3, Duration.ofSeconds(60));
            assertThat(cluster.isrOf(TOPIC, 0)).containsExactly(0, 1, 2);
        }
    }

    @Test
    void aChildWhoseParentPipeClosesHaltsAtOnce() throws Exception {
        Process child = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"),
                OrphanGuard.class.getName(), SleepForever.class.getName()).redirectErrorStream(true).start();
        assertThat(child.waitFor(500, TimeUnit.MILLISECONDS)).as("still running while the pipe is open").isFalse();
        child.getOutputStream().close();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("gone once the pipe closed").isTrue();
        assertThat(child.exitValue()).isEqualTo(OrphanGuard.ORPHANED_STATUS);
    }

    /** A main class that never returns on its own. */
    public static final class SleepForever {
        public static void main(String[] args) throws InterruptedException {
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static String java() {
        return java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Map<String, Object> producerConfig(ChildKafkaCluster cluster) {
        return Map.of("bootstrap.servers", cluster.bootstrapServers(), "acks", "all",
                "enable.idempotence", "true", "linger.ms", "5", "delivery.timeout.ms", "120000",
                "key.serializer", StringSerializer.class.getName(),
                "value.serializer", StringSerializer.class.getName());
    }

    /**
     * Sends numbered records, at most 500 unacknowledged at a time, until {@code done}; returns the next number.
     * Each acknowledgement records value by offset.
     */
    private static int send(KafkaProducer<String, String> producer, int from, Map<Long, String> acked,
                            AtomicInteger failed, AtomicReference<Exception> firstFailure,
                            java.util.function.BooleanSupplier done) throws InterruptedException {
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(500);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        int next = from;
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("the producer made no progress").isLessThan(deadline);
            if (!window.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
            }
            String value = "v" + next++;
            producer.send(new ProducerRecord<>(TOPIC, 0, null, value), (metadata, e) -> {
                if (e == null) {
                    acked.put(metadata.offset(), value);
                } else {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, e);
                }
                window.release();
            });
        }
        return next;
    }

    private static List<ConsumerRecord<String, String>> readAll(ChildKafkaCluster cluster, int expected) {
        List<ConsumerRecord<String, String>> all = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                "bootstrap.servers", cluster.bootstrapServers(),
                "key.deserializer", StringDeserializer.class.getName(),
                "value.deserializer", StringDeserializer.class.getName()))) {
            TopicPartition tp = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(Set.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
            assertThat(end).as("end offset").isGreaterThanOrEqualTo(expected);
        }
        return all;
    }
}
