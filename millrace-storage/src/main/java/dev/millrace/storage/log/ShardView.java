package dev.millrace.storage.log;

/**
 * An immutable picture of a shard's readable segments, oldest first; the last one is the active segment, cut at what
 * has been acknowledged. Readers work from one view from start to end, so a concurrent roll, trim or append never
 * shows them a half-made state.
 *
 * <p>Immutable, thread-safe.
 */
record ShardView(SegmentSnapshot[] segments) {

    long startPosition() {
        return segments[0].basePosition();
    }

    long endPosition() {
        return segments[segments.length - 1].endPosition();
    }

    /** The index of the segment holding {@code position}: the last one whose base is at or below it (0 if none). */
    int segmentFor(long position) {
        int lo = 0;
        int hi = segments.length - 1;
        int found = 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (segments[mid].basePosition() <= position) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }
}
