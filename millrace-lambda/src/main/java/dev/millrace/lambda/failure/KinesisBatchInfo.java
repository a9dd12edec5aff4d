package dev.millrace.lambda.failure;

import dev.millrace.lambda.invoke.EventRecord;

import java.util.List;
import java.util.Objects;

/**
 * The discarded records as the invocation record describes them: which shard, which sequence numbers, when they
 * arrived, how many.
 *
 * <p>Immutable, thread-safe.
 *
 * @param firstArrivalMs the first record's approximate arrival, epoch milliseconds
 * @param lastArrivalMs  the last record's
 * @param streamArn      the stream's ARN (never a consumer's)
 */
public record KinesisBatchInfo(String shardId, String startSequenceNumber, String endSequenceNumber,
                               long firstArrivalMs, long lastArrivalMs, int batchSize, String streamArn) {
    public KinesisBatchInfo {
        Objects.requireNonNull(shardId, "shardId");
        Objects.requireNonNull(startSequenceNumber, "startSequenceNumber");
        Objects.requireNonNull(endSequenceNumber, "endSequenceNumber");
        Objects.requireNonNull(streamArn, "streamArn");
    }

    /** The info for discarding {@code records} (in shard order, at least one) of {@code shardId}. */
    public static KinesisBatchInfo of(String shardId, String streamArn, List<EventRecord> records) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no records");
        }
        EventRecord first = records.get(0);
        EventRecord last = records.get(records.size() - 1);
        return new KinesisBatchInfo(shardId, first.sequenceNumber(), last.sequenceNumber(), first.arrivalMs(),
                last.arrivalMs(), records.size(), streamArn);
    }
}
