package dev.millrace.storage.contract;

import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.StaleVersionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What every {@link MetadataStore} must do: get and scan, atomic multi-key commits whose version grows by one each,
 * copies handed out, conditional commits that refuse a stale version and change nothing, the change feed (in version
 * order, each commit once, after it is visible, undisturbed by a throwing listener, silent after its registration
 * closes), and a store reopened over the same storage finding everything as it was.
 *
 * <p>The change feed may be told of a commit on another thread after {@code commit} returns (a backend that learns of
 * commits by reading them back), so tests wait for it, up to {@link #FEED_TIMEOUT}, and then check that nothing more
 * came.
 *
 * <p>A subclass says how to open a store over this test's storage (fresh for each test: JUnit makes a new instance per
 * test) and, if it must, how to discard that storage afterwards.
 */
public abstract class MetadataStoreContract {
    protected static final Duration FEED_TIMEOUT = Duration.ofSeconds(30);

    protected MetadataStore store;

    /** Opens a store over this test's storage; after the previous store closed, the new one sees all it left. */
    protected abstract MetadataStore openStore();

    /** Discards this test's storage once its last store has closed; by default nothing. */
    protected void discardStorage() {
    }

    @BeforeEach
    void openFirstStore() {
        store = openStore();
    }

    @AfterEach
    void closeLastStore() {
        try {
            if (store != null) {
                store.close();
            }
        } finally {
            discardStorage();
        }
    }

    protected MetadataStore reopen() {
        store.close();
        store = null;
        store = openStore();
        return store;
    }

