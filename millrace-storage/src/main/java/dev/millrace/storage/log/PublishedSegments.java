package dev.millrace.storage.log;

import java.util.ArrayList;
import java.util.List;

/**
 * What readers of one shard see: its sealed segments, oldest first, and the active segment cut at what has been
 * acknowledged ({@link #active}). Each change publishes a new immutable {@link ShardView}, so a reader works from one
 * picture from start to end.
 *
 * <p>Changed only by the shard holding its append lock (or by its constructor and its WAL replay, before it is shared);
 * {@link #view} may be read from any thread (volatile).
 */
final class PublishedSegments {
    private List<SegmentSnapshot> sealed;
    /** {@code sealed} as the array views share; rebuilt only when {@code sealed} changes. */
    private SegmentSnapshot[] sealedArray;
    private SegmentSnapshot active;
    private volatile ShardView view;

    PublishedSegments(List<SegmentSnapshot> sealed, SegmentSnapshot active) {
        reset(sealed, active);
    }

    /** Replaces everything, as a shard re-established from disk finds it. */
    void reset(List<SegmentSnapshot> sealedSegments, SegmentSnapshot activeSnapshot) {
        this.sealed = new ArrayList<>(sealedSegments);
        this.sealedArray = sealed.toArray(new SegmentSnapshot[0]);
        show(activeSnapshot);
    }

    ShardView view() {
        return view;
    }

    /** The active segment as readers see it. */
    SegmentSnapshot active() {
        return active;
    }

    /** The sealed segments, oldest first. */
    List<SegmentSnapshot> sealed() {
        return java.util.Collections.unmodifiableList(sealed);
    }

    /** Shows readers the active segment as far as {@code activeSnapshot} goes. */
    void show(SegmentSnapshot activeSnapshot) {
        active = activeSnapshot;
        publish();
    }

    /** Adds a segment just sealed; readers see it with the next {@link #show} (a roll shows the new active one). */
    void addSealed(SegmentSnapshot finished) {
        sealed.add(finished);
        sealedArray = sealed.toArray(new SegmentSnapshot[0]);
    }

    /** Removes (and returns) the oldest sealed segments whose newest record arrived before {@code cutoffMs}. */
    List<SegmentSnapshot> removeExpired(long cutoffMs) {
        List<SegmentSnapshot> expired = new ArrayList<>();
        while (!sealed.isEmpty() && sealed.get(0).lastArrivalMs() < cutoffMs) {
            expired.add(sealed.remove(0));
        }
        if (!expired.isEmpty()) {
            sealedArray = sealed.toArray(new SegmentSnapshot[0]);
            publish();
        }
        return expired;
    }

    /**
     * Shows the active segment without its write-back tail once the file holds all readers see of it (the first
     * {@code fileBytes} of {@code segment}): else the view kept the written-out array alive, and every idle shard held
     * a whole tail's memory that {@link TailMemory} no longer counted.
     */
    void releaseWrittenTail(Segment segment, long fileBytes) {
        SegmentSnapshot v = active;
        if (v != null && v.tail() != null && v.segment() == segment && v.sizeBytes() <= fileBytes) {
            show(v.withoutTail());
        }
    }

    private void publish() {
        view = new ShardView(sealedArray, active);
    }
}
