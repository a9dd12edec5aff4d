package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.millrace.storage.log.LogTesting.readAll;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's write-back tails as memory: once the cleaner has written them out nothing keeps them (readers' views
 * included), and a shard gives its share back when it closes.
 */
class WriteBackMemoryTest {
    @TempDir
    Path dir;
    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private EmbeddedLogStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void aCleanLetsEveryTailGoReadersViewsIncludedAndClosingGivesTheSharesBack() throws Exception {
        store = EmbeddedLogStore.open(LogConfig.defaults(dir), clock);
        TailMemory tails = store.wal().tails();
        List<EmbeddedShardLog> shards = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            EmbeddedShardLog shard = (EmbeddedShardLog) store.openOrCreate("s" + i);
            shard.append(List.of(new AppendRecord("k", new byte[100])));
            shards.add(shard);
        }
        assertThat(tails.openShards()).isEqualTo(100);
        assertThat(tails.heldBytes()).as("each idle shard holds a tail").isPositive();
        assertThat(shards).allMatch(s -> s.view().active().tail() != null);

        store.cleanNow().get();
        assertThat(tails.heldBytes()).isZero();
        for (EmbeddedShardLog shard : shards) {
            assertThat(shard.view().active().tail()).as("%s: the view keeps no written-out tail", shard.key())
                    .isNull();
            assertThat(readAll(shard)).hasSize(1);
        }
        store.close();
        assertThat(tails.openShards()).isZero();
        store = null;
    }
}
