package dev.millrace.server.api;

import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;

/**
 * Writes the {@code Shard} shape, shared by DescribeStream and ListShards.
 *
 * <p>Stateless, thread-safe.
 */
final class ShardOutput {
    private ShardOutput() {
    }

    static void write(WireWriter out, StreamRecord stream, ShardRecord shard) {
        out.startObject().string("ShardId", shard.shardId());
        if (shard.parentIndex() >= 0) {
            out.string("ParentShardId", ShardRecord.shardId(shard.parentIndex()));
        }
        if (shard.adjacentParentIndex() >= 0) {
            out.string("AdjacentParentShardId", ShardRecord.shardId(shard.adjacentParentIndex()));
        }
        out.startObject("HashKeyRange")
                .string("StartingHashKey", shard.startingHashKey().toString())
                .string("EndingHashKey", shard.endingHashKey().toString())
                .endObject();
        out.startObject("SequenceNumberRange").string("StartingSequenceNumber", SequenceNumbers.starting(shard));
        if (shard.ended()) {
            out.string("EndingSequenceNumber", SequenceNumbers.ending(shard));
        }
        out.endObject().endObject();
    }

    static void streamMode(WireWriter out, StreamRecord stream) {
        out.startObject("StreamModeDetails").string("StreamMode", stream.mode()).endObject();
    }

    static void enhancedMonitoring(WireWriter out, StreamRecord stream) {
        out.startArray("EnhancedMonitoring").startObject().startArray("ShardLevelMetrics");
        stream.shardLevelMetrics().forEach(out::string);
        out.endArray().endObject().endArray();
    }
}
