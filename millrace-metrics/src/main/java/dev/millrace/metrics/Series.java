package dev.millrace.metrics;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The metrics of one level of one thing (a stream, a consumer of it, a shard of it, a mapping): the minute being
 * recorded, the minutes recorded but not yet published, the totals of those published (what Prometheus's counters
 * show), and the last value of each {@link KinesisMetric.Kind#AGE} metric.
 *
 * <p>Thread-safe. Recording takes no lock: a value is added to the current minute's adders; only the first value of
 * a new minute takes this series' monitor, to start the minute. A value whose thread read the clock just before a
 * minute ended and adds it after that minute was published is lost; {@link KinesisMetrics#PUBLISH_GRACE_MS} makes
 * that a thread stalled for seconds between two lines.
 */
final class Series {
    static final long MINUTE_MS = 60_000;

    final KinesisMetric.Level level;
    /** AWS's dimensions (StreamName, ConsumerName, ShardId; a mapping's FunctionName, EventSourceMappingUUID). */
    final Map<String, String> dimensions;
    private final List<KinesisMetric> metrics;
    private final AtomicReference<Window> current = new AtomicReference<>(Window.NONE);
    /** Windows not yet published, oldest first; guarded by this. */
    private final List<Window> unpublished = new ArrayList<>(2);
    /** Per metric slot, what published windows held; guarded by this. */
    private final long[] publishedCount;
    private final long[] publishedSum;
    /** Per metric slot, the last value of an AGE metric ({@link Long#MIN_VALUE}: none yet). */
    private final AtomicLongArray lastValue;

    Series(KinesisMetric.Level level, Map<String, String> dimensions) {
        this.level = level;
        this.dimensions = Map.copyOf(dimensions);
        this.metrics = KinesisMetric.of(level);
        this.publishedCount = new long[metrics.size()];
        this.publishedSum = new long[metrics.size()];
        this.lastValue = new AtomicLongArray(metrics.size());
        for (int i = 0; i < metrics.size(); i++) {
            lastValue.set(i, Long.MIN_VALUE);
        }
    }

    /** One value of {@code metric} at {@code nowMs}. */
    void add(KinesisMetric metric, long nowMs, long value) {
        window(nowMs).add(metric.slot(), 1, value, value, value);
        if (metric.kind() == KinesisMetric.Kind.AGE) {
            lastValue.set(metric.slot(), value);
        }
    }

    /** {@code samples} values of {@code metric} at once, whose sum, least and greatest are given. */
    void addMany(KinesisMetric metric, long nowMs, long samples, long sum, long min, long max) {
        if (samples > 0) {
            window(nowMs).add(metric.slot(), samples, sum, min, max);
        }
    }

    private Window window(long nowMs) {
        Window w = current.get();
        long minute = nowMs - Math.floorMod(nowMs, MINUTE_MS);
        // A thread that read the clock a moment before another one started the next minute adds to that next
        // minute: no window is made for a minute that is over.
        return w.minuteStartMs >= minute ? w : startMinute(minute);
    }

    private synchronized Window startMinute(long minute) {
        Window w = current.get();
        if (w.minuteStartMs >= minute) {
            return w;
        }
        Window next = new Window(minute, metrics.size());
        unpublished.add(next);
        current.set(next);
        return next;
    }

    /**
     * Moves the windows of minutes that ended at or before {@code endedBeforeMs} to the published totals and adds
     * their aggregates to {@code out}.
     */
    synchronized void publishEnded(long endedBeforeMs, List<MinuteAggregate> out) {
        for (Iterator<Window> it = unpublished.iterator(); it.hasNext(); ) {
            Window w = it.next();
            if (w.minuteStartMs + MINUTE_MS > endedBeforeMs) {
                break;
            }
            it.remove();
            for (KinesisMetric m : metrics) {
                int slot = m.slot();
                long count = w.counts[slot].sum();
                if (count == 0) {
                    continue;
                }
                long sum = w.sums[slot].sum();
                publishedCount[slot] += count;
                publishedSum[slot] += sum;
                double scale = m.recordedPerUnit();
                out.add(new MinuteAggregate(m.namespace(), m.awsName(), m.cloudWatchDimensions(dimensions),
                        m.unit().cloudWatchName(), w.minuteStartMs, count, sum / scale, w.mins[slot].get() / scale,
                        w.maxes[slot].get() / scale));
            }
        }
    }

    /** Whether nothing was recorded since {@code sinceMs} and every minute recorded was published. */
    synchronized boolean idleSince(long sinceMs) {
        return unpublished.isEmpty() && current.get().minuteStartMs + MINUTE_MS <= sinceMs;
    }

    /** All-time totals of one metric, published or not, and its last value (AGE); read for Prometheus. */
    record Totals(long count, long sum, long last) {
    }

    synchronized Totals totals(KinesisMetric metric) {
        int slot = metric.slot();
        long count = publishedCount[slot];
        long sum = publishedSum[slot];
        for (Window w : unpublished) {
            count += w.counts[slot].sum();
            sum += w.sums[slot].sum();
        }
        return new Totals(count, sum, lastValue.get(slot));
    }

    /** One minute's adders, one set per metric of the level. */
    static final class Window {
        static final Window NONE = new Window(Long.MIN_VALUE, 0);

        final long minuteStartMs;
        final LongAdder[] counts;
        final LongAdder[] sums;
        final LongAccumulator[] mins;
        final LongAccumulator[] maxes;

        Window(long minuteStartMs, int metricCount) {
            this.minuteStartMs = minuteStartMs;
            counts = new LongAdder[metricCount];
            sums = new LongAdder[metricCount];
            mins = new LongAccumulator[metricCount];
            maxes = new LongAccumulator[metricCount];
            for (int i = 0; i < metricCount; i++) {
                counts[i] = new LongAdder();
                sums[i] = new LongAdder();
                mins[i] = new LongAccumulator(Math::min, Long.MAX_VALUE);
                maxes[i] = new LongAccumulator(Math::max, Long.MIN_VALUE);
            }
        }

        void add(int slot, long samples, long sum, long min, long max) {
            // The extremes first: a publisher that sees the count sees them too (it reads after the minute ended).
            mins[slot].accumulate(min);
            maxes[slot].accumulate(max);
            sums[slot].add(sum);
            counts[slot].add(samples);
        }
    }
}
