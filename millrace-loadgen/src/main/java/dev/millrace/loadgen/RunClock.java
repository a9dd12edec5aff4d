package dev.millrace.loadgen;

/**
 * The run's measurement boundary: records and requests sent at or after {@link #measureStartNanos()} (this JVM's
 * {@link System#nanoTime()}) are measured, earlier ones are warm-up. Readers start before the boundary is known, so
 * until it is set every record counts as warm-up.
 *
 * <p>Thread-safe: one volatile field, set once before the first request is sent.
 */
final class RunClock {
    private volatile long measureStartNanos = Long.MAX_VALUE;

    long measureStartNanos() {
        return measureStartNanos;
    }

    void startMeasuringAt(long nanos) {
        if (measureStartNanos != Long.MAX_VALUE) {
            throw new IllegalStateException("the measurement already started");
        }
        measureStartNanos = nanos;
    }
}
