package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.PendingAppend;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The write-ahead log's group commit across shards: one begin/await over N shards costs one WAL force, not N; a lone
 * append is forced at once, on its own thread, with no timer; records become readable only once acknowledged; and
 * under concurrent appends to many shards, with the WAL rolling and being cleaned, a power loss (every file cut back to
 * what was forced) keeps every acknowledged record exactly once.
 */
class WalGroupCommitTest {
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private EmbeddedLogStore store;

    @AfterEach
    void tearDown() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void oneBeginAwaitOverManyShardsForcesTheWalOnce() {
        PowerLossDisk disk = new PowerLossDisk();
        store = EmbeddedLogStore.open(LogConfig.defaults(dir).withChannels(disk).withWal(64L * 1024 * 1024, 3_600_000),
                new ManualClock(T0));
        AtomicLong observed = new AtomicLong();
        store.observeFsyncs(nanos -> observed.incrementAndGet());
        List<ShardLog> shards = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            shards.add(store.openOrCreate("g-" + i));
        }
        long walBefore = disk.walForces();
        long segmentBefore = disk.segmentForces();
        List<PendingAppend> begun = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            begun.add(shards.get(i).begin(records("s" + i, 3), null));
        }
        assertThat(disk.walForces()).as("begin forces nothing").isEqualTo(walBefore);
        assertThat(shards.get(0).endPosition()).as("nothing is readable before it is acknowledged").isZero();
        for (PendingAppend p : begun) {
            assertThat(p.await().recordCount()).isEqualTo(3);
        }
        assertThat(disk.walForces() - walBefore).as("WAL forces for 50 shards begun together").isEqualTo(1);
        assertThat(disk.segmentForces() - segmentBefore).as("segments are left to the cleaner").isZero();
        assertThat(observed.get()).as("the WAL's force is what the fsync metric sees").isEqualTo(1);
        for (int i = 0; i < shards.size(); i++) {
            assertThat(dataOf(readAll(shards.get(i)))).containsExactly("s" + i + "-0", "s" + i + "-1", "s" + i + "-2");
        }
        assertThat(begun.get(0).await()).as("a second await returns the same result").isSameAs(begun.get(0).await());
    }

    /**
     * A clean forces every shard written since the last one, an fsync each: a roll queues one only once
     * {@link EmbeddedLogStore#CLEAN_AFTER_FILES} complete files wait, and that clean deletes all of them.
     */
    @Test
    void aRollCleansOnlyOnceTwoCompleteFilesWait() throws Exception {
        PowerLossDisk disk = new PowerLossDisk();
        store = EmbeddedLogStore.open(LogConfig.defaults(dir).withChannels(disk).withWal(16 * 1024, 3_600_000),
                new ManualClock(T0));
        List<ShardLog> shards = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            shards.add(store.openOrCreate("c-" + i));
        }
        WriteAheadLog wal = store.wal();
        int n = 0;
        while (wal.completeFiles() < 1) {
            shards.get(n % 4).append(records("r" + n++, 10));
        }
        long segmentForces = disk.segmentForces();
        Thread.sleep(300); // a clean queued by that roll would have run by now (it has nothing to wait for)
        assertThat(wal.completeFiles()).as("one complete file waits; no clean deleted it").isEqualTo(1);
        assertThat(disk.segmentForces()).as("no shard was forced").isEqualTo(segmentForces);
        while (wal.completeFiles() < 2) {
            shards.get(n % 4).append(records("r" + n++, 10));
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(wal.completeFiles()).as("both complete files deleted").isZero());
        assertThat(disk.segmentForces() - segmentForces).as("every shard forced once").isEqualTo(4);
        int perShard = n / 4;
        for (int i = 0; i < 4; i++) {
            assertThat(readAll(shards.get(i))).hasSizeGreaterThanOrEqualTo(perShard * 10);
        }
    }

    @Test
    void aLoneAppendIsForcedAtOnceOnItsOwnThread() {
        PowerLossDisk disk = new PowerLossDisk();
        // A clock that never moves: an append waiting for a timer would never return.
        store = EmbeddedLogStore.open(LogConfig.defaults(dir).withChannels(disk), new ManualClock(T0));
        ShardLog log = store.openOrCreate("lone");
        long before = disk.walForces();
        AppendResult result = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> log.append(records("only", 1)));
        assertThat(result.basePosition()).isZero();
        assertThat(disk.walForces() - before).isEqualTo(1);
        assertThat(dataOf(readAll(log))).containsExactly("only-0");
    }

    @Test
    void everyAcknowledgedRecordSurvivesAPowerLossWhileTheWalRollsAndIsCleaned() throws Exception {
        PowerLossDisk disk = new PowerLossDisk();
        // Small WAL files: it rolls every few group commits, and each roll starts a clean.
        LogConfig config = LogConfig.defaults(dir).withSegmentBytes(64 * 1024).withChannels(disk)
                .withWal(16 * 1024, 50);
        store = EmbeddedLogStore.open(config, Clock.systemUTC());
        int shardCount = 60;
        ConcurrentLinkedQueue<Map.Entry<String, AppendResult>> acks = new ConcurrentLinkedQueue<>();
        Map<String, String> dataOfKey = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            Thread t = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(writer);
                for (int call = 0; !stop.get(); call++) {
                    List<String> keys = new ArrayList<>();
                    List<PendingAppend> begun = new ArrayList<>();
                    try {
                        for (int g = 0; g < 5; g++) {
                            String shard = "p-" + random.nextInt(shardCount);
                            String id = "w" + writer + ".c" + call + ".g" + g;
                            String data = id + "-" + "x".repeat(random.nextInt(300));
                            dataOfKey.put(id, data);
                            begun.add(store.openOrCreate(shard).begin(List.of(new AppendRecord(id, null,
                                    data.getBytes(StandardCharsets.UTF_8))), null));
                            keys.add(shard);
                        }
                        for (int g = 0; g < begun.size(); g++) {
                            acks.add(Map.entry(keys.get(g) + "/" + "w" + writer + ".c" + call + ".g" + g,
                                    begun.get(g).await()));
                        }
                    } catch (StorageException e) {
                        return; // the store was abandoned under it
                    }
                }
            }, "wal-writer-" + w);
            writers.add(t);
            t.start();
        }
        Thread.sleep(1500);
        EmbeddedLogStore crashed = store;
        store = null;
        crashed.abandon();
        stop.set(true);
        for (Thread t : writers) {
            t.join(10_000);
        }
        System.out.printf("WalGroupCommitTest: %d acknowledged appends, %d WAL forces, %d segment forces%n",
                acks.size(), disk.walForces(), disk.segmentForces());
        assertThat(disk.segmentForces()).as("the cleaner forced segments while the WAL rolled").isPositive();
        disk.losePower();

        store = EmbeddedLogStore.open(config.withChannels(FileChannels.DEFAULT), Clock.systemUTC());
        Map<String, Map<Long, StoredRecord>> byShard = new HashMap<>();
        for (int i = 0; i < shardCount; i++) {
            Map<Long, StoredRecord> records = new HashMap<>();
            for (StoredRecord r : readAll(store.openOrCreate("p-" + i))) {
                assertThat(records.put(r.position(), r)).isNull();
                assertThat(new String(r.data(), StandardCharsets.UTF_8)).as("record %s", r.partitionKey())
                        .isEqualTo(dataOfKey.get(r.partitionKey()));
            }
            byShard.put("p-" + i, records);
        }
        assertThat(acks).hasSizeGreaterThan(100);
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Map.Entry<String, AppendResult> ack : acks) {
            String shard = ack.getKey().substring(0, ack.getKey().indexOf('/'));
            String id = ack.getKey().substring(ack.getKey().indexOf('/') + 1);
            StoredRecord r = byShard.get(shard).get(ack.getValue().basePosition());
            assertThat(r).as("acknowledged %s at %s/%s after a power loss", id, shard, ack.getValue().basePosition())
                    .isNotNull();
            assertThat(r.partitionKey()).isEqualTo(id);
            assertThat(ids.add(id)).isTrue();
        }
        long total = byShard.values().stream().mapToLong(Map::size).sum();
        assertThat(total).as("records kept: the acknowledged ones, and at most the few in flight at the crash")
                .isBetween((long) acks.size(), (long) acks.size() + 4 * 5);
    }
}
