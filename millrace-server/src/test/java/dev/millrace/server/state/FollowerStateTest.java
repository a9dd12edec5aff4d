package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.log.EmbeddedLogStore;
import dev.millrace.storage.log.LogConfig;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two registries on one embedded store act as two nodes of a cluster: A the writer, B a follower that must show what
 * A commits, through the store's change feed, and never commit itself, until it becomes the writer.
 */
class FollowerStateTest {
    private static final long DELAY_MS = 1_000;
    private static final Account ACCOUNT = Account.DEFAULT;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private FileMetadataStore store;
    private EmbeddedLogStore logs;
    private final AtomicBoolean bWriter = new AtomicBoolean(false);
    private GuardedStore bStore;
    private StreamRegistry a;
    private StreamRegistry b;

    @BeforeEach
    void open() {
        store = FileMetadataStore.open(dir.resolve("meta"));
        logs = EmbeddedLogStore.open(LogConfig.defaults(dir.resolve("logs")), clock);
        a = new StreamRegistry(store, logs, clock, ACCOUNT, DELAY_MS, 1_000);
        bStore = new GuardedStore(store, bWriter::get);
        b = new StreamRegistry(bStore, logs, clock, ACCOUNT, DELAY_MS, 1_000, bWriter::get);
    }

    @AfterEach
    void close() {
        logs.close();
        store.close();
    }

    @Test
    void aFollowerShowsEveryChangeTheWriterMakesIncludingTransientStates() {
        a.create("s", 2, "PROVISIONED", Map.of(), 1024, null, null);
        assertThat(b.find("s")).map(StreamRecord::status).contains(StreamStatus.CREATING);
        assertThat(b.openShardCount()).isEqualTo(2);

        clock.advanceMs(DELAY_MS);
        assertThat(b.find("s")).as("due, but a follower leaves settling to the writer")
                .map(StreamRecord::status).contains(StreamStatus.CREATING);
        a.settleDue();
        assertThat(b.get("s").status()).isEqualTo(StreamStatus.ACTIVE);
        assertThat(b.get("s").openShards()).hasSize(2);

        a.reshard("s", "SplitShard", r -> r.withShards(Resharding.split(r.shards(), 0,
                HashKeys.initialStart(1, 4), clock.millis(), "test").shards()));
        assertThat(b.get("s").status()).isEqualTo(StreamStatus.UPDATING);
        assertThat(b.get("s").openShards()).as("the plan takes effect when UPDATING ends").hasSize(2);
        clock.advanceMs(DELAY_MS);
        a.settleDue();
        StreamRecord split = b.get("s");
        assertThat(split.status()).isEqualTo(StreamStatus.ACTIVE);
        assertThat(split.openShards()).hasSize(3);
        assertThat(split.shards()).filteredOn(sh -> !sh.open()).singleElement()
                .satisfies(parent -> assertThat(parent.ended()).isTrue());
        assertThat(split).isEqualTo(a.get("s"));

        a.updateAnyState("s", r -> r.withTags(Map.of("team", "blue")));
        assertThat(b.get("s").tags()).containsEntry("team", "blue");

        a.delete("s");
        assertThat(b.get("s").status()).isEqualTo(StreamStatus.DELETING);
        clock.advanceMs(DELAY_MS);
        a.settleDue();
        assertThat(b.find("s")).isEmpty();
        assertThat(b.names()).isEmpty();
        assertThat(b.openShardCount()).isZero();
        assertThat(bStore.attempts.get()).isZero();
        assertThat(b.versionsKept()).as("no tombstone outlives the feed").isZero();
    }

