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
 * tails held at that moment, between {@link #MIN_TAIL_BYTES} and {@link #SHARD_TAIL_BYTES} (2,000 busy shards get 32
 * KiB each, 10,000 about 6.5 KiB). It is written out once a batch would not fit, so it is never copied to grow. While
 * the tails together hold more than the total (more shards than shares), a shard without a tail writes its batches
 * directly, as without write-back. The WAL's cleaner writes out and forces every tail anyway.
 *
 * <p>Thread-safe.
 */
final class TailMemory {
    /** Large enough that a write carries hundreds of small batches; 2,000 such tails fill the total. */
    static final int SHARD_TAIL_BYTES = 32 * 1024;
    /** The store's tails together. */
    static final long TOTAL_TAIL_BYTES = 64L * 1024 * 1024;
    /** A tail smaller than a page would save little over writing each batch. */
    static final int MIN_TAIL_BYTES = 4 * 1024;

    private final AtomicLong heldBytes = new AtomicLong();
    private final AtomicLong tails = new AtomicLong();
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
        long share = totalBytes / (tails.get() + 1);
        int capacity = (int) Math.max(bytes, Math.min(shardBytes, Math.max(MIN_TAIL_BYTES, share)));
        heldBytes.addAndGet(capacity);
        tails.incrementAndGet();
        return capacity;
    }

    /** Gives back a tail's memory ({@link #take}'s capacity). */
    void release(int capacity) {
        heldBytes.addAndGet(-capacity);
        tails.decrementAndGet();
    }

    /** For tests and metrics. */
    long heldBytes() {
        return heldBytes.get();
    }
}
