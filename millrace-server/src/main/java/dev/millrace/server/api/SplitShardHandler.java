package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.HashKeys;
import dev.millrace.server.state.Resharding;
import dev.millrace.server.state.ShardRecord;

import java.math.BigInteger;

/**
 * SplitShard: closes a shard and opens two children, split at {@code NewStartingHashKey}.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_SplitShard.html
 *
 * <p>Thread-safe.
 */
final class SplitShardHandler implements OperationHandler {
    private final ApiServices services;

    SplitShardHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        String shardId = request.string("ShardToSplit");
        int index = ShardRecord.parseShardId(shardId);
        BigInteger newStart = HashKeys.parseExplicit(request.string("NewStartingHashKey"));
        if (newStart == null) {
            throw KinesisException.invalidArgument("NewStartingHashKey " + request.string("NewStartingHashKey")
                    + " is not in the range [0, 2^128-1].");
        }
        services.streams().reshard(name, "SplitShard", s -> {
            if (index < 0) {
                throw KinesisException.resourceNotFound("Shard " + shardId + " in "
                        + services.streams().context(name) + " does not exist.");
            }
            ShardLimits.checkAccount(services, 1);
            return s.withShards(Resharding.split(s.shards(), index, newStart, services.streams().clock().millis(),
                    services.streams().context(name)).shards());
        });
    }
}
