package dev.millrace.storage.log;

import dev.millrace.storage.LogStore;
import dev.millrace.storage.contract.LogBackend;
import dev.millrace.storage.crypto.KeyRing;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The embedded engine under the storage contracts: a temporary data directory of its own, stores opened over it with
 * {@link LogConfig#defaults} tuned by the caller. It promises all that {@link LogBackend}'s capabilities name, and it
 * can damage its index files (a cache that recovery and reads rebuild) while no store is open.
 *
 * <p>Not thread-safe, as {@link LogBackend}.
 */
public final class EmbeddedLogBackend implements LogBackend {
    /** Where the clock starts: any time does for a log that stamps with it; a fixed one keeps failures repeatable. */
    public static final long T0 = 1_700_000_000_000L;

    private final Path dir;
    private final UnaryOperator<LogConfig> tune;

    public EmbeddedLogBackend(UnaryOperator<LogConfig> tune) {
        try {
            this.dir = Files.createTempDirectory("millrace-contract-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.tune = tune;
    }

    public EmbeddedLogBackend() {
        this(config -> config);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public LogStore open(Clock clock, KeyRing keys) {
        return EmbeddedLogStore.open(tune.apply(LogConfig.defaults(dir)), clock, keys);
    }

    /** 1 deletes every index file, 2 cuts each inside an entry, 3 drops each one's two newest entries. */
    @Override
    public void damageRebuildableState(int kind) {
        try {
            for (Path shard : shardDirs()) {
                for (Path index : LogTesting.files(shard, Segment.INDEX_SUFFIX)) {
                    long size = Files.size(index);
                    switch (kind) {
                        case 1 -> Files.delete(index);
                        case 2 -> truncate(index, Math.max(0, size - 5));
                        default -> truncate(index, Math.max(0, size - 2L * SegmentIndex.ENTRY_BYTES));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Path> shardDirs() throws IOException {
        Path shards = dir.resolve("shards");
        if (!Files.isDirectory(shards)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(shards)) {
            return s.filter(Files::isDirectory).sorted().toList();
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    @Override
    public boolean contiguousPositions() {
        return true;
    }

    @Override
    public boolean stampsWithClock() {
        return true;
    }

    @Override
    public boolean trimsExactly() {
        return true;
    }

    @Override
    public long clockStartMs() {
        return T0;
    }

    @Override
    public void collectStatistics() {
        try {
            long segments = 0;
            for (Path shard : shardDirs()) {
                segments += LogTesting.files(shard, Segment.LOG_SUFFIX).size();
            }
            Statistics.label("segment files at the end").collect(Math.min(segments, 10));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            FileUtil.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
