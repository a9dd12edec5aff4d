package dev.millrace.server.records;

import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.HashKeys;
import dev.millrace.server.state.ShardRouter;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamStatus;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.Utf8;
import dev.millrace.storage.AppendRecord;

import java.math.BigInteger;

/**
 * How PutRecord and PutRecords find where a record goes, and the checks that come with it: the stream accepts writes,
 * the record has a hash key (its explicit one in range, else its partition key's MD5, or on an AUTO stream the next
 * shard's turn), the record fits the stream's maximum record size. The handlers run these checks in their own order,
 * before {@link RecordWriter} routes and appends.
 *
 * <p>Stateless, thread-safe.
 */
public final class RecordRouting {
    private RecordRouting() {
    }

    /** The stream, if it takes writes now ({@code ACTIVE} or {@code UPDATING}); otherwise not found, as AWS says. */
    public static StreamRecord writableStream(StreamRegistry streams, String name) {
        StreamRecord s = streams.get(name);
        if (s.status() != StreamStatus.ACTIVE && s.status() != StreamStatus.UPDATING) {
            throw streams.notFound(name);
        }
        return s;
    }

    /**
     * The entry for a record of stream {@code s}, with the hash key it is routed by: on an AUTO stream a point in the
     * next shard of a round robin over the open shards (keys are ignored there); otherwise the explicit hash key, or
     * the MD5 of the partition key, whose digest goes into the entry as its two halves without a BigInteger (the
     * common case: one per record). Refuses a missing partition key or a bad explicit hash key.
     */
    public static RecordWriter.Entry entry(StreamRecord s, AppendRecord record) {
        String partitionKey = record.partitionKey();
        String explicitHashKey = record.explicitHashKey();
        long sizeBytes = recordBytes(partitionKey, record.dataLength());
        if (s.autoDistribution()) {
            BigInteger spread = ShardRouter.of(s).spread();
            return new RecordWriter.Entry(record, HashKeys.high(spread), HashKeys.low(spread), sizeBytes);
        }
        if (partitionKey == null) {
            // Optional in the model since the AUTO distribution strategy; a USER_PARTITION_KEY stream still needs one.
            throw KinesisException.invalidArgument("PartitionKey is required: the stream uses the USER_PARTITION_KEY "
                    + "record distribution strategy.");
        }
        if (explicitHashKey == null) {
            byte[] digest = HashKeys.digestOfPartitionKey(partitionKey);
            return new RecordWriter.Entry(record, HashKeys.high(digest), HashKeys.low(digest), sizeBytes);
        }
        BigInteger value = HashKeys.parseExplicit(explicitHashKey);
        if (value == null) {
            throw KinesisException.invalidArgument("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                    + "[0, 2^128-1]. Specified value was " + explicitHashKey);
        }
        return new RecordWriter.Entry(record, HashKeys.high(value), HashKeys.low(value), sizeBytes);
    }

    /** How often a write is routed again after finding its shard sealed by a concurrent split or merge. */
    static final int MAX_REROUTES = 100;

    /**
     * Waits a moment before routing again: the registry commits a reshard before sealing the parents, so a fresh
     * look at the stream almost always finds the children at once; the pause covers the rare wait for the commit.
     */
    static void pauseBeforeReroute(int attempt) {
        if (attempt > 0) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw KinesisException.internalFailure("interrupted while routing a record");
            }
        }
    }

    /** Bytes a record counts for, against size limits and throughput: its data plus its partition key. */
    static long recordBytes(String partitionKey, int dataBytes) {
        return (long) dataBytes + (partitionKey == null ? 0 : Utf8.length(partitionKey));
    }

    /** Refuses a record of {@code recordBytes} ({@link RecordWriter.Entry#sizeBytes}) over the stream's maximum. */
    public static void checkRecordSize(StreamRecord s, long recordBytes) {
        long maxBytes = s.maxRecordSizeKiB() * 1024L;
        if (recordBytes > maxBytes) {
            throw KinesisException.invalidArgument("Record size " + recordBytes
                    + " bytes (data plus partition key) exceeds the maximum record size of " + s.maxRecordSizeKiB()
                    + " KiB of stream " + s.name() + ".");
        }
    }
}
