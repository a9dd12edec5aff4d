package dev.millrace.loadgen;

/**
 * The run's measurement boundary: records and requests sent at or after {@link #measureStartNanos()} (this JVM's
 * {@link System#nanoTime()}) are measured, earlier ones are warm-up. Readers start before the boundary is known, so
 * until it is set every record counts as warm-up. {@link #wall()} dates what records say about when they were made
 * (JSON records' {@code ts}); no measurement reads it.
 *
 * <p>Thread-safe: one volatile field, set once before the first request is sent.
 */
final class RunClock {
    private final java.time.Clock wall;
    private volatile long measureStartNanos = Long.MAX_VALUE;

    RunClock(java.time.Clock wall) {
        this.wall = wall;
    }

    java.time.Clock wall() {
        return wall;
    }

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
