package dev.millrace.cloudwatch;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Every metric this account has, published with PutMetricData or recorded by the server itself, as 1-minute time
 * series: for each metric (namespace, name and dimension set) and each unit it was reported in, one bucket per minute
 * holding the minute's SampleCount, Sum, Minimum and Maximum, which is all GetMetricStatistics and GetMetricData can
 * ask of it (percentiles would need the raw values, which are not kept). Data points of a high-resolution metric
 * (StorageResolution 1) land in their minute like any other. Kept in memory only: metrics are telemetry, and KCL
 * republishes them every minute.
 *
 * <p>Bounds. Minutes older than the retention window given to the constructor are dropped (data points for them are
 * accepted and not kept); a metric with no minute left and no data received within the window is forgotten. At most
 * {@code maxMetrics} distinct metrics and {@code maxBuckets} minute buckets (all metrics together) are held. A data
 * point that would need a new metric past the bound is accepted, not kept, and counted in
 * {@link #droppedDatapoints()}; published metrics may take only {@link #PUBLISHED_SHARE} of the slots, so the
 * server's own (AWS/Kinesis) always find room. When every bucket is taken, the oldest minute held is dropped from
 * every metric (the history gets shorter, new minutes are kept: {@link #evictedMinutes()}). A bucket costs 40 bytes (five parallel arrays below, up to 1.5 times that while an array grows), so a
 * series with a data point every minute costs about 56 KB a day; the default bucket bound is about 80 MB.
 *
 * <pre>
 *   Series (one per metric and unit), sorted by minute, index i &lt; size:
 *     long[]   minuteMs     start of the minute, epoch milliseconds, a multiple of 60,000
 *     double[] sampleCount  data points in the minute (&gt; 0)
 *     double[] sum          their sum
 *     double[] minimum      their minimum
 *     double[] maximum      their maximum
 * </pre>
 *
 * <p>Keys sort by namespace, name, then dimensions (sorted by name), so ListMetrics pages are stable and a page token
 * is simply the last key returned.
 *
 * <p>Thread-safe: a concurrent sorted map of metrics, each metric's series read and written under the metric's own
 * lock; the bucket count is an atomic.
 */
final class MetricStore {
    static final int DEFAULT_MAX_METRICS = 100_000;
    static final long DEFAULT_MAX_BUCKETS = 2_000_000;
    static final Duration DEFAULT_RETENTION = Duration.ofHours(24);
    static final long MINUTE_MS = 60_000;
    /** PutMetricData accepts data points this far ahead, so their minutes are kept too. */
    static final long FUTURE_LIMIT_MS = 2L * 3600 * 1000;
    /** CloudWatch's units; a bucket's unit is an index into this list. */
    static final List<String> UNITS = List.of("None", "Seconds", "Microseconds", "Milliseconds", "Bytes",
            "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits",
            "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
            "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
            "Gigabits/Second", "Terabits/Second", "Count/Second");

    /** One dimension of a metric. */
    record Dimension(String name, String value) {
    }

    /** A metric's identity; {@code dimensions} sorted by name. */
    record MetricId(String namespace, String name, List<Dimension> dimensions) {
        String key() {
            StringBuilder b = new StringBuilder(namespace).append('\0').append(name);
            for (Dimension d : dimensions) {
                b.append('\0').append(d.name()).append('\1').append(d.value());
            }
            return b.toString();
        }
    }

    /** One minute of one metric in one unit, as read. */
    record Bucket(long minuteMs, String unit, double sampleCount, double sum, double minimum, double maximum) {
    }

    /** One metric: its series, one per unit it was reported in. */
    static final class Metric {
        private final MetricId id;
        private final List<Series> series = new ArrayList<>(1);
        private long lastReceivedMs;
        private boolean forgotten;

        Metric(MetricId id) {
            this.id = id;
        }

        MetricId id() {
            return id;
        }

        synchronized long lastReceivedMs() {
            return lastReceivedMs;
        }

        /** The buckets of minutes in [fromMs, toMs), in {@code unit} (null: every unit), by minute then unit. */
        synchronized List<Bucket> buckets(long fromMs, long toMs, String unit) {
            List<Bucket> out = new ArrayList<>();
            for (Series s : series) {
                if (unit == null || UNITS.get(s.unit).equals(unit)) {
                    s.copy(fromMs, toMs, out);
                }
            }
            if (series.size() > 1) {
                out.sort((a, b) -> a.minuteMs() != b.minuteMs() ? Long.compare(a.minuteMs(), b.minuteMs())
                        : a.unit().compareTo(b.unit()));
            }
            return out;
        }

        /** Whether {@link #buckets} would give any, without copying them. */
        synchronized boolean hasBuckets(long fromMs, long toMs, String unit) {
            for (Series s : series) {
                if ((unit == null || UNITS.get(s.unit).equals(unit)) && s.has(fromMs, toMs)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** One unit's minutes of a metric: the arrays drawn in the class comment. Guarded by its metric's lock. */
    private static final class Series {
        final int unit;
        long[] minuteMs = new long[4];
        double[] sampleCount = new double[4];
        double[] sum = new double[4];
        double[] minimum = new double[4];
        double[] maximum = new double[4];
        int size;

        Series(int unit) {
            this.unit = unit;
        }

        /** Index of {@code minute}, or -(insertion point) - 1. */
        int find(long minute) {
            return Arrays.binarySearch(minuteMs, 0, size, minute);
        }

        void merge(int i, double count, double valueSum, double min, double max) {
            sampleCount[i] += count;
            sum[i] += valueSum;
            minimum[i] = Math.min(minimum[i], min);
            maximum[i] = Math.max(maximum[i], max);
        }

        void insert(int at, long minute, double count, double valueSum, double min, double max) {
            if (size == minuteMs.length) {
                resize(size + (size >> 1) + 1);
            }
            int tail = size - at;
            System.arraycopy(minuteMs, at, minuteMs, at + 1, tail);
            System.arraycopy(sampleCount, at, sampleCount, at + 1, tail);
            System.arraycopy(sum, at, sum, at + 1, tail);
            System.arraycopy(minimum, at, minimum, at + 1, tail);
            System.arraycopy(maximum, at, maximum, at + 1, tail);
            minuteMs[at] = minute;
            sampleCount[at] = count;
            sum[at] = valueSum;
            minimum[at] = min;
            maximum[at] = max;
            size++;
        }

        /** Drops minutes before {@code cutoffMs}; returns how many. */
        int dropBefore(long cutoffMs) {
            if (size == 0 || minuteMs[0] >= cutoffMs) {
                return 0;
            }
            int keepFrom = find(cutoffMs);
            keepFrom = keepFrom >= 0 ? keepFrom : -keepFrom - 1;
            int kept = size - keepFrom;
            System.arraycopy(minuteMs, keepFrom, minuteMs, 0, kept);
            System.arraycopy(sampleCount, keepFrom, sampleCount, 0, kept);
            System.arraycopy(sum, keepFrom, sum, 0, kept);
            System.arraycopy(minimum, keepFrom, minimum, 0, kept);
            System.arraycopy(maximum, keepFrom, maximum, 0, kept);
            size = kept;
            if (minuteMs.length > 16 && size < minuteMs.length / 4) {
                resize(Math.max(4, size * 2));
            }
            return keepFrom;
        }

        private void resize(int capacity) {
            minuteMs = Arrays.copyOf(minuteMs, capacity);
            sampleCount = Arrays.copyOf(sampleCount, capacity);
            sum = Arrays.copyOf(sum, capacity);
            minimum = Arrays.copyOf(minimum, capacity);
            maximum = Arrays.copyOf(maximum, capacity);
        }

        boolean has(long fromMs, long toMs) {
            int i = find(fromMs);
            i = i >= 0 ? i : -i - 1;
            return i < size && minuteMs[i] < toMs;
        }

        void copy(long fromMs, long toMs, List<Bucket> out) {
            int i = find(fromMs);
            for (i = i >= 0 ? i : -i - 1; i < size && minuteMs[i] < toMs; i++) {
                out.add(new Bucket(minuteMs[i], UNITS.get(unit), sampleCount[i], sum[i], minimum[i], maximum[i]));
            }
        }
    }

    private final NavigableMap<String, Metric> metrics = new ConcurrentSkipListMap<>();
    private final Clock clock;
    private final long retentionMs;
    /** The share of the metric slots that published (PutMetricData) metrics may take. */
    static final double PUBLISHED_SHARE = 0.8;
    private final Object evicting = new Object();
    private final java.util.concurrent.atomic.AtomicLong evictedMinutes = new java.util.concurrent.atomic.AtomicLong();
    private final int maxMetrics;
    private final long maxBuckets;
    private final AtomicLong buckets = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong nextSweepMs = new AtomicLong(Long.MIN_VALUE);

    MetricStore(Clock clock, Duration retention, int maxMetrics, long maxBuckets) {
        if (retention.toMillis() < MINUTE_MS) {
            throw new IllegalArgumentException("metric retention must be at least a minute: " + retention);
        }
        if (maxMetrics < 1 || maxBuckets < 1) {
            throw new IllegalArgumentException("metric bounds must be positive");
        }
        this.clock = clock;
        this.retentionMs = retention.toMillis();
        this.maxMetrics = maxMetrics;
        this.maxBuckets = maxBuckets;
    }

    long nowMs() {
        return clock.millis();
    }

    long retentionMs() {
        return retentionMs;
    }

    /** Start of the oldest minute still kept at {@code nowMs}. */
    long oldestKeptMinuteMs(long nowMs) {
        return minuteOf(nowMs - retentionMs);
    }

    static long minuteOf(long timestampMs) {
        return Math.floorDiv(timestampMs, MINUTE_MS) * MINUTE_MS;
    }

    /**
     * Adds {@code sampleCount} data points to the minute of {@code timestampMs} in {@code unit} (one of
     * {@link #UNITS}): counts and sums add, minimum and maximum combine. The caller has validated the values
     * (finite, count positive, minimum no greater than maximum).
     */
    void add(MetricId id, String unit, long timestampMs, double sampleCount, double sum, double minimum,
             double maximum) {
        add(id, unit, timestampMs, sampleCount, sum, minimum, maximum, false);
    }

    /**
     * As {@link #add(MetricId, String, long, double, double, double, double)}; {@code own} for the server's own
     * metrics ({@link CloudWatchApi#record}), which may use every metric slot, while published ones may use
     * {@link #PUBLISHED_SHARE} of them: a client inventing metric names cannot crowd out Kinesis's own.
     */
    void add(MetricId id, String unit, long timestampMs, double sampleCount, double sum, double minimum,
             double maximum, boolean own) {
        int unitIndex = UNITS.indexOf(unit);
        if (unitIndex < 0) {
            throw new IllegalArgumentException("not a CloudWatch unit: " + unit);
        }
        long nowMs = clock.millis();
        sweepIfDue(nowMs);
        long minute = minuteOf(timestampMs);
        boolean keep = minute >= oldestKeptMinuteMs(nowMs) && minute <= nowMs + FUTURE_LIMIT_MS;
        String key = id.key();
        boolean madeRoom = false;
        while (true) {
            Metric metric = metrics.get(key);
            if (metric == null) {
                if (metrics.size() >= (own ? maxMetrics : (int) (maxMetrics * PUBLISHED_SHARE))) {
                    drop(sampleCount);
                    return;
                }
                metric = metrics.computeIfAbsent(key, k -> new Metric(id));
            }
            synchronized (metric) {
                if (metric.forgotten) {
                    continue; // The sweep removed it meanwhile: make it anew.
                }
                metric.lastReceivedMs = Math.max(metric.lastReceivedMs, nowMs);
                if (!keep || addToSeries(metric, unitIndex, minute, sampleCount, sum, minimum, maximum, nowMs,
                        madeRoom)) {
                    return;
                }
            }
            // Every bucket is taken: room is made outside the metric's lock (eviction takes every metric's), then
            // the data point is tried once more.
            evictOldestMinute();
            madeRoom = true;
        }
    }

    /**
     * Under the metric's lock. False when the minute needs a new bucket and every bucket is taken, unless
     * {@code lastTry} (then the data point is dropped and counted, and true returned).
     */
    private boolean addToSeries(Metric metric, int unitIndex, long minute, double sampleCount, double sum,
                                double minimum, double maximum, long nowMs, boolean lastTry) {
        Series series = null;
        for (Series s : metric.series) {
            if (s.unit == unitIndex) {
                series = s;
            }
        }
        if (series == null) {
            series = new Series(unitIndex);
            metric.series.add(series);
        }
        buckets.addAndGet(-series.dropBefore(oldestKeptMinuteMs(nowMs)));
        int i = series.find(minute);
        if (i >= 0) {
            series.merge(i, sampleCount, sum, minimum, maximum);
        } else if (buckets.incrementAndGet() > maxBuckets) {
            buckets.decrementAndGet();
            if (!lastTry) {
                return false;
            }
            drop(sampleCount);
        } else {
            series.insert(-i - 1, minute, sampleCount, sum, minimum, maximum);
        }
        return true;
    }

    /**
     * Makes room when every bucket is taken: drops the oldest minute held, of every metric, so that a full store
     * keeps the newest minutes (a shorter history) rather than refusing them. Outside every metric's lock (it takes
     * them one by one); one eviction at a time.
     */
    private void evictOldestMinute() {
        synchronized (evicting) {
            if (buckets.get() < maxBuckets) {
                return; // another caller made room meanwhile
            }
            long oldest = Long.MAX_VALUE;
            for (Metric metric : metrics.values()) {
                synchronized (metric) {
                    for (Series s : metric.series) {
                        if (s.size > 0) {
                            oldest = Math.min(oldest, s.minuteMs[0]);
                        }
                    }
                }
            }
            if (oldest == Long.MAX_VALUE) {
                return;
            }
            for (Metric metric : metrics.values()) {
                synchronized (metric) {
                    for (Series s : metric.series) {
                        buckets.addAndGet(-s.dropBefore(oldest + MINUTE_MS));
                    }
                }
            }
            evictedMinutes.incrementAndGet();
        }
    }

    /** Counts data points not kept; a statistic set may claim any count, so one call adds at most a trillion. */
    private void drop(double sampleCount) {
        dropped.addAndGet((long) Math.min(Math.ceil(sampleCount), 1e12));
    }

    /**
     * Once a minute, by whichever caller comes first: drops aged minutes from every metric, and forgets metrics left
     * with none that received nothing within the retention window, so that idle metrics give their room back.
     */
    private void sweepIfDue(long nowMs) {
        long due = nextSweepMs.get();
        if (nowMs < due || !nextSweepMs.compareAndSet(due, nowMs + MINUTE_MS)) {
            return;
        }
        long cutoffMs = oldestKeptMinuteMs(nowMs);
        for (Map.Entry<String, Metric> e : metrics.entrySet()) {
            Metric metric = e.getValue();
            synchronized (metric) {
                int left = 0;
                for (Series s : metric.series) {
                    buckets.addAndGet(-s.dropBefore(cutoffMs));
                    left += s.size;
                }
                metric.series.removeIf(s -> s.size == 0);
                if (left == 0 && metric.lastReceivedMs < nowMs - retentionMs) {
                    metric.forgotten = true;
                    metrics.remove(e.getKey(), metric);
                }
            }
        }
    }

    /** Metric for {@code id}, or null; its buckets may include minutes the next sweep drops, so readers clip. */
    Metric get(MetricId id) {
        sweepIfDue(clock.millis());
        return metrics.get(id.key());
    }

    /** Up to {@code limit} metrics after the key {@code afterKey} (null: from the start) that {@code filter} keeps. */
    List<Map.Entry<String, Metric>> page(String afterKey, int limit, Predicate<Metric> filter) {
        sweepIfDue(clock.millis());
        Map<String, Metric> tail = afterKey == null ? metrics : metrics.tailMap(afterKey, false);
        List<Map.Entry<String, Metric>> out = new ArrayList<>();
        for (Map.Entry<String, Metric> e : tail.entrySet()) {
            if (out.size() == limit) {
                break;
            }
            if (filter.test(e.getValue())) {
                out.add(e);
            }
        }
        return out;
    }

    long droppedDatapoints() {
        return dropped.get();
    }

    /** How often a full store dropped its oldest minute to keep new ones. */
    long evictedMinutes() {
        return evictedMinutes.get();
    }

    /** Minute buckets held, all metrics together. */
    long bucketCount() {
        return buckets.get();
    }
}
