package dev.millrace.lambda.poll;

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

    /** Why records were discarded, as the OnFailure invocation record's {@code requestContext.condition} names it. */
    enum Condition {
        RETRY_ATTEMPTS_EXHAUSTED("RetryAttemptsExhausted"),
        RECORD_AGE_EXCEEDED("RecordAgeExceeded");

        private final String awsName;

        Condition(String awsName) {
            this.awsName = awsName;
        }

        String awsName() {
            return awsName;
        }
    }

    /** How an invocation of a piece went. */
    sealed interface Outcome permits Success, PartialFailure, FunctionFailure, NotReached {
    }

    /** Every record was processed (or the function said so). */
    record Success() implements Outcome {
    }

    /** The records before {@code firstFailedIndex} were processed; that one and the rest were not. */
    record PartialFailure(int firstFailedIndex) implements Outcome {
    }

    /**
     * The function failed the whole piece.
     *
     * @param functionError {@code Unhandled} and the like, or null when the whole piece failed through its
     *                      batchItemFailures answer (AWS then reports {@code functionError: null})
     * @param statusCode    the HTTP status of the invocation
     */
    record FunctionFailure(String functionError, int statusCode) implements Outcome {
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
         */
        void discarded(List<R> records, Condition condition, int invocations, FunctionFailure lastFailure)
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

    /**
     * Runs the batch until every record is processed or discarded, or until {@code running} turns false (then the
     * records not yet ended are left to the next run: {@link Tally#finished} is false).
     */
    Tally run(List<R> batch) throws InterruptedException {
        Deque<Piece<R>> work = new ArrayDeque<>();
        work.push(new Piece<>(List.copyOf(batch), 0, 0, null));
        int invocations = 0;
        int functionFailures = 0;
        int notReached = 0;
        int discarded = 0;
        int consecutiveFailures = 0;
        while (!work.isEmpty()) {
            if (!running.getAsBoolean()) {
                return new Tally(invocations, functionFailures, notReached, discarded, false);
            }
            Piece<R> piece = work.pop();
            int tooOld = tooOld(piece.records());
            if (tooOld > 0) {
                listener.discarded(piece.records().subList(0, tooOld), Condition.RECORD_AGE_EXCEEDED,
                        Math.max(piece.invocations(), 1), null);
                discarded += tooOld;
                if (tooOld < piece.records().size()) {
                    work.push(new Piece<>(piece.records().subList(tooOld, piece.records().size()),
                            piece.invocations(), piece.retries(), piece.lastFailure()));
                }
                continue;
            }
            Outcome outcome = invoker.invoke(piece.records());
            invocations++;
            // Java 17: no pattern switch; the four outcomes are the sealed interface's.
            if (outcome instanceof Success) {
                listener.processed(piece.records());
                consecutiveFailures = 0;
                continue;
            }
            if (outcome instanceof PartialFailure p) {
                functionFailures++;
                int cut = Math.max(0, Math.min(p.firstFailedIndex(), piece.records().size()));
                if (cut > 0) {
                    listener.processed(piece.records().subList(0, cut));
                }
                List<R> rest = piece.records().subList(cut, piece.records().size());
                discarded += retryOrDiscard(work, new Piece<>(rest, piece.invocations() + 1, piece.retries(),
                        new FunctionFailure(null, 200)));
            } else if (outcome instanceof FunctionFailure f) {
                functionFailures++;
                if (policy.bisect() && piece.records().size() > 1) {
                    int half = piece.records().size() / 2;
                    work.push(new Piece<>(piece.records().subList(half, piece.records().size()),
                            piece.invocations() + 1, piece.retries(), f));
                    work.push(new Piece<>(piece.records().subList(0, half), piece.invocations() + 1,
                            piece.retries(), f));
                } else {
                    discarded += retryOrDiscard(work, new Piece<>(piece.records(), piece.invocations() + 1,
                            piece.retries(), f));
                }
            } else {
                notReached++;
                work.push(piece);
            }
            consecutiveFailures++;
            if (!work.isEmpty()) {
                sleeper.sleep(backoffMs(consecutiveFailures));
            }
        }
        return new Tally(invocations, functionFailures, notReached, discarded, true);
    }

    /**
     * Counts a retry of a failed piece: pushes it back while retries remain, else discards it; returns the records
     * discarded.
     */
    private int retryOrDiscard(Deque<Piece<R>> work, Piece<R> failed) throws InterruptedException {
        if (failed.records().isEmpty()) {
            return 0;
        }
        int retries = failed.retries() + 1;
        if (policy.maxRetryAttempts() >= 0 && retries > policy.maxRetryAttempts()) {
            listener.discarded(failed.records(), Condition.RETRY_ATTEMPTS_EXHAUSTED, failed.invocations(),
                    failed.lastFailure());
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
