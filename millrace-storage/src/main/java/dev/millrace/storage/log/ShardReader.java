package dev.millrace.storage.log;

import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.crypto.KeyRing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One read of a shard, against one {@link ShardView}: records by position, or the first position at a time. Records
 * that arrived before {@code cutoffMs} count as gone, whether or not their segment has been deleted yet. Encrypted
 * batches are opened with keys from {@code keys}; one that cannot be (its key unavailable, its ciphertext damaged)
 * ends a read that has records to return, and fails one that has none, so that no record is ever skipped.
 *
 * <p>Not thread-safe; made for one call and dropped.
 */
final class ShardReader {
    /** A guess at a record's size for sizing the first read when the caller asks for few records. */
    private static final int TYPICAL_RECORD_BYTES = 1024;

    private final ShardView view;
    private final long cutoffMs;
    private final int maxBatchBytes;
    private final KeyRing keys;

    private long position;
    private List<StoredRecord> out;
    private int maxRecords;
    private long budgetBytes;
    private boolean full;

    ShardReader(ShardView view, long cutoffMs, int maxBatchBytes, KeyRing keys) {
        this.view = view;
        this.cutoffMs = cutoffMs;
        this.maxBatchBytes = maxBatchBytes;
        this.keys = keys;
    }

    ReadResult read(long fromPosition, int maxRecords, long maxBytes) throws IOException {
        this.maxRecords = maxRecords;
        this.budgetBytes = maxBytes;
        this.out = new ArrayList<>(Math.min(maxRecords, 1024));
        this.position = Math.max(fromPosition, view.startPosition());
        // The scanner caps its reads itself (SegmentScanner.MAX_CHUNK_BYTES); this only sizes a small read small.
        int chunkHint = (int) Math.min(Integer.MAX_VALUE, Math.min(maxBytes, (long) maxRecords * TYPICAL_RECORD_BYTES));
        for (int i = view.segmentFor(position); i < view.count() && !full; i++) {
            SegmentSnapshot s = view.segment(i);
            if (position >= s.endPosition()) {
                continue;
            }
            if (!s.empty() && s.lastArrivalMs() >= cutoffMs) {
                readSegment(s, chunkHint);
            }
            if (!full) {
                position = Math.max(position, s.endPosition());
            }
        }
        long next = out.isEmpty() ? position : out.get(out.size() - 1).position() + 1;
        return new ReadResult(out, next, view.endPosition());
    }

    private void readSegment(SegmentSnapshot s, int chunkHint) throws IOException {
        for (int attempt = 0; ; attempt++) {
            SegmentIndex index = index(s, attempt > 0);
            int entry = index.floorByPosition(position - s.basePosition(), s.sizeBytes() - 1);
            long offset = entry < 0 ? 0 : index.fileOffset(entry);
            long expectedBase = entry < 0 ? -1 : s.basePosition() + index.relPosition(entry);
            SegmentScanner scanner = new SegmentScanner(s::read, maxBatchBytes);
            boolean[] misplaced = {false};
            SegmentScanner.Stop stop = scanner.scan(offset, s.sizeBytes(), chunkHint, (buf, at, total, fileOffset) -> {
                if (fileOffset == offset && expectedBase >= 0 && RecordBatch.basePosition(buf, at) != expectedBase) {
                    misplaced[0] = true;
                    return false;
                }
                return consume(buf, at);
            });
            boolean badEntry = misplaced[0] || (stop == SegmentScanner.Stop.DAMAGE && scanner.stoppedAt() == offset);
            if (badEntry && attempt == 0 && entry >= 0) {
                continue;
            }
            if (misplaced[0] || stop == SegmentScanner.Stop.DAMAGE) {
                if (out.isEmpty()) {
                    throw new CorruptDataException("damaged batch at offset " + scanner.stoppedAt() + " of "
                            + s.segment().logPath + " (positions from " + position + ")");
                }
                full = true;
            }
            return;
        }
    }

    /** Takes what it may from one intact batch; returns whether to continue with the next batch. */
    private boolean consume(java.nio.ByteBuffer buf, int at) {
        long end = RecordBatch.endPosition(buf, at);
        if (end <= position) {
            return true;
        }
        if (RecordBatch.lastArrivalMs(buf, at) < cutoffMs) {
            position = end;
            return true;
        }
        long added;
        int before = out.size();
        try {
            added = RecordBatch.decode(buf, at, position, out, maxRecords, budgetBytes, keys);
        } catch (StorageException e) {
            out.subList(before, out.size()).clear(); // none of a batch that failed part-way
            if (out.isEmpty()) {
                throw e;
            }
            // The records before it are returned; the next read, starting at this batch, fails with the reason.
            full = true;
            return false;
        }
        if (added < 0) {
            budgetBytes -= -1 - added;
            full = true;
            return false;
        }
        budgetBytes -= added;
        position = end;
        if (out.size() >= maxRecords) {
            full = true;
            return false;
        }
        return true;
    }

