package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamStatus;
import dev.millrace.server.state.Throttles;

/**
 * GetShardIterator: where to start reading a shard, for all five iterator types.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
 *
 * <p>Thread-safe.
 */
final class GetShardIteratorHandler implements OperationHandler {
    private final ApiServices services;

    GetShardIteratorHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        StreamRecord s = services.streams().get(name);
        if (s.status() != StreamStatus.ACTIVE && s.status() != StreamStatus.UPDATING) {
            throw services.streams().notFound(name);
        }
        ShardRecord shard = ShardLookup.shard(services.streams(), s, request.string("ShardId"));
        long position = StartingPositions.resolve(services, s, shard, request.string("ShardIteratorType"),
                request.string("StartingSequenceNumber"), request.timestamp("Timestamp"), "GetShardIterator");
        // Only a valid request spends the caller's budget of 5 calls per second per shard.
        if (!services.throttles().shard(s, shard).tryIterator()) {
            throw Throttles.shardRateExceeded(services.streams(), s, shard);
        }
        out.string("ShardIterator", services.iterators().issue(s.name(), s.epochMs(), shard.index(), position));
    }
}
