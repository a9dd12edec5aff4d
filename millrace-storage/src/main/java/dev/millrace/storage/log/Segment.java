package dev.millrace.storage.log;

import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * One segment of a shard's log: the log file {@code <basePosition>.log} holding record batches back to back, and its
 * sparse index {@code <basePosition>.index}. File names carry the base position zero-padded to 20 digits, so they sort
 * by position.
 *
 * <p>Thread-safety: file access is positional and safe from any thread. The active segment's index has one writer
 * (the shard holding its append lock); sealed segments' indexes are immutable once loaded. The cached index of a
 * sealed segment is held softly, so memory does not grow with the number of segments stored.
 */
final class Segment {
    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";

    final long basePosition;
    final Path logPath;
    final Path indexPath;
    private final FilePool pool;
    private final int maxBatchBytes;
    private final int indexIntervalBytes;
    /** Set while the segment is active; also kept after loading or rolling until memory is short. */
    private volatile SegmentIndex strongIndex;
    private volatile SoftReference<SegmentIndex> softIndex = new SoftReference<>(null);

    private Segment(Path dir, long basePosition, FilePool pool, LogConfig config) {
        this.basePosition = basePosition;
        this.logPath = dir.resolve(fileName(basePosition, LOG_SUFFIX));
        this.indexPath = dir.resolve(fileName(basePosition, INDEX_SUFFIX));
        this.pool = pool;
        this.maxBatchBytes = config.maxBatchBytes();
        this.indexIntervalBytes = config.indexIntervalBytes();
    }

    static String fileName(long basePosition, String suffix) {
        return String.format("%020d%s", basePosition, suffix);
    }

