package dev.millrace.storage.log;

import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.millrace.storage.log.LogTesting.files;
import static dev.millrace.storage.log.LogTesting.readAll;
import static dev.millrace.storage.log.LogTesting.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The WAL is cleaned after every {@link EmbeddedLogStore#ROLLS_PER_CLEAN} rolls, not after each: a clean forces every
 * dirty shard. One roll leaves its older file in place; the next roll's clean deletes both older files, and what was
 * appended is all there (nothing was lost to a clean that did not run).
 */
class WalCleanCadenceTest {
    /** Small files, so that a few appends roll the WAL; no timed clean during the test. */
    private static final long WAL_FILE_BYTES = 16 * 1024;

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
    void oneRollLeavesTheOlderFileAndTheSecondRollsCleanDeletesBoth() throws Exception {
        assertThat(EmbeddedLogStore.ROLLS_PER_CLEAN).isEqualTo(2);
        store = EmbeddedLogStore.open(LogConfig.defaults(dir).withWal(WAL_FILE_BYTES, 3_600_000),
                new ManualClock(1_700_000_000_000L));
        ShardLog log = store.openOrCreate("cadence");
        int appended = appendUntilRoll(log, 0);
        // A clean queued by the roll would run at once on the cleaner thread; give it time to show itself.
        Thread.sleep(500);
        assertThat(walFiles()).as("one roll: the older file waits for the next roll's clean").hasSize(2);

        appended = appendUntilRoll(log, appended);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(walFiles()).as("the second roll's clean deletes both older files").hasSize(1));
        assertThat(readAll(log)).hasSize(appended * 10);
    }

    /** Appends batches of 10 records until the WAL starts a new file; returns the batches appended in all. */
    private int appendUntilRoll(ShardLog log, int appended) throws IOException {
        List<Path> before = walFiles();
        Path newest = before.get(before.size() - 1);
        while (walFiles().stream().noneMatch(f -> f.compareTo(newest) > 0)) {
            log.append(records("r" + appended + "-", 10));
            appended++;
        }
        return appended;
    }

    private List<Path> walFiles() throws IOException {
        return files(dir.resolve(WriteAheadLog.DIR_NAME), WriteAheadLog.SUFFIX);
    }
}
