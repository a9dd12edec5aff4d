package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
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
        ShardLookup.Located at = ShardLookup.forRead(services.streams(), name, request.string("ShardId"));
        StreamRecord s = at.stream();
        ShardRecord shard = at.shard();
        long position = StartingPositions.resolve(services, s, shard, request.string("ShardIteratorType"),
                request.string("StartingSequenceNumber"), request.timestamp("Timestamp"), "GetShardIterator");
        DryRun.stopIfRequested(request, services, s);
        // Charged only once the request is known to be valid: a rejected request costs the caller nothing.
        if (!services.throttles().shard(s, shard).tryIterator()) {
            throw Throttles.shardRateExceeded(services.streams(), s, shard);
        }
        out.string("ShardIterator", services.iterators().issue(services.streams().account(), s.name(), s.epochMs(),
                shard.index(), position));
    }
}
