package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.StaleVersionException;
import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Kafka metadata store against a real one-node cluster, beyond what every store must do
 * ({@link KafkaMetadataStoreContractTest}): Kafka's limits and topic checks, commits that fail or write nothing, and
 * what only a shared log brings: reopening replays the topic (also after compaction), a second writer fences the
 * first, a dead writer's open transaction never shows, and other writers' commits reach the change feed.
 */
class KafkaMetadataStoreTest {
    private static KafkaTestCluster cluster;
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private String prefix;

    @BeforeAll
    static void startCluster() {
        // The cleaner normally wakes every 15 s; the compaction test should not wait that long.
        cluster = KafkaTestCluster.start(1, Map.of("log.cleaner.backoff.ms", "100"));
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void prefix(TestInfo test) {
        prefix = "t" + PREFIXES.incrementAndGet() + "-" + test.getTestMethod().orElseThrow().getName() + ".";
        if (prefix.length() > 30) {
            prefix = prefix.substring(0, 29) + ".";
        }
    }

    private KafkaStorageConfig config() {
        return KafkaStorageConfig.of(cluster.bootstrapServers()).withTopicPrefix(prefix);
    }

    private KafkaMetadataStore open() {
        return KafkaMetadataStore.open(config(), Clock.systemUTC());
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void reservedAndOversizedKeysAreRefusedBeforeAnythingIsWritten() {
        try (KafkaMetadataStore store = open()) {
            assertThatThrownBy(() -> store.commit(Map.of("\0version", b("1"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
            Map<String, byte[]> nullKey = new HashMap<>();
            nullKey.put(null, b("x"));
            assertThatThrownBy(() -> store.commit(nullKey)).isInstanceOf(IllegalArgumentException.class);
            byte[] tooBig = new byte[KafkaMetadataStore.MAX_VALUE_BYTES + 1];
            assertThatThrownBy(() -> store.commit(Map.of("big", tooBig)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most");
            String longKey = "k".repeat(KafkaMetadataStore.MAX_KEY_BYTES + 1);
            assertThatThrownBy(() -> store.commit(Map.of(longKey, b("x"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most");
            assertThat(store.version()).isZero();
            assertThat(store.commit(Map.of("k".repeat(KafkaMetadataStore.MAX_KEY_BYTES), b("1")))).isEqualTo(1);
        }
    }

    @Test
    void emptyAndRefusedCommitsWriteNothingToTheTopic() throws Exception {
        try (KafkaMetadataStore store = open()) {
            store.commit(Map.of("a", b("1")));
            long end = endOffset(store.topic());
            assertThat(store.commit(Map.of())).isEqualTo(1);
            assertThat(store.commitIfVersion(1, Map.of())).isEqualTo(1);
            assertThatThrownBy(() -> store.commitIfVersion(0, Map.of("a", b("stale"), "b", b("2"))))
                    .isInstanceOf(StaleVersionException.class);
            assertThat(endOffset(store.topic())).as("no transaction, not even an aborted one").isEqualTo(end);
            assertThat(store.commitIfVersion(1, Map.of("b", b("2")))).isEqualTo(2);
        }
    }

    @Test
    void aFailedCommitChangesNothingAndItsRecordsNeverAppear() throws Exception {
        // Short producer timeouts (an operator's properties win over the store's), so that the failure comes fast.
        KafkaStorageConfig config = new KafkaStorageConfig(cluster.bootstrapServers(), prefix, 0, 0,
                Map.of("delivery.timeout.ms", "3000", "request.timeout.ms", "1000"));
        try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC());
             Admin admin = cluster.admin()) {
            store.commit(Map.of("before", b("1")));
            List<Long> heard = Collections.synchronizedList(new ArrayList<>());
            store.onCommit((version, changes) -> heard.add(version));
            // The broker now refuses the big record; the small one before it, in the same transaction, is written.
            // (Kafka 4.4 caps min.insync.replicas at the replica count, so this is the way to fail one write.)
            setTopicConfig(admin, store.topic(), "max.message.bytes", "2000");
            Map<String, byte[]> changes = new LinkedHashMap<>();
            changes.put("first", b("1"));
            changes.put("second", new byte[10_000]);
            assertThatThrownBy(() -> store.commit(changes)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("nothing changed");
            assertThat(store.get("first")).isEmpty();
            assertThat(store.get("second")).isEmpty();
            assertThat(store.version()).isEqualTo(1);
            assertThat(heard).isEmpty();
            // The writer goes on once the topic takes the record again.
            setTopicConfig(admin, store.topic(), "max.message.bytes",
                    Integer.toString(KafkaMetadataStore.MAX_RECORD_BYTES));
            await().atMost(60, TimeUnit.SECONDS).ignoreExceptionsInstanceOf(StorageException.class)
                    .until(() -> store.commit(Map.of("after", b("2"))) == 2);
            assertThat(heard).containsExactly(2L);
        }
        try (KafkaMetadataStore store = open()) {
            assertThat(store.scan("").keySet()).containsExactly("after", "before");
            assertThat(store.version()).isEqualTo(2);
        }
    }

    @Test
    void theLargestValueUnderTheLongestKeyFitsTheTopicAndTheProducer() {
        byte[] largest = new byte[KafkaMetadataStore.MAX_VALUE_BYTES];
        new Random(5).nextBytes(largest);
        String longest = "k".repeat(KafkaMetadataStore.MAX_KEY_BYTES);
        try (KafkaMetadataStore store = open()) {
            assertThat(store.commit(Map.of(longest, largest))).isEqualTo(1);
        }
        try (KafkaMetadataStore store = open()) {
            assertThat(store.get(longest).orElseThrow()).isEqualTo(largest);
        }
    }

    @Test
    void reopenRebuildsEverythingAfterCompactionRemovedOldRecords() throws Exception {
        int commits = 120;
        Map<String, String> expected = new HashMap<>();
        try (KafkaMetadataStore store = open(); Admin admin = cluster.admin()) {
            for (int i = 0; i < commits; i++) {
                String key = "k" + (i % 12);
                if (i % 7 == 6) {
                    store.commit(Collections.singletonMap(key, null));
                    expected.remove(key);
                } else {
                    store.commit(Map.of(key, b("v" + i), "last", b(Integer.toString(i))));
                    expected.put(key, "v" + i);
                    expected.put("last", Integer.toString(i));
                }
            }
            for (String[] setting : new String[][] {{"segment.ms", "100"}, {"min.cleanable.dirty.ratio", "0.01"},
                    {"min.compaction.lag.ms", "0"}, {"delete.retention.ms", "0"}}) {
                setTopicConfig(admin, store.topic(), setting[0], setting[1]);
            }
            // Segments roll only when a record arrives after segment.ms: two more commits make the old ones cleanable.
            for (int i = 0; i < 3; i++) {
                Thread.sleep(300);
                store.commit(Map.of("roll", b(Integer.toString(i))));
            }
            long written = commits + 3;
            expected.put("roll", "2");
            long offsets = endOffset(store.topic());
            await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(300))
                    .until(() -> countVersionRecords(store.topic()) < written / 2);
            assertThat(offsets).isGreaterThan(written * 3);
        }
        try (KafkaMetadataStore store = open()) {
            assertThat(store.version()).isEqualTo(commits + 3);
            Map<String, String> found = new HashMap<>();
            store.scan("").forEach((k, v) -> found.put(k, s(v)));
            assertThat(found).isEqualTo(expected);
            assertThat(store.commit(Map.of("after", b("x")))).isEqualTo(commits + 4);
        }
    }

    @Test
    void aSecondStoreFencesTheFirstSeesAllItCommittedAndFeedsTheFirstsListeners() {
        try (KafkaMetadataStore first = open()) {
            first.commit(Map.of("a", b("1")));
            first.commit(Map.of("b", b("2"), "a", b("1b")));
            List<String> heardByFirst = Collections.synchronizedList(new ArrayList<>());
            first.onCommit((version, changes) -> heardByFirst.add(version + ":" + describe(changes)));
            try (KafkaMetadataStore second = open()) {
                assertThat(second.version()).isEqualTo(2);
                assertThat(s(second.get("a").orElseThrow())).isEqualTo("1b");
                assertThat(s(second.get("b").orElseThrow())).isEqualTo("2");

                assertThatThrownBy(() -> first.commit(Map.of("lost", b("x"))))
                        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.reported()).isTrue())
                        .hasMessageContaining("another writer took over");
                assertThatThrownBy(() -> first.commit(Map.of("lost", b("y"))))
                        .isInstanceOf(StorageException.class).hasMessageContaining("another writer took over");
                assertThatThrownBy(() -> first.commitIfVersion(2, Map.of()))
                        .isInstanceOf(StorageException.class).hasMessageContaining("another writer took over");
                assertThat(first.writable()).isFalse();
                assertThat(first.get("lost")).isEmpty();

                assertThat(second.commit(Map.of("c", b("3")))).isEqualTo(3);
                assertThat(second.commit(Collections.singletonMap("a", null))).isEqualTo(4);
                assertThat(first.awaitCaughtUp(30_000)).isEqualTo(4);
                assertThat(first.scan("").keySet()).containsExactly("b", "c");
                assertThat(heardByFirst).containsExactly("3:c=3", "4:a=null");
                assertThat(second.get("lost")).isEmpty();
            }
        }
    }

    @Test
    void aTransactionLeftOpenByAKilledWriterIsNeverVisible() throws Exception {
        KafkaStorageConfig config = config();
        try (KafkaMetadataStore reader = open()) {
            reader.commit(Map.of("a", b("1")));
            // A writer that fenced the store, began a transaction, sent a whole commit (version record included)
            // and died without committing.
            Map<String, Object> settings = config.clientConfig(Map.of(
                    "transactional.id", KafkaMetadataStore.writerTransactionalId(config),
                    "key.serializer", ByteArraySerializer.class.getName(),
                    "value.serializer", ByteArraySerializer.class.getName()));
            KafkaProducer<byte[], byte[]> ghost = new KafkaProducer<>(settings);
            ghost.initTransactions();
            ghost.beginTransaction();
            ghost.send(new ProducerRecord<>(config.metadataTopic(), 0, b("ghost"), b("boo")));
            ghost.send(new ProducerRecord<>(config.metadataTopic(), 0, KafkaMetadataStore.VERSION_KEY,
                    KafkaMetadataStore.versionValue(2)));
            ghost.flush();
            ghost.close(Duration.ZERO);
            assertThat(readUncommittedKeys(config.metadataTopic())).contains("ghost");
            // No awaitCaughtUp here: it waits for the open transaction's outcome, which only the next writer decides.
            assertThat(reader.version()).isEqualTo(1);
            assertThat(reader.get("ghost")).isEmpty();

            try (KafkaMetadataStore store = open()) {
                assertThat(store.version()).isEqualTo(1);
                assertThat(store.get("ghost")).isEmpty();
                assertThat(store.commit(Map.of("b", b("2")))).isEqualTo(2);
            }
            // The store that was open all along reads past the aborted transaction to the new writer's commit.
            assertThat(reader.awaitCaughtUp(30_000)).isEqualTo(2);
            assertThat(reader.scan("").keySet()).containsExactly("a", "b");
        }
        try (KafkaMetadataStore store = open()) {
            assertThat(store.scan("").keySet()).containsExactly("a", "b");
            assertThat(store.version()).isEqualTo(2);
        }
    }

    @Test
    void aForeignRecordOnTheTopicStopsTheTailerAndFailsOpeningLoudly() throws Exception {
        KafkaStorageConfig config = config();
        try (KafkaMetadataStore store = open()) {
            store.commit(Map.of("a", b("1")));
            Map<String, Object> settings = config.clientConfig(Map.of(
                    "key.serializer", ByteArraySerializer.class.getName(),
                    "value.serializer", ByteArraySerializer.class.getName()));
            try (KafkaProducer<byte[], byte[]> foreign = new KafkaProducer<>(settings)) {
                foreign.send(new ProducerRecord<>(config.metadataTopic(), 0, b("\0junk"), b("x")))
                        .get(30, TimeUnit.SECONDS);
            }
            assertThatThrownBy(() -> store.awaitCaughtUp(30_000)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("tailer").hasMessageContaining("unknown reserved key");
            assertThat(store.get("a")).isPresent();
        }
        assertThatThrownBy(this::open).isInstanceOf(CorruptDataException.class)
                .hasMessageContaining("unknown reserved key");
    }

    @Test
    void anExistingTopicIsCheckedAndItsRecordLimitRaised() throws Exception {
        KafkaStorageConfig config = config();
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(config.metadataTopic(), 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact", "max.message.bytes", "1000")))).all().get(30, TimeUnit.SECONDS);
            try (KafkaMetadataStore store = open()) {
                assertThat(topicConfig(admin, store.topic(), "max.message.bytes"))
                        .isEqualTo(Integer.toString(KafkaMetadataStore.MAX_RECORD_BYTES));
                assertThat(store.commit(Map.of("big", new byte[100_000]))).isEqualTo(1);
            }
            String deleting = "d" + prefix;
            admin.createTopics(List.of(new NewTopic(deleting + "metadata", 1, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact,delete")))).all().get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> KafkaMetadataStore.open(config.withTopicPrefix(deleting), Clock.systemUTC()))
                    .isInstanceOf(StorageException.class).hasMessageContaining("cleanup.policy");
            String split = "s" + prefix;
            admin.createTopics(List.of(new NewTopic(split + "metadata", 2, (short) 1).configs(Map.of(
                    "cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
            assertThatThrownBy(() -> KafkaMetadataStore.open(config.withTopicPrefix(split), Clock.systemUTC()))
                    .isInstanceOf(StorageException.class).hasMessageContaining("exactly one");
        }
    }

    @Test
    void closingStopsTheTailerAndRefusesCommitsButNotReads() {
        KafkaMetadataStore store = open();
        store.commit(Map.of("", b("empty key"), "a", b("1")));
        String tailerName = "metadata-tailer-" + store.topic();
        assertThat(tailerAlive(tailerName)).isTrue();
        store.close();
        store.close();
        assertThat(tailerAlive(tailerName)).isFalse();
        assertThatThrownBy(() -> store.commit(Map.of("b", b("2")))).isInstanceOf(StorageException.class)
                .hasMessageContaining("closed");
        assertThat(s(store.get("a").orElseThrow())).isEqualTo("1");
        try (KafkaMetadataStore reopened = open()) {
            assertThat(s(reopened.get("").orElseThrow())).isEqualTo("empty key");
        }
    }

    private static boolean tailerAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    private static String topicConfig(Admin admin, String topic, String name) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource).get(name)
                .value();
    }

    @Test
    void randomCommitsByTwoWritersMatchAModelInEveryViewAndInTheChangeFeed() {
        Random random = new Random(11);
        TreeMap<String, String> model = new TreeMap<>();
        TreeMap<String, String> mirror = new TreeMap<>();
        List<Long> versions = Collections.synchronizedList(new ArrayList<>());
        try (KafkaMetadataStore first = open()) {
            // The first store's change feed carries its own commits, then the second writer's through the tailer.
            first.onCommit((version, changes) -> {
                versions.add(version);
                changes.forEach((k, v) -> {
                    if (v == null) {
                        mirror.remove(k);
                    } else {
                        mirror.put(k, s(v));
                    }
                });
            });
            randomCommits(first, random, model, 60);
            try (KafkaMetadataStore second = open()) {
                assertThat(view(second)).isEqualTo(model);
                randomCommits(second, random, model, 60);
                assertThat(view(second)).isEqualTo(model);
            }
            assertThat(first.awaitCaughtUp(30_000)).isEqualTo(120);
            assertThat(view(first)).isEqualTo(model);
            synchronized (versions) {
                assertThat(versions).hasSize(120);
                for (int i = 0; i < versions.size(); i++) {
                    assertThat(versions.get(i)).isEqualTo(i + 1);
                }
            }
            assertThat(mirror).isEqualTo(model);
        }
        try (KafkaMetadataStore reopened = open()) {
            assertThat(reopened.version()).isEqualTo(120);
            assertThat(view(reopened)).isEqualTo(model);
        }
    }

    private static void randomCommits(KafkaMetadataStore store, Random random, Map<String, String> model,
                                      int commits) {
        for (int c = 0; c < commits; c++) {
            Map<String, byte[]> changes = new LinkedHashMap<>();
            int size = 1 + random.nextInt(4);
            for (int i = 0; i < size; i++) {
                String key = "key/" + random.nextInt(15);
                String value = random.nextInt(3) == 0 ? null : "v" + random.nextInt(1000);
                changes.put(key, value == null ? null : b(value));
            }
            store.commit(changes);
            changes.forEach((k, v) -> {
                if (v == null) {
                    model.remove(k);
                } else {
                    model.put(k, s(v));
                }
            });
        }
    }

    private static Map<String, String> view(KafkaMetadataStore store) {
        Map<String, String> view = new TreeMap<>();
        store.scan("").forEach((k, v) -> view.put(k, s(v)));
        return view;
    }

    @Test
    void aThousandSmallCommitsAreAllThereAfterReopen() {
        int commits = 1000;
        try (KafkaMetadataStore store = open()) {
            long started = System.nanoTime();
            for (int i = 0; i < commits; i++) {
                store.commit(Map.of("lease/" + (i % 50), b("owner-" + i)));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("KafkaMetadataStore: %d commits in %.2f s = %.0f commits/s%n", commits, seconds,
                    commits / seconds);
            assertThat(store.version()).isEqualTo(commits);
        }
        try (KafkaMetadataStore store = open()) {
            assertThat(store.version()).isEqualTo(commits);
            assertThat(store.scan("lease/")).hasSize(50);
            assertThat(s(store.get("lease/49").orElseThrow())).isEqualTo("owner-999");
        }
    }

    private static String describe(Map<String, byte[]> changes) {
        List<String> parts = new ArrayList<>();
        changes.forEach((k, v) -> parts.add(k + "=" + (v == null ? "null" : s(v))));
        return String.join(",", parts);
    }

    private static void setTopicConfig(Admin admin, String topic, String name, String value) throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(new ConfigEntry(name, value),
                AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
    }

    private static long endOffset(String topic) throws Exception {
        try (Admin admin = cluster.admin()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest()),
                    new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).partitionResult(tp)
                    .get(30, TimeUnit.SECONDS).offset();
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, String isolation) {
        Map<String, Object> settings = Map.of("bootstrap.servers", cluster.bootstrapServers(),
                "isolation.level", isolation,
                "key.deserializer", ByteArrayDeserializer.class.getName(),
                "value.deserializer", ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
        }
        return all;
    }

    private static List<String> readUncommittedKeys(String topic) {
        List<String> keys = new ArrayList<>();
        readAll(topic, "read_uncommitted").forEach(r -> keys.add(s(r.key())));
        return keys;
    }

    private static long countVersionRecords(String topic) {
        return readAll(topic, "read_committed").stream()
                .filter(r -> java.util.Arrays.equals(r.key(), KafkaMetadataStore.VERSION_KEY)).count();
    }
}
