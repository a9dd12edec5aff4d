package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code LogStore.openIfExists}: a log that is there is opened (also one not opened since the start), one that is not
 * is neither created nor brought back after a deletion.
 */
class OpenIfExistsTest {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);

    @Test
    void opensOnlyLogsThatExist() {
        try (EmbeddedLogStore store = EmbeddedLogStore.open(LogConfig.defaults(dir), clock)) {
            assertThat(store.openIfExists("never")).isEmpty();
            assertThat(Files.exists(dir.resolve("shards").resolve("never"))).isFalse();
            assertThat(store.shardKeys()).isEmpty();

            store.openOrCreate("kept").append(List.of(AppendRecord.of("k", "v")));
            assertThat(store.openIfExists("kept")).get().extracting(ShardLog::endPosition).isEqualTo(1L);

            store.openOrCreate("doomed");
            store.delete("doomed");
            assertThat(store.openIfExists("doomed")).isEmpty();
            assertThat(store.shardKeys()).containsExactly("kept");
        }
        try (EmbeddedLogStore store = EmbeddedLogStore.open(LogConfig.defaults(dir), clock)) {
            assertThat(store.openIfExists("kept")).as("a log on disk, not yet opened since the start").get()
                    .extracting(ShardLog::endPosition).isEqualTo(1L);
            assertThat(store.openIfExists("never")).isEmpty();
            assertThat(store.shardKeys()).containsExactly("kept");
        }
    }
}
