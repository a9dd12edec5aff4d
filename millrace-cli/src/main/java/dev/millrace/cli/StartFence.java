package dev.millrace.cli;

import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.math.BigInteger;

/**
 * Where the data present when a tail (without --follow) started ends in an open shard. Kinesis cannot say what a
 * shard's last sequence number is, so the fence takes a LATEST iterator when the tail starts: the first record
 * it ever returns is the first one written after the start, and every record before it was there at the start.
 * {@link #check()} is called after each batch the reader receives: if the fence still has no record then, nothing
 * in that batch was written after the start either.
 *
 * <p>Not thread-safe: used by its shard's steps, which run one at a time.
 */
final class StartFence {
    private final KinesisClient kinesis;
    private String iterator;
    private BigInteger boundary;

    /** Takes the LATEST iterator now: call when the tail starts. */
    StartFence(KinesisClient kinesis, String stream, String shardId) {
        this.kinesis = kinesis;
        this.iterator = kinesis.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.LATEST)).shardIterator();
    }

    /** Looks for the first record written after the start, unless it is known already. */
    void check() {
        if (boundary != null || iterator == null) {
            return;
        }
        String at = iterator;
        GetRecordsResponse r = kinesis.getRecords(b -> b.shardIterator(at).limit(1));
        if (!r.records().isEmpty()) {
            boundary = new BigInteger(r.records().get(0).sequenceNumber());
        } else {
            // Renewed with every check, so it never expires while the reader works through a backlog.
            iterator = r.nextShardIterator();
        }
    }

    /** True if the record was written before the tail started, as far as the last {@link #check()} knows. */
    boolean before(String sequenceNumber) {
        return boundary == null || new BigInteger(sequenceNumber).compareTo(boundary) < 0;
    }
}
