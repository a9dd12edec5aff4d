package dev.millrace.storage.log;

import dev.millrace.storage.FailureLog;
import dev.millrace.storage.StorageException;

import java.io.IOException;
import java.time.Clock;

/**
 * A shard's outage after an IO failure (a full disk, a failed fsync): whether it is offline and why, when it may next
 * try to heal, and the lines it logs about it, one per interval through a {@link FailureLog}, however many appends it
 * refuses meanwhile.
 *
 * <p>Changed only by the shard holding its append lock; {@link #offline} and {@link #cause} may be read without it
 * (volatile), so that appends to an offline shard fail at once.
 */
final class ShardOutage {
    private final String key;
    private final Clock clock;
    private final long healIntervalMs;
    private final FailureLog failures;
    private volatile StorageException cause;
    /** When the next attempt to heal may start (the injected clock's millis). */
    private long nextHealMs;
    /**
     * Re-established from disk, but no append has succeeded since: on a disk still full that always works and the
     * next append fails again, so the outage ends (and is logged as over) only with an acknowledged append.
     * Written under the shard's append lock; volatile so that an acknowledged append can see without the lock that
     * there is nothing to end, which is nearly always so.
     */
    private volatile boolean healing;

    ShardOutage(String key, Clock clock, long healIntervalMs, FailureLog failures) {
        this.key = key;
        this.clock = clock;
        this.healIntervalMs = healIntervalMs;
        this.failures = failures;
    }

    boolean offline() {
        return cause != null;
    }

    /** Why the shard is offline, or null. */
    StorageException cause() {
        return cause;
    }

    /** Takes the shard offline (or keeps it so) after {@code e}; returns what to throw. */
    StorageException fail(String what, Exception e) {
        failures.failure(what, e);
        cause = new StorageException(what + " on shard " + key + ": " + e, e, true);
        nextHealMs = clock.millis() + healIntervalMs;
        return cause;
    }

    /** The fast answer to an append while offline: no IO, no stack trace, logged only by interval. */
    StorageException refused() {
        StorageException c = cause;
        failures.repeated("append refused while offline", c == null ? new IOException("unknown") : c);
        return new StorageException("shard " + key + " is offline after an IO failure ("
                + (c == null ? "unknown" : c.getMessage()) + "); it retries on its own", c, true);
    }

    /** Whether an attempt to heal may start now; if so, the next one may start an interval later. */
    boolean healDue() {
        long nowMs = clock.millis();
        if (nowMs < nextHealMs) {
            return false;
        }
        nextHealMs = nowMs + healIntervalMs;
        return true;
    }

    /** An attempt to heal failed: logs it (by interval) and returns what to throw. */
    StorageException healFailed(Exception e) {
        failures.failure("re-establishing the shard from disk failed", e);
        return new StorageException("shard " + key + " is offline after an IO failure and could not be "
                + "re-established yet: " + e, e, true);
    }

    /** The shard was re-established from disk: appends go on; the outage ends with the first acknowledged one. */
    void healed() {
        cause = null;
        healing = true;
    }

    /** Whether the shard was re-established and no append succeeded since (see {@link #endHealing}). */
    boolean healing() {
        return healing;
    }

    /** After an acknowledged append: whether it ended an outage (then {@link #logBackOnline}, holding no lock). */
    boolean endHealing() {
        if (!healing) {
            return false;
        }
        healing = false;
        return true;
    }

    void logBackOnline(long position) {
        failures.healed("back online at position " + position + ", state re-established from disk");
    }
}
