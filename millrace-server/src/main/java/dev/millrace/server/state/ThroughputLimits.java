package dev.millrace.server.state;

/**
 * AWS's per-shard throughput limits, scaled or switched off.
 *
 * <p>Immutable, thread-safe.
 *
 * @param enabled whether limits apply at all
 * @param scale   multiplies every rate (2.0 doubles them; tests may shrink them)
 */
public record ThroughputLimits(boolean enabled, double scale) {
    public static final ThroughputLimits AWS = new ThroughputLimits(true, 1.0);
    public static final ThroughputLimits OFF = new ThroughputLimits(false, 1.0);

    public static final double WRITE_BYTES_PER_SECOND = 1024 * 1024;
    public static final double WRITE_RECORDS_PER_SECOND = 1000;
    public static final double READ_BYTES_PER_SECOND = 2 * 1024 * 1024;
    public static final double READ_CALLS_PER_SECOND = 5;
    public static final double ITERATORS_PER_SECOND = 5;

    public ThroughputLimits {
        if (scale <= 0) {
            throw new IllegalArgumentException("scale must be positive: " + scale);
        }
    }
}
