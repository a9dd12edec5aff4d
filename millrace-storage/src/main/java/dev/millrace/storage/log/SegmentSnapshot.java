package dev.millrace.storage.log;

/**
 * What readers may see of one segment: positions {@code [basePosition, endPosition)} in its first {@code sizeBytes}
 * bytes, the newest of them stamped {@code lastArrivalMs} ({@link Long#MIN_VALUE} when empty).
 *
 * <p>Immutable, thread-safe.
 */
record SegmentSnapshot(Segment segment, long basePosition, long endPosition, long sizeBytes, long lastArrivalMs) {
    boolean empty() {
        return sizeBytes == 0;
    }
}
