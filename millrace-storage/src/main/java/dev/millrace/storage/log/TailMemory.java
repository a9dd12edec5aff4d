package dev.millrace.storage.log;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory that active segments may hold as write-back tails ({@link ActiveSegment}): batches a shard appended and
 * has not written to its segment file yet. Only under {@link DurabilityPolicy#SYNC}, where the write-ahead log holds
 * every one of those batches durably until the cleaner has written and forced the segment, so a crash loses nothing
 * the WAL cannot replay.
 *
 * <p>Why: a PutRecords call over 1,000 shards put about one record in each shard, and writing each to its segment file
 * was one {@code pwrite} per shard per call, 38 % of the server's CPU at 1,000 shards (the kernel's per-write cost:
 * the page cache lookup, the inode's size and time). A tail turns those into one write per tail's worth of batches.
 *
 * <p>Bounds: a tail has a fixed capacity, chosen when it is made: a fair share of {@link #TOTAL_TAIL_BYTES} among the
 * shards open with write-back at that moment, between {@link #MIN_TAIL_BYTES} and {@link #SHARD_TAIL_BYTES} (up to
 * 2,000 shards get 32 KiB each, 10,000 about 6.5 KiB). A share by the tails held instead let the first 2,000 shards
 * of 10,000 take all of it, and the others wrote every batch directly. A tail is written out once a batch would not
 * fit, so it is never copied to grow. While the tails together hold the total (more shards than shares), a shard
 * without a tail writes its batches directly, as without write-back. The WAL's cleaner writes out and forces every
 * tail anyway, and then readers' views let the written arrays go. Concurrent appenders may pass the total by one tail
 * each (the check and the taking are not one step): a few hundred KiB at most, for no lock.
 *
 * <p>Thread-safe.
 */
final class TailMemory {
    /** Large enough that a write carries hundreds of small batches; 2,000 such tails fill the total. */
    static final int SHARD_TAIL_BYTES = 32 * 1024;
    /** The store's tails together: 64 MiB, or an eighth of the heap if that is less (a server run with -Xmx256m). */
    static final long TOTAL_TAIL_BYTES = Math.min(64L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 8);
    /** A tail smaller than a page would save little over writing each batch. */
    static final int MIN_TAIL_BYTES = 4 * 1024;

    private final AtomicLong heldBytes = new AtomicLong();
    private final AtomicLong shards = new AtomicLong();
    private final long totalBytes;
    private final int shardBytes;

    TailMemory() {
        this(TOTAL_TAIL_BYTES, SHARD_TAIL_BYTES);
    }

    TailMemory(long totalBytes, int shardBytes) {
        this.totalBytes = totalBytes;
        this.shardBytes = shardBytes;
    }

    int shardBytes() {
        return shardBytes;
    }

    /**
     * Takes the memory for a new tail that must hold at least {@code bytes}, and returns its capacity; or 0 when the
     * tails already hold the total, and the caller writes directly instead.
     */
    int take(int bytes) {
        long held = heldBytes.get();
        if (held >= totalBytes) {
            return 0;
        }
        long share = totalBytes / Math.max(1, shards.get());
        int capacity = (int) Math.max(bytes, Math.min(shardBytes, Math.max(MIN_TAIL_BYTES, share)));
        heldBytes.addAndGet(capacity);
        return capacity;
    }

    /** Gives back a tail's memory ({@link #take}'s capacity). */
    void release(int capacity) {
        heldBytes.addAndGet(-capacity);
    }

    /** A shard opened with write-back: the shares get smaller. */
    void shardOpened() {
        shards.incrementAndGet();
    }

    /** A shard closed (or deleted): the shares of tails made from now on get larger. */
    void shardClosed() {
        shards.decrementAndGet();
    }

    /** For tests: shards open with write-back. */
    long openShards() {
        return shards.get();
    }

    /** For tests and metrics. */
    long heldBytes() {
        return heldBytes.get();
    }
}
