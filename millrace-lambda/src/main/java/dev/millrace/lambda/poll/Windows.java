package dev.millrace.lambda.poll;

import dev.millrace.lambda.invoke.KinesisEventWriter;
import dev.millrace.lambda.invoke.TumblingWindow;
import dev.millrace.lambda.poll.MappingCheckpoints.Checkpoint;
import dev.millrace.lambda.poll.ShardWorker.Pending;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A shard's tumbling windows (TumblingWindowInSeconds; facts §3.2): windows of the records' arrival times, aligned to
 * multiples of the window size; the open window and the state the function returned last in it; and the next batch,
 * which never spans two windows. A window ends once a record beyond it is read, the shard is closed and read, or the
 * clock has passed its end by {@link #GRACE_MS} with the shard read to its end (appends in flight are dated before
 * their write); its last invocation says {@code isFinalInvokeForWindow}, with no records if none are left, and only
 * after that one succeeds is the state dropped. A state the function returns above 1 MB ends the window early: the
 * next invocation is its final one, {@code isWindowTerminatedEarly}, with the last state within the limit, and the
 * window's later records start a fresh state. The open window and its state are kept in the shard's checkpoint, so a restart resumes the window.
 *
 * <p>Not thread-safe: guarded by its {@link ShardWorker}.
 */
final class Windows {

    /** How long after a window's end records dated inside it may still appear (appends in flight). */
    static final long GRACE_MS = 1_000;

    /** A batch of one window; {@code records} empty for a final invocation with nothing left to send. */
    record Batch(List<Pending> records, TumblingWindow window) {
    }

    private final long sizeMs;
    private long openStartMs;
    private String state;
    private boolean terminateEarly;

    /** Windows of {@code sizeMs}, resuming the one the checkpoint holds open, if any. */
    Windows(long sizeMs, Checkpoint checkpoint) {
        this.sizeMs = sizeMs;
        this.openStartMs = checkpoint == null ? -1 : checkpoint.windowStartMs();
        this.state = checkpoint == null || checkpoint.windowState() == null ? TumblingWindow.EMPTY_STATE
                : checkpoint.windowState();
    }

    long windowOf(long arrivalMs) {
        return arrivalMs - Math.floorMod(arrivalMs, sizeMs);
    }

    /**
     * The next batch from {@code queue}, taken off it, or null if none is due. Whether one is due is decided from the
     * queue's size, bytes, head and tail before a batch is built: a poll that finds none due costs no walk of the
     * queue.
     *
     * @param queueBytes the sum of the queued records' {@code eventBytes}
     * @param caughtUp   the shard was read to its end (so no record of an ended window is still to come)
     */
    Batch next(ArrayDeque<Pending> queue, long queueBytes, int batchSize, long maxEventBytes,
               KinesisEventWriter writer, long batchingWindowMs, long nowMs, boolean closedAndRead, boolean caughtUp) {
        if (queue.isEmpty() && openStartMs < 0) {
            return null;
        }
        long startMs = openStartMs >= 0 ? openStartMs : windowOf(queue.peekFirst().stored().arrivalMs());
        long endMs = startMs + sizeMs;
        KinesisEventWriter.Sizer sizer = writer.sizer(new TumblingWindow(startMs, endMs, state, true,
                terminateEarly));
        // Arrival times grow along the shard, so the tail says whether a record beyond the window is queued.
        boolean mayBeMore = queue.size() > batchSize
                || sizer.bytes() + queueBytes + queue.size() - 1 > maxEventBytes;
        boolean mayEnd = closedAndRead || terminateEarly || (caughtUp && nowMs >= endMs + GRACE_MS)
                || (!queue.isEmpty() && queue.peekLast().stored().arrivalMs() >= endMs);
        boolean waiting = queue.isEmpty() || (batchingWindowMs > 0
                && nowMs - queue.peekFirst().readAtMs() < batchingWindowMs);
        if (!mayBeMore && !mayEnd && waiting) {
            return null;
        }
        List<Pending> records = new ArrayList<>();
        boolean more = false;
        boolean beyond = false;
        for (Pending pending : queue) {
            if (pending.stored().arrivalMs() >= endMs) {
                beyond = true;
                break;
            }
            if (records.size() == batchSize || (!records.isEmpty()
                    && sizer.bytesWith(pending.eventBytes()) > maxEventBytes)) {
                more = true;
                break;
            }
            sizer.add(pending.eventBytes());
            records.add(pending);
        }
        boolean ended = beyond || closedAndRead || (caughtUp && nowMs >= endMs + GRACE_MS) || terminateEarly;
        boolean finalInvoke = ended && !more;
        boolean due = more || finalInvoke || (!records.isEmpty() && (batchingWindowMs == 0
                || nowMs - records.get(0).readAtMs() >= batchingWindowMs));
        if (!due) {
            return null;
        }
        for (int i = 0; i < records.size(); i++) {
            queue.pollFirst();
        }
        openStartMs = startMs;
        return new Batch(records, new TumblingWindow(startMs, endMs, state, finalInvoke, terminateEarly));
    }

    /** The window's current state, for an invocation now. */
    String state() {
        return state;
    }

    /**
     * An invocation of {@code window} succeeded with {@code newState} (null if the answer had none to give).
     *
     * @param tooLarge the function's state was over its limit: the window ends early
     */
    void succeeded(TumblingWindow window, String newState, boolean tooLarge, boolean wasFinal) {
        if (wasFinal) {
            openStartMs = -1;
            state = TumblingWindow.EMPTY_STATE;
            terminateEarly = false;
            return;
        }
        if (tooLarge) {
            // The oversized state is neither sent again nor checkpointed (it could outgrow the 6 MB event and the
            // metadata store's values): the window's final invocation carries the last state within the limit.
            terminateEarly = true;
            return;
        }
        if (newState != null) {
            state = newState;
        }
    }

    /** The shard's checkpoint at {@code nextPosition} with the open window, if any. */
    Checkpoint checkpoint(long nextPosition) {
        return openStartMs < 0 ? Checkpoint.at(nextPosition)
                : new Checkpoint(nextPosition, false, openStartMs, state);
    }

    boolean open() {
        return openStartMs >= 0;
    }
}
