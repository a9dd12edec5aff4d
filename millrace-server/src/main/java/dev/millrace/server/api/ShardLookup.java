package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.StreamStatus;

/**
 * Reads the shard id of a request and finds the shard, with AWS's messages. A shard id AWS cannot read at all
 * ({@link ShardRecord#parseShardId}) is refused before the stream is looked at: "Could not find shard &lt;id as
 * given&gt; in stream ...". Past that, the messages name the shard as {@code shardId-%012d}.
 *
 * <p>Stateless, thread-safe.
 */
final class ShardLookup {
    private ShardLookup() {
    }

    /** A stream and one of its shards. */
    record Located(StreamRecord stream, ShardRecord shard) {
    }

    /** The index a shard id names, else ResourceNotFoundException, whether or not the stream exists. */
    static int index(StreamRegistry streams, String streamName, String shardId) {
        int index = ShardRecord.parseShardId(shardId);
        if (index < 0) {
            throw KinesisException.resourceNotFound("Could not find shard " + shardId + " in "
                    + streams.context(streamName) + ".");
        }
        return index;
    }

    /**
     * The shard to read from, as GetShardIterator looks it up: an unknown stream is reported as the shard not
     * existing in it (so is every shard of a stream still CREATING, which lists none); a DELETING stream is not
     * found.
     */
    static Located forRead(StreamRegistry streams, String streamName, String shardId) {
        int index = index(streams, streamName, shardId);
        StreamRecord s = streams.find(streamName).orElseThrow(() -> notInStream(streams, streamName, index));
        if (s.status() == StreamStatus.DELETING) {
            throw streams.notFound(streamName);
        }
        return new Located(s, shard(streams, s, index));
    }

    /** A shard of a stream, as reads address it (GetShardIterator, SubscribeToShard). */
    static ShardRecord shard(StreamRegistry streams, StreamRecord s, String shardId) {
        return shard(streams, s, index(streams, s.name(), shardId));
    }

    private static ShardRecord shard(StreamRegistry streams, StreamRecord s, int index) {
        ShardRecord shard = s.shard(index);
        if (shard == null) {
            throw notInStream(streams, s.name(), index);
        }
        return shard;
    }

    private static KinesisException notInStream(StreamRegistry streams, String streamName, int index) {
        // AWS ends this one without a full stop.
        return KinesisException.resourceNotFound("Shard " + ShardRecord.shardId(index) + " in "
                + streams.context(streamName) + " does not exist");
    }
}
