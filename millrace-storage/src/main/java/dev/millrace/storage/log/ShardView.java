package dev.millrace.storage.log;

/**
 * An immutable picture of a shard's readable segments, oldest first: the sealed ones, then the active segment, cut at
 * what has been acknowledged. Readers work from one view from start to end, so a concurrent roll, trim or append never
 * shows them a half-made state.
 *
 * <p>The sealed segments are an array shared by every view until a roll or a trim changes them, so publishing a view
 * after an append costs the same whatever the number of segments (it copied them all, once per acknowledged append:
 * over a day of 24 h retention a busy shard holds over a thousand).
 *
 * <p>Immutable, thread-safe (nobody writes into {@code sealed}).
 */
record ShardView(SegmentSnapshot[] sealed, SegmentSnapshot active) {

    int count() {
        return sealed.length + 1;
    }

    /** Segment {@code i}, oldest first; the last is the active one. */
    SegmentSnapshot segment(int i) {
        return i < sealed.length ? sealed[i] : active;
    }

    long startPosition() {
        return segment(0).basePosition();
    }

    long endPosition() {
        return active.endPosition();
    }

    /** The index of the segment holding {@code position}: the last one whose base is at or below it (0 if none). */
    int segmentFor(long position) {
        int lo = 0;
        int hi = count() - 1;
        int found = 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (segment(mid).basePosition() <= position) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }
}
