package dev.millrace.server.state;

/**
 * How on-demand streams scale themselves.
 *
 * <p>Immutable, thread-safe.
 *
 * @param evaluateIntervalMs how often shards are looked at
 * @param windowSeconds      the window demand is averaged over
 * @param hotFraction        a shard whose demand stays above this fraction of its write limit is split
 * @param coldFraction       adjacent shards whose combined demand stays below this fraction of one shard's limit...
 * @param quietPeriodMs      ...for this long are merged
 * @param minShards          an on-demand stream never goes below this many open shards
 */
public record AutoScalingConfig(long evaluateIntervalMs, int windowSeconds, double hotFraction, double coldFraction,
                                long quietPeriodMs, int minShards) {
    public static final AutoScalingConfig DEFAULT = new AutoScalingConfig(5_000, 10, 0.5, 0.1, 15 * 60_000, 4);
}
