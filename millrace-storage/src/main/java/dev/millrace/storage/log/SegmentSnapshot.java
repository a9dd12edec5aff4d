package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What readers may see of one segment: positions {@code [basePosition, endPosition)} in its first {@code sizeBytes}
 * bytes, the newest of them stamped {@code lastArrivalMs} ({@link Long#MIN_VALUE} when empty). With write-back
 * ({@link ActiveSegment}) the bytes from {@code fileBytes} on are in {@code tail}, not (or not only) in the file; a
 * tail is never changed below what a snapshot covers, so reading it needs no lock.
 *
 * <p>Immutable, thread-safe.
 */
record SegmentSnapshot(Segment segment, long basePosition, long endPosition, long sizeBytes, long lastArrivalMs,
                       byte[] tail, long fileBytes) {

    /** A snapshot whose bytes are all in the file. */
    SegmentSnapshot(Segment segment, long basePosition, long endPosition, long sizeBytes, long lastArrivalMs) {
        this(segment, basePosition, endPosition, sizeBytes, lastArrivalMs, null, sizeBytes);
    }

    /** The same bytes, all read from the file: for once the tail has been written out. */
    SegmentSnapshot withoutTail() {
        return new SegmentSnapshot(segment, basePosition, endPosition, sizeBytes, lastArrivalMs);
    }

    boolean empty() {
        return sizeBytes == 0;
    }

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset} from the file and the tail, stopping early only at
     * {@code sizeBytes} (or where the file ends short of {@code fileBytes}, when it was damaged).
     */
    void read(ByteBuffer dst, long offset) throws IOException {
        long at = offset;
        if (at < fileBytes) {
            int limit = dst.limit();
            dst.limit((int) Math.min(limit, dst.position() + (fileBytes - at)));
            int before = dst.position();
            segment.read(dst, at);
            boolean shortRead = dst.hasRemaining();
            at += dst.position() - before;
            dst.limit(limit);
            if (shortRead) {
                return;
            }
        }
        if (tail != null && at >= fileBytes && at < sizeBytes) {
            int n = (int) Math.min(dst.remaining(), sizeBytes - at);
            dst.put(tail, (int) (at - fileBytes), n);
        }
    }
}
