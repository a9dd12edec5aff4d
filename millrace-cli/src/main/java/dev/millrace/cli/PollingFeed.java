package dev.millrace.cli;

import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.GetShardIteratorRequest;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.Record;

import java.util.List;

/**
 * One shard read with GetShardIterator and GetRecords. An iterator that expired (a reader paused for five minutes)
 * is replaced by one after the last record read, so nothing is skipped or repeated.
 *
 * <p>Not thread-safe: one shard's steps run one at a time.
 */
final class PollingFeed implements ShardFeed {
    /** GetRecords' maximum: the fewer calls, the fewer against the shard's 5 reads a second. */
    static final int RECORDS_PER_CALL = 10_000;

    private final KinesisClient kinesis;
    private final String stream;
    private final String shardId;
    private final StartPosition start;
    private String iterator;
    private String lastSequenceNumber;

    PollingFeed(KinesisClient kinesis, String stream, String shardId, StartPosition start) {
        this.kinesis = kinesis;
        this.stream = stream;
        this.shardId = shardId;
        this.start = start;
    }

    @Override
    public Batch next() {
        if (iterator == null) {
            StartPosition at = lastSequenceNumber == null ? start : StartPosition.after(lastSequenceNumber);
            iterator = kinesis.getShardIterator(iteratorRequest(stream, shardId, at)).shardIterator();
        }
        GetRecordsResponse r;
        try {
            String at = iterator;
            r = kinesis.getRecords(b -> b.shardIterator(at).limit(RECORDS_PER_CALL));
        } catch (ExpiredIteratorException e) {
            iterator = null;
            return next();
        } catch (ProvisionedThroughputExceededException e) {
            return Batch.THROTTLED;
        }
        List<Record> records = r.records();
        if (!records.isEmpty()) {
            lastSequenceNumber = records.get(records.size() - 1).sequenceNumber();
        }
        iterator = r.nextShardIterator();
        return new Batch(records, r.millisBehindLatest(), r.childShards(), iterator == null, false);
    }

    static GetShardIteratorRequest iteratorRequest(String stream, String shardId, StartPosition at) {
        return GetShardIteratorRequest.builder().streamName(stream).shardId(shardId)
                .shardIteratorType(at.type()).startingSequenceNumber(at.sequenceNumber()).timestamp(at.timestamp())
                .build();
    }
}
