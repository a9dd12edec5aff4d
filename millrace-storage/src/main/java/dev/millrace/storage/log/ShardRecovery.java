package dev.millrace.storage.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings one shard's directory to a consistent state when it is opened. Sealed segments are taken as they are (damage
 * inside them is found, and reported, when they are read). Only the tail of the newest segment is scanned: from the
 * last index entry at or before the durable offset in the {@link ShardCheckpoint}, since a torn write can only lie
 * beyond what was forced. A torn or corrupt tail is cut off at the last intact batch, and positions resume at the
 * checkpoint's position limit or later, so none handed out before is reused.
 *
 * <p>Not thread-safe; runs before the shard is shared, or, to re-establish a running shard after an IO failure
 * ({@link #cutTo}, then {@link #recover}), under both of its locks.
 */
final class ShardRecovery {
    private static final Logger log = LoggerFactory.getLogger(ShardRecovery.class);

    /**
     * What recovery found: sealed segments oldest first, the active segment ready for appends, the next position to
     * hand out, the end of the last intact batch ({@code tailEnd}: a write-ahead log entry at or past it is missing
     * from the shard), the durable offset the checkpoint records (what is known to be forced, not what was found:
     * after a kill the tail may be page cache only), and the checkpoint file, already updated to match.
     */
    record Result(List<SegmentSnapshot> sealed, ActiveSegment active, long nextPosition, long tailEnd,
                  long discardedBytes, long durableOffset, ShardCheckpoint checkpoint) {
    }

    private final Path dir;
    private final LogConfig config;
    private final FilePool pool;

    ShardRecovery(Path dir, LogConfig config, FilePool pool) {
        this.dir = dir;
        this.config = config;
        this.pool = pool;
    }

    /**
     * Cuts the shard's files back to {@code acknowledged}, the active segment as readers last saw it, ahead of a
     * {@link #recover} of a running shard after an IO failure: fresh descriptors are opened for every file later,
     * segment files a half-done roll created after it are removed, acknowledged batches still in its write-back tail
     * (whose write may be what failed) are written to the file, and whatever lies beyond it in the file is cut.
     * Throws if that fails: the shard then stays offline and the WAL keeps its batches.
     */
    void cutTo(SegmentSnapshot acknowledged) throws IOException {
        pool.retireUnder(dir);
        List<Path> newer = new ArrayList<>();
        try (var files = Files.newDirectoryStream(dir, "*" + Segment.LOG_SUFFIX)) {
            for (Path file : files) {
                if (Segment.parseBasePosition(file.getFileName().toString()) > acknowledged.basePosition()) {
                    newer.add(file);
                }
            }
        }
        for (Path file : newer) {
            Files.deleteIfExists(file.resolveSibling(file.getFileName().toString()
                    .replace(Segment.LOG_SUFFIX, Segment.INDEX_SUFFIX)));
            Files.deleteIfExists(file);
        }
        Segment segment = acknowledged.segment();
        if (acknowledged.tail() != null) {
            segment.write(ByteBuffer.wrap(acknowledged.tail(), 0,
                    Math.toIntExact(acknowledged.sizeBytes() - acknowledged.fileBytes())), acknowledged.fileBytes());
        }
        if (Files.size(segment.logPath) > acknowledged.sizeBytes()) {
            segment.truncate(acknowledged.sizeBytes());
        }
        FileUtil.forceDirectory(dir);
    }

    /**
     * Recovers the shard. {@code knownNextPosition} is the next position the running shard would have handed out when
     * it re-establishes its state after an IO failure (positions resume there, not past the checkpoint's whole
     * reservation), or -1 at open, when only the checkpoint knows.
     */
    Result recover(long knownNextPosition) throws IOException {
        List<Long> bases = listSegments();
        ShardCheckpoint.State state = ShardCheckpoint.read(dir);
        ShardCheckpoint checkpoint = ShardCheckpoint.open(dir, pool, state);
        if (bases.isEmpty()) {
            long start = state == null ? 0 : state.positionLimit();
            Segment first = Segment.create(dir, start, pool, config);
            FileUtil.forceDirectory(dir);
            checkpoint.write(start, start, 0, state == null ? Long.MIN_VALUE : state.lastArrivalMs());
            return new Result(List.of(), new ActiveSegment(first, new SegmentIndex(), config.indexIntervalBytes(),
                    Long.MIN_VALUE), start, start, 0, 0, checkpoint);
        }
        List<SegmentSnapshot> sealed = new ArrayList<>();
        long lastArrivalMs = Long.MIN_VALUE;
        for (int i = 0; i < bases.size() - 1; i++) {
            Segment segment = Segment.existing(dir, bases.get(i), pool, config);
            long size = segment.sizeBytes();
            SegmentIndex index = segment.sealedIndex(size);
            long arrivalMs = index.count() == 0 ? Long.MIN_VALUE : index.arrivalMs(index.count() - 1);
            lastArrivalMs = Math.max(lastArrivalMs, arrivalMs);
            sealed.add(new SegmentSnapshot(segment, bases.get(i), bases.get(i + 1), size, arrivalMs));
        }
        Segment last = Segment.existing(dir, bases.get(bases.size() - 1), pool, config);
        if (state != null) {
            lastArrivalMs = Math.max(lastArrivalMs, state.lastArrivalMs());
        }
        return recoverActive(sealed, last, lastArrivalMs, state, checkpoint, knownNextPosition);
    }

    private Result recoverActive(List<SegmentSnapshot> sealed, Segment segment, long priorArrivalMs,
                                 ShardCheckpoint.State state, ShardCheckpoint checkpoint, long knownNextPosition)
            throws IOException {
        long size = segment.sizeBytes();
        boolean checkpointFits = state != null && state.segmentBase() == segment.basePosition
                && state.durableOffset() <= size;
        long durableOffset = checkpointFits ? state.durableOffset() : 0;
        SegmentIndex index = segment.loadIndexFile(size);
        int loadedEntries = index == null ? -1 : index.count();
        int start = index == null ? -1 : index.floorByPosition(Long.MAX_VALUE, durableOffset);
        if (start >= 0 && !entriesPointAtBatches(segment, index, start, size)) {
            log.warn("Shard {}: index of {} does not match its log; rebuilding it", dir.getFileName(),
                    segment.logPath.getFileName());
            start = -1;
        }
        if (start < 0) {
            index = new SegmentIndex();
        }
        ActiveSegment active = new ActiveSegment(segment, index, config.indexIntervalBytes(), priorArrivalMs);
        long scanFrom = start < 0 ? 0 : index.fileOffset(start);
        // Everything before the scan's first batch is present; if that batch is damaged, the scan tracks nothing and
        // the segment and its tail end where the scan starts, not at the segment's start (appends would overwrite,
        // and replay re-append, what is still there).
        long scanFromPosition = start < 0 ? segment.basePosition : segment.basePosition + index.relPosition(start);
        active.resumeIndexing(Math.max(start, 0), scanFrom, scanFromPosition);
        SegmentScanner scanner = new SegmentScanner(segment, config.maxBatchBytes());
        SegmentScanner.Stop stop = scanner.scan(scanFrom, size, (buf, at, total, offset) -> {
            active.track(buf, at, total, offset, false);
            return true;
        });
        long validEnd = stop == SegmentScanner.Stop.END ? size : scanner.stoppedAt();
        long discarded = size - validEnd;
        if (discarded > 0) {
            segment.truncate(validEnd);
        }
        // The scan re-adds entries by the same rule that wrote them, so an unchanged count means an unchanged file;
        // rewriting it anyway would cost an fsync per shard on every start.
        if (start < 0 || discarded > 0 || index.count() != loadedEntries) {
            segment.rewriteIndexFile(index);
        }
        long next = active.endPosition();
        long tailEnd = next;
        if (knownNextPosition >= 0) {
            next = Math.max(next, knownNextPosition);
        } else if (state != null) {
            next = Math.max(next, state.positionLimit());
        } else if (discarded > 0) {
            // No checkpoint to say how far positions went: the lost bytes held at most this many records.
            next += (discarded + RecordBatch.MIN_RECORD_BYTES - 1) / RecordBatch.MIN_RECORD_BYTES;
        }
        active.skipTo(next);
        // Only what is known to be forced: the intact tail found may be page cache only (acknowledged under SYNC by
        // the WAL, forced later by its cleaner), and a power loss could still leave a hole in it that a scan from
        // past the hole would never see.
        long forcedOffset = Math.min(validEnd, durableOffset);
        checkpoint.writeExact(next, segment.basePosition, forcedOffset, active.lastArrivalMs());
        if (discarded > 0) {
            log.warn("Shard {}: discarded {} damaged bytes at offset {} of {}; positions resume at {}",
                    dir.getFileName(), discarded, validEnd, segment.logPath.getFileName(), next);
        }
        return new Result(sealed, active, next, tailEnd, discarded, forcedOffset, checkpoint);
    }

    /**
     * Whether index entries 0..last each point at a batch header of the position they claim. Reads 12 bytes per
     * entry: cheap, and it keeps a plausible but wrong entry from sending readers to the wrong place.
     */
    private boolean entriesPointAtBatches(Segment segment, SegmentIndex index, int last, long size)
            throws IOException {
        ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_BYTES);
        for (int i = 0; i <= last; i++) {
            header.clear();
            segment.read(header, index.fileOffset(i));
            if (header.hasRemaining() || RecordBatch.totalBytes(header, 0, config.maxBatchBytes()) < 0
                    || RecordBatch.basePosition(header, 0) != segment.basePosition + index.relPosition(i)) {
                return false;
            }
        }
        return true;
    }

    /** Base positions of the segments present, ascending; removes leftovers of interrupted file operations. */
    private List<Long> listSegments() throws IOException {
        List<Long> bases = new ArrayList<>();
        List<Path> orphans = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                long base = Segment.parseBasePosition(name);
                if (base >= 0) {
                    bases.add(base);
                } else if (name.endsWith(".tmp")) {
                    orphans.add(file);
                }
            }
        }
        for (Path orphan : orphans) {
            Files.deleteIfExists(orphan);
        }
        bases.sort(null);
        return bases;
    }
}
