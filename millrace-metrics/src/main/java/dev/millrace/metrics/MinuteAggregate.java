package dev.millrace.metrics;

import java.util.Map;

/**
 * One metric's statistics over one whole minute, as CloudWatch stores a data point: what {@link KinesisMetrics}
 * publishes, a cluster's nodes hand to the writer, and millrace-cloudwatch's {@code CloudWatchApi.record} takes (one
 * type for all three; millrace-cloudwatch depends on this module for it).
 *
 * <p>Immutable, thread-safe.
 *
 * @param namespace     {@code AWS/Kinesis}
 * @param metricName    AWS's name, e.g. {@code PutRecords.ThrottledRecords}
 * @param dimensions    AWS's dimension names and values, e.g. {@code StreamName=orders}
 * @param unit          CloudWatch's unit: {@code Bytes}, {@code Count} or {@code Milliseconds}; null means
 *                      {@code None}
 * @param minuteStartMs the minute's first millisecond (epoch, UTC)
 * @param sampleCount   how many values were recorded in the minute (at least 1)
 * @param sum           their sum
 * @param minimum       the least of them
 * @param maximum       the greatest of them
 */
public record MinuteAggregate(String namespace, String metricName, Map<String, String> dimensions, String unit,
                              long minuteStartMs, long sampleCount, double sum, double minimum, double maximum) {
    public MinuteAggregate {
        dimensions = Map.copyOf(dimensions);
    }
}
