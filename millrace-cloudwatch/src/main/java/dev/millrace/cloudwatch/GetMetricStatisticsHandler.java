package dev.millrace.cloudwatch;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * GetMetricStatistics: the SampleCount, Average, Sum, Minimum and Maximum of one metric (its dimensions exactly as
 * published) for each period of a window that has data, oldest first, one data point per period and unit (a metric
 * published in two units answers two points for a period, as CloudWatch does; Unit keeps one). At most 1,440 periods
 * may be asked for, with CloudWatch's error past that. Percentiles (ExtendedStatistics) are refused with a clear
 * message: {@link MetricStore} keeps per-minute aggregates, not the raw values a percentile needs.
 *
 * <p>https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
 *
 * <p>Thread-safe: state lives in the store.
 */
final class GetMetricStatisticsHandler implements CloudWatchOperation {
    static final int MAX_DATAPOINTS = 1440;

    private final MetricStore store;

    GetMetricStatisticsHandler(MetricStore store) {
        this.store = store;
    }

    @Override
    public Map<String, Object> handle(Map<String, Object> input) {
        MetricStore.MetricId id = MetricReads.metric(input, "");
        long periodMs = MetricReads.periodMs(input.get("Period"), "Period");
        long nowMs = store.nowMs();
        long[] window = MetricReads.window(input, nowMs);
        Set<String> statistics = statistics(input);
        String unit = Inputs.unit(input, "Unit", "Unit");
        long requested = -Math.floorDiv(-(window[1] - MetricReads.timestampMs(input, "StartTime")), periodMs);
        if (requested > MAX_DATAPOINTS) {
            throw CloudWatchException.combination(String.format(Locale.ROOT, "You have requested up to %,d"
                    + " datapoints, which exceeds the limit of %,d. You may reduce the datapoints requested by"
                    + " increasing Period, or decreasing the time range.", requested, MAX_DATAPOINTS));
        }
        List<Object> datapoints = new ArrayList<>();
        for (MetricReads.Aggregate a : MetricReads.aggregate(store, id, window[0], window[1], periodMs, unit, true)) {
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("Timestamp", Instant.ofEpochMilli(a.startMs()));
            for (String statistic : MetricReads.STATISTICS) {
                if (statistics.contains(statistic)) {
                    point.put(statistic, a.statistic(statistic));
                }
            }
            point.put("Unit", a.unit());
            datapoints.add(point);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("Label", id.name());
        out.put("Datapoints", datapoints);
        return out;
    }

    private static Set<String> statistics(Map<String, Object> input) {
        List<?> statistics = Inputs.list(input, "Statistics", "Statistics");
        List<?> extended = Inputs.list(input, "ExtendedStatistics", "ExtendedStatistics");
        if (!statistics.isEmpty() && !extended.isEmpty()) {
            throw CloudWatchException.combination("The parameters Statistics and ExtendedStatistics are mutually"
                    + " exclusive and you have specified both.");
        }
        if (!extended.isEmpty()) {
            throw CloudWatchException.invalidValue("The parameter ExtendedStatistics is not supported: Millrace keeps"
                    + " each minute's SampleCount, Sum, Minimum and Maximum, not the raw values percentiles need."
                    + " Ask for Statistics instead.");
        }
        if (statistics.isEmpty()) {
            throw CloudWatchException.combination("Must specify either Statistics or ExtendedStatistics.");
        }
        if (statistics.size() > MetricReads.STATISTICS.size()) {
            throw CloudWatchException.invalidValue("The collection Statistics must not have a size greater than "
                    + MetricReads.STATISTICS.size() + ".");
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < statistics.size(); i++) {
            Object s = statistics.get(i);
            if (!MetricReads.STATISTICS.contains(s)) {
                throw CloudWatchException.invalidValue("The parameter Statistics.member." + (i + 1) + " must be a"
                        + " value in the set [ SampleCount, Average, Sum, Minimum, Maximum ].");
            }
            out.add((String) s);
        }
        return out;
    }
}
