package dev.millrace.lambda.poll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.lambda.failure.InvocationRecord.Condition;
import dev.millrace.lambda.failure.InvocationRecord.ResponseContext;
import dev.millrace.lambda.poll.BatchRun.FunctionFailure;
import dev.millrace.lambda.poll.BatchRun.NotReached;
import dev.millrace.lambda.poll.BatchRun.Outcome;
import dev.millrace.lambda.poll.BatchRun.PartialFailure;
import dev.millrace.lambda.poll.BatchRun.Policy;
import dev.millrace.lambda.poll.BatchRun.Success;
import dev.millrace.lambda.poll.BatchRun.Tally;
import dev.millrace.lambda.poll.BatchRun.TooLarge;
import dev.millrace.storage.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchRunTest {

    private static final FunctionFailure UNHANDLED = new FunctionFailure(new ResponseContext(200, "$LATEST", "Unhandled"));
    private static final ResponseContext ITEMS_FAILED = new ResponseContext(200, "$LATEST", null);

    /** A record: its position in the batch and when it arrived. */
    private record Rec(int id, long arrivalMs) {
    }

    private final ManualClock clock = new ManualClock(1_000_000);
    private final List<String> events = new ArrayList<>();
    private final List<List<Integer>> invoked = new ArrayList<>();
    private final List<Long> sleeps = new ArrayList<>();
    /** How many discards the destination refuses before it takes one. */
    private final AtomicInteger refusals = new AtomicInteger();

    private static List<Rec> records(int count) {
        return IntStream.range(0, count).mapToObj(i -> new Rec(i, 1_000_000)).toList();
    }

    private static List<Integer> ids(List<Rec> records) {
        return records.stream().map(Rec::id).toList();
    }

    private Tally run(Policy policy, List<Rec> batch, Function<List<Rec>, Outcome> function) throws Exception {
        return run(policy, batch, function, r -> false, () -> true);
    }

    private Tally run(Policy policy, List<Rec> batch, Function<List<Rec>, Outcome> function,
                      java.util.function.Predicate<Rec> expired, java.util.function.BooleanSupplier running)
            throws Exception {
        BatchRun.Listener<Rec> listener = new BatchRun.Listener<>() {
            @Override
            public void processed(List<Rec> records) {
                events.add("processed " + ids(records));
            }

            @Override
            public boolean discarded(List<Rec> records, Condition condition, int invocations,
                                     FunctionFailure lastFailure) {
                String what = "discarded " + ids(records) + " " + condition.awsName() + " after " + invocations
                        + (lastFailure == null ? "" : " " + lastFailure.response().functionError());
                if (refusals.getAndDecrement() > 0) {
                    events.add("refused " + what);
                    return false;
                }
                events.add(what);
                return true;
            }
        };
        return new BatchRun<Rec>(policy, piece -> {
            invoked.add(ids(piece));
            return function.apply(piece);
        }, listener, Rec::arrivalMs, expired, clock, ms -> {
            sleeps.add(ms);
            clock.advanceMs(ms);
        }, running).run(batch);
    }

    private static Policy policy(int maxRetries, long maxAgeMs, boolean bisect) {
        return new Policy(maxRetries, maxAgeMs, bisect, 100, 1_000);
    }

    @Test
    void aSuccessEndsTheBatchAtOnce() throws Exception {
        Tally tally = run(policy(2, -1, false), records(3), piece -> new Success());
        assertThat(invoked).containsExactly(List.of(0, 1, 2));
        assertThat(events).containsExactly("processed [0, 1, 2]");
        assertThat(tally).isEqualTo(new Tally(1, 0, 0, 0, true));
        assertThat(sleeps).isEmpty();
    }

    @Test
    void aFailingBatchIsRetriedMaximumRetryAttemptsTimesThenDiscarded() throws Exception {
        // AWS's recorded test: MaximumRetryAttempts 2 gives 3 invocations and approximateInvokeCount 3.
        Tally tally = run(policy(2, -1, false), records(3), piece -> UNHANDLED);
        assertThat(invoked).hasSize(3).allMatch(piece -> piece.equals(List.of(0, 1, 2)));
        assertThat(events).containsExactly("discarded [0, 1, 2] RetryAttemptsExhausted after 3 Unhandled");
        assertThat(tally).isEqualTo(new Tally(3, 3, 0, 3, true));
        assertThat(sleeps).containsExactly(100L, 200L);
    }

    @Test
    void noRetriesMeansOneInvocation() throws Exception {
        run(policy(0, -1, false), records(2), piece -> UNHANDLED);
        assertThat(invoked).hasSize(1);
        assertThat(events).containsExactly("discarded [0, 1] RetryAttemptsExhausted after 1 Unhandled");
    }

    @Test
    void aPartialFailureEndsTheRecordsBeforeItAndRetriesTheRestCountingRetries() throws Exception {
        // AWS's recorded test: the last record always reported failed, MaximumRetryAttempts 3: it is invoked 1 + 3
        // more times, and the failure record holds it alone, approximateInvokeCount 4, functionError null.
        run(policy(3, -1, false), records(3), piece -> new PartialFailure(piece.indexOf(piece.stream()
                .filter(r -> r.id() == 2).findFirst().orElseThrow()), ITEMS_FAILED));
        assertThat(invoked).containsExactly(List.of(0, 1, 2), List.of(2), List.of(2), List.of(2));
        assertThat(events).containsExactly("processed [0, 1]",
                "discarded [2] RetryAttemptsExhausted after 4 null");
    }

    @Test
    void bisectingIsolatesTheFailingRecordWithoutCountingTheSplitsAndKeepsOrder() throws Exception {
        Set<Integer> poison = Set.of(5);
        Tally tally = run(policy(0, -1, true), records(8),
                piece -> piece.stream().anyMatch(r -> poison.contains(r.id())) ? UNHANDLED : new Success());
        assertThat(invoked).containsExactly(List.of(0, 1, 2, 3, 4, 5, 6, 7), List.of(0, 1, 2, 3),
                List.of(4, 5, 6, 7), List.of(4, 5), List.of(4), List.of(5), List.of(6, 7));
        assertThat(events).containsExactly("processed [0, 1, 2, 3]", "processed [4]",
                "discarded [5] RetryAttemptsExhausted after 4 Unhandled", "processed [6, 7]");
        assertThat(tally.discardedRecords()).isEqualTo(1);
        assertThat(tally.finished()).isTrue();
    }

    @Test
    void bisectingStillRetriesASingleRecordUpToTheLimit() throws Exception {
        run(policy(2, -1, true), records(2), piece -> piece.stream().anyMatch(r -> r.id() == 1) ? UNHANDLED : new Success());
        assertThat(invoked).containsExactly(List.of(0, 1), List.of(0), List.of(1), List.of(1), List.of(1));
        assertThat(events).containsExactly("processed [0]", "discarded [1] RetryAttemptsExhausted after 4 Unhandled");
    }

    @Test
    void invocationsThatDidNotReachTheFunctionAreRetriedWithoutCountingAndBackOff() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Tally tally = run(policy(0, -1, false), records(2),
                piece -> calls.incrementAndGet() <= 5 ? new NotReached("429") : new Success());
        assertThat(invoked).hasSize(6);
        assertThat(events).containsExactly("processed [0, 1]");
        assertThat(tally).isEqualTo(new Tally(6, 0, 5, 0, true));
        assertThat(sleeps).containsExactly(100L, 200L, 400L, 800L, 1_000L);
    }

    @Test
    void recordsTooOldAtTheHeadAreDiscardedAndTheRestInvoked() throws Exception {
        List<Rec> batch = List.of(new Rec(0, 1_000), new Rec(1, 2_000), new Rec(2, 990_000), new Rec(3, 999_000));
        run(policy(-1, 60_000, false), batch, piece -> new Success());
        assertThat(invoked).containsExactly(List.of(2, 3));
        assertThat(events).containsExactly("discarded [0, 1] RecordAgeExceeded after 1", "processed [2, 3]");
    }

    @Test
    void unlimitedRetriesEndWhenTheRecordsGetTooOld() throws Exception {
        run(new Policy(-1, 60_000, false, 10_000, 10_000), records(2), piece -> UNHANDLED);
        // Arrived at the clock's start; a retry every 10 s: invoked at 0, 10, ..., 60 s, too old after 60 s.
        assertThat(invoked).hasSize(7);
        assertThat(events).containsExactly("discarded [0, 1] RecordAgeExceeded after 7");
    }

    @Test
    void recordsGoneFromTheStreamAreDiscardedAsTooOld() throws Exception {
        run(policy(-1, -1, false), records(3), piece -> new Success(), r -> r.id() == 0, () -> true);
        assertThat(events).containsExactly("discarded [0] RecordAgeExceeded after 1", "processed [1, 2]");
    }

    @Test
    void aStoppedRunLeavesTheRestUnended() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Tally tally = run(policy(-1, -1, false), records(2), piece -> {
            calls.incrementAndGet();
            return UNHANDLED;
        }, r -> false, () -> calls.get() < 3);
        assertThat(tally.finished()).isFalse();
        assertThat(tally.invocations()).isEqualTo(3);
        assertThat(events).isEmpty();
    }

    @Test
    void anEventTooLargeForTheEndpointIsHalvedWithoutCountingThenFailsAsOneRecord() throws Exception {
        TooLarge tooLarge = new TooLarge(new ResponseContext(413, "$LATEST", null));
        Tally tally = run(policy(1, -1, false), records(4), piece -> piece.size() > 1 || piece.get(0).id() == 3
                ? tooLarge : new Success());
        assertThat(invoked).containsExactly(List.of(0, 1, 2, 3), List.of(0, 1), List.of(0), List.of(1),
                List.of(2, 3), List.of(2), List.of(3), List.of(3));
        assertThat(events).containsExactly("processed [0]", "processed [1]", "processed [2]",
                "discarded [3] RetryAttemptsExhausted after 2 null");
        assertThat(tally.notReached()).isEqualTo(3);
    }

    @Test
    void aRefusedDiscardIsTriedAgainAfterABackoffWithoutInvokingAgainAndBeforeTheRestOfTheBatch() throws Exception {
        refusals.set(2);
        Tally tally = run(policy(0, -1, false), records(3), piece -> new PartialFailure(1, ITEMS_FAILED));
        assertThat(invoked).containsExactly(List.of(0, 1, 2));
        assertThat(sleeps).hasSize(2);
        assertThat(events).containsExactly("processed [0]", "refused discarded [1, 2] RetryAttemptsExhausted after 1 null",
                "refused discarded [1, 2] RetryAttemptsExhausted after 1 null",
                "discarded [1, 2] RetryAttemptsExhausted after 1 null");
        assertThat(tally.finished()).isTrue();
    }

    @Test
    void aRefusedRecordAgeDiscardWaitsTooAndAStopLeavesItsRecordsUnended() throws Exception {
        refusals.set(1_000);
        clock.advanceMs(10_000);
        AtomicInteger steps = new AtomicInteger();
        Tally tally = run(policy(-1, 5_000, false), records(2), piece -> new Success(), r -> false,
                () -> steps.incrementAndGet() < 4);
        assertThat(invoked).isEmpty();
        assertThat(events).hasSizeGreaterThanOrEqualTo(1)
                .allMatch(e -> e.equals("refused discarded [0, 1] RecordAgeExceeded after 1"));
        assertThat(tally.finished()).isFalse();
    }
}
