package dev.millrace.storage.contract;

import dev.millrace.storage.LogStore;
import dev.millrace.storage.crypto.KeyRing;

import java.time.Clock;

/**
 * Where one contract test (or one try of the model property) keeps its shard logs: a fresh, empty place (a
 * directory, a topic prefix) that stores are opened over, closed and opened over again, and that {@link #close}
 * discards. A backend's contract subclasses say only how to make one.
 *
 * <p>The capability methods say where a backend promises more than the SPI asks of every backend, so that the
 * contracts check the embedded engine as strictly as its own tests did while the Kafka backend is held to the SPI.
 *
 * <p>Not thread-safe: the test thread opens and closes; the stores it opens are thread-safe as the SPI says.
 */
public interface LogBackend extends AutoCloseable {

    /** Opens a store over this backend's storage; a store opened after the previous one closed sees all it left. */
    default LogStore open(Clock clock) {
        return open(clock, KeyRing.NONE);
    }

    /** {@link #open(Clock)}, the store reading encrypted records with keys from {@code keys}. */
    LogStore open(Clock clock, KeyRing keys);

    /**
     * Called between closing a store and opening the next one with {@code kind} 1, 2 or 3 (0 is never passed): a
     * backend that keeps caches it must rebuild when they do not fit its data (the embedded engine's index files) may
     * damage them here, each kind differently. The default keeps everything.
     */
    default void damageRebuildableState(int kind) {
    }

    /**
     * Whether a batch gets consecutive positions starting at {@link dev.millrace.storage.ShardLog#endPosition()} and
     * the end moves to one past its last record (the embedded engine). The SPI asks only for strictly increasing
     * positions, each at or after the end seen before the append.
     */
    default boolean contiguousPositions() {
        return false;
    }

    /**
     * Whether the log stamps arrival times with the clock it was opened with, a whole batch at
     * {@code max(clock, last arrival)} (the embedded engine). The SPI asks only that arrivals never go backwards
     * within a shard; Kafka stamps with the broker's clock.
     */
    default boolean stampsWithClock() {
        return false;
    }

    /**
     * Whether {@code trimExpired} deletes, when asked, every unit that holds only expired records (so that a shard
     * whose records all expired holds none afterwards) and reports a count above zero exactly when it deleted
     * something (the embedded engine). The SPI asks only that a trim never deletes a retained record and never brings
     * back a deleted one.
     */
    default boolean trimsExactly() {
        return false;
    }

    /**
     * Where the test's manual clock starts. Expiry is judged by that clock against stored arrival times, so a backend
     * that stamps with another clock (Kafka: the broker's) must start it at that clock's now; the default.
     */
    default long clockStartMs() {
        return System.currentTimeMillis();
    }

    /** Adds backend-specific labels to a property try's statistics (jqwik's {@code Statistics}); default none. */
    default void collectStatistics() {
    }

    /** Discards the storage; every store opened over it must be closed first. */
    @Override
    void close();
}
