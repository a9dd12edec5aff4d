package dev.millrace.channels.delivery;

import dev.millrace.storage.ShardLog;
import java.util.List;

/**
 * The shards of the streams channels read, as the server knows them. The server implements it; delivery calls it on
 * its own threads, so implementations are thread-safe and cheap (an in-memory look-up).
 *
 * <p>On a cluster, a node returns only the shards it delivers, so that every shard is delivered by exactly one node.
 */
public interface ShardSource {

    /**
     * The shards of the stream with this ARN, open and closed, that still hold records, if the stream is the
     * incarnation created at {@code streamCreatedMs}; empty when the stream no longer exists or is another
     * incarnation (deleted and created again under the same name: its positions mean nothing to the channel's
     * checkpoints).
     */
    List<Shard> shards(String streamArn, long streamCreatedMs);

    /**
     * One shard.
     *
     * @param shardId               "shardId-" and 12 digits
     * @param parentShardId         its parent, or null
     * @param adjacentParentShardId its other parent after a merge, or null
     * @param ended                 whether it has been closed by a split or merge: its log then ends at
     *                              {@link ShardLog#endPosition()} and, once delivered to there, it is done
     * @param log                   its records
     * @param sequenceNumber        a record's sequence number as Kinesis shows it (56 digits)
     */
    record Shard(String shardId, String parentShardId, String adjacentParentShardId, boolean ended, ShardLog log,
                 SequenceNumbering sequenceNumber) {
    }

    /** A record's sequence number from where it is in its shard and when it arrived (both are in Kinesis's). */
    @FunctionalInterface
    interface SequenceNumbering {
        String of(long position, long arrivalMs);
    }
}
