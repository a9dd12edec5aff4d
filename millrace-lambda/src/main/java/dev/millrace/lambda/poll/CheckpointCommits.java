package dev.millrace.lambda.poll;

import dev.millrace.lambda.poll.MappingCheckpoints.Checkpoint;
import dev.millrace.lambda.poll.MappingCheckpoints.CheckpointMovedException;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link ShardWorker}'s checkpoint commits: the checkpoint behind the records that ended is committed at most every
 * {@link #COMMIT_INTERVAL_MS} (a later commit is booked for then, on an invocation thread), and at once when forced,
 * when a window opens or ends, and when the shard is done. The worker says what the checkpoint is and which one was
 * committed ({@link Worker}); this class decides when it is committed, keeps the commits in order, and stops the worker
 * when the store refuses one.
 *
 * <p>Thread-safe: called on the poll thread (bookings, the shard's end), on invocation threads (a batch's end, booked
 * commits) and by whoever drops the worker. Commits, which may be slow (a Kafka round trip, a store other commits keep
 * moving), are made in order under {@code commitLock}, without the worker's lock. Lock order: {@code commitLock} is
 * taken before the worker's lock, never after. Each {@link Worker} call takes the worker's lock itself and returns
 * without it, and the worker never calls in here while it holds its lock. Booking takes no lock but the worker's, for
 * its look at the checkpoint.
 */
final class CheckpointCommits {

    /** Logged as the worker's: the worker stops over these, and a log configuration for it keeps them. */
    private static final Logger LOG = LoggerFactory.getLogger(ShardWorker.class);
    /** The least time between two commits of the shard's checkpoint, but for the forced ones. */
    static final long COMMIT_INTERVAL_MS = 1_000;

    /**
     * What the commits need of their worker. Each call but {@link #running} takes the worker's lock itself; the
     * commits make them holding {@code commitLock} or no lock, never the worker's.
     */
    interface Worker {

        /** Whether the worker still runs (it was not stopped). */
        boolean running();

        /** Stops the worker: a commit was refused (the engine builds another from the stored checkpoint). */
        void stop();

        /**
         * The checkpoint behind the records that ended, with the open window, and the one last committed, read
         * together; null if none may be committed now: the worker has not started, the shard is done, or (unless
         * {@code fromEndBatch}) a windowed batch is under way.
         */
        Due due(boolean fromEndBatch);

        /** The checkpoint was committed (called under {@code commitLock}). */
        void committed(Checkpoint checkpoint);

        /**
         * The shard's end and the checkpoint last committed, if the shard is closed, every record of it ended and it
         * is not marked done yet; else null.
         */
        Due shardEnd();

        /** The shard's end was committed (called under {@code commitLock}): the worker is done. */
        void shardEnded(Checkpoint end);
    }

    /** A checkpoint to commit, and the one last committed (what the conditional commit expects). */
    record Due(Optional<Checkpoint> committed, Checkpoint checkpoint) {

        /** Whether the checkpoint is not the one last committed. */
        boolean moved() {
            return !committed.equals(Optional.of(checkpoint));
        }
    }

    private final MappingRun run;
    private final String shardId;
    private final Worker worker;
    /** Serialises checkpoint commits (so that they are made in order) without holding the worker's lock. */
    private final Object commitLock = new Object();
    /**
     * When the checkpoint was last committed, in System.nanoTime (not the run's clock: a wall clock stepped back would
     * put the next commit off by as much); guarded by commitLock, as is whether one was made yet.
     */
    private long lastCommitNs;
    private boolean commitMade;
    /** Whether a later commit is booked (not under commitLock: the poll thread books and must not wait on a commit). */
    private final AtomicBoolean commitBooked = new AtomicBoolean();

    CheckpointCommits(MappingRun run, String shardId, Worker worker) {
        this.run = run;
        this.shardId = shardId;
        this.worker = worker;
    }

    /**
     * Commits the checkpoint behind the records that ended, if it moved: now if {@code force}, a window opened or
     * ended, or the last commit was {@link #COMMIT_INTERVAL_MS} ago; else a commit is booked for then.
     */
    void commitCheckpoint(boolean force) {
        commitCheckpoint(force, false);
    }

    /**
     * As {@link #commitCheckpoint(boolean)}; {@code fromEndBatch}: made by the batch's own thread once its records
     * ended, the one commit a windowed worker makes while its lane is busy.
     */
    void commitCheckpoint(boolean force, boolean fromEndBatch) {
        // Also once stopped: what ended before the stop need not be invoked again. A worker that lost the shard
        // fails the conditional commit harmlessly.
        synchronized (commitLock) {
            Due due = worker.due(fromEndBatch);
            if (due == null || !due.moved()) {
                return;
            }
            Optional<Checkpoint> expected = due.committed();
            Checkpoint checkpoint = due.checkpoint();
            long nowNs = System.nanoTime();
            // A window's end is committed at once: after a restart from before it, its final invocation would come
            // again. Its start too: the first state is the window's.
            boolean windowMoved = expected.map(Checkpoint::windowStartMs).orElse(-1L) != checkpoint.windowStartMs();
            long waitMs = commitMade ? COMMIT_INTERVAL_MS - (nowNs - lastCommitNs) / 1_000_000L : 0;
            if (!force && !windowMoved && waitMs > 0) {
                bookCommit(waitMs);
                return;
            }
            try {
                run.checkpoints().commit(run.mapping().uuid(), shardId, expected, checkpoint);
                worker.committed(checkpoint);
                lastCommitNs = nowNs;
                commitMade = true;
            } catch (CheckpointMovedException e) {
                LOG.warn("Event source mapping {} shard {}: {}; this worker stops", run.mapping().uuid(), shardId,
                        e.getMessage());
                worker.stop();
            } catch (RuntimeException e) {
                // The store refused (a full disk, a lost Kafka session): the records stay after the stored
                // checkpoint and are invoked again by the worker the engine rebuilds.
                LOG.warn("Event source mapping {} shard {}: the checkpoint could not be committed: {}; this worker "
                        + "stops", run.mapping().uuid(), shardId, e.toString());
                worker.stop();
            }
        }
    }

    /**
     * Books a commit of the checkpoint on an invocation thread in {@code delayMs}, unless one is booked (none while a
     * windowed batch is under way: the batch's end commits then, and the next tick books again).
     */
    void bookCommit(long delayMs) {
        if (!worker.running()) {
            return;
        }
        Due due = worker.due(false);
        if (due == null || !due.moved()) {
            return;
        }
        if (!commitBooked.compareAndSet(false, true)) {
            return;
        }
        try {
            run.submitLater(this::bookedCommit, Math.max(0, delayMs));
        } catch (RejectedExecutionException e) {
            // The engine is closing: the workers' last commits are made as they are dropped (ShardWorker.idle).
            commitBooked.set(false);
        }
    }

    private void bookedCommit() {
        commitBooked.set(false);
        if (!worker.running()) {
            // The stopped worker's final commit is idle's: a booked one after it (a Delete's forget, say) would
            // bring the key back.
            return;
        }
        // As in a batch's end: an interrupt must not reach the metadata store.
        boolean interrupted = Thread.interrupted();
        commitCheckpoint(false);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Commits the shard's end and marks the worker done, if the worker says the shard is finished: looked at again
     * here, under {@code commitLock}, after the worker's look without it.
     */
    void commitShardEnd() {
        synchronized (commitLock) {
            Due end = worker.shardEnd();
            if (end == null) {
                return;
            }
            try {
                run.checkpoints().commit(run.mapping().uuid(), shardId, end.committed(), end.checkpoint());
                worker.shardEnded(end.checkpoint());
            } catch (RuntimeException e) {
                LOG.warn("Event source mapping {} shard {}: the shard's end could not be committed: {}; this worker "
                        + "stops", run.mapping().uuid(), shardId, e.toString());
                worker.stop();
            }
        }
    }
}
