package dev.millrace.storage.log;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StorageException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.millrace.storage.log.LogTesting.dataOf;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Races around the first clean after a crash, when shards replay their WAL entries lazily: a shard replayed while the
 * cleaner runs, and a close while a shard is being opened and replayed, must never leave the WAL deleted while the
 * replayed batches are only in the page cache. Each case ends with a power loss ({@link PowerLossDisk}: every segment
 * and WAL file cut back to what was forced) and checks that every acknowledged record is still there.
 */
class WalCleanerRaceTest {
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(T0);
    private final PowerLossDisk disk = new PowerLossDisk();
    private EmbeddedLogStore store;

    private LogConfig config() {
        // Cleaning only when a test asks for it.
        return LogConfig.defaults(dir).withChannels(disk).withWal(64L * 1024 * 1024, 3_600_000);
    }

    @AfterEach
    void tearDown() {
        if (store != null) {
            store.close();
        }
    }

    /**
     * Appends 20 batches to {@code shard}, then crashes with a power loss: the segment keeps only what it forced,
     * the WAL everything acknowledged. Returns the records, in order.
     */
    private List<String> writeAndLosePower(String shard) throws Exception {
        store = EmbeddedLogStore.open(config(), clock);
        ShardLog log = store.openOrCreate(shard);
        List<String> expected = new ArrayList<>();
        for (int b = 0; b < 20; b++) {
            log.append(records(shard + b, 5));
            for (int i = 0; i < 5; i++) {
                expected.add(shard + b + "-" + i);
            }
        }
        store.abandon();
        disk.losePower();
        return expected;
    }

