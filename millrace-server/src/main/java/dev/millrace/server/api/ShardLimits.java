package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;

/**
 * The account-wide open-shard limit, checked before an operation adds shards (CreateStream, SplitShard,
 * UpdateShardCount), in AWS's words.
 *
 * <p>Stateless, thread-safe.
 */
final class ShardLimits {
    private ShardLimits() {
    }

    static void checkAccount(ApiServices services, int additionalShards) {
        int open = services.streams().openShardCount();
        if (open + additionalShards > services.shardLimit()) {
            throw KinesisException.limitExceeded("This request would exceed the shard limit for the account "
                    + services.streams().account().id() + " in " + services.streams().account().region()
                    + ". Current shard count for the account: " + open + ". Limit: " + services.shardLimit()
                    + ". Number of additional shards that would have resulted from this request: "
                    + additionalShards + ". Refer to the AWS Service Limits page "
                    + "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and "
                    + "how to request higher limits.");
        }
    }
}
