package dev.millrace.cloudwatch;

import java.util.Map;

/**
 * One minute of one of the server's own metrics, for {@link CloudWatchApi#record}: the minute's data points folded
 * into their count, sum, minimum and maximum, as CloudWatch keeps them. {@code unit} is a CloudWatch unit
 * ({@code Count}, {@code Bytes}, {@code Milliseconds}, ...; null means {@code None}); {@code minuteStartMs} is rounded
 * down to its minute.
 *
 * <p>Immutable, thread-safe (the map is the caller's: pass an unmodifiable one).
 */
public record MinuteAggregate(String namespace, String metricName, Map<String, String> dimensions, String unit,
                              long minuteStartMs, double sampleCount, double sum, double minimum, double maximum) {
}