    /** A hook that, on the thread named {@code threadName} only, says it ran and waits until released. */
    private static Runnable pauseOn(String threadName, CountDownLatch reached, CountDownLatch release) {
        return () -> {
            if (Thread.currentThread().getName().equals(threadName)) {
                reached.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private List<String> afterPowerLoss(String shard) throws Exception {
        store.abandon();
        disk.losePower();
        store = EmbeddedLogStore.open(config(), clock);
        return dataOf(readAll(store.openOrCreate(shard)));
    }

    @Test
    void aShardReplayedWhileTheCleanerRunsIsForcedBeforeItsWalFilesGo() throws Exception {
        List<String> expected = writeAndLosePower("s");
        store = EmbeddedLogStore.open(config(), clock);
        CountDownLatch replayed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.afterReplay(pauseOn("opener", replayed, release));
        Thread opener = new Thread(() -> store.openOrCreate("s"), "opener");
        opener.start();
        assertThat(replayed.await(10, TimeUnit.SECONDS)).isTrue();

        // The shard is replayed (page cache only) but not yet among the open shards: the cleaner must not take the
        // WAL's tail for empty and delete the files that alone hold those batches durably.
        Future<?> clean = store.cleanNow();
        try {
            clean.get(500, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // waiting for the open in flight, as it should
        }
        release.countDown();
        opener.join(10_000);
        clean.get(10, TimeUnit.SECONDS);

        assertThat(afterPowerLoss("s")).containsExactlyElementsOf(expected);
    }

    @Test
    void aCloseWaitsForAShardBeingOpenedAndKeepsWhatItReplayed() throws Exception {
        List<String> expected = writeAndLosePower("s");
        store = EmbeddedLogStore.open(config(), clock);
        CountDownLatch replayed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.afterReplay(pauseOn("opener", replayed, release));
        Thread opener = new Thread(() -> store.openOrCreate("s"), "opener");
        opener.start();
        assertThat(replayed.await(10, TimeUnit.SECONDS)).isTrue();

        // A close now must not decide the WAL is empty while the replayed shard is in neither the WAL's tail nor
        // the open shards it closes (and forces).
        EmbeddedLogStore closing = store;
        Thread closer = new Thread(closing::close, "closer");
        closer.start();
        closer.join(500);
        release.countDown();
        opener.join(10_000);
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        assertThatThrownBy(() -> closing.openOrCreate("t")).isInstanceOf(StorageException.class);

        // The close forced the shard (or kept the WAL): a power loss now loses nothing.
        disk.losePower();
        store = EmbeddedLogStore.open(config(), clock);
        assertThat(dataOf(readAll(store.openOrCreate("s")))).containsExactlyElementsOf(expected);
    }

    @Test
    void recoveryAfterAKillDoesNotRecordTheUnforcedTailItFoundAsDurable() throws Exception {
        store = EmbeddedLogStore.open(config(), clock);
        ShardLog log = store.openOrCreate("s");
        List<String> expected = new ArrayList<>();
        for (int b = 0; b < 100; b++) {
            if (b == 10) {
                // The cleaner forces the first ten batches: the index entry at offset 0 stays intact below.
                store.cleanNow().get(10, TimeUnit.SECONDS);
            }
            log.append(records("s" + b, 5));
            for (int i = 0; i < 5; i++) {
                expected.add("s" + b + "-" + i);
            }
        }
        // A kill: the segment's batches survive in the page cache, never forced (the WAL holds them). The next
        // start recovers the shard and is killed too, before its cleaner forced anything.
        store.abandon();
        store = EmbeddedLogStore.open(config(), clock);
        assertThat(dataOf(readAll(store.openOrCreate("s")))).containsExactlyElementsOf(expected);
        store.abandon();
        // Then power is lost, and the segment's first un-forced page was never written back: a hole of zeros below
        // what the kill left intact, between index entries. The scan must start before it, so that the WAL fills it.
        disk.losePowerLeavingHoles();
        store = EmbeddedLogStore.open(config(), clock);
        assertThat(dataOf(readAll(store.openOrCreate("s")))).containsExactlyElementsOf(expected);
    }

    @Test
    void aShardClosedForADeleteIsForcedFirstInCaseTheDeleteFails() throws Exception {
        store = EmbeddedLogStore.open(config(), clock);
        ShardLog log = store.openOrCreate("s");
        log.append(records("s", 5));
        // The delete's rename fails after this (it is not simulated here): the stream still exists, and the cleaner,
        // which no longer sees the shard, deletes the WAL files that were the only durable copy of the batch.
        ((EmbeddedShardLog) log).closeForDelete();
        store.abandon();
        disk.losePower();
        dev.millrace.storage.log.FileUtil.deleteTree(dir.resolve(WriteAheadLog.DIR_NAME));
        store = EmbeddedLogStore.open(config(), clock);
        assertThat(dataOf(readAll(store.openOrCreate("s")))).containsExactly("s-0", "s-1", "s-2", "s-3", "s-4");
    }

    @Test
    void anOpenForTheCleanerNeverCreatesAShardDirectory() {
        store = EmbeddedLogStore.open(config(), clock);
        Path gone = dir.resolve("shards").resolve("gone");
        assertThatThrownBy(() -> EmbeddedShardLog.open("gone", gone, config(), clock,
                new FilePool(16, disk), dev.millrace.storage.crypto.KeyRing.NONE,
                new dev.millrace.storage.FailureLog.Budget(clock, 60_000, 20), store.wal(), false))
                .isInstanceOf(StorageException.class).hasMessageContaining("is gone");
        assertThat(gone).doesNotExist();
        assertThat(store.openIfExists("gone")).isEmpty();
        assertThat(gone).doesNotExist();
    }

    @Test
    void aDeleteWhoseRenameFailsKeepsTheWalEntriesOfAShardNotOpenedSinceTheStart() throws Exception {
        List<String> expected = writeAndLosePower("s");
        store = EmbeddedLogStore.open(config(), clock);
        // The shard's acknowledged batches are durable only in the WAL now. A delete whose rename fails leaves the
        // stream in place, so the cleaner must still replay and force the shard before it deletes the WAL's files.
        store.mover((from, to) -> {
            throw new java.io.IOException("simulated EIO on rename");
        });
        assertThatThrownBy(() -> store.delete("s")).isInstanceOf(StorageException.class)
                .hasMessageContaining("simulated EIO");
        store.cleanNow().get(10, TimeUnit.SECONDS);

        assertThat(afterPowerLoss("s")).containsExactlyElementsOf(expected);
    }

    @Test
    void aDeleteWaitsForTheCleanersOpenOfTheShardAndLeavesNoShardOverTheDeletedFiles() throws Exception {
        writeAndLosePower("s");
        store = EmbeddedLogStore.open(config(), clock);
        CountDownLatch replayed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.afterReplay(pauseOn("millrace-wal-cleaner", replayed, release));
        Future<?> clean = store.cleanNow();
        assertThat(replayed.await(10, TimeUnit.SECONDS)).isTrue();

        // The cleaner has opened the shard's files and replayed into them, but not yet published it: a delete now
        // must wait for it, not rename the directory under it and leave it to be published as a zombie.
        java.util.concurrent.atomic.AtomicReference<Throwable> deleteFailure =
                new java.util.concurrent.atomic.AtomicReference<>();
        Thread deleter = new Thread(() -> {
            try {
                store.delete("s");
            } catch (Throwable t) {
                deleteFailure.set(t);
            }
        }, "deleter");
        deleter.start();
        deleter.join(500);
        release.countDown();
        deleter.join(10_000);
        clean.get(10, TimeUnit.SECONDS);
        assertThat(deleter.isAlive()).isFalse();
        assertThat(deleteFailure.get()).isNull();

        assertThat(store.openIfExists("s")).isEmpty();
        assertThat(store.exists("s")).isFalse();
        assertThat(dir.resolve("shards").resolve("s")).doesNotExist();
        // A shard created again under the key starts empty, on files of its own (real keys are never reused: they
        // carry the stream's creation time).
        ShardLog again = store.openOrCreate("s");
        assertThat(readAll(again)).isEmpty();
        again.append(records("new", 1));
        assertThat(dataOf(readAll(again))).containsExactly("new-0");
        assertThat(dir.resolve("shards").resolve("s")).isDirectory();
    }

    @Test
    void aCleanerStillRunningAfterTheCloseGaveUpWaitingDeletesNoWalFile() throws Exception {
        store = EmbeddedLogStore.open(config(), clock);
        store.openOrCreate("s").append(records("s", 5));
        store.closeWaitMs(200);
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Stands for a cleaner stalled (a hung device) after it rolled the WAL and took its boundary.
        store.beforeCleanForce = pauseOn("millrace-wal-cleaner", reached, release);
        Future<?> clean = store.cleanNow();
        assertThat(reached.await(10, TimeUnit.SECONDS)).isTrue();
        Path walDir = dir.resolve(WriteAheadLog.DIR_NAME);
        List<Path> kept = WriteAheadLog.listFiles(walDir);
        assertThat(kept).hasSizeGreaterThan(1);

        // The close gives up waiting for the cleaner, so the WAL keeps its files; the cleaner, going on after the
        // close cleared its map of open shards, must not take "no shard left to force" for "all forced".
        EmbeddedLogStore closed = store;
        store = null;
        closed.close();
        assertThat(WriteAheadLog.listFiles(walDir)).containsExactlyElementsOf(kept);
        release.countDown();
        clean.get(10, TimeUnit.SECONDS);

        assertThat(WriteAheadLog.listFiles(walDir)).containsExactlyElementsOf(kept);
    }
}
