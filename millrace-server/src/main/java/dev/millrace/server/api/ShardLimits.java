package dev.millrace.server.api;

/**
 * The account-wide open-shard limit, checked before an operation adds shards (CreateStream, SplitShard,
 * UpdateShardCount, UpdateStreamWarmThroughput), in AWS's words; checked early for AWS's order of errors, and again by
 * the registry as the change commits, atomically.
 *
 * <p>Stateless, thread-safe.
 */
final class ShardLimits {
    private ShardLimits() {
    }

    static void checkAccount(ApiServices services, int additionalShards) {
        services.streams().checkShardLimit(additionalShards);
    }
}
