package dev.millrace.storage.kafka;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.millrace.storage.contract.LogRecords.dataOf;
import static dev.millrace.storage.contract.LogRecords.readAll;
import static dev.millrace.storage.contract.LogRecords.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Kafka log store against one real broker: what only Kafka brings (records and topic settings as Kafka's tools see
 * them, the reader pool and its prefetch, a seal other producers obey, deletion and retention by the broker, the
 * producer's metadata). What every backend must do is checked by {@link KafkaShardLogContractTest}.
 */
@ExtendWith(SharedKafka.class)
class KafkaShardLogTest {
    private static KafkaTestCluster cluster;
    private static Admin admin;

    private final List<KafkaLogStore> stores = new ArrayList<>();
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

    @AfterEach
    void closeStores() {
        for (KafkaLogStore s : stores) {
            s.close();
        }
    }

    /** A store under a topic prefix of this test's own, so tests never see each other's shards. */
    private KafkaLogStore open(TestInfo test, Clock clock) {
        return open(test, clock, Map.of());
    }

    /** The same, the operator's {@code clientProperties} given to every client. */
    private KafkaLogStore open(TestInfo test, Clock clock, Map<String, String> clientProperties) {
        return open(test, clock, clientProperties, KafkaLogStore.recentAppendsBudgetBytes());
    }

    /** A store that keeps no recent appends in memory: every read goes to the broker. */
    private KafkaLogStore openFromKafka(TestInfo test) {
        return open(test, Clock.systemUTC(), Map.of(), 0);
    }

    private KafkaLogStore open(TestInfo test, Clock clock, Map<String, String> clientProperties,
                               long recentBudgetBytes) {
        if (config == null) {
            String name = test.getTestMethod().orElseThrow().getName();
            config = new KafkaStorageConfig(cluster.bootstrapServers(),
                    "t" + Math.abs(name.hashCode() % 100_000) + ".", 0, 0, clientProperties);
        }
        KafkaLogStore store = KafkaLogStore.open(config, clock, KafkaLogStore::newProducer, recentBudgetBytes);
        stores.add(store);
        return store;
    }

    private KafkaLogStore open(TestInfo test) {
        return open(test, Clock.systemUTC());
    }

    @Test
    void appendsGetOffsetsAndBrokerArrivalTimesAndReadBackExactly(TestInfo test) {
        ShardLog log = open(test).openOrCreate("s1");
        long before = System.currentTimeMillis();
        AppendResult first = log.append(records("a", 3));
        AppendResult second = log.append(records("b", 2));
        long after = System.currentTimeMillis();

        assertThat(List.of(first.positionOf(0), first.positionOf(1), first.positionOf(2), second.positionOf(0),
                second.positionOf(1))).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(log.endPosition()).isEqualTo(5);
        List<StoredRecord> all = readAll(log);
        assertThat(dataOf(all)).containsExactly("a-0", "a-1", "a-2", "b-0", "b-1");
        assertThat(all).extracting(StoredRecord::position).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(all.get(0).partitionKey()).isEqualTo("key-0");
        assertThat(all.get(0).explicitHashKey()).isEqualTo("0");
        assertThat(all.get(1).explicitHashKey()).isNull();
        assertThat(all).allSatisfy(r -> assertThat(r.arrivalMs()).isBetween(before, after));
        for (int i = 0; i < 3; i++) {
            assertThat(all.get(i).arrivalMs()).isEqualTo(first.arrivalMsOf(i));
        }
        assertThat(first.lastArrivalMs()).isLessThanOrEqualTo(second.arrivalMsOf(0));
    }

    @Test
    void keysHashKeysEmptyAndBinaryDataSurviveAndKafkaToolsSeeTheLayout(TestInfo test) {
        KafkaLogStore store = open(test);
        ShardLog log = store.openOrCreate("layout");
        byte[] binary = new byte[256];
        for (int i = 0; i < 256; i++) {
            binary[i] = (byte) i;
        }
        String hashKey = "340282366920938463463374607431768211455";
        log.append(List.of(new AppendRecord("ключ-🔑", binary), new AppendRecord("empty", new byte[0]),
                new AppendRecord(null, hashKey, "no key".getBytes(StandardCharsets.UTF_8))));

        List<StoredRecord> all = readAll(log);
        assertThat(all.get(0).data()).isEqualTo(binary);
        assertThat(all.get(0).partitionKey()).isEqualTo("ключ-🔑");
        assertThat(all.get(1).data()).isEmpty();
        assertThat(all.get(2).partitionKey()).isNull();
        assertThat(all.get(2).explicitHashKey()).isEqualTo(hashKey);

        // What Kafka's own tools see: the key's UTF-8 bytes, the data, the hash key header, LogAppendTime.
        List<ConsumerRecord<byte[], byte[]>> raw = rawRecords(config.shardTopic("layout"), 3);
        assertThat(new String(raw.get(0).key(), StandardCharsets.UTF_8)).isEqualTo("ключ-🔑");
        assertThat(raw.get(0).value()).isEqualTo(binary);
        assertThat(raw.get(0).timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
        assertThat(raw.get(0).headers().toArray()).isEmpty();
        assertThat(raw.get(1).value()).isEmpty();
        assertThat(raw.get(2).key()).isNull();
        assertThat(new String(raw.get(2).headers().lastHeader(RecordLayout.EXPLICIT_HASH_KEY_HEADER).value(),
                StandardCharsets.US_ASCII)).isEqualTo(hashKey);
    }

    @Test
    void shardTopicIsCreatedAsDecided(TestInfo test) throws Exception {
        open(test).openOrCreate("cfg");
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, config.shardTopic("cfg"));
        Config topicConfig = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        assertThat(topicConfig.get("message.timestamp.type").value()).isEqualTo("LogAppendTime");
        assertThat(topicConfig.get("retention.ms").value()).isEqualTo("86400000");
        assertThat(topicConfig.get("segment.ms").value()).isEqualTo("3600000");
        assertThat(topicConfig.get("max.message.bytes").value())
                .isEqualTo(Integer.toString(RecordLayout.MAX_MESSAGE_BYTES));
        assertThat(topicConfig.get("min.insync.replicas").value()).isEqualTo("1");
        assertThat(topicConfig.get("cleanup.policy").value()).isEqualTo("delete");
        var description = admin.describeTopics(List.of(config.shardTopic("cfg"))).allTopicNames().get()
                .get(config.shardTopic("cfg"));
        assertThat(description.partitions()).hasSize(1);
        assertThat(description.partitions().get(0).replicas()).hasSize(1);
    }

    @Test
    void aReadStoppedByItsByteBudgetLeavesWhatItPolledToTheNextRead(TestInfo test) {
        KafkaLogStore store = openFromKafka(test);
        ShardLog log = store.openOrCreate("limits");
        log.append(records("x", 10)); // one node's batch: offsets 0..9, 3-byte payloads

        ReadResult sized = log.read(0, 100, 9);
        assertThat(dataOf(sized.records())).containsExactly("x-0", "x-1", "x-2");
        assertThat(sized.nextPosition()).isEqualTo(3);
        // The same reader continues with the records it polled but did not return (ConsumerPool's prefetch).
        ReadResult rest = log.read(3, 100, Long.MAX_VALUE);
        assertThat(dataOf(rest.records())).containsExactly("x-3", "x-4", "x-5", "x-6", "x-7", "x-8", "x-9");
        assertThat(rest.atEnd()).isTrue();
        assertThat(store.readerCount()).isEqualTo(1);
    }

    @Test
    void readsAtTheTipAreAnsweredFromMemoryExactlyAsKafkaWould(TestInfo test) throws Exception {
        KafkaLogStore store = open(test);
        ShardLog log = store.openOrCreate("tip");
        byte[] binary = new byte[300];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        List<AppendRecord> batch = List.of(new AppendRecord("ключ", binary), new AppendRecord("empty", new byte[0]),
                new AppendRecord(null, "340282366920938463463374607431768211455", "no key".getBytes(
                        StandardCharsets.UTF_8)));
        log.append(records("a", 5));
        log.append(batch);
        // Concurrent appends are acknowledged, and so kept, in any order.
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<AppendResult>> appends = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String prefix = "c" + i;
                appends.add(pool.submit(() -> log.append(records(prefix, 3))));
            }
            for (Future<AppendResult> f : appends) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long end = log.endPosition();
        assertThat(end).isEqualTo(5 + 3 + 24);

        ShardLog fromKafka = openFromKafka(test).openOrCreate("tip");
        for (long from = 0; from < end; from++) {
            for (long maxBytes : new long[] {1, 10, 400, Long.MAX_VALUE}) {
                ReadResult memory = log.read(from, 4, maxBytes);
                ReadResult kafka = fromKafka.read(from, 4, maxBytes);
                assertThat(memory.records()).as("from %d, %d bytes", from, maxBytes).isNotEmpty();
                assertThat(memory.nextPosition()).isEqualTo(kafka.nextPosition());
                assertThat(memory.endPosition()).isEqualTo(end);
                assertThat(memory.records()).usingRecursiveFieldByFieldElementComparator()
                        .containsExactlyElementsOf(kafka.records());
            }
        }
        // Every one of those reads was answered from memory: the store never needed a consumer.
        assertThat(store.readerCount()).isZero();
        assertThat(log.read(end, 4, Long.MAX_VALUE).records()).isEmpty();
    }

    @Test
    void readsBehindWhatIsKeptInMemoryGoToKafka(TestInfo test) {
        KafkaLogStore store = open(test);
        ShardLog log = store.openOrCreate("behind");
        byte[] big = new byte[100 * 1024];
        List<AppendRecord> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            batch.add(new AppendRecord("k", big));
        }
        for (int i = 0; i < 5; i++) {
            log.append(batch); // 2 MB in all: more than one shard keeps
        }
        assertThat(store.readerCount()).isZero();
        ReadResult old = log.read(0, 1000, Long.MAX_VALUE);
        assertThat(old.records()).extracting(StoredRecord::position).startsWith(0L, 1L);
        assertThat(store.readerCount()).isEqualTo(1);
        ReadResult tip = log.read(19, 1000, Long.MAX_VALUE);
        assertThat(tip.records()).extracting(StoredRecord::position).containsExactly(19L);
    }

    @Test
    void readingAtOrPastTheEndAnswersAtOnceWithoutAReader(TestInfo test) {
        KafkaLogStore store = open(test);
        ShardLog log = store.openOrCreate("end");
        log.append(records("e", 4));
        KafkaLogStore fresh = open(test);
        ShardLog same = fresh.openOrCreate("end");
        long started = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            ReadResult end = same.read(4, 100, Long.MAX_VALUE);
            assertThat(end.records()).isEmpty();
            assertThat(end.nextPosition()).isEqualTo(4);
            assertThat(end.atEnd()).isTrue();
            ReadResult beyond = same.read(9, 100, Long.MAX_VALUE);
            assertThat(beyond.nextPosition()).isEqualTo(9);
            assertThat(beyond.endPosition()).isEqualTo(4);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(500));
        assertThat(fresh.readerCount()).isZero();
    }

    @Test
    void sequentialReadsReuseOneReaderAndConcurrentOnesStayWithinThePool(TestInfo test) throws Exception {
        KafkaLogStore store = openFromKafka(test);
        ShardLog log = store.openOrCreate("seq");
        log.append(records("q", 50));
        long position = 0;
        List<String> seen = new ArrayList<>();
        while (position < 50) {
            ReadResult r = log.read(position, 7, Long.MAX_VALUE);
            seen.addAll(dataOf(r.records()));
            position = r.nextPosition();
        }
        assertThat(seen).hasSize(50).startsWith("q-0", "q-1").endsWith("q-49");
        assertThat(store.readerCount()).isEqualTo(1);

        List<ShardLog> logs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ShardLog shard = store.openOrCreate("many-" + i);
            shard.append(records("m" + i, 5));
            logs.add(shard);
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<List<String>>> reads = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (ShardLog shard : logs) {
                    reads.add(pool.submit(() -> dataOf(readAll(shard))));
                }
            }
            for (int i = 0; i < reads.size(); i++) {
                assertThat(reads.get(i).get(60, TimeUnit.SECONDS)).hasSize(5).first()
                        .isEqualTo("m" + (i % 12) + "-0");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.readerCount()).isBetween(2, KafkaLogStore.MAX_READERS);
    }

    @Test
    void oneNodesBatchIsContiguousUnderConcurrentAppends(TestInfo test) throws Exception {
        ShardLog log = open(test).openOrCreate("group");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < 4; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        String prefix = thread + ":" + i;
                        AppendResult r = log.append(records(prefix, 3));
                        // Sent back to back under the shard's append lock: no other batch lands in between.
                        assertThat(r.positionOf(2)).isEqualTo(r.positionOf(0) + 2);
                        assertThat(dataOf(log.read(r.basePosition(), 3, Long.MAX_VALUE).records()))
                                .containsExactly(prefix + "-0", prefix + "-1", prefix + "-2");
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(readAll(log)).hasSize(120);
    }

    @Test
    void aSealedShardsTopicRefusesEveryProducer(TestInfo test) {
        ShardLog log = open(test).openOrCreate("seal");
        log.append(records("a", 2));
        log.seal();
        try (KafkaProducer<byte[], byte[]> other = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000, ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            Future<?> sent = other.send(new ProducerRecord<>(config.shardTopic("seal"), 0, null, new byte[1]));
            assertThatThrownBy(() -> sent.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(RecordTooLargeException.class);
        }
        assertThat(log.endPosition()).isEqualTo(2);
    }

    @Test
    void aSealWaitsForRecordsStillInFlightWhoseAppenderWasInterrupted(TestInfo test) throws Exception {
        open(test); // sets this test's prefix
        // Sends that stay in flight until the test completes them, as a slow broker's would.
        MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        KafkaLogStore store = KafkaLogStore.open(config, Clock.systemUTC(), settings -> producer);
        stores.add(store);
        ShardLog log = store.openOrCreate("held");
        AtomicReference<RuntimeException> appendFailure = new AtomicReference<>();
        Thread appender = new Thread(() -> {
            try {
                log.append(records("a", 2));
            } catch (RuntimeException e) {
                appendFailure.set(e);
            }
        });
        appender.start();
        await().atMost(10, TimeUnit.SECONDS).until(() -> producer.history().size() == 2);
        appender.interrupt(); // a server shutting down its request threads
        appender.join(10_000);
        assertThat(appendFailure.get()).isInstanceOf(StorageException.class)
                .hasRootCauseInstanceOf(InterruptedException.class);

        CompletableFuture<Void> seal = CompletableFuture.runAsync(log::seal);
        Thread.sleep(300);
        assertThat(seal).as("a seal while this node's records may still land").isNotDone();
        assertThatThrownBy(() -> log.append(records("b", 1))).isInstanceOf(ShardSealedException.class);
        producer.completeNext();
        producer.completeNext();
        seal.get(30, TimeUnit.SECONDS);
        assertThat(log.sealed()).isTrue();
    }

    @Test
    void aShardSealedByAnotherNodeRefusesAppendsAsSealed(TestInfo test) {
        ShardLog here = open(test).openOrCreate("elsewhere");
        here.append(records("a", 1));
        ShardLog there = open(test).openOrCreate("elsewhere");
        there.seal();
        assertThat(here.sealed()).isFalse(); // it cannot know yet
        assertThatThrownBy(() -> here.append(records("b", 1))).isInstanceOf(ShardSealedException.class);
        assertThat(here.sealed()).isTrue();
        assertThat(dataOf(readAll(there))).containsExactly("a-0");
    }

    @Test
    void expiredRecordsAreNeverReadAndRetentionSurvivesReopen(TestInfo test) throws Exception {
        ManualClock clock = new ManualClock(System.currentTimeMillis());
        ShardLog log = open(test, clock).openOrCreate("ret");
        log.retentionMs(10_000);
        AppendResult old = log.append(records("old", 300));
        Thread.sleep(20);
        AppendResult fresh = log.append(records("new", 2));
        long newArrival = fresh.arrivalMsOf(0);
        assertThat(newArrival).isGreaterThan(old.lastArrivalMs());

        // The cutoff lands exactly on the new records' arrival: the old ones expired, the new ones are retained.
        clock.setMs(newArrival + 10_000);
        assertThat(dataOf(readAll(log))).containsExactly("new-0", "new-1");
        assertThat(log.startPosition()).isEqualTo(300);
        assertThat(log.positionAtOrAfter(old.arrivalMsOf(0))).isEqualTo(300);
        ReadResult fromStart = log.read(0, 10, Long.MAX_VALUE);
        assertThat(fromStart.records()).extracting(StoredRecord::position).containsExactly(300L, 301L);
        ReadResult oneOld = log.read(5, 1, Long.MAX_VALUE);
        assertThat(oneOld.records()).extracting(StoredRecord::position).containsExactly(300L);

        // The producer may have sent the two new records in separate broker batches, stamped apart.
        clock.setMs(fresh.lastArrivalMs() + 10_001);
        ReadResult none = log.read(0, 10, Long.MAX_VALUE);
        assertThat(none.records()).isEmpty();
        assertThat(none.nextPosition()).isEqualTo(302);
        assertThat(log.startPosition()).isEqualTo(302);
        assertThat(log.trimExpired()).isZero();

        ShardLog reopened = open(test, clock).openOrCreate("ret");
        assertThat(reopened.retentionMs()).isEqualTo(10_000);
        assertThat(reopened.read(0, 10, Long.MAX_VALUE).records()).isEmpty();
        Thread.sleep(20);
        AppendResult after = reopened.append(records("after", 1));
        assertThat(after.basePosition()).isEqualTo(302);
        clock.setMs(after.arrivalMsOf(0) + 10_000);
        assertThat(dataOf(readAll(reopened))).containsExactly("after-0");
    }

    @Test
    void recordsKafkaAlreadyDeletedAreSkipped(TestInfo test) throws Exception {
        // From Kafka: records deleted by hand within the last seconds may still be answered from memory
        // (RecentAppends says why that is allowed).
        ShardLog log = openFromKafka(test).openOrCreate("deleted");
        log.append(records("d", 10));
        TopicPartition partition = new TopicPartition(config.shardTopic("deleted"), 0);
        admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(6))).all().get();
        ReadResult read = log.read(0, 100, Long.MAX_VALUE);
        assertThat(dataOf(read.records())).containsExactly("d-6", "d-7", "d-8", "d-9");
        assertThat(log.startPosition()).isEqualTo(6);
    }

    @Test
    void aShardDeletedAndCreatedAgainNeverServesTheOldTopicsRecords(TestInfo test) {
        KafkaLogStore store = open(test);
        ShardLog doomed = store.openOrCreate("gone");
        doomed.append(records("a", 2));
        assertThat(readAll(doomed)).hasSize(2); // leaves a reader holding this topic's position
        store.delete("gone");
        assertThatThrownBy(() -> doomed.append(records("late", 1))).isInstanceOf(StorageException.class);
        ShardLog fresh = store.openOrCreate("gone");
        assertThat(fresh.endPosition()).isZero();
        assertThat(readAll(fresh)).isEmpty();
        fresh.append(records("b", 3));
        assertThat(dataOf(readAll(fresh))).containsExactly("b-0", "b-1", "b-2");

        store.close();
        stores.remove(store);
        assertThatThrownBy(() -> store.openOrCreate("gone")).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> fresh.read(0, 1, 1)).isInstanceOf(StorageException.class);
    }

    @Test
    void theProducerStopsAskingAboutADeletedShardSecondsAfterItsLastWrite(TestInfo test) throws Exception {
        // A metadata refresh every second (an operator's setting wins over the store's), so that one asks about the
        // deleted topic at once; with Kafka's default it might come minutes later, and then warn for minutes.
        KafkaLogStore store = open(test, Clock.systemUTC(), Map.of("metadata.max.age.ms", "1000"));
        String topic = config.shardTopic("noisy");
        ConcurrentLinkedQueue<String> warnings = new ConcurrentLinkedQueue<>();
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if (event.getLevel().isGreaterOrEqual(Level.WARN) && event.getFormattedMessage().contains(topic)) {
                    warnings.add(event.getFormattedMessage());
                }
            }
        };
        Logger clients = (Logger) LoggerFactory.getLogger("org.apache.kafka.clients");
        appender.start();
        clients.addAppender(appender);
        try {
            store.openOrCreate("noisy").append(records("n", 1));
            long lastWriteNs = System.nanoTime();
            store.delete("noisy");
            long quietFromNs = lastWriteNs
                    + TimeUnit.MILLISECONDS.toNanos(KafkaLogStore.PRODUCER_METADATA_IDLE_MS + 1_500);
            while (System.nanoTime() < quietFromNs) {
                Thread.sleep(50);
            }
            int early = warnings.size();
            Thread.sleep(2_500);
            assertThat(early).as("refreshes asked about the deleted topic at first (the test provoked them)")
                    .isPositive();
            assertThat(warnings.size() - early).as("warnings about %s once it left the producer's list", topic)
                    .isZero();
        } finally {
            clients.detachAppender(appender);
        }
    }

    @Test
    void whatKafkaCannotHoldIsRefusedBeforeAnythingIsSent(TestInfo test) {
        KafkaLogStore store = open(test);
        // Refused like the embedded engine, whose shard directory would be hidden; the SPI pattern alone allows it.
        assertThatThrownBy(() -> store.openOrCreate(".hidden")).isInstanceOf(IllegalArgumentException.class);
        ShardLog log = store.openOrCreate("ok");
        assertThatThrownBy(() -> log.retentionMs(0)).isInstanceOf(IllegalArgumentException.class);
        byte[] big = new byte[RecordLayout.MAX_RECORD_BYTES];
        assertThatThrownBy(() -> log.append(List.of(AppendRecord.of("ok", "fine"), new AppendRecord("k", big))))
                .as("data plus key past 10 MiB").isInstanceOf(IllegalArgumentException.class);
        assertThat(log.endPosition()).isZero();
        assertThat(readAll(log)).as("not even the batch's first record").isEmpty();
    }

    private List<ConsumerRecord<byte[], byte[]>> rawRecords(String topic, int count) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (out.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).records(partition).forEach(out::add);
            }
            return out;
        }
    }

}
