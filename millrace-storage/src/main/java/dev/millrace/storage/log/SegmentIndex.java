package dev.millrace.storage.log;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The sparse index of one segment, in memory, and the layout of its file. Only this class computes offsets inside an
 * index file.
 *
 * <pre>
 *  entry i, at file offset 16 * i:
 *  0                4                8                                16
 *  +----------------+----------------+--------------------------------+
 *  | relPosition    | fileOffset     |         lastArrivalMs          |
 *  +----------------+----------------+--------------------------------+
 *  relPosition   = the batch's base position minus the segment's base position
 *  fileOffset    = where the batch starts in the segment's log file
 *  lastArrivalMs = the batch's arrival time
 * </pre>
 *
 * One entry is kept for the first batch of a segment, then for the first batch starting at least
 * {@code indexIntervalBytes} after the previous entry, and one for the last batch when a segment is rolled. Arrival
 * times never decrease within a shard, so the same entries answer position and time lookups: there is no separate
 * time index to fall out of step with this one.
 *
 * <p>The file is a cache. It is not forced on every append; recovery validates it against the log and rebuilds it
 * from the log when it is missing, short, out of order or points at something that is not an intact batch.
 *
 * <p>Thread-safety: one writer (the shard's appender) and any number of concurrent readers. Entries are written before
 * the volatile {@code count} that publishes them, and arrays are replaced, never resized in place.
 */
final class SegmentIndex {
    static final int ENTRY_BYTES = 16;
    private static final int REL_POSITION_OFFSET = 0;
    private static final int FILE_OFFSET_OFFSET = 4;
    private static final int ARRIVAL_OFFSET = 8;

    private volatile int[] relPositions;
    private volatile int[] fileOffsets;
    private volatile long[] arrivalsMs;
    private volatile int count;

    SegmentIndex() {
        this(8);
    }

    private SegmentIndex(int capacity) {
        relPositions = new int[capacity];
        fileOffsets = new int[capacity];
        arrivalsMs = new long[capacity];
    }

    /**
     * Parses an index file's bytes. Returns {@code null} if they cannot be a valid index of a log of
     * {@code logBytes} bytes: a partial entry, an entry out of order, or an offset past the log's end.
     */
    static SegmentIndex parse(ByteBuffer file, long logBytes) {
        if (file.remaining() % ENTRY_BYTES != 0) {
            return null;
        }
        int n = file.remaining() / ENTRY_BYTES;
        SegmentIndex index = new SegmentIndex(Math.max(8, n));
        int start = file.position();
        for (int i = 0; i < n; i++) {
            int at = start + i * ENTRY_BYTES;
            int relPosition = file.getInt(at + REL_POSITION_OFFSET);
            int fileOffset = file.getInt(at + FILE_OFFSET_OFFSET);
            long arrivalMs = file.getLong(at + ARRIVAL_OFFSET);
            if (relPosition < 0 || fileOffset < 0 || fileOffset >= logBytes) {
                return null;
            }
            if (i == 0 ? fileOffset != 0
                    : (relPosition < index.relPositions[i - 1] || fileOffset <= index.fileOffsets[i - 1]
                    || arrivalMs < index.arrivalsMs[i - 1])) {
                return null;
            }
            index.add(relPosition, fileOffset, arrivalMs);
        }
        return index;
    }

    /** Appends an entry; the caller guarantees order. Returns its index. */
    int add(int relPosition, int fileOffset, long arrivalMs) {
        int n = count;
        if (n == relPositions.length) {
            int capacity = n * 2;
            relPositions = Arrays.copyOf(relPositions, capacity);
            fileOffsets = Arrays.copyOf(fileOffsets, capacity);
            arrivalsMs = Arrays.copyOf(arrivalsMs, capacity);
        }
        relPositions[n] = relPosition;
        fileOffsets[n] = fileOffset;
        arrivalsMs[n] = arrivalMs;
        count = n + 1;
        return n;
    }

    /** Drops every entry from {@code from} on. Writer only. */
    void truncate(int from) {
        count = Math.min(count, from);
    }

    int count() {
        return count;
    }

    int relPosition(int i) {
        return relPositions[i];
    }

    int fileOffset(int i) {
        return fileOffsets[i];
    }

    long arrivalMs(int i) {
        return arrivalsMs[i];
    }

    /** The last entry whose batch starts at or before {@code relPosition} and at or before {@code maxOffset}, or -1. */
    int floorByPosition(long relPosition, long maxOffset) {
        int n = count;
        int[] positions = relPositions;
        int[] offsets = fileOffsets;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (positions[mid] <= relPosition && offsets[mid] <= maxOffset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** The last entry whose batch arrived strictly before {@code timestampMs}, or -1. */
    int floorBeforeTime(long timestampMs) {
        int n = count;
        long[] arrivals = arrivalsMs;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (arrivals[mid] < timestampMs) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** Where entry {@code i} lives in the index file. */
    static long entryFileOffset(int i) {
        return (long) i * ENTRY_BYTES;
    }

    /** Entries {@code from} .. count-1 in file layout. */
    ByteBuffer encode(int from) {
        int n = count;
        ByteBuffer buf = ByteBuffer.allocate(Math.max(0, n - from) * ENTRY_BYTES);
        for (int i = from; i < n; i++) {
            int at = (i - from) * ENTRY_BYTES;
            buf.putInt(at + REL_POSITION_OFFSET, relPositions[i]);
            buf.putInt(at + FILE_OFFSET_OFFSET, fileOffsets[i]);
            buf.putLong(at + ARRIVAL_OFFSET, arrivalsMs[i]);
        }
        return buf;
    }
}
