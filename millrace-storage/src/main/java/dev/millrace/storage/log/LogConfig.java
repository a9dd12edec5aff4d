package dev.millrace.storage.log;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Settings of the embedded log engine.
 *
 * <p>Immutable, thread-safe.
 *
 * @param dataDir            root directory; shard logs live under {@code dataDir/shards}
 * @param segmentBytes       a segment is rolled once it would grow past this size
 * @param segmentMs          a non-empty segment is rolled once it is this old, so retention can delete whole segments
 * @param indexIntervalBytes a sparse index entry is written at most every this many log bytes
 * @param maxOpenFiles       cap on file channels held open at once (an LRU); exceeded only while all are in use
 * @param durability         when appends are acknowledged
 * @param flushIntervalMs    with {@link DurabilityPolicy#INTERVAL}, the longest a write stays un-forced
 * @param defaultRetentionMs retention of a newly opened shard until its owner sets one
 * @param maxBatchBytes      the largest batch accepted; also the bound recovery uses to reject a garbage length
 * @param healIntervalMs     a shard that failed on an IO error (a full disk) re-establishes its state from disk and
 *                           tries again at most this often; appends in between fail at once
 * @param failureLogIntervalMs a failing shard logs at most one line per this interval, counting the failures it did
 *                           not log
 * @param walSegmentBytes    with {@link DurabilityPolicy#SYNC}, the write-ahead log ({@code dataDir/wal}) rolls to a
 *                           new file once its current one holds this much; each roll starts a clean (every dirty
 *                           shard forced, then the older files deleted)
 * @param walCleanIntervalMs with {@link DurabilityPolicy#SYNC}, the write-ahead log is also rolled and cleaned at
 *                           least this often when it holds anything: it bounds how much of it a restart reads and
 *                           how long a shard's segment stays un-forced
 * @param channels           how files are opened (a seam for tests that fill the disk)
 */
public record LogConfig(Path dataDir, long segmentBytes, long segmentMs, int indexIntervalBytes, int maxOpenFiles,
                        DurabilityPolicy durability, long flushIntervalMs, long defaultRetentionMs,
                        int maxBatchBytes, long healIntervalMs, long failureLogIntervalMs, long walSegmentBytes,
                        long walCleanIntervalMs, FileChannels channels) {

    public static final long SEGMENT_BYTES_DEFAULT = 64L * 1024 * 1024;
    public static final long SEGMENT_MS_DEFAULT = 60L * 60 * 1000;
    /**
     * Dense enough that a time lookup reads one 4 KiB page of batch headers; a full 64 MiB active segment then keeps
     * 16,384 entries (256 KiB) in memory.
     */
    public static final int INDEX_INTERVAL_BYTES_DEFAULT = 4 * 1024;
    /** Half of the common default {@code ulimit -n} of 1024, leaving room for sockets. */
    public static final int MAX_OPEN_FILES_DEFAULT = 512;
    public static final long FLUSH_INTERVAL_MS_DEFAULT = 50;
    public static final long RETENTION_MS_DEFAULT = 24L * 60 * 60 * 1000;
    /** 500 records of 10 MiB would not fit; Kinesis caps a PutRecords request at 10 MiB, keys included. */
    public static final int MAX_BATCH_BYTES_DEFAULT = 32 * 1024 * 1024;
    /** Often enough that a freed disk is in use again within a second; rare enough that a full one costs nothing. */
    public static final long HEAL_INTERVAL_MS_DEFAULT = 1000;
    /** One line per failing shard per minute: 1,440 lines a day for a disk left full, not 399 MB in 4.5 minutes. */
    public static final long FAILURE_LOG_INTERVAL_MS_DEFAULT = 60_000;

    /**
     * Large enough that a roll (and the clean it starts, an fsync per dirty shard) is rare under load (about once a
     * second at 64 MB/s), small enough that a restart reads the WAL in well under a second.
     */
    public static final long WAL_SEGMENT_BYTES_DEFAULT = 64L * 1024 * 1024;
    /**
     * Forcing every dirty shard costs an fsync each (10,000 shards: seconds of background IO), so not too often; a
     * restart after a crash then replays at most about this long of appends.
     */
    public static final long WAL_CLEAN_INTERVAL_MS_DEFAULT = 30_000;

    public LogConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(channels, "channels");
        if (segmentBytes < 1024 || segmentBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segmentBytes must be in [1024, 2^31-1]: " + segmentBytes);
        }
        if (walSegmentBytes < 1024 || walSegmentBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("walSegmentBytes must be in [1024, 2^31-1]: " + walSegmentBytes);
        }
        if (segmentMs <= 0 || indexIntervalBytes <= 0 || maxOpenFiles < 4 || flushIntervalMs <= 0
                || defaultRetentionMs <= 0 || maxBatchBytes < 1024 || healIntervalMs <= 0
                || failureLogIntervalMs <= 0 || walCleanIntervalMs <= 0) {
            throw new IllegalArgumentException("invalid log configuration: " + this);
        }
    }

    public static LogConfig defaults(Path dataDir) {
        return new LogConfig(dataDir, SEGMENT_BYTES_DEFAULT, SEGMENT_MS_DEFAULT, INDEX_INTERVAL_BYTES_DEFAULT,
                MAX_OPEN_FILES_DEFAULT, DurabilityPolicy.SYNC, FLUSH_INTERVAL_MS_DEFAULT, RETENTION_MS_DEFAULT,
                MAX_BATCH_BYTES_DEFAULT, HEAL_INTERVAL_MS_DEFAULT, FAILURE_LOG_INTERVAL_MS_DEFAULT,
                WAL_SEGMENT_BYTES_DEFAULT, WAL_CLEAN_INTERVAL_MS_DEFAULT, FileChannels.DEFAULT);
    }

    public LogConfig withSegmentBytes(long value) {
        return new LogConfig(dataDir, value, segmentMs, indexIntervalBytes, maxOpenFiles, durability,
                flushIntervalMs, defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs,
                walSegmentBytes, walCleanIntervalMs, channels);
    }

    public LogConfig withSegmentMs(long value) {
        return new LogConfig(dataDir, segmentBytes, value, indexIntervalBytes, maxOpenFiles, durability,
                flushIntervalMs, defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs,
                walSegmentBytes, walCleanIntervalMs, channels);
    }

    public LogConfig withIndexIntervalBytes(int value) {
        return new LogConfig(dataDir, segmentBytes, segmentMs, value, maxOpenFiles, durability, flushIntervalMs,
                defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs, walSegmentBytes,
                walCleanIntervalMs, channels);
    }

    public LogConfig withMaxOpenFiles(int value) {
        return new LogConfig(dataDir, segmentBytes, segmentMs, indexIntervalBytes, value, durability,
                flushIntervalMs, defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs,
                walSegmentBytes, walCleanIntervalMs, channels);
    }

    public LogConfig withDurability(DurabilityPolicy value, long intervalMs) {
        return new LogConfig(dataDir, segmentBytes, segmentMs, indexIntervalBytes, maxOpenFiles, value, intervalMs,
                defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs, walSegmentBytes,
                walCleanIntervalMs, channels);
    }

    public LogConfig withDefaultRetentionMs(long value) {
        return new LogConfig(dataDir, segmentBytes, segmentMs, indexIntervalBytes, maxOpenFiles, durability,
                flushIntervalMs, value, maxBatchBytes, healIntervalMs, failureLogIntervalMs, walSegmentBytes,
                walCleanIntervalMs, channels);
    }

    public LogConfig withHealing(long healIntervalMs, long failureLogIntervalMs) {
        return new LogConfig(dataDir, segmentBytes, segmentMs, indexIntervalBytes, maxOpenFiles, durability,
                flushIntervalMs, defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs,
                walSegmentBytes, walCleanIntervalMs, channels);
    }

    public LogConfig withChannels(FileChannels value) {
        return new LogConfig(dataDir, segmentBytes, segmentMs, indexIntervalBytes, maxOpenFiles, durability,
                flushIntervalMs, defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs,
                walSegmentBytes, walCleanIntervalMs, value);
    }

    public LogConfig withWal(long walSegmentBytes, long walCleanIntervalMs) {
        return new LogConfig(dataDir, segmentBytes, segmentMs, indexIntervalBytes, maxOpenFiles, durability,
                flushIntervalMs, defaultRetentionMs, maxBatchBytes, healIntervalMs, failureLogIntervalMs,
                walSegmentBytes, walCleanIntervalMs, channels);
    }
}
