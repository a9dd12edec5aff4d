package dev.millrace.lambda.poll;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of events an engine's workers may hold read ahead (queued, not yet in a batch), over every mapping and
 * shard, so that many shards or a high ParallelizationFactor cannot read the heap full. Each worker keeps its own
 * bound as well ({@link ShardWorker}); a worker whose queue is empty, or that has an idle lane with an empty queue, may
 * read one batch's worth (up to 6 MB) whatever the budget says, so that a mapping whose batches are stuck (a function
 * down, retried for a day) holding the budget cannot starve the others, nor a lane retrying a record its shard's other
 * lanes. The budget is therefore a soft bound: up to 6 MB more per such worker.
 *
 * <p>Thread-safe (an atomic counter).
 */
final class ReadBudget {

    private final long maxBytes;
    private final AtomicLong queuedBytes = new AtomicLong();

    ReadBudget(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** The bytes that may be read ahead now (0 or less: none). */
    long availableBytes() {
        return maxBytes - queuedBytes.get();
    }

    /** Records of {@code bytes} were queued. */
    void queued(long bytes) {
        queuedBytes.addAndGet(bytes);
    }

    /** Records of {@code bytes} left the queue (into a batch, or dropped with their worker). */
    void released(long bytes) {
        queuedBytes.addAndGet(-bytes);
    }

    long queuedBytes() {
        return queuedBytes.get();
    }
}
