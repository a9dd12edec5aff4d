package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The write side of a shard's newest segment: where the next batch goes, and the rule for which batches get an index
 * entry (the first, then one per {@code indexIntervalBytes}, and the last when the segment is rolled).
 *
 * <p>Write-back ({@link #writeBack}, under SYNC only): batches are then copied into an in-memory tail and reach the
 * file in one write per tail (when the next batch would not fit it, or at {@link #flush}) instead of one write each;
 * why, and the bounds, are in {@link TailMemory}. A tail array is dropped once written out, never reused, and bytes
 * in it never change once appended, so a {@link SegmentSnapshot} can hand it to readers without a lock. Index entries
 * of batches in the tail reach the index file with it. The file always holds the segment's first
 * {@code sizeBytes - tailBytes} bytes.
 *
 * <p>Not thread-safe: owned by the shard and used only under its append lock (or by recovery before the shard is
 * shared).
 */
final class ActiveSegment {
    final Segment segment;
    final SegmentIndex index;
    private final int indexIntervalBytes;
    private long sizeBytes;
    private long endPosition;
    private long firstArrivalMs = Long.MIN_VALUE;
    private long lastArrivalMs;
    private long lastIndexedOffset = -1;
    /** The newest batch when it has no index entry yet, so a roll can add one; -1 otherwise. */
    private long unindexedOffset = -1;
    private long unindexedBase;
    private long unindexedArrivalMs;
    /** Set when write-back is on. */
    private TailMemory tails;
    /** The tail: the segment's last {@code tailBytes} bytes, not in the file yet; null when empty. */
    private byte[] tail;
    private int tailBytes;
    /** Index entries already in the index file; the rest follow the tail there. */
    private int indexEntriesOnFile;

    ActiveSegment(Segment segment, SegmentIndex index, int indexIntervalBytes, long lastArrivalMs) {
        this.segment = segment;
        this.index = index;
        this.indexIntervalBytes = indexIntervalBytes;
        this.endPosition = segment.basePosition;
        this.lastArrivalMs = lastArrivalMs;
        this.indexEntriesOnFile = index.count();
        segment.activate(index);
    }

    /** Turns write-back on, from the current end of the file on. */
    void writeBack(TailMemory tails) {
        this.tails = tails;
    }

    /**
     * Appends a stamped batch at the end of the log and indexes it; nothing is forced. With write-back the batch goes
     * to the tail, which is written out first if the batch would not fit it. A batch larger than a whole tail, or one
     * that finds no tail while the store's tails hold all they may, is written directly after the tail.
     */
    void append(ByteBuffer batch) throws IOException {
        long offset = sizeBytes;
        int bytes = batch.remaining();
        if (tail != null && tailBytes + bytes > tail.length) {
            flush();
        }
        if (tail == null && tails != null && bytes <= tails.shardBytes()) {
            int capacity = tails.take(bytes);
            tail = capacity == 0 ? null : new byte[capacity];
        }
        if (tail == null) {
            segment.write(batch, offset);
            track(batch, 0, bytes, offset, true);
            return;
        }
        batch.duplicate().get(tail, tailBytes, bytes);
        tailBytes += bytes;
        track(batch, 0, bytes, offset, false);
    }

    /**
     * Writes the tail to the file, then the index entries of its batches, and empties it; nothing is forced. On an
     * IO failure the tail is kept as it was, so that re-establishing the shard can write it again.
     */
    void flush() throws IOException {
        if (tailBytes > 0) {
            segment.write(ByteBuffer.wrap(tail, 0, tailBytes), sizeBytes - tailBytes);
        }
        if (index.count() > indexEntriesOnFile) {
            segment.writeIndexEntries(index, indexEntriesOnFile);
            indexEntriesOnFile = index.count();
        }
        dropTail();
    }

    /** Lets the tail go without writing it: after {@link #flush}, or when the shard is closed or replaced. */
    void dropTail() {
        if (tail != null) {
            tails.release(tail.length);
            tail = null;
        }
        tailBytes = 0;
    }

    /**
     * Accounts for an intact batch found at {@code offset}. With {@code writeIndexFile} false (recovery) the entry is
     * kept in memory only and the caller rewrites the index file once.
     */
    void track(ByteBuffer buf, int at, int totalBytes, long offset, boolean writeIndexFile) throws IOException {
        long base = RecordBatch.basePosition(buf, at);
        long arrivalMs = RecordBatch.lastArrivalMs(buf, at);
        boolean due = index.count() == 0 || offset - lastIndexedOffset >= indexIntervalBytes;
        if (due) {
            if (writeIndexFile) {
                segment.addIndexEntry(index, base, offset, arrivalMs);
                indexEntriesOnFile = index.count();
            } else {
                index.add(Math.toIntExact(base - segment.basePosition), Math.toIntExact(offset), arrivalMs);
            }
            lastIndexedOffset = offset;
            unindexedOffset = -1;
        } else {
            unindexedOffset = offset;
            unindexedBase = base;
            unindexedArrivalMs = arrivalMs;
        }
        if (firstArrivalMs == Long.MIN_VALUE) {
            firstArrivalMs = arrivalMs;
        }
        sizeBytes = offset + totalBytes;
        endPosition = Math.max(endPosition, RecordBatch.endPosition(buf, at));
        lastArrivalMs = Math.max(lastArrivalMs, arrivalMs);
    }

    /** Moves the end past positions that may have been handed out before a crash, so they are never reused. */
    void skipTo(long position) {
        endPosition = Math.max(endPosition, position);
    }

    /**
     * Continues after index entries kept from a previous run: entry {@code keep - 1} is the newest kept one, and the
     * batches before file offset {@code offset}, which end at {@code position}, are taken as they are (recovery scans
     * on from there). If the scan then tracks nothing, the segment ends there, not at its start.
     */
    void resumeIndexing(int keep, long offset, long position) {
        sizeBytes = offset;
        endPosition = Math.max(endPosition, position);
        index.truncate(keep);
        indexEntriesOnFile = keep;
        lastIndexedOffset = keep == 0 ? -1 : index.fileOffset(keep - 1);
        if (keep > 0) {
            firstArrivalMs = index.arrivalMs(0);
            lastArrivalMs = Math.max(lastArrivalMs, index.arrivalMs(keep - 1));
        }
    }

    /** Makes the segment ready to be sealed: the last batch gets an index entry and both files are forced. */
    void finish() throws IOException {
        flush();
        if (unindexedOffset >= 0) {
            segment.addIndexEntry(index, unindexedBase, unindexedOffset, unindexedArrivalMs);
            indexEntriesOnFile = index.count();
            lastIndexedOffset = unindexedOffset;
            unindexedOffset = -1;
        }
        segment.force();
        segment.forceIndex();
        segment.deactivate();
    }

    long sizeBytes() {
        return sizeBytes;
    }

    long endPosition() {
        return endPosition;
    }

    /** Arrival time of the segment's first record, or {@link Long#MIN_VALUE} if it holds none. */
    long firstArrivalMs() {
        return firstArrivalMs;
    }

    long lastArrivalMs() {
        return lastArrivalMs;
    }

    SegmentSnapshot snapshot() {
        return new SegmentSnapshot(segment, segment.basePosition, endPosition, sizeBytes,
                sizeBytes == 0 ? Long.MIN_VALUE : lastArrivalMs, tailBytes == 0 ? null : tail, sizeBytes - tailBytes);
    }
}
