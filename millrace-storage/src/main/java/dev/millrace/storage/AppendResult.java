package dev.millrace.storage;

import java.util.Arrays;

/**
 * Where an appended batch landed: the position and arrival time of each of its records, in request order.
 *
 * <p>Positions increase in request order. The embedded engine hands a batch consecutive positions and one arrival
 * time ({@link #contiguous}); a backend that shares a shard with other writers, or stamps records in more than one
 * broker batch (Kafka), may interleave other records between them and stamp them at different times ({@link #of}).
 * Callers must therefore ask for each record's position and arrival time, never compute them from the first.
 *
 * <p>Immutable, thread-safe.
 */
public final class AppendResult {
    private final int recordCount;
    private final long basePosition;
    private final long arrivalMs;
    /** Null when the batch is contiguous and stamped once; then {@link #basePosition} and {@link #arrivalMs} hold. */
    private final long[] positions;
    private final long[] arrivalsMs;

    private AppendResult(int recordCount, long basePosition, long arrivalMs, long[] positions, long[] arrivalsMs) {
        this.recordCount = recordCount;
        this.basePosition = basePosition;
        this.arrivalMs = arrivalMs;
        this.positions = positions;
        this.arrivalsMs = arrivalsMs;
    }

    /** A batch at {@code basePosition .. basePosition + recordCount - 1}, every record stamped {@code arrivalMs}. */
    public static AppendResult contiguous(long basePosition, int recordCount, long arrivalMs) {
        if (recordCount < 0) {
            throw new IllegalArgumentException("recordCount " + recordCount);
        }
        return new AppendResult(recordCount, basePosition, arrivalMs, null, null);
    }

    /** A batch whose i-th record landed at {@code positionsOf[i]}, stamped {@code arrivalsMs[i]}; copies both. */
    public static AppendResult of(long[] positionsOf, long[] arrivalsMs) {
        if (positionsOf.length != arrivalsMs.length) {
            throw new IllegalArgumentException(positionsOf.length + " positions, " + arrivalsMs.length + " arrivals");
        }
        for (int i = 1; i < positionsOf.length; i++) {
            if (positionsOf[i] <= positionsOf[i - 1]) {
                throw new IllegalArgumentException("positions must increase: " + Arrays.toString(positionsOf));
            }
        }
        long base = positionsOf.length == 0 ? 0 : positionsOf[0];
        long arrival = arrivalsMs.length == 0 ? 0 : arrivalsMs[0];
        return new AppendResult(positionsOf.length, base, arrival, positionsOf.clone(), arrivalsMs.clone());
    }

    public int recordCount() {
        return recordCount;
    }

    /** The first record's position. */
    public long basePosition() {
        return basePosition;
    }

    /** The last record's position; below {@link #basePosition()} only for an empty batch. */
    public long lastPosition() {
        return recordCount == 0 ? basePosition - 1 : positionOf(recordCount - 1);
    }

    public long positionOf(int index) {
        check(index);
        return positions == null ? basePosition + index : positions[index];
    }

    public long arrivalMsOf(int index) {
        check(index);
        return arrivalsMs == null ? arrivalMs : arrivalsMs[index];
    }

    /** The latest arrival time in the batch (arrival times never go backwards within a shard's append order). */
    public long lastArrivalMs() {
        return recordCount == 0 ? arrivalMs : arrivalMsOf(recordCount - 1);
    }

    private void check(int index) {
        if (index < 0 || index >= recordCount) {
            throw new IndexOutOfBoundsException(index);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AppendResult other) || other.recordCount != recordCount) {
            return false;
        }
        for (int i = 0; i < recordCount; i++) {
            if (positionOf(i) != other.positionOf(i) || arrivalMsOf(i) != other.arrivalMsOf(i)) {
                return false;
            }
        }
        return recordCount > 0 || basePosition == other.basePosition;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(basePosition) * 31 + recordCount;
    }

    @Override
    public String toString() {
        return positions == null
                ? "AppendResult[basePosition=" + basePosition + ", recordCount=" + recordCount + ", arrivalMs=" + arrivalMs + "]"
                : "AppendResult[positions=" + Arrays.toString(positions) + ", arrivalsMs=" + Arrays.toString(arrivalsMs) + "]";
    }
}
