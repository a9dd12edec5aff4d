package dev.millrace.loadgen;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LatencyHistogram} against a sorted-array oracle: nearest-rank quantiles, never below the true value and at
 * most one bucket (1/128) above it.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class LatencyHistogramTest {
    private static final double[] QUANTILES = {0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0};

    /** The nearest-rank quantile of a sorted array. */
    private static long oracle(long[] sorted, double quantile) {
        int rank = (int) Math.max(1, Math.ceil(quantile * sorted.length));
        return sorted[rank - 1];
    }

    @Test
    void shouldMatchTheSortedArrayWithinOneBucketForLogNormalLatencies() {
        SplittableRandom random = new SplittableRandom(42);
        long[] values = new long[200_000];
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            // Roughly 1 µs .. 10 s, spread over many powers of two.
            values[i] = (long) Math.exp(7 + random.nextDouble() * 16);
            histogram.record(values[i]);
        }
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        for (double q : QUANTILES) {
            long expected = oracle(sorted, q);
            long actual = histogram.valueAtQuantile(q);
            assertThat(actual).as("q=%s", q).isGreaterThanOrEqualTo(expected);
            assertThat((double) actual).as("q=%s", q).isLessThanOrEqualTo(expected * (1 + 1.0 / 128) + 1);
        }
        assertThat(histogram.maxNanos()).isEqualTo(sorted[sorted.length - 1]);
        assertThat(histogram.minNanos()).isEqualTo(sorted[0]);
        assertThat(histogram.count()).isEqualTo(values.length);
        assertThat(histogram.meanNanos()).isCloseTo(Arrays.stream(values).average().orElseThrow(),
                org.assertj.core.data.Offset.offset(1.0));
    }

    @Test
    void shouldBeExactBelow256Nanoseconds() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (long v = 1; v <= 100; v++) {
            histogram.record(v);
        }
        assertThat(histogram.valueAtQuantile(0.5)).isEqualTo(50);
        assertThat(histogram.valueAtQuantile(0.99)).isEqualTo(99);
        assertThat(histogram.valueAtQuantile(0.999)).isEqualTo(100);
        assertThat(histogram.valueAtQuantile(1.0)).isEqualTo(100);
    }

    @Test
    void shouldReportOneSampleAsItselfAtEveryQuantile() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(1_234_567);
        LatencyHistogram.LatencySummary s = histogram.summary();
        assertThat(s.p50Nanos()).isEqualTo(1_234_567);
        assertThat(s.p99Nanos()).isEqualTo(1_234_567);
        assertThat(s.p999Nanos()).isEqualTo(1_234_567);
        assertThat(s.maxNanos()).isEqualTo(1_234_567);
    }

    @Test
    void shouldSeeTheTailOfARareStall() {
        // 1,000 fast requests and 2 stalled ones: p99.9 is the stall, p99 is not.
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < 998; i++) {
            histogram.record(1_000_000);
        }
        histogram.record(900_000_000);
        histogram.record(1_000_000_000);
        assertThat(histogram.valueAtQuantile(0.99)).isBetween(1_000_000L, 1_008_000L);
        assertThat(histogram.valueAtQuantile(0.999)).isBetween(900_000_000L, 907_100_000L);
        assertThat(histogram.maxNanos()).isEqualTo(1_000_000_000L);
    }

    @Test
    void shouldReportZerosWhenEmpty() {
        LatencyHistogram.LatencySummary s = new LatencyHistogram().summary();
        assertThat(s.count()).isZero();
        assertThat(s.p50Nanos()).isZero();
        assertThat(s.maxNanos()).isZero();
    }

    @Test
    void shouldCountNegativeLatenciesAsZero() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(-5);
        assertThat(histogram.maxNanos()).isZero();
        assertThat(histogram.valueAtQuantile(1.0)).isZero();
    }

    @Test
    void shouldRejectQuantilesOutsideZeroToOne() {
        LatencyHistogram histogram = new LatencyHistogram();
        assertThatThrownBy(() -> histogram.valueAtQuantile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> histogram.valueAtQuantile(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bucketsShouldCoverEveryValueContiguouslyAndNarrowly() {
        int previous = -1;
        for (long v : new long[] {0, 1, 255, 256, 257, 511, 512, 1_000, 65_535, 65_536, 1_000_000_007L,
                Long.MAX_VALUE / 2, Long.MAX_VALUE}) {
            int bucket = LatencyHistogram.bucketOf(v);
            assertThat(bucket).as("bucket of %d", v).isGreaterThanOrEqualTo(previous);
            assertThat(LatencyHistogram.bucketUpperNanos(bucket)).as("upper edge for %d", v).isGreaterThanOrEqualTo(v);
            if (bucket > 0) {
                assertThat(LatencyHistogram.bucketUpperNanos(bucket - 1)).as("previous edge for %d", v).isLessThan(v);
            }
            assertThat((double) LatencyHistogram.bucketUpperNanos(bucket) - v).isLessThanOrEqualTo(v / 128.0 + 1);
            previous = bucket;
        }
        for (int b = 1; b < LatencyHistogram.bucketOf(Long.MAX_VALUE); b++) {
            assertThat(LatencyHistogram.bucketOf(LatencyHistogram.bucketUpperNanos(b))).isEqualTo(b);
            assertThat(LatencyHistogram.bucketOf(LatencyHistogram.bucketUpperNanos(b - 1) + 1)).isEqualTo(b);
        }
    }

    @Test
    void shouldCountEveryRecordFromManyThreads() throws InterruptedException {
        LatencyHistogram histogram = new LatencyHistogram();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int thread = t;
            pool.execute(() -> {
                for (int i = 0; i < 100_000; i++) {
                    histogram.record(1_000 + thread);
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(histogram.count()).isEqualTo(400_000);
        assertThat(histogram.maxNanos()).isEqualTo(1_003);
        assertThat(histogram.minNanos()).isEqualTo(1_000);
        assertThat(histogram.valueAtQuantile(1.0)).isEqualTo(1_003);
    }
}
