package dev.millrace.server.state;

import java.time.Clock;

/**
 * A token bucket on the injected clock: {@code ratePerSecond} tokens flow in continuously up to {@code capacity}.
 * {@link #tryTake} takes tokens only if all are there; {@link #charge} takes them regardless and may leave the bucket
 * in debt, which is how a large read is paid for after the fact.
 *
 * <p>Thread-safe: methods are synchronized.
 */
public final class TokenBucket {
    private final Clock clock;
    private final double capacity;
    private final double ratePerMs;
    private double tokens;
    private long updatedMs;

    public TokenBucket(Clock clock, double capacity, double ratePerSecond) {
        this.clock = clock;
        this.capacity = capacity;
        this.ratePerMs = ratePerSecond / 1000.0;
        this.tokens = capacity;
        this.updatedMs = clock.millis();
    }

    private void refill() {
        long now = clock.millis();
        if (now > updatedMs) {
            tokens = Math.min(capacity, tokens + (now - updatedMs) * ratePerMs);
            updatedMs = now;
        }
    }

    public synchronized boolean tryTake(double amount) {
        refill();
        if (tokens < amount && !(tokens >= capacity && amount > capacity)) {
            return false;
        }
        // A request larger than the whole bucket is let through when the bucket is full, and leaves it in debt:
        // otherwise a single record bigger than a second's allowance could never be written.
        tokens -= amount;
        return true;
    }

    public synchronized void charge(double amount) {
        refill();
        tokens -= amount;
    }

    /** Whether the bucket is not in debt. */
    public synchronized boolean solvent() {
        refill();
        return tokens >= 0;
    }

}
