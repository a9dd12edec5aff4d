package dev.millrace.metrics;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import static dev.millrace.metrics.KinesisMetric.*;

/**
 * What the server tells about one event source mapping as it processes its stream, recorded as Lambda's
 * {@code AWS/Lambda} metrics: the function-level ones AWS publishes for every function (Invocations, Errors,
 * Throttles, Duration, IteratorAge, DestinationDeliveryFailures; CloudWatch dimension {@code FunctionName}) and the
 * mapping-level event counts (PolledEventCount and the rest; dimension {@code EventSourceMappingUUID}). Each method is
 * one event of the engine and records every metric it concerns.
 *
 * <p>The mapping-level counts are recorded whatever the mapping's MetricsConfig says: AWS publishes them only to
 * mappings that ask ({@code EventCount}), Millrace always, as it always records Kinesis's stream-level metrics.
 *
 * <p>Thread-safe and lock-free on the way in, like {@link StreamMeter}: a call reads the clock once and adds to adders.
 */
public final class MappingMeter {
    /** AWS's dimension of the function-level metrics. */
    public static final String FUNCTION_NAME = "FunctionName";
    /** AWS's dimension of the mapping-level metrics. */
    public static final String MAPPING_UUID = "EventSourceMappingUUID";

    /** How an invocation of the function with a batch (or a piece of one) ended. */
    public enum Invocation {
        /** The function ran and returned. */
        SUCCESS,
        /** The batch reached the function and it failed: an invocation with an error. */
        FUNCTION_ERROR,
        /** The endpoint refused it with 429: a throttle, not an invocation. */
        THROTTLED,
        /** The batch did not reach the function (unreachable, a service error, too large): not an invocation. */
        NOT_INVOKED
    }

    private final Clock clock;
    private final String functionName;
    private final String uuid;
    private final Series series;

    MappingMeter(Clock clock, String functionName, String uuid) {
        this.clock = clock;
        this.functionName = functionName;
        this.uuid = uuid;
        this.series = new Series(Level.MAPPING, Map.of(FUNCTION_NAME, functionName, MAPPING_UUID, uuid));
    }

    /**
     * An invocation with {@code records} records ended as {@code outcome} after {@code durationMs},
     * {@code iteratorAgeMs} after the last of them arrived in the stream. One that reached the function is a sample
     * of Invocations, of Duration and of Errors (1 or 0, so that Errors' average is the error rate, as on AWS); a
     * throttle, a sample of Throttles. IteratorAge is taken at every invocation's end, reached or not (a function
     * that is throttled or unreachable falls behind too), but a tumbling window's final invocation without records
     * has no age to tell.
     */
    public void invoked(int records, Invocation outcome, long durationMs, long iteratorAgeMs) {
        long now = clock.millis();
        switch (outcome) {
            case SUCCESS, FUNCTION_ERROR -> {
                boolean failed = outcome == Invocation.FUNCTION_ERROR;
                series.add(MAPPING_INVOCATIONS, now, 1);
                series.add(MAPPING_DURATION, now, durationMs * 1_000);
                series.add(MAPPING_ERRORS, now, failed ? 1 : 0);
                series.add(MAPPING_INVOKED_EVENT_COUNT, now, records);
                if (failed) {
                    series.add(MAPPING_FAILED_INVOKE_EVENT_COUNT, now, records);
                }
            }
            case THROTTLED -> {
                series.add(MAPPING_THROTTLES, now, 1);
                series.add(MAPPING_FAILED_INVOKE_EVENT_COUNT, now, records);
            }
            case NOT_INVOKED -> series.add(MAPPING_FAILED_INVOKE_EVENT_COUNT, now, records);
        }
        if (records > 0) {
            series.add(MAPPING_ITERATOR_AGE, now, iteratorAgeMs);
        }
    }

    /** {@code records} records read from the stream (the filtered out among them too). */
    public void polled(int records) {
        series.add(MAPPING_POLLED_EVENT_COUNT, clock.millis(), records);
    }

    /** {@code records} records the filter criteria kept out. */
    public void filteredOut(int records) {
        series.add(MAPPING_FILTERED_OUT_EVENT_COUNT, clock.millis(), records);
    }

    /** {@code records} records given up; {@code delivered} whether their invocation record reached the destination. */
    public void dropped(int records, boolean delivered) {
        long now = clock.millis();
        series.add(MAPPING_DROPPED_EVENT_COUNT, now, records);
        if (delivered) {
            series.add(MAPPING_ON_FAILURE_DELIVERED_EVENT_COUNT, now, records);
        }
    }

    /** The OnFailure destination refused an invocation record. */
    public void destinationDeliveryFailed() {
        series.add(MAPPING_DESTINATION_DELIVERY_FAILURES, clock.millis(), 1);
    }

    String functionName() {
        return functionName;
    }

    String uuid() {
        return uuid;
    }

    Series series() {
        return series;
    }

    void publishEnded(long endedBeforeMs, List<MinuteAggregate> out) {
        series.publishEnded(endedBeforeMs, out);
    }

    boolean idleSince(long sinceMs) {
        return series.idleSince(sinceMs);
    }
}
