package dev.millrace.storage.kafka;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StoredRecord;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.millrace.storage.contract.LogRecords.dataOf;
import static dev.millrace.storage.contract.LogRecords.positionsOf;
import static dev.millrace.storage.contract.LogRecords.readAll;
import static dev.millrace.storage.contract.LogRecords.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes on one shard (issue 15): two {@link KafkaLogStore}s opened on the same cluster and prefix stand for two
 * Millrace nodes, and each test breaks the "one appender per shard" assumption the way ownership moves do.
 */
class KafkaShardLogSharedTest {
    private static KafkaTestCluster cluster;
    private static Admin admin;

    private final List<KafkaLogStore> stores = new ArrayList<>();
    private final List<String> prefixes = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        cluster = KafkaTestCluster.start(1);
        admin = cluster.admin();
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) {
            admin.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void closeStores() {
        for (KafkaLogStore s : stores) {
            s.close();
        }
        for (String prefix : prefixes) {
            KafkaTestTopics.deleteTopics(admin, prefix);
        }
    }

    /** Two stores ("nodes") on one fresh prefix. */
    private KafkaLogStore[] twoNodes() {
        String prefix = KafkaTestTopics.nextPrefix("shared");
        prefixes.add(prefix);
        KafkaStorageConfig config = new KafkaStorageConfig(cluster.bootstrapServers(), prefix, 0, 0, Map.of());
        KafkaLogStore[] nodes = new KafkaLogStore[2];
        for (int i = 0; i < 2; i++) {
            nodes[i] = KafkaLogStore.open(config, Clock.systemUTC());
            stores.add(nodes[i]);
        }
        return nodes;
    }

    @Test
    void aNodeThatNeverAppendsSeesTheOwnersNewRecordsOnceItAsksForTheFreshEnd() {
        KafkaLogStore[] nodes = twoNodes();
        ShardLog atA = nodes[0].openOrCreate("s");
        atA.append(records("a1", 3));
        // B: the metadata writer delivering a channel from A's shard, with no listener on it and never releasing it.
        ShardLog atB = nodes[1].openOrCreate("s");
        assertThat(dataOf(readAll(atB))).containsExactly("a1-0", "a1-1", "a1-2");

        atA.append(records("a2", 2));
        assertThat(atB.endPosition()).as("the end B trusts, as the class comment says").isEqualTo(3);
        assertThat(atB.read(3, 10, Long.MAX_VALUE).records()).as("a read at it does not ask Kafka").isEmpty();

        assertThat(atB.freshEndPosition()).isEqualTo(5);
        assertThat(atB.endPosition()).isEqualTo(5);
        assertThat(dataOf(atB.read(3, 10, Long.MAX_VALUE).records())).containsExactly("a2-0", "a2-1");
    }

    @Test
    void anOwnerAgainAfterAnInterimOwnerReadsEveryRecordIncludingAtItsOldTip() {
        KafkaLogStore[] nodes = twoNodes();
        KafkaLogStore a = nodes[0];
        KafkaLogStore b = nodes[1];
        ShardLog atB = b.openOrCreate("s");
        atB.append(records("b1", 5));
        assertThat(dataOf(atB.read(3, 10, Long.MAX_VALUE).records())).containsExactly("b1-3", "b1-4");

        b.release("s"); // ownership moves to A
        ShardLog atA = a.openOrCreate("s");
        AppendResult interim = atA.append(records("a", 4));
        assertThat(interim.basePosition()).isEqualTo(5);

        // B owns the shard again: a read at the end it knew (a GetRecords at its old tip) must find A's records.
        ReadResult atOldTip = atB.read(5, 100, Long.MAX_VALUE);
        assertThat(dataOf(atOldTip.records())).containsExactly("a-0", "a-1", "a-2", "a-3");
        assertThat(atOldTip.endPosition()).isEqualTo(9);
        assertThat(atB.endPosition()).isEqualTo(9);

        AppendResult again = atB.append(records("b2", 3));
        assertThat(again.basePosition()).isEqualTo(9);
        List<String> expected = new ArrayList<>();
        expected.addAll(dataOf(atA.read(0, 5, Long.MAX_VALUE).records()));
        expected.addAll(List.of("a-0", "a-1", "a-2", "a-3", "b2-0", "b2-1", "b2-2"));
        assertThat(expected.subList(0, 5)).containsExactly("b1-0", "b1-1", "b1-2", "b1-3", "b1-4");
        List<StoredRecord> all = readAll(atB);
        assertThat(dataOf(all)).containsExactlyElementsOf(expected);
        for (int i = 0; i < all.size(); i++) {
            assertThat(all.get(i).position()).isEqualTo(i);
        }
        // Reads from every position, one record each (at the tip: from memory where it holds them), none missing.
        for (int p = 0; p < expected.size(); p++) {
            List<StoredRecord> one = atB.read(p, 1, Long.MAX_VALUE).records();
            assertThat(one).hasSize(1);
            assertThat(one.get(0).position()).isEqualTo(p);
            assertThat(dataOf(one)).containsExactly(expected.get(p));
        }
        assertThat(atB.read(12, 10, Long.MAX_VALUE).records()).isEmpty();
    }

    @Test
    void anotherNodesAppendsWakeTheListenersOfANodeThatOnlyReadsAndItsReadsReturnThem() {
        KafkaLogStore[] nodes = twoNodes();
        KafkaLogStore a = nodes[0];
        KafkaLogStore b = nodes[1];
        ShardLog atA = a.openOrCreate("s");
        atA.append(records("old", 3));
        ShardLog atB = b.openOrCreate("s");
        ShardLog quietAtB = b.openOrCreate("q");
        ShardLog quietAtA = a.openOrCreate("q");
        assertThat(b.watchedPartitions()).as("no listener, no watch").isEmpty();

        ConcurrentLinkedQueue<Long> heard = new ConcurrentLinkedQueue<>();
        AtomicLong lastHeardNs = new AtomicLong();
        atB.onAppend((key, result) -> {
            assertThat(key).isEqualTo("s");
            for (int i = 0; i < result.recordCount(); i++) {
                heard.add(result.positionOf(i));
            }
            lastHeardNs.set(System.nanoTime());
        });
        TopicPartition partition = ((KafkaShardLog) atB).partition();
        await().atMost(Duration.ofSeconds(5)).until(() -> b.watchedPartitions().equals(Set.of(partition)));
        long oldEnd = atB.endPosition();
        assertThat(oldEnd).isEqualTo(3);

        List<Long> expected = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            AppendResult appended = atA.append(records("a" + round, 4));
            long appendedNs = System.nanoTime();
            expected.addAll(positionsOf(appended));
            await().atMost(Duration.ofSeconds(5)).until(() -> heard.size() >= expected.size());
            System.out.printf("another node's append announced %.1f ms after it was acknowledged%n",
                    (lastHeardNs.get() - appendedNs) / 1e6);
            quietAtA.append(records("q" + round, 1));
        }
        // Each of A's records announced once, in order; none of the other shard's.
        assertThat(heard).containsExactlyElementsOf(expected);
        assertThat(atB.endPosition()).isEqualTo(15);
        ReadResult fromOldEnd = atB.read(oldEnd, 100, Long.MAX_VALUE);
        assertThat(dataOf(fromOldEnd.records())).containsExactly("a0-0", "a0-1", "a0-2", "a0-3", "a1-0", "a1-1",
                "a1-2", "a1-3", "a2-0", "a2-1", "a2-2", "a2-3");
        assertThat(fromOldEnd.records().get(0).position()).isEqualTo(oldEnd);
        assertThat(b.watchedPartitions()).containsExactly(partition);
        assertThat(quietAtB.endPosition()).as("an unwatched shard learns nothing by itself").isZero();
    }

    @Test
    void closingTheLastListenerEndsTheWatchADeletedTopicIsDroppedAndCloseStopsTheThread() {
        KafkaLogStore[] nodes = twoNodes();
        KafkaLogStore a = nodes[0];
        KafkaLogStore b = nodes[1];
        KafkaShardLog one = (KafkaShardLog) b.openOrCreate("one");
        KafkaShardLog doomed = (KafkaShardLog) b.openOrCreate("doomed");
        KafkaShardLog kept = (KafkaShardLog) b.openOrCreate("kept");
        Registration first = one.onAppend((key, result) -> { });
        Registration second = one.onAppend((key, result) -> { });
        doomed.onAppend((key, result) -> { });
        ConcurrentLinkedQueue<Long> heardOnKept = new ConcurrentLinkedQueue<>();
        kept.onAppend((key, result) -> heardOnKept.addAll(positionsOf(result)));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.watchedPartitions()
                .equals(Set.of(one.partition(), doomed.partition(), kept.partition())));

        first.close();
        first.close(); // closing twice counts once: the other listener still holds the watch
        assertThat(one.listenerCount()).isEqualTo(1);
        second.close();
        assertThat(one.listenerCount()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> b.watchedPartitions()
                .equals(Set.of(doomed.partition(), kept.partition())));

        a.delete("doomed"); // another node deletes the shard: B's log stays open, with its listener
        await().atMost(Duration.ofSeconds(15)).until(() -> b.watchedPartitions().equals(Set.of(kept.partition())));
        AppendResult appended = a.openOrCreate("kept").append(records("k", 2));
        // Positions, not results: the producer may send the two records in two batches, heard in two polls.
        await().atMost(Duration.ofSeconds(5)).until(() -> heardOnKept.containsAll(positionsOf(appended)));
        assertThat(b.watchedPartitions()).containsExactly(kept.partition());

        assertThat(watcherThreads()).as("B's watcher runs").isPositive();
        a.close();
        b.close();
        await().atMost(Duration.ofSeconds(15)).until(() -> watcherThreads() == 0);
    }

    @Test
    void theWatcherOutlivesABrokerOutageLogsItOnceAndAnnouncesWhatCameAfter() throws Exception {
        KafkaLogStore[] nodes = twoNodes();
        KafkaLogStore a = nodes[0];
        KafkaLogStore b = nodes[1];
        ShardLog atA = a.openOrCreate("s");
        ConcurrentLinkedQueue<Long> heard = new ConcurrentLinkedQueue<>();
        b.openOrCreate("s").onAppend((key, result) -> heard.addAll(positionsOf(result)));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.watchedPartitions().size() == 1);
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                if (event.getLevel().isGreaterOrEqual(Level.ERROR)) {
                    errors.add(event.getFormattedMessage());
                }
            }
        };
        Logger watcherLog = (Logger) LoggerFactory.getLogger(TailWatcher.class);
        appender.start();
        watcherLog.addAppender(appender);
        try {
            cluster.stopNode(0);
            try {
                // Its existence check fails once the admin call times out; then it retries, every second.
                await().atMost(Duration.ofSeconds(40)).until(() -> !errors.isEmpty());
                Thread.sleep(3 * TailWatcher.RETRY_AFTER_MS);
            } finally {
                cluster.startNode(0);
            }
            AppendResult appended = atA.append(records("after", 2));
            await().atMost(Duration.ofSeconds(30)).until(() -> heard.containsAll(positionsOf(appended)));
            assertThat(errors).as("one line for the outage (rate-limited)").hasSize(1);
            assertThat(errors.peek()).contains("Tail watcher");
        } finally {
            watcherLog.detachAppender(appender);
        }
    }

    @Test
    void anAppendAcknowledgedOnlyAfterTheReleaseDoesNotMakeItsEndTrusted() throws Exception {
        String prefix = KafkaTestTopics.nextPrefix("shared");
        prefixes.add(prefix);
        KafkaStorageConfig config = new KafkaStorageConfig(cluster.bootstrapServers(), prefix, 0, 0, Map.of());
        AtomicReference<HeldAcks> held = new AtomicReference<>();
        KafkaLogStore b = KafkaLogStore.open(config, Clock.systemUTC(), settings -> {
            held.set(new HeldAcks(settings));
            return held.get();
        });
        stores.add(b);
        KafkaLogStore a = KafkaLogStore.open(config, Clock.systemUTC());
        stores.add(a);
        ShardLog atB = b.openOrCreate("s");
        TopicPartition partition = ((KafkaShardLog) atB).partition();

        // B's append is stored in Kafka, but its acknowledgement has not reached B yet when ownership moves.
        CompletableFuture<AppendResult> inFlight = CompletableFuture.supplyAsync(() -> atB.append(records("b", 2)));
        await().atMost(Duration.ofSeconds(10)).until(() -> highWatermark(partition) == 2);
        b.release("s");
        a.openOrCreate("s").append(records("a", 3));
        held.get().gate.complete(null);
        assertThat(positionsOf(inFlight.get(30, TimeUnit.SECONDS))).containsExactly(0L, 1L);

        // B's end is now 2, raised by its own late acknowledgement: it must not be taken as the end.
        assertThat(dataOf(atB.read(2, 10, Long.MAX_VALUE).records())).containsExactly("a-0", "a-1", "a-2");
        assertThat(dataOf(readAll(atB))).containsExactly("b-0", "b-1", "a-0", "a-1", "a-2");
        assertThat(atB.endPosition()).isEqualTo(5);
    }

    private static long highWatermark(TopicPartition partition) throws Exception {
        return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).all().get(10, TimeUnit.SECONDS)
                .get(partition).offset();
    }

    /** Live tail watcher threads of any store (those of earlier tests' stores ended when they were closed). */
    private static long watcherThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().endsWith("-tail-watcher")).count();
    }

    /** A real producer whose acknowledgements reach the appender only once {@link #gate} completes. */
    private static final class HeldAcks extends ForwardingProducer {
        final CompletableFuture<Void> gate = new CompletableFuture<>();

        HeldAcks(Map<String, Object> settings) {
            super(withSerializers(settings));
        }

        private static Map<String, Object> withSerializers(Map<String, Object> settings) {
            Map<String, Object> all = new HashMap<>(settings);
            all.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            all.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            return all;
        }

        @Override
        public void commitTransaction() {
            real.commitTransaction();
        }

        @Override
        public Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            Future<RecordMetadata> sent = real.send(record, callback);
            return gate.thenApplyAsync(ignored -> {
                try {
                    return sent.get();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
        }
    }

    @Test
    void anOwnersListenersHearItsAppendsOnceWhileAnotherNodeAppendsToo() throws Exception {
        KafkaLogStore[] nodes = twoNodes();
        KafkaLogStore a = nodes[0];
        KafkaLogStore b = nodes[1];
        ShardLog atB = b.openOrCreate("s");
        ShardLog atA = a.openOrCreate("s");
        ConcurrentLinkedQueue<Long> heard = new ConcurrentLinkedQueue<>();
        atB.onAppend((key, result) -> heard.addAll(positionsOf(result)));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.watchedPartitions().size() == 1);

        CompletableFuture<Void> other = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 20; i++) {
                atA.append(records("a" + i, 1));
            }
        });
        List<Long> own = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            own.addAll(positionsOf(atB.append(records("b" + i, 1))));
        }
        other.get(30, TimeUnit.SECONDS);
        // A's records that landed below one of B's are not listed (B's own announcement, made after they became
        // readable, woke the readers); A's last one, or B's, must be, since nothing came after it.
        await().atMost(Duration.ofSeconds(5)).until(() -> heard.contains(79L));
        Thread.sleep(300); // a late second announcement would come within a few polls
        assertThat(heard).as("no position announced twice").doesNotHaveDuplicates();
        assertThat(heard).as("each of B's own appends announced").containsAll(own);
        assertThat(atB.endPosition()).isEqualTo(80);
    }
}
