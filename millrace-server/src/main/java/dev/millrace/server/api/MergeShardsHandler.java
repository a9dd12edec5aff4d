package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.Resharding;

/**
 * MergeShards: closes two adjacent shards and opens one child spanning both; {@code ShardToMerge} is the one with
 * the lower hash key range, as on AWS.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_MergeShards.html
 *
 * <p>Thread-safe.
 */
final class MergeShardsHandler implements OperationHandler {
    private final ApiServices services;

    MergeShardsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        // Unreadable shard ids are refused before the stream is looked at, as AWS does.
        int shard = ShardLookup.index(services.streams(), name, request.string("ShardToMerge"));
        int adjacent = ShardLookup.index(services.streams(), name, request.string("AdjacentShardToMerge"));
        services.streams().reshard(name, "MergeShards", s -> s.withShards(Resharding.merge(s.shards(), shard,
                adjacent, services.streams().clock().millis(), services.streams().context(name)).shards()));
    }
}
