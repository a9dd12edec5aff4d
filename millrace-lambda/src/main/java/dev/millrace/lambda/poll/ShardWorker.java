package dev.millrace.lambda.poll;

import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.lambda.failure.InvocationRecord.ResponseContext;
import dev.millrace.lambda.invoke.BatchResponse;
import dev.millrace.lambda.invoke.EventRecord;
import dev.millrace.lambda.invoke.InvokeOutcome;
import dev.millrace.lambda.invoke.KinesisEventWriter;
import dev.millrace.lambda.invoke.TumblingWindow;
import dev.millrace.lambda.poll.BatchRun.FunctionFailure;
import dev.millrace.lambda.poll.BatchRun.NotReached;
import dev.millrace.lambda.poll.BatchRun.Outcome;
import dev.millrace.lambda.poll.BatchRun.PartialFailure;
import dev.millrace.lambda.poll.BatchRun.Success;
import dev.millrace.lambda.poll.BatchRun.TooLarge;
import dev.millrace.lambda.poll.MappingCheckpoints.Checkpoint;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.StoredRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mapping's work on one shard: reads the shard from its checkpoint, keeps out what the filter criteria reject,
 * spreads the rest over ParallelizationFactor lanes by partition key ({@link ShardLanes}), cuts each lane's records
 * into batches (BatchSize, MaximumBatchingWindowInSeconds, the 6 MB event limit), runs each batch through Lambda's
 * failure handling ({@link BatchRun}) on the engine's invocation pool, one batch per lane at a time, and commits the
 * shard's checkpoint behind the records that ended. A closed shard whose records have all ended is marked done, so
 * that its children start ({@link MappingEngine}).
 *
 * <p>Memory: a worker holds at most {@code lanes × BatchSize} records read ahead, and at most {@code lanes × 6 MB} of
 * their events (one record more if a single one is larger than what is left), within the engine's
 * {@link ReadBudget}, past which a worker whose queue is empty, or with an idle lane whose queue is, still reads up to
 * 6 MB at a time; plus the batches under way, one per lane.
 *
 * <p>Checkpoints are committed at most every {@link CheckpointCommits#COMMIT_INTERVAL_MS} per shard (a commit is booked
 * for then, on an invocation thread), and at once when a window opens or ends, when the shard is done, and when the
 * worker stops ({@link #idle}): at least once allows a checkpoint that lags, and a metadata commit per batch would cost
 * every shard a round trip (or an fsync) per batch. {@link CheckpointCommits} makes the commits; the worker says what
 * the checkpoint is and which one was committed.
 *
 * <p>Ticks come from the engine's timed poll and, between polls, from the worker's {@link TickWakeup}: when a batch
 * ends (its lane is free for the next batch, and the read-ahead it held may be read on) and when records are appended
 * to the shard while a lane is idle and no batching window holds batches back.
 *
 * <p>Thread-safe: {@link #tick} runs on the engine's poll thread (never twice at once, {@link #tryTick}); batches end
 * on invocation threads, which wake the worker ({@link TickWakeup#wake}) but never tick it; appends wake it on the
 * appending thread, without taking a lock; shared state is guarded by this object. Checkpoint commits, which may be
 * slow (a Kafka round trip, a store other commits keep moving), are made outside it, in order under
 * {@link CheckpointCommits}' {@code commitLock}, taken before this object's lock, never after: the worker never calls
 * its commits while it holds its lock, and its {@link CheckpointCommits.Worker} side takes the lock itself.
 */
final class ShardWorker {

    private static final Logger LOG = LoggerFactory.getLogger(ShardWorker.class);
    /** The synchronous invocation payload limit (Lambda's 6 MB). */
    static final long MAX_EVENT_BYTES = 6L * 1024 * 1024;

    /** A record read and kept, waiting for its lane's next batch. */
    record Pending(StoredRecord stored, EventRecord event, long eventBytes, long readAtMs) {
    }

    private final MappingRun run;
    private final Shard shard;
    private final KinesisEventWriter writer;
    private final AtomicBoolean ticking = new AtomicBoolean();
    private final TickWakeup wakeup;
    private volatile boolean running = true;
    /** Whether a stopped worker made (or tried) its final commit: once, not on every poll of the restart backoff. */
    private final AtomicBoolean finalCommitTried = new AtomicBoolean();
    /** Whether a record ended (processed or discarded) since the worker was made. */
    private volatile boolean progressed;
    private final CheckpointCommits commits;

    // Guarded by this.
    private ShardLanes lanes;
    private List<ArrayDeque<Pending>> queues;
    private boolean[] laneBusy;
    /** Per lane, the sum of its queued records' event bytes. */
    private long[] laneBytes;
    /** Per lane, the next step of a batch waiting out a backoff, or null. */
    private Pause[] waiting;

    /** A batch's next step, scheduled after a backoff. */
    private record Pause(ScheduledFuture<?> scheduled, Runnable step) {
    }
    private int busyLanes;
    /** Lanes without a batch (written under this, read by appending threads without it). */
    private volatile int idleLanes;
    private int queuedRecords;
    private long queuedBytes;
    private long readPosition;
    /** The checkpoint last committed, or the one read at the start; then written only by the commits' (CommitSide). */
    private Optional<Checkpoint> committed;
    private boolean done;
    /** The shard's tumbling windows; null without TumblingWindowInSeconds. */
    private Windows windows;

    ShardWorker(MappingRun run, Shard shard) {
        this.run = run;
        this.shard = shard;
        this.writer = new KinesisEventWriter(run.context(shard.shardId()));
        this.wakeup = run.wakeup(this::tryTick);
        this.commits = new CheckpointCommits(run, shard.shardId(), new CommitSide());
    }

    String shardId() {
        return shard.shardId();
    }

    /**
     * Whether no batch is under way: the worker can be dropped without leaving an invocation behind. A stopped worker
     * commits what ended first (its last commit may have been put off), so that one built after it (an update, another
     * writer) reads the checkpoint it leaves and the mapping's checkpoints are final before a Delete removes them.
     */
    boolean idle() {
        synchronized (this) {
            if (busyLanes > 0) {
                return false;
            }
        }
        if (!running) {
            if (finalCommitTried.compareAndSet(false, true)) {
                commits.commitCheckpoint(true);
            }
            dropQueued();
        }
        return true;
    }

    /** A stopped worker gives its queued records' bytes back to the engine's budget (the next worker reads them). */
    private synchronized void dropQueued() {
        if (queues == null) {
            return;
        }
        queues.forEach(ArrayDeque::clear);
        Arrays.fill(laneBytes, 0);
        queuedRecords = 0;
        run.readBudget().released(queuedBytes);
        queuedBytes = 0;
    }

    /**
     * Stops taking and retrying batches; batches under way end at their next step without ending their records, and
     * a batch waiting out a backoff takes that step now.
     */
    void stop() {
        running = false;
        wakeup.close();
        List<Pause> due = new ArrayList<>();
        synchronized (this) {
            if (waiting == null) {
                return;
            }
            for (Pause pause : waiting) {
                if (pause != null) {
                    due.add(pause);
                }
            }
        }
        for (Pause pause : due) {
            // Cancelled before it ran: run it now (it sees the stop and ends the batch). Already running: nothing.
            if (pause.scheduled().cancel(false)) {
                try {
                    run.submit(pause.step());
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // The engine is closing: its workers are dropped with it.
                }
            }
        }
    }

    boolean running() {
        return running;
    }

    /** Whether the worker ended records (the engine's restart backoff starts over). */
    boolean progressed() {
        return progressed;
    }

    /**
     * Whether the shard is closed: the {@link Shard} this worker was made with says so, or its log is sealed (a split or
     * merge after the worker was made; the worker keeps its Shard, whose {@code ended} does not change).
     */
    private boolean closed() {
        return shard.ended() || shard.log().sealed();
    }

    /**
     * Runs {@link #tick} unless a tick is under way; returns whether it ran. A tick that throws stops the worker (the
     * engine builds another after a backoff).
     */
    boolean tryTick() {
        if (!ticking.compareAndSet(false, true)) {
            return false;
        }
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("Event source mapping {} shard {}: {}", run.mapping().uuid(), shard.shardId(), e.toString());
            stop();
        } finally {
            ticking.set(false);
        }
        return true;
    }

    /** One poll: starts from the checkpoint if needed, reads what arrived, hands due batches to their lanes. */
    void tick() {
        if (!running) {
            return;
        }
        wakeup.ticked();
        boolean started;
        synchronized (this) {
            started = lanes == null;
            if (done || (started && !start())) {
                return;
            }
        }
        if (started) {
            wakeup.listen(shard.log(), (key, result) -> appended());
        }
        read();
        if (dispatch()) {
            // What the batches took is read again at once, so that the lanes' next batches are queued when these end.
            read();
            dispatch();
        }
        finishIfDone();
        // Records the filter kept out move the checkpoint too, also when no batch follows them; committed on an
        // invocation thread, not this one, which polls every shard.
        commits.bookCommit(0);
    }

    /** Starts from the checkpoint; false if it cannot start yet (no checkpoint and parents not done). */
    private boolean start() {
        Optional<Checkpoint> checkpoint = run.checkpoints().read(run.mapping().uuid(), shard.shardId());
        if (checkpoint.isPresent() && checkpoint.get().shardDone()) {
            done = true;
            return false;
        }
        // Parents first, as Lambda orders a split's or merge's shards.
        if (!run.parentsDone(shard)) {
            return false;
        }
        // No checkpoint: a shard read from its start (TRIM_HORIZON, or a child born after the mapping started; the
        // engine commits LATEST's and AT_TIMESTAMP's starting checkpoints when the mapping is created).
        long start = checkpoint.map(Checkpoint::nextPosition).orElseGet(() -> shard.log().startPosition());
        // A window's state is the shard's: windowed mappings run one lane.
        boolean windowed = run.mapping().tumblingWindowSeconds() > 0;
        int laneCount = windowed ? 1 : run.mapping().parallelizationFactor();
        windows = windowed ? new Windows(run.mapping().tumblingWindowSeconds() * 1000L, checkpoint.orElse(null))
                : null;
        lanes = new ShardLanes(laneCount, start);
        queues = new ArrayList<>();
        for (int i = 0; i < laneCount; i++) {
            queues.add(new ArrayDeque<>());
        }
        laneBusy = new boolean[laneCount];
        idleLanes = laneCount;
        laneBytes = new long[laneCount];
        waiting = new Pause[laneCount];
        readPosition = start;
        committed = checkpoint;
        return true;
    }

    /** Reads on while the read-ahead bounds allow: up to what is left of them, not another full read. */
    private void read() {
        int recordsLeft;
        long bytesLeft;
        long position;
        synchronized (this) {
            int laneCount = lanes.lanes();
            recordsLeft = run.mapping().batchSize() * laneCount - queuedRecords;
            // An empty queue, or an idle lane's, may always take a batch's worth: the budget may be held by others'
            // stuck batches, and one lane retrying a record (its queue full behind it) must not stop the others.
            long budget = Math.max(run.readBudget().availableBytes(),
                    queuedRecords == 0 || idleLaneEmpty() ? MAX_EVENT_BYTES : 0);
            bytesLeft = Math.min(MAX_EVENT_BYTES * laneCount - queuedBytes, budget);
            if (recordsLeft <= 0 || bytesLeft <= 0) {
                return;
            }
            position = readPosition;
        }
        // The log limits stored bytes; an event's record is at least 4/3 of them (base64), so this reads no more than
        // fits, mostly; what does not fit is left for the next read.
        ReadResult page = shard.log().read(position, Math.min(recordsLeft, 10_000), Math.max(1, bytesLeft / 4 * 3));
        int kept = 0;
        int filtered = 0;
        long keptBytes = 0;
        long nowMs = run.clock().millis();
        synchronized (this) {
            long next = Math.max(readPosition, page.nextPosition());
            for (StoredRecord record : page.records()) {
                if (record.position() < readPosition) {
                    continue;
                }
                if (!run.filter().matches(record.data())) {
                    filtered++;
                    lanes.passed(record.position() + 1);
                    continue;
                }
                EventRecord event = new EventRecord(record.partitionKey() == null ? "" : record.partitionKey(),
                        shard.sequenceNumber().of(record.position(), record.arrivalMs()), record.data(),
                        record.arrivalMs());
                long bytes = writer.recordBytes(event);
                if (kept > 0 && (kept == recordsLeft || keptBytes + bytes > bytesLeft)) {
                    // Read again next time.
                    next = record.position();
                    break;
                }
                lanes.taken(record.position());
                int lane = lanes.laneOf(record.partitionKey());
                queues.get(lane).add(new Pending(record, event, bytes, nowMs));
                laneBytes[lane] += bytes;
                queuedRecords++;
                queuedBytes += bytes;
                keptBytes += bytes;
                kept++;
            }
            readPosition = next;
            lanes.passed(readPosition);
            run.readBudget().queued(keptBytes);
        }
        if (kept + filtered > 0) {
            run.listener().polled(run.mapping(), kept + filtered);
        }
        if (filtered > 0) {
            run.listener().filteredOut(run.mapping(), filtered);
        }
    }

    /** Whether a lane has no batch under way and nothing queued. Guarded by this. */
    private boolean idleLaneEmpty() {
        for (int lane = 0; lane < laneBusy.length; lane++) {
            if (!laneBusy[lane] && queues.get(lane).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Records appended to the shard (on the appending thread: no lock, no wait): a tick reads them if a lane could
     * take them now. Busy lanes are woken by their batch's end; a batching window by the timed poll.
     */
    private void appended() {
        if (running && idleLanes > 0 && run.mapping().maximumBatchingWindowSeconds() == 0) {
            wakeup.wake();
        }
    }

    /** Hands each idle lane its next batch if one is due; returns whether it handed any. */
    private boolean dispatch() {
        long nowMs = run.clock().millis();
        boolean closedAndRead = closed() && readPosition() >= shard.log().endPosition();
        boolean caughtUp = readPosition() >= shard.log().endPosition();
        boolean handed = false;
        for (int lane = 0; lane < laneCount(); lane++) {
            Windows.Batch batch = nextBatch(lane, nowMs, closedAndRead, caughtUp);
            if (batch != null) {
                int chosen = lane;
                run.submit(() -> runBatch(chosen, batch));
                handed = true;
            }
        }
        return handed;
    }

    private synchronized long readPosition() {
        return readPosition;
    }

    private synchronized int laneCount() {
        return laneBusy.length;
    }

    /**
     * The lane's next batch if the lane is idle and a batch is due (and marks the lane busy), else null; with
     * tumbling windows, {@link Windows} cuts it.
     */
    private synchronized Windows.Batch nextBatch(int lane, long nowMs, boolean closedAndRead, boolean caughtUp) {
        ArrayDeque<Pending> queue = queues.get(lane);
        int batchSize = run.mapping().batchSize();
        long windowMs = run.mapping().maximumBatchingWindowSeconds() * 1000L;
        if (laneBusy[lane]) {
            return null;
        }
        if (windows != null) {
            Windows.Batch batch = windows.next(queue, laneBytes[lane], batchSize, MAX_EVENT_BYTES, writer, windowMs,
                    nowMs, closedAndRead, caughtUp);
            if (batch != null) {
                taken(lane, batch.records());
            }
            return batch;
        }
        if (queue.isEmpty()) {
            return null;
        }
        KinesisEventWriter.Sizer sizer = writer.sizer(null);
        // Due or not, from the counts and the head, before a batch is built (an idle lane is looked at every poll).
        boolean mayBeFull = queue.size() >= batchSize
                || sizer.bytes() + laneBytes[lane] + queue.size() - 1 > MAX_EVENT_BYTES;
        if (!mayBeFull && windowMs > 0 && !closedAndRead && nowMs - queue.peekFirst().readAtMs() < windowMs) {
            return null;
        }
        List<Pending> batch = new ArrayList<>();
        boolean full = false;
        for (Pending pending : queue) {
            if (batch.size() == batchSize || (!batch.isEmpty() && sizer.bytesWith(pending.eventBytes()) > MAX_EVENT_BYTES)) {
                full = true;
                break;
            }
            sizer.add(pending.eventBytes());
            batch.add(pending);
        }
        boolean due = full || batch.size() == batchSize || windowMs == 0 || closedAndRead
                || nowMs - queue.peekFirst().readAtMs() >= windowMs;
        if (!due) {
            return null;
        }
        for (int i = 0; i < batch.size(); i++) {
            queue.pollFirst();
        }
        taken(lane, batch);
        return new Windows.Batch(batch, null);
    }

    /** Books a batch taken off the lane's queue: the lane is busy until it ends. */
    private void taken(int lane, List<Pending> batch) {
        long bytes = 0;
        for (Pending pending : batch) {
            queuedRecords--;
            bytes += pending.eventBytes();
        }
        queuedBytes -= bytes;
        laneBytes[lane] -= bytes;
        run.readBudget().released(bytes);
        laneBusy[lane] = true;
        busyLanes++;
        idleLanes = laneBusy.length - busyLanes;
    }

    /** Starts one batch on an invocation thread; {@link #step} runs it to its end. */
    private void runBatch(int lane, Windows.Batch batch) {
        if (batch.records().isEmpty()) {
            // A window's final invocation with no records: rare, short; its retries wait on this thread.
            try {
                finalInvokeOnly(batch.window());
            } catch (InterruptedException e) {
                stop();
            } catch (RuntimeException | Error e) {
                failedBatch(e);
            } finally {
                endBatch(lane);
            }
            return;
        }
        BatchEnds ends = new BatchEnds(run, writer, shard.shardId(), () -> running, this::end);
        BatchRun<Pending> batchRun = new BatchRun<>(run.policy(), piece -> invoke(piece, batch), ends,
                p -> p.stored().arrivalMs(), p -> p.stored().position() < shard.log().startPosition(),
                run.clock(), this::sleep, () -> running);
        step(lane, batchRun.start(batch.records()));
    }

    /**
     * Runs the batch on until it is done or must wait out a backoff; then its next step is scheduled, and no thread
     * waits. A stop steps a waiting batch at once (it ends, as stopped).
     */
    private void step(int lane, BatchRun<Pending>.Progress progress) {
        boolean finished = true;
        try {
            BatchRun.Next next = progress.step();
            if (next instanceof BatchRun.Wait wait && running) {
                synchronized (this) {
                    if (running) {
                        finished = false;
                        Runnable nextStep = () -> step(lane, progress);
                        waiting[lane] = new Pause(run.submitLater(nextStep, wait.millis()), nextStep);
                    }
                }
                if (finished) {
                    // Stopped meanwhile: one more step ends the batch, as stopped.
                    progress.step();
                }
            }
        } catch (InterruptedException e) {
            // The engine is closing (see endBatch): the records not ended are invoked again after the restart.
            stop();
        } catch (RuntimeException | Error e) {
            failedBatch(e);
        } finally {
            if (finished) {
                endBatch(lane);
            }
        }
    }

    /**
     * Something unexpected (a log that cannot be read, an error): the records stay unended; the
     * worker stops (the lane must not go on past them) and the engine rebuilds it from the checkpoint after a backoff.
     */
    private void failedBatch(Throwable e) {
        LOG.warn("Event source mapping {} shard {}: a batch failed: {}", run.mapping().uuid(), shard.shardId(),
                e.toString());
        stop();
        if (!Thread.currentThread().isInterrupted()) {
            run.problem(e.toString());
        }
    }

    /** Commits the checkpoint behind what the batch ended, then frees its lane. */
    private void endBatch(int lane) {
        // An interrupt (the engine closing) must not reach the metadata store: an interrupted thread's file write
        // closes the store's channel for everyone (ClosedByInterruptException). Cleared for the commit, set again
        // after.
        boolean interrupted = Thread.interrupted();
        // The checkpoint first, then the lane: a stopped worker that looks idle has committed what it ended, so one
        // built after it (an update, a new writer) reads the checkpoint it left. A running one may put it off.
        commits.commitCheckpoint(!running, true);
        synchronized (this) {
            laneBusy[lane] = false;
            waiting[lane] = null;
            busyLanes--;
            idleLanes = laneBusy.length - busyLanes;
        }
        // The lane's next batch goes now, not at the next poll (Lambda sends a shard's next batch as one ends).
        if (running) {
            wakeup.wake();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void end(List<Pending> records) {
        progressed = true;
        synchronized (this) {
            for (Pending pending : records) {
                lanes.ended(pending.stored().position());
            }
        }
    }

    /** Invokes the function with a piece of a batch and says what it means for the piece. */
    private Outcome invoke(List<Pending> piece, Windows.Batch batch) {
        List<EventRecord> events = piece.stream().map(Pending::event).toList();
        TumblingWindow window = windowOf(piece, batch);
        byte[] event = writer.write(events, window);
        long startMs = run.clock().millis();
        InvokeOutcome outcome = run.invoke(event);
        long endMs = run.clock().millis();
        Outcome result = outcome(outcome, events, window);
        // What the call did, not what its answer meant for the batch: a function that answered with
        // batchItemFailures succeeded, as Lambda counts it (Errors only for a function error).
        String kind = switch (outcome.kind()) {
            case SUCCESS -> "success";
            case FUNCTION_ERROR -> "function_error";
            case REQUEST_TOO_LARGE -> "too_large";
            case THROTTLED -> "throttled";
            case NOT_DELIVERED -> "not_delivered";
        };
        run.listener().invoked(run.mapping(), piece.size(), kind, endMs - startMs,
                piece.isEmpty() ? 0 : endMs - piece.get(piece.size() - 1).stored().arrivalMs());
        if (Thread.currentThread().isInterrupted()) {
            // The engine is closing; no status line (a commit from an interrupted thread would break the store).
            return new NotReached("interrupted");
        }
        if (result instanceof Success) {
            run.processingResult("OK");
        } else {
            run.problem(outcome.detail());
        }
        return result;
    }

    /**
     * The window of an invocation of {@code piece} of {@code batch}, with the state as it is now: final only for the
     * piece that ends the batch (a bisected final batch sends its earlier halves as ordinary invocations).
     */
    private TumblingWindow windowOf(List<Pending> piece, Windows.Batch batch) {
        TumblingWindow cut = batch.window();
        if (cut == null) {
            return null;
        }
        boolean last = batch.records().isEmpty()
                || piece.get(piece.size() - 1) == batch.records().get(batch.records().size() - 1);
        String state;
        synchronized (this) {
            state = windows.state();
        }
        return new TumblingWindow(cut.startMs(), cut.endMs(), state, cut.finalInvoke() && last,
                cut.terminatedEarly());
    }

    private Outcome outcome(InvokeOutcome outcome, List<EventRecord> events, TumblingWindow window) {
        switch (outcome.kind()) {
            case SUCCESS -> {
                BatchResponse response = BatchResponse.read(outcome.body(), events,
                        run.mapping().reportsBatchItemFailures(), window != null);
                if (window != null && response.verdict() != BatchResponse.Verdict.FAILED) {
                    synchronized (this) {
                        windows.succeeded(window, response.stateJson(), response.stateTooLarge(),
                                window.finalInvoke() && response.verdict() == BatchResponse.Verdict.COMPLETE);
                    }
                }
                return switch (response.verdict()) {
                    case COMPLETE -> new Success();
                    case PARTIAL -> new PartialFailure(response.failedFromIndex(),
                            ResponseContext.ofFailedResponse(outcome));
                    case FAILED -> new FunctionFailure(ResponseContext.ofFailedResponse(outcome));
                };
            }
            case FUNCTION_ERROR -> {
                return new FunctionFailure(ResponseContext.ofFunctionError(outcome));
            }
            case REQUEST_TOO_LARGE -> {
                return new TooLarge(new ResponseContext(outcome.statusCode(), outcome.executedVersion(), null));
            }
            default -> {
                return new NotReached(outcome.detail());
            }
        }
    }

    /**
     * A window's final invocation when none of its records is left: retried like a batch (MaximumRetryAttempts for
     * function errors, without limit while the function cannot be reached); given up, the window's state is dropped.
     */
    private void finalInvokeOnly(TumblingWindow cut) throws InterruptedException {
        int failures = 0;
        long backoffMs = run.policy().backoffBaseMs();
        while (running) {
            Outcome outcome = invoke(List.of(), new Windows.Batch(List.of(), cut));
            if (outcome instanceof Success) {
                return;
            }
            boolean counts = !(outcome instanceof NotReached);
            if (counts && run.policy().maxRetryAttempts() >= 0 && ++failures > run.policy().maxRetryAttempts()) {
                LOG.info("Event source mapping {} shard {}: the final invocation of the window from {} failed {} "
                        + "times; its state is dropped", run.mapping().uuid(), shard.shardId(), cut.startMs(),
                        failures);
                synchronized (this) {
                    windows.succeeded(cut, null, false, true);
                }
                return;
            }
            sleep(backoffMs);
            backoffMs = Math.min(run.policy().backoffMaxMs(), backoffMs * 2);
        }
    }

    /** Waits between retries in short steps, so that a stopped worker's batch ends soon. */
    private void sleep(long millis) throws InterruptedException {
        // Real time, not the mapping's clock: the clock dates records (and is manual in tests); a wait is a wait.
        long untilNs = System.nanoTime() + millis * 1_000_000L;
        long leftNs;
        while (running && (leftNs = untilNs - System.nanoTime()) > 0) {
            Thread.sleep(Math.min(100, Math.max(1, leftNs / 1_000_000L)));
        }
    }

    /** The checkpoint behind the records that ended, with the open window. Guarded by this. */
    private Checkpoint checkpointNow() {
        long next = lanes.checkpoint();
        return windows == null ? Checkpoint.at(next) : windows.checkpoint(next);
    }

    /**
     * Whether a windowed worker's batch is under way: its new window state is applied before its records end (a
     * separate step), so the checkpoint may carry a state ahead of its position until the batch ends. Guarded by this.
     */
    private boolean windowBusy() {
        return windows != null && busyLanes > 0;
    }

    /** Whether the shard is closed, every record of it ended, and it is not marked done yet. */
    private synchronized boolean finished() {
        return !done && running && closed() && busyLanes == 0 && queuedRecords == 0
                && readPosition >= shard.log().endPosition() && (windows == null || !windows.open())
                && lanes.checkpoint() >= shard.log().endPosition();
    }

    /** Marks a closed shard done once every record of it ended. */
    private void finishIfDone() {
        // Looked at first without the commit lock: the poll thread must not wait on another shard's slow commit.
        if (finished()) {
            commits.commitShardEnd();
        }
    }

    /**
     * The worker as its {@link CheckpointCommits} see it. Each call takes this worker's lock itself, after the commits'
     * commitLock when they hold it (the lock order); no code of this worker calls its commits while holding its lock.
     */
    private final class CommitSide implements CheckpointCommits.Worker {

        @Override
        public boolean running() {
            return running;
        }

        @Override
        public void stop() {
            ShardWorker.this.stop();
        }

        @Override
        public CheckpointCommits.Due due(boolean fromEndBatch) {
            synchronized (ShardWorker.this) {
                if (lanes == null || done) {
                    // Done: the checkpoint says so (finishIfDone), and a plain one must not replace it.
                    return null;
                }
                if (windowBusy() && !fromEndBatch) {
                    // The lane's batch may have moved the window's state on and not yet ended its records: that
                    // state with this position would count them twice after a restart. endBatch commits it.
                    return null;
                }
                return new CheckpointCommits.Due(committed, checkpointNow());
            }
        }

        @Override
        public void committed(Checkpoint checkpoint) {
            synchronized (ShardWorker.this) {
                committed = Optional.of(checkpoint);
            }
        }

        @Override
        public CheckpointCommits.Due shardEnd() {
            synchronized (ShardWorker.this) {
                if (!finished()) {
                    return null;
                }
                return new CheckpointCommits.Due(committed, new Checkpoint(lanes.checkpoint(), true, -1, null));
            }
        }

        @Override
        public void shardEnded(Checkpoint end) {
            synchronized (ShardWorker.this) {
                committed = Optional.of(end);
                done = true;
            }
            wakeup.close();
        }
    }
}
