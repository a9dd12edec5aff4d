package dev.millrace.loadgen;

import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The GetRecords call of one polling reader, with two implementations: the SDK's client ({@link #sdk}), which is
 * what a Kinesis application runs, and a connection of {@link LeanKinesis} ({@link #lean}), which reads the same
 * answers for a fraction of the CPU so that the generator is not what limits a read-throughput run.
 *
 * <p>Implementations are used by one reader's chain, one call at a time.
 */
interface GetRecordsClient {

    /**
     * One GetRecords answer: the records' data in order, the last record's sequence number ({@code null} if there
     * were no records) and the next iterator ({@code null} once a closed shard is read to its end).
     */
    record Page(List<byte[]> data, String lastSequenceNumber, String nextShardIterator) {
    }

    /**
     * Calls GetRecords. A failure completes the future with the exception the SDK would have thrown, so that
     * {@link ErrorCounts#errorType} names the AWS error code either way.
     */
    CompletableFuture<Page> getRecords(String shardIterator, int limit);

    /** GetRecords on a lean connection of the reader's own, the answer read by {@link GetRecordsAnswer}. */
    static GetRecordsClient lean(LeanKinesis.Connection connection) {
        return (shardIterator, limit) -> connection.call("GetRecords", g -> {
            g.writeStringField("ShardIterator", shardIterator);
            g.writeNumberField("Limit", limit);
        }, GetRecordsAnswer::page);
    }

    /** The SDK's GetRecords, on {@code client}. */
    static GetRecordsClient sdk(KinesisAsyncClient client) {
        return (shardIterator, limit) -> client.getRecords(b -> b.shardIterator(shardIterator).limit(limit))
                .thenApply(response -> {
                    int n = response.records().size();
                    String last = n == 0 ? null : response.records().get(n - 1).sequenceNumber();
                    return new Page(ReadStats.dataOf(response.records()), last, response.nextShardIterator());
                });
    }
}
