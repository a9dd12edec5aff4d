package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.contract.TestKeyRing;
import dev.millrace.storage.crypto.DataKey;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A quick measurement, not a timed test: append throughput of 500-record batches (100 B and 1 KiB records) and read
 * throughput through {@link KafkaLogStore} on one in-process broker, next to Kafka's own producer and consumer with
 * the same settings (acks=all, idempotent) on the same broker, and the same appends and reads encrypted at rest
 * (each record sealed on its own). Its name does not match surefire's patterns, so the
 * build never runs it; run it with
 * {@code mvn -o -pl millrace-storage-kafka -am test -Dtest=KafkaLogBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * and read the numbers in target/surefire-reports/dev.millrace.storage.kafka.KafkaLogBenchmark-output.txt.
 */
@Tag("benchmark")
class KafkaLogBenchmark {
    private static final int BATCH = 500;
    private static final long RUN_MS = 5_000;

    @Test
    void measure() throws Exception {
        try (KafkaTestCluster cluster = KafkaTestCluster.start(1)) {
            KafkaStorageConfig config = KafkaStorageConfig.of(cluster.bootstrapServers()).withTopicPrefix("bench.");
            TestKeyRing keys = new TestKeyRing();
            DataKey key = keys.add("bench-key");
            try (KafkaLogStore store = KafkaLogStore.open(config, Clock.systemUTC(), KafkaLogStore::newProducer,
                    KafkaLogStore.recentAppendsBudgetBytes(), keys)) {
                for (int size : new int[] {100, 1024}) {
                    appends(store, "warm-" + size, size, 1, 2_000, null);
                    appends(store, "warm-enc-" + size, size, 1, 2_000, key);
                    appends(store, "one-" + size, size, 1, RUN_MS, null);
                    appends(store, "one-enc-" + size, size, 1, RUN_MS, key);
                    appends(store, "four-" + size, size, 4, RUN_MS, null);
                    appends(store, "four-enc-" + size, size, 4, RUN_MS, key);
                    reads(store.openOrCreate("one-" + size + "-0"), size, "plain");
                    reads(store.openOrCreate("one-enc-" + size + "-0"), size, "encrypted");
                    rawProducer(cluster, store, size);
                    rawConsumer(cluster, config.shardTopic("one-" + size + "-0"), size);
                }
            }
        }
    }

    /**
     * {@code threads} threads, each appending 500-record batches to its own shard for {@code runMs}, encrypted with
     * {@code key} unless it is null.
     */
    private static void appends(KafkaLogStore store, String name, int sizeBytes, int threads, long runMs, DataKey key)
            throws Exception {
        List<ShardLog> logs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            logs.add(store.openOrCreate(name + "-" + t));
        }
        List<AppendRecord> batch = batch(sizeBytes);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<long[]>> results = new ArrayList<>();
        long started = System.nanoTime();
        for (ShardLog log : logs) {
            results.add(pool.submit(() -> {
                long batches = 0;
                long worstNs = 0;
                while (System.nanoTime() - started < runMs * 1_000_000) {
                    long t0 = System.nanoTime();
                    log.append(batch, key);
                    worstNs = Math.max(worstNs, System.nanoTime() - t0);
                    batches++;
                }
                return new long[] {batches, worstNs};
            }));
        }
        long batches = 0;
        long worstNs = 0;
        for (Future<long[]> f : results) {
            batches += f.get()[0];
            worstNs = Math.max(worstNs, f.get()[1]);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        pool.shutdown();
        if (!name.startsWith("warm")) {
            report("append " + threads + " thread(s), 500 x " + sizeBytes + " B" + (key == null ? "" : ", encrypted"),
                    batches * BATCH, sizeBytes, seconds,
                    String.format("%.1f batches/s, mean %.1f ms, worst %.1f ms", batches / seconds,
                            seconds * 1000 * threads / batches, worstNs / 1e6));
        }
    }

    /** Reads the whole shard from the start, GetRecords-sized: up to 10,000 records or 10 MiB per read. */
    private static void reads(ShardLog log, int sizeBytes, String label) {
        for (int round = 0; round < 3; round++) {
            long started = System.nanoTime();
            long position = 0;
            long records = 0;
            long reads = 0;
            while (position < log.endPosition()) {
                ReadResult r = log.read(position, 10_000, 10L * 1024 * 1024);
                records += r.records().size();
                position = r.nextPosition();
                reads++;
            }
            assertThat(records).isEqualTo(log.endPosition());
            double seconds = (System.nanoTime() - started) / 1e9;
            report("read round " + round + ", " + sizeBytes + " B records, " + label, records, sizeBytes, seconds,
                    String.format("%d reads", reads));
        }
    }

    /** Kafka's own producer, same settings, every record sent asynchronously and flushed once: its ceiling. */
    private static void rawProducer(KafkaTestCluster cluster, KafkaLogStore store, int sizeBytes) throws Exception {
        store.openOrCreate("raw-" + sizeBytes);
        String topic = "bench.shard.raw-" + sizeBytes;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 2, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            byte[] data = new byte[sizeBytes];
            ThreadLocalRandom.current().nextBytes(data);
            long started = System.nanoTime();
            long sent = 0;
            while (System.nanoTime() - started < RUN_MS * 1_000_000) {
                for (int i = 0; i < BATCH; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, ("pk-" + i).getBytes(), data));
                }
                sent += BATCH;
            }
            producer.flush();
            report("raw KafkaProducer, pipelined, " + sizeBytes + " B", sent, sizeBytes,
                    (System.nanoTime() - started) / 1e9, "");
        }
    }

    /** Kafka's own consumer reading the same shard topic from the start. */
    private static void rawConsumer(KafkaTestCluster cluster, String topic, int sizeBytes) {
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 10 * 1024 * 1024),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            for (int round = 0; round < 2; round++) {
                consumer.seekToBeginning(List.of(partition));
                long started = System.nanoTime();
                long records = 0;
                while (consumer.position(partition) < end) {
                    records += consumer.poll(Duration.ofMillis(100)).count();
                }
                report("raw KafkaConsumer round " + round + ", " + sizeBytes + " B", records, sizeBytes,
                        (System.nanoTime() - started) / 1e9, "");
            }
        }
    }

    private static List<AppendRecord> batch(int sizeBytes) {
        List<AppendRecord> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            byte[] data = new byte[sizeBytes];
            ThreadLocalRandom.current().nextBytes(data);
            batch.add(new AppendRecord("pk-" + i, data));
        }
        return batch;
    }

    private static void report(String what, long records, int sizeBytes, double seconds, String extra) {
        System.out.printf("BENCH %-45s %,12.0f records/s %8.1f MB/s  (%,d records in %.2f s) %s%n", what,
                records / seconds, records * (double) sizeBytes / seconds / 1e6, records, seconds, extra);
    }
}
