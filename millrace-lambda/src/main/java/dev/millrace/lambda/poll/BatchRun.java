package dev.millrace.lambda.poll;

import dev.millrace.lambda.failure.InvocationRecord.Condition;
import dev.millrace.lambda.failure.InvocationRecord.ResponseContext;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * What happens to one batch until each of its records is either processed or discarded: Lambda's failure handling for
 * stream sources (docs/reference/lambda-esm-facts.md §4), with the invocation, the clock and the waits given, so that
 * every path is tested without a server or a function.
 *
 * <ul>
 *   <li>A batch is invoked; success ends it.</li>
 *   <li>A partial failure (ReportBatchItemFailures: the lowest failed record) ends the records before it and retries
 *       the rest; it counts as a retry (AWS's recorded tests count it).</li>
 *   <li>A function error retries the whole piece, counting a retry; with BisectBatchOnFunctionError a piece of more
 *       than one record is split in two halves instead, processed in order, without counting ("splitting a batch
 *       does not count towards the retry quota"; each half carries the invocations of its parent).</li>
 *   <li>An invocation that did not reach the function (throttled, unreachable, refused) is retried after a backoff
 *       without counting, as Lambda does for "service errors or throttles where the batch didn't reach the
 *       function".</li>
 *   <li>When more than MaximumRetryAttempts retries failed (-1: never), the piece is discarded with condition
 *       {@link Condition#RETRY_ATTEMPTS_EXHAUSTED}; before each invocation, the records at the head of the piece
 *       older than MaximumRecordAgeInSeconds (-1: no limit), or no longer in the stream (retention), are discarded
 *       with {@link Condition#RECORD_AGE_EXCEEDED} and the rest is invoked (AWS's recorded "discard_records" test
 *       delivers the younger rest of a batch).</li>
 * </ul>
 * Records are ended strictly in order ({@link Listener}), so the caller can checkpoint behind them.
 *
 * <p>Not thread-safe: one run per batch, on the thread that processes the batch's lane.
 *
 * @param <R> the record type
 */
final class BatchRun<R> {

    /** How an invocation of a piece went. */
    sealed interface Outcome permits Success, PartialFailure, FunctionFailure, TooLarge, NotReached {
    }

    /** Every record was processed (or the function said so). */
    record Success() implements Outcome {
    }

    /**
     * The records before {@code firstFailedIndex} were processed; that one and the rest were not (the function's
     * batchItemFailures; {@code response} has no functionError, as AWS records it).
     */
    record PartialFailure(int firstFailedIndex, ResponseContext response) implements Outcome {
    }

    /**
     * The function failed the whole piece: an error, or an answer that fails the whole batch ({@code response}'s
     * functionError is then null).
     */
    record FunctionFailure(ResponseContext response) implements Outcome {
    }

    /**
     * The endpoint refused the event as too large (413): the same bytes never pass, so a piece of more than one
     * record is halved without counting a retry; a single record counts as a failure.
     */
    record TooLarge(ResponseContext response) implements Outcome {
    }

    /** The invocation did not reach the function (throttled, refused, unreachable); the reason is for logs. */
    record NotReached(String reason) implements Outcome {
    }

    /** Invokes the function with a piece of the batch. */
    @FunctionalInterface
    interface Invoker<R> {
        Outcome invoke(List<R> piece) throws InterruptedException;
    }

    /** Where the run's ends go, in record order. */
    interface Listener<R> {
        /** These records were processed. */
        void processed(List<R> records);

        /**
         * These records were given up (for the OnFailure destination, if any).
         *
         * @param invocations the invocations of these records so far (AWS's {@code approximateInvokeCount})
         * @param lastFailure the last function failure, or null (records too old before any failed invocation)
         * @return whether the discard is done; false (the destination refused its record) asks again with the same
         *         arguments (the same list) after a backoff, before anything else of the batch: the function is not
         *         invoked again for them, and nothing after them is ended meanwhile
         */
        boolean discarded(List<R> records, Condition condition, int invocations, FunctionFailure lastFailure)
                throws InterruptedException;
    }

    /** Waits between attempts; interruptible so that a stopping engine ends a run. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    /**
     * The mapping's failure settings and the run's backoff.
     *
     * @param maxRetryAttempts MaximumRetryAttempts: retries of a failed piece before it is discarded, -1 for no limit
     * @param maxRecordAgeMs   MaximumRecordAgeInSeconds in ms, -1 for no limit
     * @param bisect           BisectBatchOnFunctionError
     * @param backoffBaseMs    the first wait before a retry; it doubles per consecutive failure of a piece
     * @param backoffMaxMs     the longest wait
     */
    record Policy(int maxRetryAttempts, long maxRecordAgeMs, boolean bisect, long backoffBaseMs, long backoffMaxMs) {
    }

    /** What a run did (for metrics). */
    record Tally(int invocations, int functionFailures, int notReached, int discardedRecords, boolean finished) {
    }

    private final Policy policy;
    private final Invoker<R> invoker;
    private final Listener<R> listener;
    private final ToLongFunction<R> arrivalMs;
    /** Whether a record is no longer in the stream (expired by retention) and cannot be invoked any more. */
    private final Predicate<R> expired;
    private final Clock clock;
    private final Sleeper sleeper;
    private final BooleanSupplier running;

    BatchRun(Policy policy, Invoker<R> invoker, Listener<R> listener, ToLongFunction<R> arrivalMs,
             Predicate<R> expired, Clock clock, Sleeper sleeper, BooleanSupplier running) {
        this.policy = policy;
        this.invoker = invoker;
        this.listener = listener;
        this.arrivalMs = arrivalMs;
        this.expired = expired;
        this.clock = clock;
        this.sleeper = sleeper;
        this.running = running;
    }

    /** A part of the batch still to process, with the invocations and counted retries its records had. */
    private record Piece<R>(List<R> records, int invocations, int retries, FunctionFailure lastFailure) {
    }

    /** A discard the listener has not done yet (its destination refused). */
    private record Discard<R>(List<R> records, Condition condition, int invocations, FunctionFailure lastFailure) {
    }

    /**
     * Runs the batch until every record is processed or discarded, or until {@code running} turns false (then the
     * records not yet ended are left to the next run: {@link Tally#finished} is false), waiting out the backoffs with
     * the sleeper.
     */
    Tally run(List<R> batch) throws InterruptedException {
        Progress progress = start(batch);
        while (true) {
            Next next = progress.step();
            if (next instanceof Done done) {
                return done.tally();
            }
            sleeper.sleep(((Wait) next).millis());
        }
    }

    /** What a step of a batch leaves: the batch is done, or the next step is due after a wait. */
    sealed interface Next permits Done, Wait {
    }

    record Done(Tally tally) implements Next {
    }

    record Wait(long millis) implements Next {
    }

    /** The batch, to be run a step at a time: no thread waits out a backoff ({@link ShardWorker} schedules steps). */
    Progress start(List<R> batch) {
        return new Progress(batch);
    }

    /** A batch being run. Not thread-safe: one step at a time, each after the last returned. */
    final class Progress {
        private final Deque<Piece<R>> work = new ArrayDeque<>();
        private final Counts counts = new Counts();
        private int consecutiveFailures;
        /** A discard to try again before anything else, or null. */
        private Discard<R> pendingDiscard;
        private int refusedDiscards;

        private Progress(List<R> batch) {
            work.push(new Piece<>(List.copyOf(batch), 0, 0, null));
        }

        /** Invokes until the batch is done or a failure asks for a wait before the next invocation. */
        Next step() throws InterruptedException {
            if (pendingDiscard != null) {
                if (!running.getAsBoolean()) {
                    return new Done(counts.tally(false));
                }
                Discard<R> d = pendingDiscard;
                if (!listener.discarded(d.records(), d.condition(), d.invocations(), d.lastFailure())) {
                    return new Wait(backoffMs(++refusedDiscards));
                }
                pendingDiscard = null;
                refusedDiscards = 0;
            }
            while (!work.isEmpty()) {
                if (!running.getAsBoolean()) {
                    return new Done(counts.tally(false));
                }
                Piece<R> piece = work.pop();
                int tooOld = tooOld(piece.records());
                if (tooOld > 0) {
                    if (tooOld < piece.records().size()) {
                        work.push(new Piece<>(piece.records().subList(tooOld, piece.records().size()),
                                piece.invocations(), piece.retries(), piece.lastFailure()));
                    }
                    counts.discarded += tooOld;
                    if (!discard(new Discard<>(piece.records().subList(0, tooOld), Condition.RECORD_AGE_EXCEEDED,
                            Math.max(piece.invocations(), 1), null))) {
                        return new Wait(backoffMs(++refusedDiscards));
                    }
                    continue;
                }
                Outcome outcome = invoker.invoke(piece.records());
                counts.invocations++;
                if (outcome instanceof Success) {
                    listener.processed(piece.records());
                    consecutiveFailures = 0;
                    continue;
                }
                failed(work, piece, outcome, counts, this);
                consecutiveFailures++;
                if (pendingDiscard != null) {
                    return new Wait(backoffMs(++refusedDiscards));
                }
                if (!work.isEmpty()) {
                    return new Wait(backoffMs(consecutiveFailures));
                }
            }
            return new Done(counts.tally(true));
        }

        /** Has the listener discard the records; false (kept as pending) if it has to be tried again. */
        private boolean discard(Discard<R> d) throws InterruptedException {
            if (listener.discarded(d.records(), d.condition(), d.invocations(), d.lastFailure())) {
                return true;
            }
            pendingDiscard = d;
            return false;
        }
    }

    /** What the run did so far. */
    private static final class Counts {
        int invocations;
        int functionFailures;
        int notReached;
        int discarded;

        Tally tally(boolean finished) {
            return new Tally(invocations, functionFailures, notReached, discarded, finished);
        }
    }

    /** Puts back, splits or discards a piece whose invocation did not succeed. */
    private void failed(Deque<Piece<R>> work, Piece<R> piece, Outcome outcome, Counts counts, Progress progress)
            throws InterruptedException {
        List<R> records = piece.records();
        // Java 17: no pattern switch over the sealed Outcome.
        if (outcome instanceof PartialFailure p) {
            counts.functionFailures++;
            int cut = Math.max(0, Math.min(p.firstFailedIndex(), records.size()));
            if (cut > 0) {
                listener.processed(records.subList(0, cut));
            }
            counts.discarded += retryOrDiscard(progress, work, new Piece<>(records.subList(cut, records.size()),
                    piece.invocations() + 1, piece.retries(), new FunctionFailure(p.response())));
        } else if (outcome instanceof TooLarge && records.size() > 1) {
            // Not an attempt: the endpoint refused the bytes before the function saw them.
            counts.notReached++;
            pushHalves(work, piece, piece.invocations(), piece.lastFailure());
        } else if (outcome instanceof FunctionFailure || outcome instanceof TooLarge) {
            FunctionFailure f = outcome instanceof FunctionFailure failure ? failure
                    : new FunctionFailure(((TooLarge) outcome).response());
            counts.functionFailures++;
            if (policy.bisect() && records.size() > 1) {
                pushHalves(work, piece, piece.invocations() + 1, f);
            } else {
                counts.discarded += retryOrDiscard(progress, work, new Piece<>(records, piece.invocations() + 1,
                        piece.retries(), f));
            }
        } else {
            counts.notReached++;
            work.push(piece);
        }
    }

    /** Splits a piece in two halves, the first to run first; the split counts no retry. */
    private void pushHalves(Deque<Piece<R>> work, Piece<R> piece, int invocations, FunctionFailure lastFailure) {
        int half = piece.records().size() / 2;
        work.push(new Piece<>(piece.records().subList(half, piece.records().size()), invocations, piece.retries(),
                lastFailure));
        work.push(new Piece<>(piece.records().subList(0, half), invocations, piece.retries(), lastFailure));
    }

    /**
     * Counts a retry of a failed piece: pushes it back while retries remain, else discards it; returns the records
     * discarded.
     */
    private int retryOrDiscard(Progress progress, Deque<Piece<R>> work, Piece<R> failed)
            throws InterruptedException {
        if (failed.records().isEmpty()) {
            return 0;
        }
        int retries = failed.retries() + 1;
        if (policy.maxRetryAttempts() >= 0 && retries > policy.maxRetryAttempts()) {
            progress.discard(new Discard<>(failed.records(), Condition.RETRY_ATTEMPTS_EXHAUSTED,
                    failed.invocations(), failed.lastFailure()));
            return failed.records().size();
        }
        work.push(new Piece<>(failed.records(), failed.invocations(), retries, failed.lastFailure()));
        return 0;
    }

    /** How many records at the head of the piece are too old to invoke (or expired from the stream). */
    private int tooOld(List<R> records) {
        long nowMs = clock.millis();
        int count = 0;
        for (R record : records) {
            boolean old = policy.maxRecordAgeMs() >= 0 && nowMs - arrivalMs.applyAsLong(record) > policy.maxRecordAgeMs();
            if (!old && !expired.test(record)) {
                break;
            }
            count++;
        }
        return count;
    }

    private long backoffMs(int failures) {
        return Math.min(policy.backoffMaxMs(), policy.backoffBaseMs() << Math.min(failures - 1, 20));
    }
}
