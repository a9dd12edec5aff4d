package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@link DurabilityPolicy#INTERVAL} an append is readable at once, and the flusher's fsync, which ends by
 * publishing what it forced, must never hide an append made while it was forcing: the fsync is held open here (in the
 * fsync observer) while a second batch is appended.
 */
class IntervalVisibilityTest {
    @TempDir
    Path dir;

    @Test
    void anAppendMadeDuringTheFlushersFsyncStaysReadable() throws Exception {
        CountDownLatch inForce = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        LogConfig config = LogConfig.defaults(dir).withDurability(DurabilityPolicy.INTERVAL, 3_600_000);
        try (EmbeddedLogStore store = EmbeddedLogStore.open(config, new ManualClock(1_000))) {
            ShardLog log = store.openOrCreate("1-s-000000");
            log.append(List.of(new AppendRecord("k", null, new byte[10])));
            store.observeFsyncs(nanos -> {
                inForce.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread flusher = new Thread(((EmbeddedShardLog) log)::flushIfDirty);
            flusher.start();
            assertThat(inForce.await(10, TimeUnit.SECONDS)).as("the flusher is forcing").isTrue();

            log.append(List.of(new AppendRecord("k", null, new byte[10])));
            assertThat(log.read(0, 100, Long.MAX_VALUE).records()).as("readable at once").hasSize(2);
            release.countDown();
            flusher.join(10_000);

            assertThat(log.read(0, 100, Long.MAX_VALUE).records()).as("still readable once the fsync published")
                    .hasSize(2);
        }
    }
}
