package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Walks the intact batches of a segment in file order, reading in chunks so that a scan costs few system calls.
 *
 * <p>Not thread-safe: one scan per instance at a time. The buffer handed to the visitor is reused after the visitor
 * returns; copy what must outlive the call.
 */
final class SegmentScanner {
    /** Reads are at least this large, so small batches cost one system call per chunk rather than per batch. */
    static final int MIN_CHUNK_BYTES = 64 * 1024;
    /**
     * Reads are at most this large (unless one batch is larger). A 10 MiB GetRecords once read its whole range into
     * one 10 MiB array: a G1 humongous allocation per call, which started concurrent cycles under read load, and a
     * 10 MiB temporary direct buffer the JDK keeps per reading thread. One buffer of this size, refilled, costs
     * ~40 more system calls per 10 MiB and neither.
     */
    static final int MAX_CHUNK_BYTES = 256 * 1024;

    @FunctionalInterface
    interface BatchVisitor {
        /** Returns false to stop the scan after this batch. */
        boolean visit(ByteBuffer buf, int at, int totalBytes, long fileOffset) throws IOException;
    }

    /** Why a scan ended. */
    enum Stop { END, VISITOR, DAMAGE }

    /** Where the bytes come from: a segment's file, or a reader's snapshot of it (file and write-back tail). */
    @FunctionalInterface
    interface Source {
        /** Reads up to {@code dst.remaining()} bytes at {@code offset}, stopping early only at the end. */
        void read(ByteBuffer dst, long offset) throws IOException;
    }

    private final Source source;
    private final int maxBatchBytes;
    private long stoppedAt;

    SegmentScanner(Segment segment, int maxBatchBytes) {
        this(segment::read, maxBatchBytes);
    }

    SegmentScanner(Source source, int maxBatchBytes) {
        this.source = source;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** Where the last scan stopped: the end, the batch after the one the visitor stopped at, or the damaged batch. */
    long stoppedAt() {
        return stoppedAt;
    }

    Stop scan(long fromOffset, long toOffset, BatchVisitor visitor) throws IOException {
        return scan(fromOffset, toOffset, MIN_CHUNK_BYTES, visitor);
    }

    /**
     * Visits each intact batch that starts at or after {@code fromOffset} and ends at or before {@code toOffset}.
     * {@code chunkHintBytes} is how much the caller expects to consume, to size the first read.
     */
    Stop scan(long fromOffset, long toOffset, int chunkHintBytes, BatchVisitor visitor) throws IOException {
        long offset = fromOffset;
        ByteBuffer buf = ByteBuffer.allocate(0);
        long bufStart = offset;
        int chunkBytes = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, chunkHintBytes));
        while (offset < toOffset) {
            int at = (int) (offset - bufStart);
            if (at + 4 > buf.limit()) {
                buf = fill(buf, offset, toOffset, chunkBytes);
                bufStart = offset;
                at = 0;
                if (buf.limit() < 4) {
                    return stop(offset, Stop.DAMAGE);
                }
            }
            int total = RecordBatch.totalBytes(buf, at, maxBatchBytes);
            if (total < 0 || offset + total > toOffset) {
                return stop(offset, Stop.DAMAGE);
            }
            if (at + total > buf.limit()) {
                buf = fill(buf, offset, toOffset, Math.max(chunkBytes, total));
                bufStart = offset;
                at = 0;
                if (buf.limit() < total) {
                    return stop(offset, Stop.DAMAGE);
                }
            }
            if (!RecordBatch.intact(buf, at, total)) {
                return stop(offset, Stop.DAMAGE);
            }
            boolean more = visitor.visit(buf, at, total, offset);
            offset += total;
            if (!more) {
                return stop(offset, Stop.VISITOR);
            }
        }
        return stop(offset, Stop.END);
    }

    private Stop stop(long offset, Stop why) {
        stoppedAt = offset;
        return why;
    }

    /** Reads into {@code previous} when it is large enough (the visitor is done with it), else into a new buffer. */
    private ByteBuffer fill(ByteBuffer previous, long offset, long toOffset, int bytes) throws IOException {
        int wanted = (int) Math.min(bytes, toOffset - offset);
        ByteBuffer buf = previous.capacity() >= wanted ? previous.clear().limit(wanted) : ByteBuffer.allocate(wanted);
        source.read(buf, offset);
        buf.flip();
        return buf;
    }
}
