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
 * Brings one shard's directory to a consistent state when it is opened: sealed segments are taken as they are (their
 * damage is found when read), and only the tail of the newest segment is scanned. A torn or corrupt tail is cut off
 * at the last intact batch, and a position marker is written in its place so the positions it may have used are
 * never handed out again.
 *
 * <p>Not thread-safe; runs before the shard is shared.
 */
final class ShardRecovery {
    private static final Logger log = LoggerFactory.getLogger(ShardRecovery.class);

    /** What recovery found: sealed segments oldest first, the active segment ready for appends. */
    record Result(List<SegmentSnapshot> sealed, ActiveSegment active, long discardedBytes) {
    }

    private final Path dir;
    private final LogConfig config;
    private final FilePool pool;

    ShardRecovery(Path dir, LogConfig config, FilePool pool) {
        this.dir = dir;
        this.config = config;
        this.pool = pool;
    }

    Result recover() throws IOException {
        List<Long> bases = listSegments();
        if (bases.isEmpty()) {
            Segment first = Segment.create(dir, 0, pool, config);
            FileUtil.forceDirectory(dir);
            return new Result(List.of(), new ActiveSegment(first, new SegmentIndex(), config.indexIntervalBytes(),
                    Long.MIN_VALUE), 0);
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
        return recoverActive(sealed, last, lastArrivalMs);
    }

    private Result recoverActive(List<SegmentSnapshot> sealed, Segment segment, long priorArrivalMs)
            throws IOException {
        long size = segment.sizeBytes();
        SegmentIndex index = segment.loadIndexFile(size);
        if (index == null) {
            index = new SegmentIndex();
        }
        // Trust the index up to its newest entry that points at an intact batch of the expected position: the scan
        // then covers only what was written after it, not the whole segment.
        int start = index.count() - 1;
        while (start >= 0 && !intactAt(segment, index.fileOffset(start),
                segment.basePosition + index.relPosition(start), size)) {
            start--;
        }
        ActiveSegment active = new ActiveSegment(segment, index, config.indexIntervalBytes(), priorArrivalMs);
        long scanFrom = start < 0 ? 0 : index.fileOffset(start);
        active.resumeIndexing(Math.max(start, 0));
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
        segment.rewriteIndexFile(index);
        if (discarded > 0) {
            // The damaged bytes held at most discarded / MIN_RECORD_BYTES records; skip that many positions.
            long resumeAt = active.endPosition() + (discarded + RecordBatch.MIN_RECORD_BYTES - 1)
                    / RecordBatch.MIN_RECORD_BYTES;
            active.append(RecordBatch.positionMarker(resumeAt, active.lastArrivalMs()));
            segment.force();
            log.warn("Shard {}: discarded {} damaged bytes at offset {} of {}; positions resume at {}",
                    dir.getFileName(), discarded, validEnd, segment.logPath.getFileName(), resumeAt);
        }
        return new Result(sealed, active, discarded);
    }

    private boolean intactAt(Segment segment, long offset, long expectedBase, long size) throws IOException {
        if (size - offset < RecordBatch.HEADER_BYTES) {
            return false;
        }
        ByteBuffer header = ByteBuffer.allocate(4);
        segment.read(header, offset);
        int total = RecordBatch.totalBytes(header, 0, config.maxBatchBytes());
        if (total < 0 || offset + total > size) {
            return false;
        }
        ByteBuffer batch = ByteBuffer.allocate(total);
        segment.read(batch, offset);
        return RecordBatch.intact(batch, 0, total) && RecordBatch.basePosition(batch, 0) == expectedBase;
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
