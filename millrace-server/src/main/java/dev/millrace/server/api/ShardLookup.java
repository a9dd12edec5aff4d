package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;

/**
 * Finds a shard of a stream by id, with AWS's message when it does not exist.
 *
 * <p>Stateless, thread-safe.
 */
final class ShardLookup {
    private ShardLookup() {
    }

    static ShardRecord shard(StreamRegistry streams, StreamRecord s, String shardId) {
        int index = ShardRecord.parseShardId(shardId);
        ShardRecord shard = index < 0 ? null : s.shard(index);
        if (shard == null) {
            throw KinesisException.resourceNotFound("Shard " + shardId + " in stream " + s.name()
                    + " under account " + streams.account().id() + " does not exist");
        }
        return shard;
    }
}