    protected static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String s(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Map<String, String> strings(Map<String, byte[]> map) {
        Map<String, String> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, v == null ? null : s(v)));
        return out;
    }

    /** One change-feed call as a listener saw it, with what {@code get} returned for each changed key meanwhile. */
    protected record Told(long version, Map<String, String> changes, Map<String, String> visible, long storeVersion) {
    }

    /** A listener that records each call, reading back every changed key from inside the call. */
    protected final class Recorder implements MetadataListener {
        final List<Told> calls = new CopyOnWriteArrayList<>();

        @Override
        public void committed(long version, Map<String, byte[]> changes) {
            Map<String, String> visible = new LinkedHashMap<>();
            for (String key : changes.keySet()) {
                visible.put(key, store.get(key).map(MetadataStoreContract::s).orElse(null));
            }
            calls.add(new Told(version, strings(changes), visible, store.version()));
        }

        List<Told> awaitCalls(int count) {
            await().atMost(FEED_TIMEOUT).until(() -> calls.size() >= count);
            return List.copyOf(calls);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reading and committing

    @Test
    void anEmptyStoreIsAtVersionZeroAndHoldsNothing() {
        assertThat(store.version()).isZero();
        assertThat(store.get("anything")).isEmpty();
        assertThat(store.scan("")).isEmpty();
    }

    @Test
    void commitsAreAtomicVersionedAndScannableByPrefix() {
        Map<String, byte[]> first = new LinkedHashMap<>();
        first.put("stream/a", b("A"));
        first.put("stream/b", b("B"));
        first.put("shard/a/0", b("a0"));
        assertThat(store.commit(first)).isEqualTo(1);
        Map<String, byte[]> second = new HashMap<>();
        second.put("stream/b", null);
        second.put("stream/c", b("C"));
        assertThat(store.commit(second)).isEqualTo(2);
        assertThat(store.commit(Collections.singletonMap("absent", null)))
                .as("deleting a key that is not there is a commit too").isEqualTo(3);

        assertThat(store.scan("stream/").keySet()).containsExactly("stream/a", "stream/c");
        assertThat(strings(store.scan("stream/"))).containsExactly(Map.entry("stream/a", "A"), Map.entry("stream/c", "C"));
        assertThat(store.get("stream/b")).isEmpty();
        assertThat(store.get("absent")).isEmpty();
        assertThat(s(store.get("shard/a/0").orElseThrow())).isEqualTo("a0");
        assertThat(store.version()).isEqualTo(3);
    }

    @Test
    void scanReturnsExactlyThePrefixSortedByKey() {
        Map<String, byte[]> all = new HashMap<>();
        for (String key : List.of("b", "a/c", "ab", "a", "a/b", "a/", "中", "é", "a/b/deeper")) {
            all.put(key, b("v:" + key));
        }
        store.commit(all);

        assertThat(store.scan("").keySet()).containsExactly("a", "a/", "a/b", "a/b/deeper", "a/c", "ab", "b", "é", "中");
        assertThat(store.scan("a/").keySet()).containsExactly("a/", "a/b", "a/b/deeper", "a/c");
        assertThat(store.scan("a").keySet()).containsExactly("a", "a/", "a/b", "a/b/deeper", "a/c", "ab");
        assertThat(store.scan("a/b").keySet()).containsExactly("a/b", "a/b/deeper");
        assertThat(store.scan("é").keySet()).containsExactly("é");
        assertThat(store.scan("zz")).isEmpty();
        assertThat(s(store.scan("a/c").get("a/c"))).isEqualTo("v:a/c");
    }

    @Test
    void anEmptyValueIsAValueNotADeletion() {
        store.commit(Map.of("empty", new byte[0], "full", b("x")));
        assertThat(store.get("empty")).get().extracting(v -> v.length).isEqualTo(0);
        reopen();
        assertThat(store.get("empty")).as("after reopening").get().extracting(v -> v.length).isEqualTo(0);
        assertThat(store.scan("").keySet()).containsExactly("empty", "full");
    }

    @Test
    void anEmptyCommitChangesNothing() {
        Recorder recorder = new Recorder();
        store.onCommit(recorder);
        long version = store.commit(Map.of("k", b("v")));
        assertThat(store.commit(Map.of())).isEqualTo(version);
        assertThat(store.commitIfVersion(version, Map.of())).isEqualTo(version);
        assertThat(store.version()).isEqualTo(version);
        store.commit(Map.of("k2", b("v2")));

        List<Told> calls = recorder.awaitCalls(2);
        assertThat(calls).extracting(Told::version).containsExactly(version, version + 1);
        assertThat(store.version()).isEqualTo(version + 1);
    }

    @Test
    void returnedValuesAreCopiesAndCommittedValuesAreCopiedIn() {
        byte[] committed = b("value");
        store.commit(Map.of("k", committed));
        committed[0] = 'X';
        store.get("k").orElseThrow()[0] = 'Y';
        store.scan("k").get("k")[1] = 'Z';
        assertThat(s(store.get("k").orElseThrow())).isEqualTo("value");
        assertThat(s(store.scan("").get("k"))).isEqualTo("value");
    }

    @Test
    void aFiveMegabyteValueRoundTrips() {
        byte[] big = new byte[5 * 1024 * 1024];
        new Random(5).nextBytes(big);
        Recorder recorder = new Recorder();
        store.onCommit(recorder);
        store.commit(Map.of("big", big, "small", b("s")));

        assertThat(store.get("big")).get().isEqualTo(big);
        assertThat(store.scan("b").get("big")).isEqualTo(big);
        assertThat(recorder.awaitCalls(1).get(0).changes()).containsKeys("big", "small");
        reopen();
        assertThat(store.get("big")).as("after reopening").get().isEqualTo(big);
        assertThat(s(store.get("small").orElseThrow())).isEqualTo("s");
        assertThat(store.version()).isEqualTo(1);
    }

    @Test
    void aReaderNeverSeesHalfACommit() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> torn = new AtomicReference<>();
        AtomicInteger looks = new AtomicInteger();
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            Future<?> reading = reader.submit(() -> {
                while (!done.get() && torn.get() == null) {
                    SortedMap<String, byte[]> seen = store.scan("pair/");
                    String a = seen.containsKey("pair/a") ? s(seen.get("pair/a")) : null;
                    String b = seen.containsKey("pair/b") ? s(seen.get("pair/b")) : null;
                    if (!java.util.Objects.equals(a, b)) {
                        torn.set("a=" + a + ", b=" + b);
                    }
                    looks.incrementAndGet();
                }
            });
            for (int i = 0; i < 100 && torn.get() == null; i++) {
                store.commit(Map.of("pair/a", b("v" + i), "pair/b", b("v" + i)));
            }
            done.set(true);
            reading.get(60, TimeUnit.SECONDS);
        } finally {
            reader.shutdownNow();
        }
        assertThat(torn.get()).as("a scan saw half a commit").isNull();
        assertThat(looks.get()).isPositive();
        assertThat(s(store.get("pair/a").orElseThrow())).isEqualTo("v99");
    }

    @Test
    void everythingSurvivesReopening() {
        for (int i = 0; i < 50; i++) {
            Map<String, byte[]> changes = new HashMap<>();
            changes.put("k" + (i % 10), b("v" + i));
            if (i == 30) {
                changes.put("gone", b("soon"));
            }
            if (i == 40) {
                changes.put("gone", null);
            }
            store.commit(changes);
        }
        reopen();
        assertThat(store.version()).isEqualTo(50);
        assertThat(store.scan("k")).hasSize(10);
        assertThat(s(store.get("k9").orElseThrow())).isEqualTo("v49");
        assertThat(store.get("gone")).isEmpty();

        Recorder recorder = new Recorder();
        store.onCommit(recorder);
        assertThat(store.commit(Map.of("after", b("x")))).isEqualTo(51);
        assertThat(recorder.awaitCalls(1)).as("a listener of a reopened store is told of later commits only")
                .extracting(Told::version).containsExactly(51L);
        reopen();
        assertThat(store.version()).isEqualTo(51);
        assertThat(s(store.get("after").orElseThrow())).isEqualTo("x");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Conditional commits

    @Test
    void aConditionalCommitAppliesOnlyAtTheVersionItRead() {
        Recorder recorder = new Recorder();
        store.onCommit(recorder);
        long read = store.commit(Map.of("k", b("1")));
        assertThat(store.commitIfVersion(read, Map.of("k", b("2"), "other", b("o")))).isEqualTo(read + 1);

        for (long stale : new long[] {read, read + 2, 0}) {
            assertThatThrownBy(() -> store.commitIfVersion(stale, Map.of("k", b("lost"), "new", b("n"))))
                    .as("commitIfVersion(%s) at version %s", stale, read + 1)
                    .isInstanceOfSatisfying(StaleVersionException.class, e -> {
                        assertThat(e.expectedVersion()).isEqualTo(stale);
                        assertThat(e.actualVersion()).isEqualTo(read + 1);
                    });
        }
        assertThat(store.version()).isEqualTo(read + 1);
        assertThat(s(store.get("k").orElseThrow())).isEqualTo("2");
        assertThat(store.get("new")).isEmpty();

        store.commit(Map.of("last", b("l")));
        assertThat(recorder.awaitCalls(3)).as("refused commits are told to nobody")
                .extracting(Told::version).containsExactly(read, read + 1, read + 2);
        reopen();
        assertThat(store.get("new")).isEmpty();
        assertThat(store.version()).isEqualTo(read + 2);
    }

    @Test
    void concurrentConditionalCommitsLoseNoUpdate() throws Exception {
        store.commit(Map.of("counter", b("0")));
        int threads = 4;
        int incrementsEach = 15;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        ConcurrentLinkedQueue<Long> won = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int done = 0; done < incrementsEach; ) {
                        long version = store.version();
                        Optional<byte[]> value = store.get("counter");
                        int next = Integer.parseInt(s(value.orElseThrow())) + 1;
                        try {
                            won.add(store.commitIfVersion(version, Map.of("counter", b(Integer.toString(next)))));
                            done++;
                        } catch (StaleVersionException e) {
                            refused.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int total = threads * incrementsEach;
        assertThat(s(store.get("counter").orElseThrow())).as("increments made on the strength of a read")
                .isEqualTo(Integer.toString(total));
        assertThat(won).hasSize(total).doesNotHaveDuplicates().allMatch(v -> v >= 2 && v <= total + 1);
        assertThat(store.version()).isEqualTo(total + 1);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The change feed

    @Test
    void theChangeFeedTellsEachCommitOnceInOrderAfterItIsVisible() {
        Recorder recorder = new Recorder();
        store.onCommit(recorder);
        store.commit(Map.of("a", b("1"), "b", b("1")));
        Map<String, byte[]> second = new HashMap<>();
        second.put("a", null);
        second.put("c", b("3"));
        store.commit(second);
        store.commitIfVersion(2, Map.of("b", b("2")));

        List<Told> calls = recorder.awaitCalls(3);
        assertThat(calls).extracting(Told::version).containsExactly(1L, 2L, 3L);
        assertThat(calls.get(0).changes()).containsOnly(Map.entry("a", "1"), Map.entry("b", "1"));
        Map<String, String> deletion = new HashMap<>();
        deletion.put("a", null);
        deletion.put("c", "3");
        assertThat(calls.get(1).changes()).isEqualTo(deletion);
        assertThat(calls.get(2).changes()).containsOnly(Map.entry("b", "2"));
        for (Told told : calls) {
            assertThat(told.storeVersion()).as("version() inside the call for version %s", told.version())
                    .isGreaterThanOrEqualTo(told.version());
        }
        assertThat(calls.get(0).visible()).as("visible to get when told").isEqualTo(calls.get(0).changes());
        assertThat(calls.get(1).visible()).isEqualTo(deletion);

        store.commit(Map.of("d", b("4")));
        assertThat(recorder.awaitCalls(4)).as("each commit once").extracting(Told::version)
                .containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void theChangeFeedKeepsVersionOrderUnderConcurrentCommitters() throws Exception {
        Recorder recorder = new Recorder();
        store.onCommit(recorder);
        int threads = 4;
        int commitsEach = 20;
        Map<Long, String> keyOfVersion = new java.util.concurrent.ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < commitsEach; i++) {
                        String key = "w" + thread + "/" + i;
                        long version = store.commit(Map.of(key, b(key)));
                        assertThat(keyOfVersion.put(version, key)).as("version %s returned twice", version).isNull();
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        int total = threads * commitsEach;
        List<Told> calls = recorder.awaitCalls(total);
        assertThat(calls).hasSize(total);
        for (int i = 0; i < total; i++) {
            Told told = calls.get(i);
            assertThat(told.version()).as("call %s", i).isEqualTo(i + 1);
            String key = keyOfVersion.get(told.version());
            assertThat(told.changes()).as("the commit that returned version %s", told.version())
                    .containsOnly(Map.entry(key, key));
        }
        assertThat(store.version()).isEqualTo(total);
        assertThat(store.scan("w")).hasSize(total);
    }

    @Test
    void aThrowingListenerFailsNeitherTheCommitNorTheOtherListeners() {
        Recorder before = new Recorder();
        Recorder after = new Recorder();
        store.onCommit(before);
        store.onCommit((version, changes) -> {
            throw new IllegalStateException("listener broken");
        });
        store.onCommit(after);

        assertThat(store.commit(Map.of("k", b("1")))).isEqualTo(1);
        assertThat(store.commit(Map.of("k", b("2")))).isEqualTo(2);

        assertThat(before.awaitCalls(2)).extracting(Told::version).containsExactly(1L, 2L);
        assertThat(after.awaitCalls(2)).extracting(Told::version).containsExactly(1L, 2L);
        assertThat(s(store.get("k").orElseThrow())).isEqualTo("2");
    }

    @Test
    void aClosedRegistrationIsToldNothingMore() {
        Recorder closed = new Recorder();
        Recorder open = new Recorder();
        Registration registration = store.onCommit(closed);
        store.onCommit(open);
        store.commit(Map.of("k", b("1")));
        closed.awaitCalls(1);
        registration.close();
        registration.close();
        store.commit(Map.of("k", b("2")));
        store.commit(Map.of("k", b("3")));

        assertThat(open.awaitCalls(3)).extracting(Told::version).containsExactly(1L, 2L, 3L);
        assertThat(closed.calls).extracting(Told::version).containsExactly(1L);
    }

    @Test
    void theSameListenerTwiceIsToldTwiceUntilEachRegistrationCloses() {
        AtomicInteger calls = new AtomicInteger();
        Recorder witness = new Recorder();
        MetadataListener listener = (version, changes) -> calls.incrementAndGet();
        Registration one = store.onCommit(listener);
        store.onCommit(listener);
        store.onCommit(witness);
        store.commit(Map.of("k", b("1")));
        witness.awaitCalls(1);
        one.close();
        store.commit(Map.of("k", b("2")));
        witness.awaitCalls(2);

        assertThat(calls).hasValue(3);
    }
}
