package dev.millrace.lambda.poll;

/**
 * When a shard's worker, stopped by a failure, may be replaced: the first time it is seen stopped a wait is booked,
 * the base backoff doubled per restart since the shard last made progress, up to the longest; a worker that ends
 * records resets it ({@link #progressed}), so that a hiccup long after the last one waits the base again.
 *
 * <p>Not thread-safe: the engine's poll thread owns it.
 */
final class RestartBackoff {

    private final long baseMs;
    private final long maxMs;
    /** Restarts since the shard last made progress. */
    private int restarts;
    /** When the next restart may happen, if {@link #booked}. */
    private long dueMs;
    private boolean booked;

    RestartBackoff(long baseMs, long maxMs) {
        this.baseMs = baseMs;
        this.maxMs = maxMs;
    }

    /**
     * Whether a stopped worker may be replaced at {@code nowMs} (a monotonic time, System.nanoTime in ms: any origin,
     * maybe negative); books the wait the first time it is asked.
     */
    boolean due(long nowMs) {
        if (!booked) {
            dueMs = nowMs + waitMs();
            booked = true;
            return false;
        }
        if (nowMs - dueMs < 0) {
            return false;
        }
        restarts++;
        booked = false;
        return true;
    }

    /** The wait the next stop books. */
    long waitMs() {
        return Math.min(maxMs, baseMs << Math.min(restarts, 20));
    }

    int restarts() {
        return restarts;
    }

    /** The shard's worker ended records since its restart: the next failure waits the base again. */
    void progressed() {
        restarts = 0;
    }
}
