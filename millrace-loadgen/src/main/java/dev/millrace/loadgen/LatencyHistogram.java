package dev.millrace.loadgen;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in nanoseconds, counted in log-linear buckets (the layout of HdrHistogram with two significant digits,
 * written out here rather than added as a dependency): values below {@value #LINEAR_BUCKETS} ns get a bucket each;
 * above, every power of two is cut into {@value #SUB_BUCKETS} equal buckets, so a bucket is never wider than
 * 1/{@value #SUB_BUCKETS} (0.8%) of the values it holds. A run of any length therefore costs a fixed 57 KiB per
 * histogram and no allocation per record, where a sorted array would grow with the run (a minute of 200,000
 * records/s would need 96 MB per measurement).
 *
 * <p>{@link #valueAtQuantile} answers with the upper edge of the bucket holding the nearest-rank sample (never below
 * the true value, at most 0.8% above it), capped at the exact {@link #maxNanos()}; min, max, count and sum are exact.
 *
 * <p>Thread-safe: {@link #record} may be called from any thread (one atomic add per bucket); the readers see every
 * record that happened-before their call.
 */
public final class LatencyHistogram {
    /** Values below this get one bucket per nanosecond. */
    static final int LINEAR_BUCKETS = 256;
    /** Buckets per power of two above {@link #LINEAR_BUCKETS}. */
    static final int SUB_BUCKETS = 128;
    private static final int SUB_BUCKET_BITS = 7;
    /** 256 linear buckets, then 55 powers of two (2^8 .. 2^62) of 128 buckets each. */
    private static final int BUCKETS = LINEAR_BUCKETS + (62 - 8 + 1) * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong sumNanos = new AtomicLong();
    private final AtomicLong minNanos = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong maxNanos = new AtomicLong(Long.MIN_VALUE);

    /** Counts one latency; negative values (a clock that went backwards between threads) count as zero. */
    public void record(long latencyNanos) {
        long value = Math.max(0, latencyNanos);
        counts.incrementAndGet(bucketOf(value));
        count.incrementAndGet();
        sumNanos.addAndGet(value);
        long max = maxNanos.get();
        while (value > max && !maxNanos.compareAndSet(max, value)) {
            max = maxNanos.get();
        }
        long min = minNanos.get();
        while (value < min && !minNanos.compareAndSet(min, value)) {
            min = minNanos.get();
        }
    }

    static int bucketOf(long valueNanos) {
        if (valueNanos < LINEAR_BUCKETS) {
            return (int) valueNanos;
        }
        int topBit = 63 - Long.numberOfLeadingZeros(valueNanos);
        int shift = topBit - SUB_BUCKET_BITS;
        int sub = (int) (valueNanos >>> shift) - SUB_BUCKETS;
        return LINEAR_BUCKETS + (topBit - 8) * SUB_BUCKETS + sub;
    }

    /** The largest value that falls into {@code bucket}. */
    static long bucketUpperNanos(int bucket) {
        if (bucket < LINEAR_BUCKETS) {
            return bucket;
        }
        int topBit = (bucket - LINEAR_BUCKETS) / SUB_BUCKETS + 8;
        int sub = (bucket - LINEAR_BUCKETS) % SUB_BUCKETS + SUB_BUCKETS;
        int shift = topBit - SUB_BUCKET_BITS;
        return ((long) (sub + 1) << shift) - 1;
    }

    public long count() {
        return count.get();
    }

    /** The exact largest value, or 0 when empty. */
    public long maxNanos() {
        return count.get() == 0 ? 0 : maxNanos.get();
    }

    /** The exact smallest value, or 0 when empty. */
    public long minNanos() {
        return count.get() == 0 ? 0 : minNanos.get();
    }

    public double meanNanos() {
        long n = count.get();
        return n == 0 ? 0 : (double) sumNanos.get() / n;
    }

    /**
     * The nearest-rank quantile: the smallest recorded value with at least {@code ceil(quantile × count)} values at
     * or below it, reported as its bucket's upper edge (capped at the maximum). 0 when empty.
     */
    public long valueAtQuantile(double quantile) {
        if (!(quantile > 0 && quantile <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1], was " + quantile);
        }
        long n = count.get();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * n));
        long seen = 0;
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            seen += counts.get(bucket);
            if (seen >= rank) {
                return Math.min(bucketUpperNanos(bucket), maxNanos());
            }
        }
        // Only reachable while other threads are still recording (count ran ahead of the buckets).
        return maxNanos();
    }

    /** The usual summary, in milliseconds. */
    public LatencySummary summary() {
        return new LatencySummary(count(), valueAtQuantile(0.5), valueAtQuantile(0.99), valueAtQuantile(0.999),
                maxNanos(), (long) meanNanos());
    }

    /**
     * Count and p50/p99/p99.9/max/mean of a histogram, in nanoseconds; quantiles of an empty histogram are 0.
     *
     * <p>Immutable.
     */
    public record LatencySummary(long count, long p50Nanos, long p99Nanos, long p999Nanos, long maxNanos,
                                 long meanNanos) {
    }
}
