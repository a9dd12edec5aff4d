package dev.millrace.server.api;

import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;

/**
 * What the handlers share to record their calls' metrics ({@link dev.millrace.metrics.StreamMeter}).
 *
 * <p>Stateless, thread-safe.
 */
final class ApiMetrics {
    private ApiMetrics() {
    }

    /**
     * The shard's id when the stream's enhanced monitoring lists any metric, else null (what {@link
     * dev.millrace.metrics.StreamMeter} then never reads): a shard id is a new string each time, and a stream
     * without enhanced monitoring should not pay for one per call.
     */
    static String shardIdIfEnhanced(StreamRecord s, ShardRecord shard) {
        return s.shardLevelMetrics().isEmpty() ? null : shard.shardId();
    }

    /** Microseconds since {@code startNanos} (a {@link System#nanoTime} reading): a call's Latency. */
    static long elapsedMicros(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000;
    }
}
