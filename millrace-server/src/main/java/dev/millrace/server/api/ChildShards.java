package dev.millrace.server.api;

import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;

/**
 * Writes {@code ChildShards}: the shards a closed shard was split or merged into, each with its parents and range.
 * GetRecords and SubscribeToShard send it at the end of a closed shard.
 *
 * <p>Stateless, thread-safe.
 */
public final class ChildShards {
    private ChildShards() {
    }

    public static void write(WireWriter out, StreamRecord s, ShardRecord parent) {
        out.startArray("ChildShards");
        for (ShardRecord child : s.shards()) {
            if (child.parentIndex() != parent.index() && child.adjacentParentIndex() != parent.index()) {
                continue;
            }
            out.startObject().string("ShardId", child.shardId()).startArray("ParentShards");
            out.string(ShardRecord.shardId(child.parentIndex()));
            if (child.adjacentParentIndex() >= 0) {
                out.string(ShardRecord.shardId(child.adjacentParentIndex()));
            }
            out.endArray().startObject("HashKeyRange")
                    .string("StartingHashKey", child.startingHashKey().toString())
                    .string("EndingHashKey", child.endingHashKey().toString())
                    .endObject().endObject();
        }
        out.endArray();
    }
}
