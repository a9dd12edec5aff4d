package dev.millrace.lambda.poll;

import dev.millrace.lambda.mapping.EventSourceMapping;

/**
 * What the engine tells the server's metrics about each mapping, on the engine's threads: cheap, non-blocking,
 * thread-safe. Names follow Lambda's CloudWatch metrics (facts §7.3).
 */
public interface MappingListener {

    /** Tells nothing. */
    MappingListener NONE = new MappingListener() {
    };

    /**
     * One invocation ended.
     *
     * @param records    the records in its event
     * @param outcome    {@code success}, {@code function_error}, {@code throttled}, {@code not_delivered} or
     *                   {@code too_large}
     * @param iteratorAgeMs the age of the batch's last record when the invocation ended (IteratorAge)
     */
    default void invoked(EventSourceMapping mapping, int records, String outcome, long durationMs,
                         long iteratorAgeMs) {
    }

    /** Records read from the stream (PolledEventCount). */
    default void polled(EventSourceMapping mapping, int records) {
    }

    /** Records the filter criteria kept out (FilteredOutEventCount). */
    default void filteredOut(EventSourceMapping mapping, int records) {
    }

    /** Records given up (DroppedEventCount), and whether their invocation record reached the OnFailure destination. */
    default void dropped(EventSourceMapping mapping, int records, boolean recordSent) {
    }

    /**
     * The OnFailure destination refused the invocation record of {@code records} discarded records
     * (DestinationDeliveryFailures): once per attempt, as AWS counts it; the records stay unended, and the shard waits,
     * until it is stored (the function is not invoked again for them).
     */
    default void destinationDeliveryFailed(EventSourceMapping mapping, int records) {
    }
}
