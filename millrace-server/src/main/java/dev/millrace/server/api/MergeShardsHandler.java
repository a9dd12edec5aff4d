package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.Resharding;
import dev.millrace.server.state.ShardRecord;

/**
 * MergeShards: closes two adjacent shards and opens one child spanning both.
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
        String first = request.string("ShardToMerge");
        String second = request.string("AdjacentShardToMerge");
        services.streams().reshard(name, "MergeShards", s -> {
            int a = ShardRecord.parseShardId(first);
            int b = ShardRecord.parseShardId(second);
            if (a < 0 || b < 0) {
                throw KinesisException.resourceNotFound("Shard " + (a < 0 ? first : second) + " in "
                        + services.streams().context(name) + " does not exist.");
            }
            if (a == b) {
                throw KinesisException.invalidArgument("Shards " + first + " and " + second + " in "
                        + services.streams().context(name) + " are not an adjacent pair of shards eligible for "
                        + "merging");
            }
            return s.withShards(Resharding.merge(s.shards(), a, b, services.streams().clock().millis(),
                    services.streams().context(name)).shards());
        });
    }
}
