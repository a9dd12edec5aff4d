package dev.millrace.cloudwatch;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The metrics clients have published with PutMetricData: each distinct metric (namespace, name and dimension set)
 * with its data point count, sum and the times of its last data point and last report. It answers ListMetrics and
 * is what Millrace's own metrics can build on; it is kept in memory only (metrics are telemetry, and KCL republishes
 * them every minute), and holds at most {@link #MAX_METRICS} distinct metrics: data points for further new metrics
 * are accepted and counted in {@link #droppedDatapoints()} but not listed.
 *
 * <p>Keys sort by namespace, name, then dimensions (sorted by name), so ListMetrics pages are stable and a page token
 * is simply the last key returned.
 *
 * <p>Thread-safe: a concurrent sorted map; each metric's statistics are updated under its own lock.
 */
final class MetricCatalog {
    static final int MAX_METRICS = 100_000;

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

    /** What is known of one metric. */
    static final class Metric {
        private final MetricId id;
        private double sampleCount;
        private double sum;
        private long lastTimestampMs;
        private long lastReceivedMs;

        Metric(MetricId id) {
            this.id = id;
        }

        MetricId id() {
            return id;
        }

        synchronized void add(double samples, double valueSum, long timestampMs, long receivedMs) {
            sampleCount += samples;
            sum += valueSum;
            lastTimestampMs = Math.max(lastTimestampMs, timestampMs);
            lastReceivedMs = Math.max(lastReceivedMs, receivedMs);
        }

        synchronized double sampleCount() {
            return sampleCount;
        }

        synchronized double sum() {
            return sum;
        }

        synchronized long lastReceivedMs() {
            return lastReceivedMs;
        }
    }

    private final NavigableMap<String, Metric> metrics = new ConcurrentSkipListMap<>();
    private final Clock clock;
    private final AtomicLong dropped = new AtomicLong();

    MetricCatalog(Clock clock) {
        this.clock = clock;
    }

    long nowMs() {
        return clock.millis();
    }

    /** Adds data points; {@code timestampMs} is the data points' time, which the caller has checked. */
    void record(MetricId id, double samples, double valueSum, long timestampMs) {
        String key = id.key();
        Metric metric = metrics.get(key);
        if (metric == null) {
            if (metrics.size() >= MAX_METRICS) {
                dropped.addAndGet(Math.round(samples));
                return;
            }
            metric = metrics.computeIfAbsent(key, k -> new Metric(id));
        }
        metric.add(samples, valueSum, timestampMs, clock.millis());
    }

    /** Metric for {@code id}, or null. */
    Metric get(MetricId id) {
        return metrics.get(id.key());
    }

    /** Up to {@code limit} metrics after the key {@code afterKey} (null: from the start) that {@code filter} keeps. */
    List<Map.Entry<String, Metric>> page(String afterKey, int limit, Predicate<Metric> filter) {
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
}
