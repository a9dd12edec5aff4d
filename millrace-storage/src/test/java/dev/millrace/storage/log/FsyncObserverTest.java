package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.ShardLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the metrics read of the embedded engine: every fsync of a shard's log is told to the observer with its
 * duration, and a shard's files are measured on disk.
 */
class FsyncObserverTest {
    @TempDir
    Path dir;

    @Test
    void eachAppendsFsyncIsObservedAndTheShardsFilesMeasured() {
        AtomicLong fsyncs = new AtomicLong();
        AtomicLong nanos = new AtomicLong();
        try (EmbeddedLogStore store = EmbeddedLogStore.open(LogConfig.defaults(dir), new ManualClock(1_000))) {
            store.observeFsyncs(n -> {
                fsyncs.incrementAndGet();
                nanos.addAndGet(n);
            });
            ShardLog log = store.openOrCreate("1-s-000000");
            assertThat(store.diskBytes("1-s-000000")).as("an empty segment's files").isGreaterThanOrEqualTo(0);
            log.append(List.of(new AppendRecord("k", null, new byte[1000])));
            log.append(List.of(new AppendRecord("k", null, new byte[1000])));
            ((EmbeddedShardLog) log).writeOutTail(); // under SYNC the batches wait in memory, and in the WAL

            assertThat(fsyncs.get()).as("one fsync per durable append").isGreaterThanOrEqualTo(2);
            assertThat(nanos.get()).isPositive();
            assertThat(store.diskBytes("1-s-000000")).isGreaterThanOrEqualTo(2000);
            assertThat(store.diskBytes("1-never-000000")).isZero();
        }
    }
}
