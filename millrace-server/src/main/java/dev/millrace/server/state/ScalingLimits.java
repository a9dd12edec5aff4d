package dev.millrace.server.state;

/**
 * AWS's limits on resharding, configurable.
 *
 * <p>Immutable, thread-safe.
 *
 * @param maxShardsPerStream      most open shards a stream may have after UpdateShardCount
 * @param updatesPerDay           most UpdateShardCount calls per stream in any rolling 24 hours
 * @param minFactor               lowest target as a fraction of the current open shard count (AWS: 0.5)
 * @param maxFactor               highest target as a multiple of the current open shard count (AWS: 2)
 */
public record ScalingLimits(int maxShardsPerStream, int updatesPerDay, double minFactor, double maxFactor) {
    public static final ScalingLimits AWS = new ScalingLimits(10_000, 10, 0.5, 2.0);
}
