package dev.millrace.storage.kafka;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import dev.millrace.storage.StaleVersionException;
import dev.millrace.storage.StorageException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Several stores on one prefix, as several nodes run them: followers that only read, a writer, and promotions that
 * move the writing from one store to another. Each promotion fences the store that wrote before; whatever that store
 * committed (or was told it committed) is in the new writer's view, and every store names the same writer.
 */
@ExtendWith(SharedKafka.class)
class KafkaMetadataFollowerTest {
    private static final WriterInfo NODE_A = WriterInfo.of("node-a", "http://127.0.0.1:4601");
    private static final WriterInfo NODE_B = WriterInfo.of("node-b", "http://127.0.0.1:4602");

    private static KafkaTestCluster cluster;

    @BeforeAll
    static void startCluster(KafkaTestCluster shared) {
        cluster = shared;
    }

    private static KafkaStorageConfig config() {
        return KafkaStorageConfig.of(cluster.bootstrapServers()).withTopicPrefix(KafkaTestTopics.nextPrefix("fol"));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Map<String, String> view(KafkaMetadataStore store) {
        Map<String, String> view = new TreeMap<>();
        store.scan("").forEach((k, v) -> view.put(k, s(v)));
        return view;
    }

    /** Random puts and deletes on fifteen keys, applied to {@code model} as the writer acknowledges them. */
    private static void randomCommits(KafkaMetadataStore store, Random random, Map<String, String> model, int n) {
        for (int c = 0; c < n; c++) {
            Map<String, byte[]> changes = new LinkedHashMap<>();
            for (int i = 0, size = 1 + random.nextInt(3); i < size; i++) {
                String value = random.nextInt(3) == 0 ? null : "v" + random.nextInt(1000);
                changes.put("key/" + random.nextInt(15), value == null ? null : b(value));
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

    @Test
    void aFollowerSeesEveryCommitOfTheWriterAndRefusesCommitsNamingIt() {
        KafkaStorageConfig config = config();
        try (KafkaMetadataStore early = KafkaMetadataStore.openFollower(config, Clock.systemUTC())) {
            assertThat(early.writable()).isFalse();
            assertThat(early.writer()).isEmpty();
            assertThatThrownBy(() -> early.commit(Map.of("x", b("1")))).isInstanceOf(NotWriterException.class)
                    .hasMessageContaining("no writer is known");
        }
        try (KafkaMetadataStore writer = KafkaMetadataStore.openFollower(config, Clock.systemUTC())) {
            WriterInfo promoted = writer.promote(NODE_A);
            assertThat(promoted).isEqualTo(new WriterInfo("node-a", "http://127.0.0.1:4601", 1));
            assertThat(writer.writable()).isTrue();
            assertThat(writer.version()).isZero();
            Random random = new Random(15);
            TreeMap<String, String> model = new TreeMap<>();
            randomCommits(writer, random, model, 10);

            try (KafkaMetadataStore follower = KafkaMetadataStore.openFollower(config, Clock.systemUTC())) {
                assertThat(follower.writer()).contains(promoted);
                assertThat(follower.version()).isEqualTo(10);
                assertThat(view(follower)).isEqualTo(model);
                List<Long> heard = Collections.synchronizedList(new ArrayList<>());
                TreeMap<String, String> mirror = new TreeMap<>(model);
                follower.onCommit((version, changes) -> {
                    heard.add(version);
                    changes.forEach((k, v) -> {
                        if (v == null) {
                            mirror.remove(k);
                        } else {
                            mirror.put(k, s(v));
                        }
                    });
                });
                randomCommits(writer, random, model, 30);
                assertThat(follower.awaitCaughtUp(30_000)).isEqualTo(40);
                assertThat(view(follower)).isEqualTo(model);
                synchronized (heard) {
                    assertThat(heard).hasSize(30);
                    for (int i = 0; i < heard.size(); i++) {
                        assertThat(heard.get(i)).isEqualTo(11 + i);
                    }
                }
                assertThat(mirror).isEqualTo(model);

                assertThat(follower.writable()).isFalse();
                assertThatThrownBy(() -> follower.commit(Map.of("x", b("1"))))
                        .isInstanceOfSatisfying(NotWriterException.class, e -> {
                            assertThat(e.writer()).contains(promoted);
                            assertThat(KafkaErrors.retryable(e)).isFalse();
                        })
                        .hasMessageContaining("node-a").hasMessageContaining("4601");
                assertThatThrownBy(() -> follower.commitIfVersion(40, Map.of("x", b("1"))))
                        .isInstanceOf(NotWriterException.class);
                // The reserved records are nobody's keys: invisible, and refused to callers.
                assertThat(follower.get("\0writer")).isEmpty();
                assertThat(follower.scan("\0")).isEmpty();
                assertThat(view(follower).keySet()).allMatch(k -> k.startsWith("key/"));
                assertThatThrownBy(() -> writer.commit(Map.of("\0writer", b("me"))))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
                assertThat(follower.version()).isEqualTo(40);
                assertThat(writer.version()).isEqualTo(40);
            }
        }
    }

    @Test
    void aPromotionFencesTheWriterWhichFollowsOnAndLosesNothing() {
        KafkaStorageConfig config = config();
        Random random = new Random(16);
        TreeMap<String, String> model = new TreeMap<>();
        // b's tailer fetches only every two seconds: only the promotion's own catch-up can bring a's last commits.
        KafkaStorageConfig slow = new KafkaStorageConfig(cluster.bootstrapServers(), config.topicPrefix(), 0, 0,
                Map.of("fetch.min.bytes", "100000000", "fetch.max.wait.ms", "2000"));
        try (KafkaMetadataStore a = KafkaMetadataStore.openFollower(config, Clock.systemUTC());
             KafkaMetadataStore b = KafkaMetadataStore.openFollower(slow, Clock.systemUTC())) {
            a.promote(NODE_A);
            randomCommits(a, random, model, 25);
            List<Long> heardByA = Collections.synchronizedList(new ArrayList<>());
            a.onCommit((version, changes) -> heardByA.add(version));

            WriterInfo bInfo = b.promote(NODE_B);
            assertThat(bInfo.epoch()).isEqualTo(2);
            assertThat(b.version()).isEqualTo(25);
            assertThat(view(b)).isEqualTo(model);
            assertThat(b.writer()).contains(bInfo);

            a.awaitCaughtUp(30_000);
            assertThat(a.writer()).contains(bInfo);
            assertThatThrownBy(() -> a.commit(Map.of("lost", b("x"))))
                    .isInstanceOfSatisfying(NotWriterException.class, e -> {
                        assertThat(e.writer()).contains(bInfo);
                        assertThat(e.reported()).isTrue();
                    })
                    .hasMessageContaining("another writer took over").hasMessageContaining("node-b");
            assertThatThrownBy(() -> a.commit(Map.of("lost", b("y")))).isInstanceOf(NotWriterException.class)
                    .hasMessageContaining("another writer took over");
            assertThat(a.writable()).isFalse();
            assertThat(a.get("lost")).isEmpty();
            assertThat(view(a)).isEqualTo(model);

            long read = b.version();
            assertThat(b.commitIfVersion(read, Map.of("after", b("1")))).isEqualTo(read + 1);
            model.put("after", "1");
            assertThatThrownBy(() -> b.commitIfVersion(read, Map.of("after", b("2"))))
                    .isInstanceOf(StaleVersionException.class);
            randomCommits(b, random, model, 5);
            assertThat(a.awaitCaughtUp(30_000)).isEqualTo(31);
            assertThat(view(a)).isEqualTo(model);
            assertThat(heardByA).containsExactly(26L, 27L, 28L, 29L, 30L, 31L);
            assertThat(b.get("lost")).isEmpty();

            // And back: a is promoted again, b fenced; a demotes itself, and both go on reading.
            WriterInfo again = a.promote(NODE_A);
            assertThat(again.epoch()).isEqualTo(3);
            randomCommits(a, random, model, 3);
            a.demote();
            assertThat(a.writable()).isFalse();
            // Its own writer record is still the latest: not a writer to forward to.
            assertThat(a.writer()).contains(again);
            assertThatThrownBy(() -> a.commit(Map.of("x", b("1"))))
                    .isInstanceOfSatisfying(NotWriterException.class, e -> assertThat(e.writer()).isEmpty())
                    .hasMessageContaining("demoted").hasMessageContaining("no other writer is known yet");
            a.demote();
            assertThat(b.awaitCaughtUp(30_000)).isEqualTo(34);
            assertThat(b.writer()).contains(again);
            assertThatThrownBy(() -> b.commit(Map.of("x", b("1")))).isInstanceOf(NotWriterException.class)
                    .hasMessageContaining("node-a");
            assertThat(view(b)).isEqualTo(model);
            assertThat(view(a)).isEqualTo(model);
        }
        try (KafkaMetadataStore reopened = KafkaMetadataStore.openFollower(config, Clock.systemUTC())) {
            assertThat(reopened.version()).isEqualTo(34);
            assertThat(view(reopened)).isEqualTo(model);
            assertThat(reopened.writer().orElseThrow().epoch()).isEqualTo(3);
        }
    }

    @Test
    void writersTakingTurnsAtOnceEachStartFromTheOthersLastCommit() {
        KafkaStorageConfig config = config();
        try (KafkaMetadataStore a = KafkaMetadataStore.openFollower(config, Clock.systemUTC());
             KafkaMetadataStore b = KafkaMetadataStore.openFollower(config, Clock.systemUTC())) {
            KafkaMetadataStore[] stores = {a, b};
            WriterInfo[] nodes = {NODE_A, NODE_B};
            for (int turn = 0; turn < 30; turn++) {
                KafkaMetadataStore next = stores[turn % 2];
                // Promoted right after the other's commit returned: its tailer has had no time to read it.
                assertThat(next.promote(nodes[turn % 2]).epoch()).isEqualTo(turn + 1);
                assertThat(next.commitIfVersion(2L * turn, Map.of("turn", b(Integer.toString(turn)))))
                        .isEqualTo(2L * turn + 1);
                assertThat(next.commit(Map.of("by/" + (turn % 2), b(Integer.toString(turn)))))
                        .isEqualTo(2L * turn + 2);
            }
            for (KafkaMetadataStore store : stores) {
                assertThat(store.awaitCaughtUp(30_000)).isEqualTo(60);
                assertThat(view(store)).isEqualTo(Map.of("turn", "29", "by/0", "28", "by/1", "29"));
                assertThat(store.writer().orElseThrow()).isEqualTo(new WriterInfo("node-b", NODE_B.endpoint(), 30));
            }
        }
    }

    @Test
    void openStillMakesAWriterAtOnceAndNamesIt() {
        KafkaStorageConfig config = config();
        try (KafkaMetadataStore store = KafkaMetadataStore.open(config, Clock.systemUTC())) {
            assertThat(store.writable()).isTrue();
            assertThat(store.writer().orElseThrow().epoch()).isEqualTo(1);
            assertThat(store.writer().orElseThrow().nodeId()).isEqualTo("pid " + ProcessHandle.current().pid());
            assertThat(store.commit(Map.of("a", b("1")))).isEqualTo(1);
            // Named again by an election: it starts over as the writer, under a new epoch.
            assertThat(store.promote(NODE_A).epoch()).isEqualTo(2);
            assertThat(store.writer().orElseThrow().nodeId()).isEqualTo("node-a");
            assertThat(store.commit(Map.of("b", b("2")))).isEqualTo(2);
        }
    }

    /** The real producer, whose commitTransaction can be held (the transaction in flight) or land and time out. */
    private static final class HeldCommits extends ForwardingProducer {
        volatile CountDownLatch holding;
        volatile CountDownLatch held = new CountDownLatch(1);
        volatile boolean landThenTimeOut;
        private boolean retryOwed;

        HeldCommits(Map<String, Object> settings) {
            super(settings);
        }

        @Override
        public void commitTransaction() {
            if (retryOwed) {
                // The commit landed; Kafka's retry answers with its result.
                retryOwed = false;
                return;
            }
            CountDownLatch gate = holding;
            if (gate != null) {
                holding = null;
                real.flush();
                held.countDown();
                try {
                    gate.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            real.commitTransaction();
            if (landThenTimeOut) {
                landThenTimeOut = false;
                retryOwed = true;
                throw new TimeoutException("simulated: the EndTxn answer was lost");
            }
        }
    }

    @Test
    void aPromotionDuringAnInFlightCommitAbortsItAndItsCallerIsToldItFailed() throws Exception {
        KafkaStorageConfig config = config();
        HeldCommits[] made = new HeldCommits[1];
        try (KafkaMetadataStore a = KafkaMetadataStore.openFollower(config, Clock.systemUTC(), settings -> {
                made[0] = new HeldCommits(settings);
                return made[0];
            });
             KafkaMetadataStore b = KafkaMetadataStore.openFollower(config, Clock.systemUTC())) {
            a.promote(NODE_A);
            assertThat(a.commit(Map.of("first", b("1")))).isEqualTo(1);
            HeldCommits producer = made[0];
            CountDownLatch release = new CountDownLatch(1);
            producer.holding = release;
            // Its records are on the topic, in a transaction not yet committed, when b takes over.
            CompletableFuture<Long> inFlight = CompletableFuture.supplyAsync(
                    () -> a.commit(Map.of("inflight", b("2"))));
            assertThat(producer.held.await(30, TimeUnit.SECONDS)).isTrue();
            b.promote(NODE_B);
            release.countDown();

            assertThatThrownBy(() -> inFlight.get(60, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(NotWriterException.class)
                    .hasMessageContaining("another writer took over");
            assertThat(b.version()).isEqualTo(1);
            assertThat(b.get("inflight")).isEmpty();
            assertThat(a.get("inflight")).isEmpty();
            assertThat(a.writable()).isFalse();
            assertThat(b.commit(Map.of("second", b("2")))).isEqualTo(2);
            assertThat(a.awaitCaughtUp(30_000)).isEqualTo(2);
            assertThat(view(a)).isEqualTo(Map.of("first", "1", "second", "2"));
        }
    }

    @Test
    void aPromotionAfterACommitLeftInDoubtHoldsItSinceItLanded() {
        KafkaStorageConfig config = config();
        HeldCommits[] made = new HeldCommits[1];
        try (KafkaMetadataStore a = KafkaMetadataStore.openFollower(config, Clock.systemUTC(), settings -> {
                made[0] = new HeldCommits(settings);
                return made[0];
            });
             KafkaMetadataStore b = KafkaMetadataStore.openFollower(config, Clock.systemUTC())) {
            a.promote(NODE_A);
            assertThat(a.commit(Map.of("first", b("1")))).isEqualTo(1);
            made[0].landThenTimeOut = true;
            // The caller hears "unknown": the new writer's view decides, and must agree with the topic.
            assertThatThrownBy(() -> a.commit(Map.of("doubted", b("2")))).isInstanceOf(StorageException.class)
                    .isNotInstanceOf(NotWriterException.class).hasMessageContaining("outcome unknown");
            b.promote(NODE_B);
            assertThat(b.version()).isEqualTo(2);
            assertThat(s(b.get("doubted").orElseThrow())).isEqualTo("2");
            assertThat(b.commit(Map.of("third", b("3")))).isEqualTo(3);
            // a's next commit settles the doubted one (it landed) and then finds itself fenced.
            assertThatThrownBy(() -> a.commit(Map.of("lost", b("x")))).isInstanceOf(NotWriterException.class);
            assertThat(a.awaitCaughtUp(30_000)).isEqualTo(3);
            assertThat(view(a)).isEqualTo(Map.of("first", "1", "doubted", "2", "third", "3"));
            assertThat(view(b)).isEqualTo(view(a));
        }
    }
}
