package dev.millrace.cloudwatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What GetMetricStatistics and GetMetricData share: reading a metric, a period, a time window and a statistic as
 * CloudWatch does, and folding a metric's minute buckets into periods.
 *
 * <p>Periods are whole minutes, because minutes are what {@link MetricStore} keeps: CloudWatch's high-resolution
 * periods (1, 5, 10, 20 and 30 seconds) are refused with a message that says so, rather than answered with data
 * that would look finer than it is. A window's start is rounded down as CloudWatch rounds it (to the minute when less
 * than 15 days ago, to 5 minutes up to 63 days, to the hour beyond), periods are counted from that start, and the
 * end is exclusive.
 *
 * <p>Stateless, thread-safe.
 */
final class MetricReads {
    static final List<String> STATISTICS = List.of("SampleCount", "Average", "Sum", "Minimum", "Maximum");
    private static final long DAY_MS = 24L * 3600 * 1000;
    /** 9999-12-31T23:59:59.999Z: times beyond it, or as far before 1970, are refused, so no arithmetic overflows. */
    private static final long MAX_TIMESTAMP_MS = 253_402_300_799_999L;

    private MetricReads() {
    }

    /** One period of a metric (in one unit, or in all units together), folded from its minutes. */
    record Aggregate(long startMs, String unit, double sampleCount, double sum, double minimum, double maximum) {
        /** One of {@link #STATISTICS}. */
        double statistic(String name) {
            switch (name) {
                case "SampleCount":
                    return sampleCount;
                case "Average":
                    return sum / sampleCount;
                case "Sum":
                    return sum;
                case "Minimum":
                    return minimum;
                case "Maximum":
                    return maximum;
                default:
                    throw new IllegalArgumentException(name);
            }
        }
    }

    /** The metric a request names: Namespace and MetricName required, Dimensions exactly as published. */
    static MetricStore.MetricId metric(Map<String, Object> input, String prefix) {
        String namespace = Inputs.requiredString(input, "Namespace", prefix + "Namespace", 1, 255);
        if (namespace.startsWith(":")) {
            throw CloudWatchException.invalidValue("The value " + namespace + " for parameter " + prefix
                    + "Namespace is invalid.");
        }
        String name = Inputs.requiredString(input, "MetricName", prefix + "MetricName", 1, 255);
        return new MetricStore.MetricId(namespace, name, Inputs.dimensions(input, "Dimensions",
                prefix + "Dimensions"));
    }

    /** A period in milliseconds: a positive multiple of 60 seconds. */
    static long periodMs(Object value, String parameter) {
        if (value == null) {
            throw CloudWatchException.missing(parameter);
        }
        int seconds = Inputs.integer(value, parameter);
        if (seconds < 1) {
            throw CloudWatchException.invalidValue("The parameter " + parameter + " must be greater than 0.");
        }
        if (seconds % 60 != 0) {
            throw CloudWatchException.invalidValue("The parameter " + parameter + " must be a multiple of 60."
                    + (seconds < 60 ? " Millrace keeps metrics at 1-minute resolution, so the high-resolution"
                    + " periods (1, 5, 10, 20 and 30 seconds) are not served." : ""));
        }
        return seconds * 1000L;
    }

    /** StartTime and EndTime: {rounded start, end}, the start less than the end. */
    static long[] window(Map<String, Object> input, long nowMs) {
        long startMs = timestampMs(input, "StartTime");
        long endMs = timestampMs(input, "EndTime");
        if (startMs >= endMs) {
            throw CloudWatchException.invalidValue("The parameter StartTime must be less than the parameter EndTime.");
        }
        long ageMs = nowMs - startMs;
        long roundMs = ageMs < 15 * DAY_MS ? MetricStore.MINUTE_MS
                : ageMs < 63 * DAY_MS ? 5 * MetricStore.MINUTE_MS : 60 * MetricStore.MINUTE_MS;
        return new long[] {Math.floorDiv(startMs, roundMs) * roundMs, endMs};
    }

    static long timestampMs(Map<String, Object> input, String parameter) {
        long ms = Inputs.requiredEpochMs(input, parameter, parameter);
        if (Math.abs(ms) > MAX_TIMESTAMP_MS) {
            throw CloudWatchException.invalidValue("The value " + input.get(parameter) + " for parameter " + parameter
                    + " is invalid.");
        }
        return ms;
    }

    /** Whether {@link #aggregate} would give any period, without folding them. */
    static boolean hasData(MetricStore store, MetricStore.MetricId id, long startMs, long endMs, String unit) {
        MetricStore.Metric metric = store.get(id);
        return metric != null && metric.hasBuckets(Math.max(startMs, store.oldestKeptMinuteMs(store.nowMs())), endMs,
                unit);
    }

    /**
     * The periods of [startMs, endMs) that have data, oldest first: one aggregate per period and unit when
     * {@code perUnit} (GetMetricStatistics answers each unit apart), else one per period.
     */
    static List<Aggregate> aggregate(MetricStore store, MetricStore.MetricId id, long startMs, long endMs,
                                     long periodMs, String unit, boolean perUnit) {
        MetricStore.Metric metric = store.get(id);
        if (metric == null) {
            return List.of();
        }
        long fromMs = Math.max(startMs, store.oldestKeptMinuteMs(store.nowMs()));
        TreeMap<Long, Map<String, double[]>> periods = new TreeMap<>();
        for (MetricStore.Bucket b : metric.buckets(fromMs, endMs, unit)) {
            long periodStartMs = startMs + (b.minuteMs() - startMs) / periodMs * periodMs;
            double[] a = periods.computeIfAbsent(periodStartMs, k -> new TreeMap<>())
                    .computeIfAbsent(perUnit ? b.unit() : "", k -> new double[] {0, 0, Double.POSITIVE_INFINITY,
                            Double.NEGATIVE_INFINITY});
            a[0] += b.sampleCount();
            a[1] += b.sum();
            a[2] = Math.min(a[2], b.minimum());
            a[3] = Math.max(a[3], b.maximum());
        }
        List<Aggregate> out = new ArrayList<>();
        periods.forEach((periodStartMs, byUnit) -> byUnit.forEach((u, a) -> out.add(
                new Aggregate(periodStartMs, u.isEmpty() ? null : u, a[0], a[1], a[2], a[3]))));
        return out;
    }
}