    @Test
    void aFollowerNeverCommitsWhateverItIsAsked() {
        a.create("on-demand", 1, "ON_DEMAND", Map.of(), 1024, 4, null); // the writer's tick would pre-split it
        a.create("gone", 1, "PROVISIONED", Map.of(), 1024, null, null);
        a.create("fed", 1, "PROVISIONED", Map.of(), 1024, null, null);
        clock.advanceMs(DELAY_MS);
        a.settleDue();
        ConsumerRegistry aConsumers = new ConsumerRegistry(store, a, clock, DELAY_MS);
        ConsumerRegistry bConsumers = new ConsumerRegistry(bStore, b, clock, DELAY_MS, bWriter::get);
        aConsumers.register("fed", "c1", Map.of());
        a.delete("gone");
        a.create("creating-2", 1, "PROVISIONED", Map.of(), 1024, null, null);
        StreamRecord fed = a.get("fed"); // a split the last writer committed but did not finish: recover would
        store.commit(Map.of("stream/fed", StreamCodec.encode(fed.withShards(Resharding.split(fed.shards(), 0,
                HashKeys.initialStart(1, 2), clock.millis(), "test").shards()))));
        clock.advanceMs(DELAY_MS); // everything above is due now: creating-2, gone's deletion, c1
        long version = store.version();

        assertThat(b.find("creating-2")).map(StreamRecord::status).contains(StreamStatus.CREATING);
        assertThatThrownBy(() -> b.getActive("creating-2")).isInstanceOf(KinesisException.class)
                .hasMessageContaining("not ACTIVE");
        assertThat(b.get("gone").status()).isEqualTo(StreamStatus.DELETING);
        b.settleDue();
        assertThat(b.trimExpired()).isZero();
        b.recover();
        new AutoScaler(b, clock, AutoScalingConfig.DEFAULT, ThroughputLimits.OFF).tick();
        assertThat(bConsumers.list("fed")).singleElement()
                .satisfies(c -> assertThat(c.status()).isEqualTo("CREATING"));
        assertThat(bConsumers.find(null, "fed", "c1").status()).isEqualTo("CREATING");
        bConsumers.settleDue();

        assertThat(bStore.attempts.get()).as("commits the follower tried").isZero();
        assertThat(store.version()).isEqualTo(version);
        assertThat(b.get("creating-2").status()).isEqualTo(StreamStatus.CREATING);

        // The guard works: what the follower is asked to change reaches the store and is refused.
        assertThatThrownBy(() -> b.update("fed", false, r -> r.withRetentionHours(48)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(bStore.attempts.get()).isEqualTo(1);

        aConsumers.settleDue();
        assertThat(bConsumers.find(null, "fed", "c1").status()).isEqualTo("ACTIVE");
        a.settleDue();
        assertThat(b.get("creating-2").status()).isEqualTo(StreamStatus.ACTIVE);
        assertThat(b.find("gone")).isEmpty();
        assertThat(b.get("fed").shards().get(0).ended()).as("still left for a writer's recover").isFalse();
    }

    @Test
    void aLateOlderEventNeverRegressesAStreamNorBringsBackADeletedOne() {
        DelayedFeedStore delayed = new DelayedFeedStore(store);
        StreamRegistry w = new StreamRegistry(delayed, logs, clock, ACCOUNT, 0, 1_000, () -> true);
        delayed.holding = true;
        w.create("kept", 1, "PROVISIONED", Map.of(), 1024, null, null);
        w.updateAnyState("kept", r -> r.withTags(Map.of("v", "2")));
        w.create("dropped", 1, "PROVISIONED", Map.of(), 1024, null, null);
        w.delete("dropped");
        assertThat(w.get("kept").tags()).containsEntry("v", "2");
        assertThat(w.find("dropped")).isEmpty();
        assertThat(w.versionsKept()).as("a tombstone while the feed lags").isEqualTo(2);

        delayed.releaseOne(); // kept, version 1 with no tags: older than what the registry holds
        assertThat(w.get("kept").tags()).as("not regressed").containsEntry("v", "2");
        delayed.releaseOne(); // kept's tags: the same version the registry put, its own record stays
        StreamRecord own = w.get("kept");
        delayed.releaseOne(); // dropped, created
        assertThat(w.find("dropped")).as("not resurrected").isEmpty();
        delayed.releaseAll();
        assertThat(w.find("dropped")).isEmpty();
        assertThat(w.get("kept")).isSameAs(own);
        assertThat(w.names()).containsExactly("kept");
        assertThat(w.versionsKept()).as("tombstones go once the feed passes them").isEqualTo(1);

        // A newer event from elsewhere is taken.
        StreamRecord byAnother = own.withTags(Map.of("v", "3"));
        store.commit(Map.of("stream/kept", StreamCodec.encode(byAnother)));
        assertThat(w.get("kept").tags()).containsEntry("v", "3");
    }

    @Test
    void commitsMadeWhileTheInitialScanRunsAreNotLost() {
        // The store commits another stream between the registration and the scan: the scan holds it or the feed
        // brings it, either way once.
        AtomicInteger scans = new AtomicInteger();
        StreamRecord template = a.create("first", 1, "PROVISIONED", Map.of(), 1024, null, null);
        MetadataStore racing = new ForwardingStore(store) {
            @Override
            public SortedMap<String, byte[]> scan(String prefix) {
                if (scans.getAndIncrement() == 0) {
                    store.commit(Map.of("stream/during", StreamCodec.encode(renamed(template, "during"))));
                }
                SortedMap<String, byte[]> found = super.scan(prefix);
                store.commit(Map.of("stream/after", StreamCodec.encode(renamed(template, "after"))));
                Map<String, byte[]> delete = new HashMap<>();
                delete.put("stream/first", null);
                store.commit(delete);
                return found;
            }
        };
        StreamRegistry c = new StreamRegistry(racing, logs, clock, ACCOUNT, DELAY_MS, 1_000, () -> false);
        assertThat(c.names()).containsExactly("after", "during");
    }

    @Test
    void aFollowerMadeWriterRecoversAndSettlesWhatTheOldWriterLeft() {
        a.create("due", 1, "PROVISIONED", Map.of(), 1024, null, null);
        clock.advanceMs(DELAY_MS);
        a.settleDue();
        StreamRecord s = a.get("due");
        a.log(s, s.shards().get(0)).append(List.of(AppendRecord.of("k", "x")));
        // The old writer died between committing a split and sealing the parent: closed, not ended.
        List<ShardRecord> split = Resharding.split(s.shards(), 0, HashKeys.initialStart(1, 2), clock.millis(),
                "test").shards();
        store.commit(Map.of("stream/due", StreamCodec.encode(s.withShards(split))));
        a.create("creating", 1, "PROVISIONED", Map.of(), 1024, null, null);
        a.create("unlooked", 1, "PROVISIONED", Map.of(), 1024, null, null);
        logs.openOrCreate("1-orphan-000000");
        clock.advanceMs(DELAY_MS);
        a.close(); // A dies: it neither follows nor writes any more

        b.recover();
        assertThat(logs.shardKeys()).as("a follower deletes no logs").contains("1-orphan-000000");
        assertThat(b.get("due").shards().get(0).ended()).isFalse();

        bWriter.set(true);
        b.recover();
        assertThat(logs.shardKeys()).doesNotContain("1-orphan-000000");
        ShardRecord parent = b.get("due").shards().get(0);
        assertThat(parent.ended()).isTrue();
        assertThat(parent.endingPosition()).as("sealed after the record the old writer took").isGreaterThan(0);
        assertThat(b.find("creating")).as("a lookup settles on the writer").map(StreamRecord::status)
                .contains(StreamStatus.ACTIVE);

        assertThat(store.get("stream/unlooked").map(StreamCodec::decode).map(StreamRecord::status))
                .contains(StreamStatus.CREATING);
        b.settleDue();
        assertThat(store.get("stream/unlooked").map(StreamCodec::decode).map(StreamRecord::status))
                .as("the new writer's housekeeping settles what nobody looks up").contains(StreamStatus.ACTIVE);

        b.delete("creating");
        clock.advanceMs(DELAY_MS);
        b.settleDue();
        assertThat(b.find("creating")).isEmpty();
        assertThat(store.get("stream/creating")).isEmpty();
    }

    @Test
    void aFollowerKeepsUpWithAWriterChangingManyStreamsAtOnce() throws Exception {
        StreamRegistry w = new StreamRegistry(store, logs, clock, ACCOUNT, 0, 100_000);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        String name = "t" + thread + "-" + (i % 7);
                        if (w.find(name).isPresent()) {
                            w.delete(name);
                        } else {
                            w.create(name, 1, "PROVISIONED", Map.of(), 1024, null, null);
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(b.names()).isEqualTo(w.names()).isNotEmpty();
        for (String name : w.names()) {
            assertThat(b.get(name)).isEqualTo(w.get(name));
        }
        assertThat(w.versionsKept()).isEqualTo(w.streamCount());
        assertThat(b.versionsKept()).isEqualTo(b.streamCount());
    }

    private static StreamRecord renamed(StreamRecord s, String name) {
        return new StreamRecord(name, s.epochMs() + name.length(), s.status(), s.statusUntilMs(), s.retentionHours(),
                s.mode(), s.shards(), s.tags(), s.encryptionType(), s.keyId(), s.shardLevelMetrics(),
                s.maxRecordSizeKiB(), s.warmThroughputMiBps(), s.shardCountUpdatesMs(), s.distribution(),
                s.pendingShards());
    }

    /** Every call goes to the store below. */
    private static class ForwardingStore implements MetadataStore {
        final MetadataStore delegate;

        ForwardingStore(MetadataStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<byte[]> get(String key) {
            return delegate.get(key);
        }

        @Override
        public SortedMap<String, byte[]> scan(String prefix) {
            return delegate.scan(prefix);
        }

        @Override
        public long commit(Map<String, byte[]> changes) {
            return delegate.commit(changes);
        }

        @Override
        public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
            return delegate.commitIfVersion(expectedVersion, changes);
        }

        @Override
        public Registration onCommit(MetadataListener listener) {
            return delegate.onCommit(listener);
        }

        @Override
        public long version() {
            return delegate.version();
        }

        @Override
        public void close() {
        }
    }

    /** A follower's store: counts and refuses every commit while {@code writer} says no, as Kafka's does. */
    private static final class GuardedStore extends ForwardingStore {
        final AtomicInteger attempts = new AtomicInteger();
        final java.util.function.BooleanSupplier writer;

        GuardedStore(MetadataStore delegate, java.util.function.BooleanSupplier writer) {
            super(delegate);
            this.writer = writer;
        }

        @Override
        public long commit(Map<String, byte[]> changes) {
            refuseOnFollower();
            return super.commit(changes);
        }

        @Override
        public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
            refuseOnFollower();
            return super.commitIfVersion(expectedVersion, changes);
        }

        private void refuseOnFollower() {
            if (!writer.getAsBoolean()) {
                attempts.incrementAndGet();
                throw new IllegalStateException("a follower committed");
            }
        }
    }

    /** A store whose change feed can be held back and released one commit at a time, as a lagging tailer's is. */
    private static final class DelayedFeedStore extends ForwardingStore {
        private record Held(MetadataListener listener, long version, Map<String, byte[]> changes) {
        }

        final List<Held> held = new ArrayList<>();
        volatile boolean holding;

        DelayedFeedStore(MetadataStore delegate) {
            super(delegate);
        }

        @Override
        public Registration onCommit(MetadataListener listener) {
            return delegate.onCommit((version, changes) -> {
                synchronized (held) {
                    if (holding) {
                        held.add(new Held(listener, version, changes));
                        return;
                    }
                }
                listener.committed(version, changes);
            });
        }

        void releaseOne() {
            Held h;
            synchronized (held) {
                h = held.remove(0);
            }
            h.listener().committed(h.version(), h.changes());
        }

        void releaseAll() {
            while (true) {
                synchronized (held) {
                    if (held.isEmpty()) {
                        holding = false;
                        return;
                    }
                }
                releaseOne();
            }
        }
    }
}
