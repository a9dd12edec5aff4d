package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
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
        String context = services.streams().context(name);
        // AWS's order: an unreadable shard id first, then the stream, the shard, the account's limit, the key.
        int index = ShardLookup.index(services.streams(), name, request.string("ShardToSplit"));
        BigInteger newStart = newStartingHashKey(request.string("NewStartingHashKey"));
        services.streams().reshard(name, "SplitShard", s -> {
            ShardRecord parent = Resharding.openShard(s.shards(), index, context);
            ShardLimits.checkAccount(services, 1);
            Resharding.checkSplitKey(parent, newStart, context);
            return s.withShards(Resharding.split(s.shards(), index, newStart, services.streams().clock().millis(),
                    context).shards());
        });
    }

    /** The model's pattern admits decimals of up to 39 digits; one past 2^128-1 is refused by the shard's range. */
    private static BigInteger newStartingHashKey(String text) {
        try {
            return new BigInteger(text);
        } catch (NumberFormatException e) {
            throw KinesisException.invalidArgument("NewStartingHashKey " + text + " is not a decimal hash key.");
        }
    }
}