    /**
     * Finds the first batch arriving at or after the time. The index narrows it to the stretch between two entries
     * (the next entry's batch already qualifies), and only batch headers are read there, a page at a time: record
     * bytes and checksums do not matter for the answer, and a read from the position verifies them anyway.
     */
    long positionAtOrAfter(long timestampMs) throws IOException {
        long t = Math.max(timestampMs, cutoffMs);
        for (int i = 0; i < view.count(); i++) {
            SegmentSnapshot s = view.segment(i);
            if (s.empty() || s.lastArrivalMs() < t) {
                continue;
            }
            SegmentIndex index = index(s, false);
            int entry = Math.min(index.floorBeforeTime(t), index.floorByPosition(Long.MAX_VALUE, s.sizeBytes() - 1));
            long offset = entry < 0 ? 0 : index.fileOffset(entry);
            long found = firstBatchAtOrAfter(s, offset, t);
            if (found >= 0) {
                return found;
            }
        }
        return view.endPosition();
    }

    private static final int HEADER_PAGE_BYTES = 4096;

    private long firstBatchAtOrAfter(SegmentSnapshot s, long fromOffset, long t) throws IOException {
        ByteBuffer page = ByteBuffer.allocate(HEADER_PAGE_BYTES);
        long pageStart = -1;
        long offset = fromOffset;
        long lastBase = -1;
        while (offset + RecordBatch.HEADER_BYTES <= s.sizeBytes()) {
            if (pageStart < 0 || offset + RecordBatch.HEADER_BYTES > pageStart + page.limit()) {
                page.clear();
                page.limit((int) Math.min(HEADER_PAGE_BYTES, s.sizeBytes() - offset));
                s.read(page, offset);
                page.flip();
                pageStart = offset;
            }
            int at = (int) (offset - pageStart);
            int total = RecordBatch.totalBytes(page, at, maxBatchBytes);
            long base = RecordBatch.basePosition(page, at);
            if (total < 0 || base <= lastBase) {
                throw new CorruptDataException("damaged batch header at offset " + offset + " of "
                        + s.segment().logPath + " (looking up time " + t + ")");
            }
            if (RecordBatch.lastArrivalMs(page, at) >= t) {
                return base;
            }
            lastBase = base;
            offset += total;
        }
        return -1;
    }

    /**
     * The segment's index: the in-memory one of the active (or recently active) segment, else the sealed segment's
     * loaded or rebuilt one. {@code rebuild} forces a rebuild from the log after an entry proved wrong.
     */
    private static SegmentIndex index(SegmentSnapshot s, boolean rebuild) throws IOException {
        Segment segment = s.segment();
        if (rebuild) {
            return segment.rebuildCachedIndex(segment.sizeBytes());
        }
        SegmentIndex cached = segment.cachedIndex();
        return cached != null ? cached : segment.sealedIndex(segment.sizeBytes());
    }

    /** A read against one view of a shard. */
    @FunctionalInterface
    interface ViewTask<T> {
        T run(ShardView view) throws IOException;
    }

    /**
     * Runs a read of shard {@code key} against its current view. A segment deleted by a concurrent trim makes the
     * task fail with {@link java.nio.file.NoSuchFileException}; it is then retried on the newer view, which no longer
     * has that segment. IO failures are converted to {@link StorageException} here.
     */
    static <T> T withView(java.util.function.Supplier<ShardView> view, String key, ViewTask<T> task) {
        while (true) {
            ShardView v = view.get();
            try {
                return task.run(v);
            } catch (java.nio.file.NoSuchFileException e) {
                if (view.get() == v) {
                    throw new StorageException("shard " + key + ": file missing: " + e.getFile(), e);
                }
            } catch (IOException e) {
                throw new StorageException("read failed on shard " + key + ": " + e, e);
            } catch (java.io.UncheckedIOException e) {
                throw new StorageException("read failed on shard " + key + ": " + e.getCause(), e.getCause());
            }
        }
    }
}
