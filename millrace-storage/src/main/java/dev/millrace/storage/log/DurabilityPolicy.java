package dev.millrace.storage.log;

/**
 * When an append is acknowledged.
 *
 * <p>Immutable, thread-safe.
 */
public enum DurabilityPolicy {
    /** After the batch is on disk (fsync). Concurrent appends to a shard share one fsync. The default. */
    SYNC,
    /**
     * As soon as the batch is written to the OS; a background flusher forces every dirty shard within
     * {@link LogConfig#flushIntervalMs()}. A machine crash (not a process crash) may lose that window.
     */
    INTERVAL
}