    /** Parses a log file name back to its base position, or -1 if it is not one. */
    static long parseBasePosition(String fileName) {
        if (!fileName.endsWith(LOG_SUFFIX) || fileName.length() != 20 + LOG_SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseLong(fileName.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Creates empty files for a new active segment. The caller forces the directory. */
    static Segment create(Path dir, long basePosition, FilePool pool, LogConfig config) throws IOException {
        Segment segment = new Segment(dir, basePosition, pool, config);
        Files.deleteIfExists(segment.indexPath);
        pool.channels().open(segment.logPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        pool.channels().open(segment.indexPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        segment.strongIndex = new SegmentIndex();
        return segment;
    }

    static Segment existing(Path dir, long basePosition, FilePool pool, LogConfig config) {
        return new Segment(dir, basePosition, pool, config);
    }

    long sizeBytes() throws IOException {
        try (FilePool.Handle h = pool.acquire(logPath)) {
            return h.channel().size();
        }
    }

    void write(ByteBuffer batch, long offset) throws IOException {
        try (FilePool.Handle h = pool.acquire(logPath)) {
            writeFully(h.channel(), batch.duplicate(), offset);
        }
    }

    void force() throws IOException {
        // fdatasync: the data and the file size, which is all a reader needs after a crash.
        try (FilePool.Handle h = pool.acquire(logPath)) {
            long startNanos = System.nanoTime();
            h.channel().force(false);
            pool.fsyncs().forced(System.nanoTime() - startNanos);
        }
    }

    void truncate(long sizeBytes) throws IOException {
        try (FilePool.Handle h = pool.acquire(logPath)) {
            h.channel().truncate(sizeBytes);
            h.channel().force(true);
        }
    }

    /** Reads up to {@code dst.remaining()} bytes at {@code offset}, stopping early only at the end of the file. */
    void read(ByteBuffer dst, long offset) throws IOException {
        try (FilePool.Handle h = pool.acquire(logPath)) {
            FileChannel ch = h.channel();
            long at = offset;
            while (dst.hasRemaining()) {
                int n = ch.read(dst, at);
                if (n < 0) {
                    break;
                }
                at += n;
            }
        }
    }

    /** Adds an index entry in memory and in the index file (not forced: the file is rebuildable). */
    void addIndexEntry(SegmentIndex index, long batchBasePosition, long fileOffset, long arrivalMs)
            throws IOException {
        int i = addInMemory(index, batchBasePosition, fileOffset, arrivalMs);
        try (FilePool.Handle h = pool.acquire(indexPath)) {
            writeFully(h.channel(), index.encode(i), SegmentIndex.entryFileOffset(i));
        }
    }

    /** Writes index entries {@code from} on to the index file (not forced: the file is rebuildable). */
    void writeIndexEntries(SegmentIndex index, int from) throws IOException {
        try (FilePool.Handle h = pool.acquire(indexPath)) {
            writeFully(h.channel(), index.encode(from), SegmentIndex.entryFileOffset(from));
        }
    }

    /** Rewrites the whole index file from memory, atomically, and forces it. */
    void rewriteIndexFile(SegmentIndex index) throws IOException {
        pool.retire(indexPath);
        Path tmp = indexPath.resolveSibling(indexPath.getFileName() + ".tmp");
        try (FileChannel ch = pool.channels().open(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(ch, index.encode(0), 0);
            ch.force(true);
        }
        Files.move(tmp, indexPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Forces the index file; done once, when the segment is rolled, so its last entry survives a power loss. */
    void forceIndex() throws IOException {
        try (FilePool.Handle h = pool.acquire(indexPath)) {
            h.channel().force(true);
        }
    }

    /** Marks this segment as the active one, whose index lives in memory. */
    void activate(SegmentIndex index) {
        strongIndex = index;
    }

    /** Lets the index of a no-longer-active segment go when memory is short. */
    void deactivate() {
        SegmentIndex index = strongIndex;
        softIndex = new SoftReference<>(index);
        strongIndex = null;
    }

    /** The index if it is in memory, else {@code null}. */
    SegmentIndex cachedIndex() {
        SegmentIndex index = strongIndex;
        return index != null ? index : softIndex.get();
    }

    /**
     * The index of a sealed segment of {@code logBytes} bytes: from memory, else from its file, else rebuilt from the
     * log (and the file rewritten) when the file is missing or fails validation.
     */
    SegmentIndex sealedIndex(long logBytes) throws IOException {
        SegmentIndex index = cachedIndex();
        if (index != null) {
            return index;
        }
        index = loadIndexFile(logBytes);
        if (index == null || !endsAtLastBatch(index, logBytes)) {
            index = rebuildIndex(logBytes);
        }
        softIndex = new SoftReference<>(index);
        return index;
    }

    /**
     * Replaces a sealed segment's cached index with one rebuilt from the log, after an entry proved wrong. The active
     * segment's index is written together with the log and is returned as it is.
     */
    SegmentIndex rebuildCachedIndex(long logBytes) throws IOException {
        SegmentIndex active = strongIndex;
        if (active != null) {
            return active;
        }
        SegmentIndex index = rebuildIndex(logBytes);
        softIndex = new SoftReference<>(index);
        return index;
    }

    SegmentIndex loadIndexFile(long logBytes) throws IOException {
        if (!Files.exists(indexPath)) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(indexPath));
        return SegmentIndex.parse(bytes, logBytes);
    }

    /** Whether the index's last entry is a batch that ends exactly at the end of the log. */
    private boolean endsAtLastBatch(SegmentIndex index, long logBytes) throws IOException {
        int last = index.count() - 1;
        if (last < 0) {
            return logBytes == 0;
        }
        long offset = index.fileOffset(last);
        ByteBuffer header = ByteBuffer.allocate(4);
        read(header, offset);
        if (header.hasRemaining()) {
            return false;
        }
        int total = RecordBatch.totalBytes(header, 0, maxBatchBytes);
        return total > 0 && offset + total == logBytes;
    }

    /**
     * Rebuilds the index by scanning the log: an entry per {@code indexIntervalBytes} and one for the last intact
     * batch. A sealed segment damaged in the middle gets an index that ends before the damage.
     */
    private SegmentIndex rebuildIndex(long logBytes) throws IOException {
        SegmentIndex index = new SegmentIndex();
        long[] last = {-1, 0, 0};
        new SegmentScanner(this, maxBatchBytes).scan(0, logBytes, (buf, at, total, fileOffset) -> {
            boolean due = index.count() == 0
                    || fileOffset - index.fileOffset(index.count() - 1) >= indexIntervalBytes;
            if (due) {
                addInMemory(index, RecordBatch.basePosition(buf, at), fileOffset, RecordBatch.lastArrivalMs(buf, at));
                last[0] = -1;
            } else {
                last[0] = fileOffset;
                last[1] = RecordBatch.basePosition(buf, at);
                last[2] = RecordBatch.lastArrivalMs(buf, at);
            }
            return true;
        });
        if (last[0] >= 0) {
            addInMemory(index, last[1], last[0], last[2]);
        }
        rewriteIndexFile(index);
        return index;
    }

    private int addInMemory(SegmentIndex index, long batchBasePosition, long fileOffset, long arrivalMs) {
        return index.add(Math.toIntExact(batchBasePosition - basePosition), Math.toIntExact(fileOffset), arrivalMs);
    }

    void retireFiles() throws IOException {
        pool.retire(logPath);
        pool.retire(indexPath);
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long offset) throws IOException {
        long at = offset;
        while (src.hasRemaining()) {
            at += ch.write(src, at);
        }
    }
}
