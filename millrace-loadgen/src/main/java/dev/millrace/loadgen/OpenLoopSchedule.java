package dev.millrace.loadgen;

/**
 * When each request of an open-loop run is due: request {@code i} (from 0) at {@code startNanos + i / rate}
 * seconds, whatever happened to the requests before it. A late request keeps its intended time, so a stall of the
 * server shows up in the latency of every request that should have been sent during it (no coordinated omission).
 * The times come from one multiplication per request, never from adding up periods, so rounding does not drift
 * over a long run.
 *
 * <p>Immutable, hence thread-safe.
 */
public final class OpenLoopSchedule {
    private final long startNanos;
    private final double requestsPerS;

    public OpenLoopSchedule(long startNanos, double requestsPerS) {
        if (!(requestsPerS > 0) || Double.isInfinite(requestsPerS)) {
            throw new IllegalArgumentException("rate must be a positive number of requests/s, was " + requestsPerS);
        }
        this.startNanos = startNanos;
        this.requestsPerS = requestsPerS;
    }

    /** The {@link System#nanoTime()} at which request {@code index} should be sent. */
    public long intendedNanos(long index) {
        return startNanos + Math.round(index * (1e9 / requestsPerS));
    }

    /** How many requests are due at or before {@code nowNanos} (request {@code i} is due at {@link #intendedNanos}). */
    public long dueBy(long nowNanos) {
        if (nowNanos < startNanos) {
            return 0;
        }
        long estimate = (long) Math.floor((nowNanos - startNanos) * requestsPerS / 1e9) + 1;
        // The estimate can be one off either way where rounding in intendedNanos crosses nowNanos.
        while (estimate > 0 && intendedNanos(estimate - 1) > nowNanos) {
            estimate--;
        }
        while (intendedNanos(estimate) <= nowNanos) {
            estimate++;
        }
        return estimate;
    }

    public long startNanos() {
        return startNanos;
    }

    public double requestsPerS() {
        return requestsPerS;
    }
}
