package dev.millrace.storage.log;

import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lazy replay runs on request threads, which may carry an interrupt: the WAL tail's files are everybody's, so an
 * interrupted replayer must neither fail nor close them for the shards still to replay.
 */
class WalTailInterruptTest {
    @TempDir
    Path dir;
    private WalTail tail;

    @AfterEach
    void tearDown() {
        Thread.interrupted();
        if (tail != null) {
            tail.close();
        }
    }

    @Test
    void anInterruptedReplayReadsItsEntriesKeepsTheInterruptAndLeavesTheFileReadableForOthers() throws Exception {
        LogConfig config = LogConfig.defaults(dir).withWal(64L * 1024 * 1024, 3_600_000);
        EmbeddedLogStore store = EmbeddedLogStore.open(config, new ManualClock(1_700_000_000_000L));
        store.openOrCreate("a").append(records("a", 3));
        store.openOrCreate("b").append(records("b", 3));
        store.abandon(); // the entries of both shards stay in one WAL file
        tail = WalTail.recover(dir.resolve(WriteAheadLog.DIR_NAME), config, key -> true);

        List<Integer> batchBytes = new ArrayList<>();
        Thread.currentThread().interrupt();
        assertThat(tail.replayInto("a", batch -> batchBytes.add(batch.remaining()))).isTrue();
        assertThat(Thread.interrupted()).as("the replayer's interrupt is handed back").isTrue();
        assertThat(batchBytes).hasSize(1);

        assertThat(tail.replayInto("b", batch -> batchBytes.add(batch.remaining()))).isTrue();
        assertThat(batchBytes).hasSize(2);
        assertThat(batchBytes.get(1)).isPositive();
    }

    @Test
    void aTailFileWhoseChannelAnInterruptClosedIsOpenedAgain() throws Exception {
        List<java.nio.channels.FileChannel> walReads = new java.util.concurrent.CopyOnWriteArrayList<>();
        FileChannels recording = (path, options) -> {
            java.nio.channels.FileChannel ch = FileChannels.DEFAULT.open(path, options);
            if (path.toString().endsWith(WriteAheadLog.SUFFIX)
                    && options.equals(java.util.Set.of(java.nio.file.StandardOpenOption.READ))) {
                walReads.add(ch);
            }
            return ch;
        };
        LogConfig config = LogConfig.defaults(dir).withWal(64L * 1024 * 1024, 3_600_000).withChannels(recording);
        EmbeddedLogStore store = EmbeddedLogStore.open(config, new ManualClock(1_700_000_000_000L));
        store.openOrCreate("a").append(records("a", 3));
        store.abandon();
        walReads.clear();
        tail = WalTail.recover(dir.resolve(WriteAheadLog.DIR_NAME), config, key -> true);
        assertThat(walReads).isNotEmpty();
        // As an interrupt of another replaying thread would: the channel closes for every user of the file.
        for (java.nio.channels.FileChannel ch : walReads) {
            ch.close();
        }

        List<Integer> batchBytes = new ArrayList<>();
        assertThat(tail.replayInto("a", batch -> batchBytes.add(batch.remaining()))).isTrue();
        assertThat(batchBytes).hasSize(1);
    }
}
