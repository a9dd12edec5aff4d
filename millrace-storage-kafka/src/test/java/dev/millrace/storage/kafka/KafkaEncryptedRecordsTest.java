package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.contract.LogRecords;
import dev.millrace.storage.contract.TestKeyRing;
import dev.millrace.storage.crypto.DataKey;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What encryption leaves in Kafka: the broker's log directories hold no payload, partition key or explicit hash key
 * of a record appended encrypted (while the same records appended plain are found there by the same scan), and a plain
 * consumer of the shard's topic sees a null key, a sealed value and the key id header, nothing else.
 */
@ExtendWith(SharedKafka.class)
class KafkaEncryptedRecordsTest {
    private static final String PAYLOAD = "millrace-secret-payload-7f3a9c";
    private static final String PARTITION_KEY = "millrace-secret-partition-key-42b1";
    private static final String HASH_KEY = "271828182845904523536028747135266249";
    private static final int RECORDS = 60;

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

    private static List<AppendRecord> secrets(String label) {
        List<AppendRecord> records = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            records.add(new AppendRecord(PARTITION_KEY + "-" + i, HASH_KEY,
                    (PAYLOAD + " " + label + " record " + i).getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    /** The partition directory of {@code topic}'s partition 0 in every log directory of the cluster. */
    private static List<Path> partitionDirs(String topic) throws Exception {
        List<Path> dirs = new ArrayList<>();
        List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(n -> n.id()).toList();
        for (Map<String, LogDirDescription> byPath : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
            for (String logDir : byPath.keySet()) {
                Path dir = Path.of(logDir).resolve(topic + "-0");
                if (Files.isDirectory(dir)) {
                    dirs.add(dir);
                }
            }
        }
        assertThat(dirs).as("partition directories of %s", topic).isNotEmpty();
        return dirs;
    }

    /** How many files under {@code dirs} hold {@code needle}; asserts that there are bytes to look at. */
    private static long filesContaining(List<Path> dirs, String needle) throws IOException {
        long found = 0;
        long scannedBytes = 0;
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        for (Path dir : dirs) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path file : walk.filter(Files::isRegularFile).toList()) {
                    byte[] bytes = Files.readAllBytes(file);
                    scannedBytes += bytes.length;
                    if (indexOf(bytes, n) >= 0) {
                        found++;
                    }
                }
            }
        }
        assertThat(scannedBytes).as("bytes scanned").isGreaterThan((long) RECORDS * PAYLOAD.length());
        return found;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void theTopicsBytesHoldNoPlaintextOfEncryptedRecords() throws Exception {
        KafkaStorageConfig config = KafkaStorageConfig.of(cluster.bootstrapServers())
                .withTopicPrefix(KafkaTestTopics.nextPrefix("enc"));
        TestKeyRing keys = new TestKeyRing();
        DataKey key = keys.add("1234abcd-12ab-34cd-56ef-1234567890ab");
        try (KafkaLogStore store = KafkaLogStore.open(config, Clock.systemUTC(), KafkaLogStore::newProducer, 0,
                keys)) {
            ShardLog encrypted = store.openOrCreate("secret");
            ShardLog plain = store.openOrCreate("open");
            encrypted.append(secrets("a"), key);
            encrypted.append(secrets("b"), key);
            plain.append(secrets("c"));

            List<StoredRecord> read = LogRecords.readAll(encrypted);
            assertThat(read).hasSize(2 * RECORDS);
            assertThat(read.get(3).partitionKey()).isEqualTo(PARTITION_KEY + "-3");
            assertThat(read.get(3).explicitHashKey()).isEqualTo(HASH_KEY);
            assertThat(new String(read.get(RECORDS + 3).data(), StandardCharsets.UTF_8))
                    .isEqualTo(PAYLOAD + " b record 3");

            List<Path> secretDirs = partitionDirs(config.shardTopic("secret"));
            assertThat(filesContaining(secretDirs, PAYLOAD)).as("files holding the payload").isZero();
            assertThat(filesContaining(secretDirs, PARTITION_KEY)).as("files holding the partition key").isZero();
            assertThat(filesContaining(secretDirs, HASH_KEY)).as("files holding the hash key").isZero();

            // The same scan finds the records appended plain: it can fail.
            List<Path> openDirs = partitionDirs(config.shardTopic("open"));
            assertThat(filesContaining(openDirs, PAYLOAD)).isPositive();
            assertThat(filesContaining(openDirs, PARTITION_KEY)).isPositive();
            assertThat(filesContaining(openDirs, HASH_KEY)).isPositive();

            assertRawRecords(config.shardTopic("secret"), key.keyId());
        } finally {
            KafkaTestTopics.deleteTopics(admin, config.topicPrefix());
        }
    }

    @Test
    void aForgedEncryptedRecordFailsToOpenWhereItIsAndTheRecordsAroundItRead() throws Exception {
        KafkaStorageConfig config = KafkaStorageConfig.of(cluster.bootstrapServers())
                .withTopicPrefix(KafkaTestTopics.nextPrefix("forged"));
        TestKeyRing keys = new TestKeyRing();
        DataKey key = keys.add("key-1");
        try (KafkaLogStore store = KafkaLogStore.open(config, Clock.systemUTC(), KafkaLogStore::newProducer, 0,
                keys)) {
            ShardLog log = store.openOrCreate("s");
            log.append(LogRecords.records("before", 3));
            log.append(LogRecords.records("sealed", 2), key);
            // Another writer's record claiming the key, its value not sealed by it (a forger without the key).
            try (var producer = KafkaLogStore.newProducer(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                    cluster.bootstrapServers()))) {
                byte[] garbage = new byte[64];
                new Random(1).nextBytes(garbage);
                producer.send(new ProducerRecord<>(config.shardTopic("s"), 0,
                        null, null, garbage, List.of(new RecordHeader(
                                RecordLayout.KEY_ID_HEADER, "key-1".getBytes(StandardCharsets.US_ASCII))))).get();
            }
            long forged = 5;
            log.append(LogRecords.records("after", 2));

            var before = log.read(0, 100, Long.MAX_VALUE);
            assertThat(LogRecords.dataOf(before.records()))
                    .containsExactly("before-0", "before-1", "before-2", "sealed-0", "sealed-1");
            assertThat(before.nextPosition()).isEqualTo(forged);
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(() -> log.read(forged, 100, Long.MAX_VALUE))
                        .as("attempt %d", attempt).isInstanceOf(CorruptDataException.class);
            }
            assertThat(LogRecords.dataOf(log.read(forged + 1, 100, Long.MAX_VALUE).records()))
                    .containsExactly("after-0", "after-1");
        } finally {
            KafkaTestTopics.deleteTopics(admin, config.topicPrefix());
        }
    }

    /** What a plain consumer of the encrypted shard's topic sees: no key, sealed values, the key id header only. */
    private static void assertRawRecords(String topic, String keyId) {
        Map<String, Object> settings = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> raw = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (raw.size() < 2 * RECORDS && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).records(partition).forEach(raw::add);
            }
        }
        assertThat(raw).hasSize(2 * RECORDS);
        byte[] payload = PAYLOAD.getBytes(StandardCharsets.UTF_8);
        byte[] partitionKey = PARTITION_KEY.getBytes(StandardCharsets.UTF_8);
        for (ConsumerRecord<byte[], byte[]> r : raw) {
            assertThat(r.key()).as("key of offset %d", r.offset()).isNull();
            assertThat(indexOf(r.value(), payload)).isNegative();
            assertThat(indexOf(r.value(), partitionKey)).isNegative();
            List<String> headers = new ArrayList<>();
            for (Header h : r.headers()) {
                headers.add(h.key() + "=" + new String(h.value(), StandardCharsets.US_ASCII));
            }
            assertThat(headers).containsExactly(RecordLayout.KEY_ID_HEADER + "=" + keyId);
        }
    }
}
