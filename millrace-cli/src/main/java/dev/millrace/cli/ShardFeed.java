package dev.millrace.cli;

import software.amazon.awssdk.services.kinesis.model.ChildShard;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.util.List;

/**
 * Where {@code millrace tail} gets one shard's records from, a batch at a time: GetRecords ({@link PollingFeed}) or
 * SubscribeToShard events ({@link FanOutFeed}).
 *
 * <p>Implementations are used by one thread at a time (a shard's steps never overlap).
 */
interface ShardFeed extends AutoCloseable {
    /** The next batch, or null when none is there yet (the caller comes back after its idle delay). */
    Batch next();

    @Override
    default void close() {
    }

    /**
     * One answer: its records in order, how far behind the tip the reader is (null if the answer did not say),
     * and, when the shard has ended ({@code ended}), its children. {@code throttled}: no records this time because
     * the shard's read allowance is used up; try again later.
     */
    record Batch(List<Record> records, Long millisBehindLatest, List<ChildShard> childShards, boolean ended,
                 boolean throttled) {
        static final Batch THROTTLED = new Batch(List.of(), null, List.of(), false, true);

        /** True when this answer reached the tip of the shard as it was when the answer was made. */
        boolean atTip() {
            return millisBehindLatest != null ? millisBehindLatest == 0 : records.isEmpty();
        }
    }
}
