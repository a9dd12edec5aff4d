package dev.millrace.storage;

/**
 * Where an appended batch landed: its records occupy positions {@code basePosition .. basePosition + recordCount - 1}
 * in request order, and all were stamped with {@code arrivalMs}.
 *
 * <p>Immutable, thread-safe.
 */
public record AppendResult(long basePosition, int recordCount, long arrivalMs) {
    public long positionOf(int index) {
        if (index < 0 || index >= recordCount) {
            throw new IndexOutOfBoundsException(index);
        }
        return basePosition + index;
    }
}
