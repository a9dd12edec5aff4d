package dev.millrace.storage.log;

/**
 * When an append is acknowledged.
 *
 * <p>Immutable, thread-safe.
 */
public enum DurabilityPolicy {
    /**
     * After the batch is on disk (fsync). The default. Every shard of the store writes its batches to the shared
     * write-ahead log ({@code dataDir/wal}) as well as to its segment, and an append is acknowledged once the WAL is
     * forced past it: concurrent appends share one fsync whatever shards they touch, and an append begun on N shards
     * together ({@link dev.millrace.storage.ShardLog#begin}) costs one fsync, not N. Segments are forced in the
     * background before the WAL files covering them are deleted ({@link LogConfig#walSegmentBytes()},
     * {@link LogConfig#walCleanIntervalMs()}); after a crash, what a segment lost is replayed from the WAL.
     */
    SYNC,
    /**
     * As soon as the batch is written to the OS; a background flusher forces every dirty shard within
     * {@link LogConfig#flushIntervalMs()}. A machine crash (not a process crash) may lose that window.
     */
    INTERVAL
}
