package dev.millrace.server.lambda;

import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.poll.MappingListener;
import dev.millrace.metrics.AccountMetrics;
import dev.millrace.metrics.MappingMeter;

/**
 * Records an account's region's event source mappings' {@code AWS/Lambda} metrics as its engine tells what it did
 * ({@link MappingListener}): each event goes to the mapping's {@link MappingMeter}, named by the mapping's UUID and
 * function. As channels' metrics, they are recorded by the node that processes the mapping (the metadata writer), so
 * a cluster counts each event once.
 *
 * <p>Thread-safe: the engine's poll and invocation threads call it at once; the meters are lock-free.
 */
final class MappingMetering implements MappingListener {
    private final AccountMetrics metrics;

    MappingMetering(AccountMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void invoked(EventSourceMapping mapping, int records, String outcome, long durationMs,
                        long iteratorAgeMs) {
        meter(mapping).invoked(records, invocation(outcome), durationMs, iteratorAgeMs);
    }

    @Override
    public void polled(EventSourceMapping mapping, int records) {
        meter(mapping).polled(records);
    }

    @Override
    public void filteredOut(EventSourceMapping mapping, int records) {
        meter(mapping).filteredOut(records);
    }

    @Override
    public void dropped(EventSourceMapping mapping, int records, boolean recordSent) {
        meter(mapping).dropped(records, recordSent);
    }

    @Override
    public void destinationDeliveryFailed(EventSourceMapping mapping, int records) {
        meter(mapping).destinationDeliveryFailed();
    }

    /**
     * The engine's outcome names ({@link MappingListener#invoked}) as the metrics count them: a 413 (too large) and a
     * batch that did not reach the endpoint are neither invocations nor throttles. An unknown name counts as not
     * invoked rather than failing the engine's thread.
     */
    static MappingMeter.Invocation invocation(String outcome) {
        return switch (outcome) {
            case "success" -> MappingMeter.Invocation.SUCCESS;
            case "function_error" -> MappingMeter.Invocation.FUNCTION_ERROR;
            case "throttled" -> MappingMeter.Invocation.THROTTLED;
            default -> MappingMeter.Invocation.NOT_INVOKED;
        };
    }

    private MappingMeter meter(EventSourceMapping mapping) {
        return metrics.mapping(mapping.functionName(), mapping.uuid());
    }
}
