package dev.millrace.server.state;

/**
 * AWS's limits on resharding, configurable.
 *
 * <p>Immutable, thread-safe.
 *
 * @param maxShardsPerStream      most open shards a stream may have after UpdateShardCount or warm throughput
 * @param updatesPerDay           most UpdateShardCount calls per stream in any rolling 24 hours
 * @param minFactor               lowest target as a fraction of the current open shard count (AWS: 0.5)
 * @param maxFactor               highest target as a multiple of the current open shard count (AWS: 2)
 * @param maxWarmThroughputMiBps  highest WarmThroughputMiBps of an on-demand stream (AWS: 10 GiBps, "you cannot scale
 *                                to more than 10 GiBps for an on-demand stream", UpdateStreamWarmThroughput's reference)
 */
public record ScalingLimits(int maxShardsPerStream, int updatesPerDay, double minFactor, double maxFactor,
                            int maxWarmThroughputMiBps) {
    public static final int MAX_WARM_THROUGHPUT_MIBPS = 10 * 1024;
    public static final ScalingLimits AWS = new ScalingLimits(10_000, 10, 0.5, 2.0, MAX_WARM_THROUGHPUT_MIBPS);

    /** AWS's warm throughput maximum with the other limits given. */
    public ScalingLimits(int maxShardsPerStream, int updatesPerDay, double minFactor, double maxFactor) {
        this(maxShardsPerStream, updatesPerDay, minFactor, maxFactor, MAX_WARM_THROUGHPUT_MIBPS);
    }
}
