package dev.millrace.lambda.poll;

import dev.millrace.storage.AppendListener;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ShardLog;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ticks one {@link ShardWorker} on the engine's poll thread between the timed polls: when a batch of it ends (a lane
 * frees, so the next batch, already read ahead, goes at once, as Lambda sends a shard's next batch when the previous
 * one ends) and when records are appended to its shard (the shard log's {@link ShardLog#onAppend}), so that a record
 * put into an idle stream is invoked without waiting for the timed poll. The timed poll stays the fallback for what
 * no event announces: a batching window becomes due with time, and a parent shard's end lets its children start. On
 * Kafka, listening makes the node's tail watcher follow the shard's partition (it announces other nodes' appends too),
 * which fetches each of its records once more, as for a fan-out subscriber; the cost of a prompt first invocation.
 *
 * <p>Wake-ups coalesce: at most one woken tick per worker is queued on the poll thread (its queue stays bounded by
 * the number of workers), and those that come while it waits are its. A worker's ticks start at least
 * {@link #MIN_TICK_GAP_NS} apart, so that appends at a high rate or very short batches cannot make the poll thread
 * tick one shard in a loop.
 *
 * <p>Thread-safe, lock-free: {@link #wake} is called by invocation threads and appending threads (which must not
 * block), {@link #ticked} by the poll thread, {@link #close} by any.
 */
final class TickWakeup {

    /** The least time between the starts of two ticks of a worker, when a wake-up would start one sooner. */
    static final long MIN_TICK_GAP_NS = 2_000_000;

    /** Where the woken ticks run: the engine's poll thread. */
    @FunctionalInterface
    interface PollThread {
        /** Runs {@code tick} on the poll thread after {@code delayNs}; false if the engine is closing. */
        boolean schedule(Runnable tick, long delayNs);
    }

    private final PollThread pollThread;
    private final Runnable tick;
    /** Whether a woken tick is queued; cleared as it starts, so that a wake-up during the tick queues another. */
    private final AtomicBoolean queued = new AtomicBoolean();
    private final AtomicReference<Registration> appends = new AtomicReference<>();
    private volatile boolean closed;
    /** When the worker's last tick started (System.nanoTime: a gap is real time, whatever the run's clock says). */
    private volatile long lastTickNs = System.nanoTime() - MIN_TICK_GAP_NS;

    TickWakeup(PollThread pollThread, Runnable tick) {
        this.pollThread = pollThread;
        this.tick = tick;
    }

    /** A tick of the worker starts (woken or timed). */
    void ticked() {
        lastTickNs = System.nanoTime();
    }

    /** Queues a tick of the worker on the poll thread, unless one is queued or the worker stopped. */
    void wake() {
        if (closed || !queued.compareAndSet(false, true)) {
            return;
        }
        long delayNs = Math.max(0, lastTickNs + MIN_TICK_GAP_NS - System.nanoTime());
        if (!pollThread.schedule(this::woken, delayNs)) {
            queued.set(false);
        }
    }

    private void woken() {
        queued.set(false);
        if (!closed) {
            tick.run();
        }
    }

    /**
     * Listens to the appends of the worker's shard until {@link #close}; {@code listener} is told on the appending
     * thread and decides whether to {@link #wake}.
     */
    void listen(ShardLog log, AppendListener listener) {
        Registration registration = log.onAppend(listener);
        Registration earlier = appends.getAndSet(registration);
        if (earlier != null) {
            earlier.close();
        }
        // A close that came while registering found nothing to close: this one is closed here.
        if (closed) {
            closeAppends();
        }
    }

    /** The worker stopped or is done: no more wake-ups, and its shard's appends are no longer listened to. */
    void close() {
        closed = true;
        closeAppends();
    }

    private void closeAppends() {
        Registration registration = appends.getAndSet(null);
        if (registration != null) {
            registration.close();
        }
    }
}
