package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A shard's checkpoint file, {@code checkpoint}: how far positions may have been handed out, and up to where the
 * active segment is known to be on disk. Only this class computes offsets inside it.
 *
 * <pre>
 *  Two slots; slot (generation % 2) lives at offset 40 * (generation % 2), so a torn write damages only the slot
 *  being written and the other still holds the previous state.
 *  0               8               16              24              32          36          40
 *  +---------------+---------------+---------------+---------------+-----------+-----------+
 *  |  generation   | positionLimit |  segmentBase  | lastArrivalMs | durableOff|  crc32c   |
 *  +---------------+---------------+---------------+---------------+-----------+-----------+
 *  positionLimit = no position at or above it has ever been handed out
 *  segmentBase   = base position of the segment that durableOff refers to
 *  lastArrivalMs = no record acknowledged so far arrived later; kept here because retention may delete every
 *                  segment that held it, and arrival times must not go backwards after a restart
 *  durableOff    = the log bytes of that segment below this offset were forced to disk
 *  crc32c        = CRC-32C of bytes 0..35 of the slot
 * </pre>
 *
 * Why: recovery scans only from the durable offset on (a torn write can only lie beyond it), and resumes positions
 * at {@code positionLimit} or later, so a position handed out before a crash is never handed out again, even if the
 * bytes that held it were lost. Appends reserve positions ahead in steps, forcing this file once per step.
 *
 * <p>Thread-safe: writes are synchronized; {@link #read} runs in recovery before the shard is shared.
 */
final class ShardCheckpoint {
    static final String FILE_NAME = "checkpoint";
    static final int SLOT_BYTES = 40;
    private static final int GENERATION_OFFSET = 0;
    private static final int POSITION_LIMIT_OFFSET = 8;
    private static final int SEGMENT_BASE_OFFSET = 16;
    private static final int LAST_ARRIVAL_OFFSET = 24;
    private static final int DURABLE_OFFSET_OFFSET = 32;
    private static final int CRC_OFFSET = 36;

    /** One checkpoint state. */
    record State(long generation, long positionLimit, long segmentBase, long lastArrivalMs, int durableOffset) {
    }

    private final Path path;
    private final FilePool pool;
    private long generation;
    private State last;

    private ShardCheckpoint(Path path, FilePool pool, State previous) {
        this.path = path;
        this.pool = pool;
        this.generation = previous == null ? 0 : previous.generation();
        this.last = previous;
    }

    /** Reads the newest intact slot; {@code null} when the file is missing or both slots are damaged. */
    static State read(Path dir) throws IOException {
        Path path = dir.resolve(FILE_NAME);
        if (!Files.exists(path)) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(path));
        State best = null;
        for (int slot = 0; slot < 2; slot++) {
            int at = slot * SLOT_BYTES;
            if (bytes.limit() < at + SLOT_BYTES || bytes.getInt(at + CRC_OFFSET) != checksum(bytes, at)) {
                continue;
            }
            State state = new State(bytes.getLong(at + GENERATION_OFFSET), bytes.getLong(at + POSITION_LIMIT_OFFSET),
                    bytes.getLong(at + SEGMENT_BASE_OFFSET), bytes.getLong(at + LAST_ARRIVAL_OFFSET),
                    bytes.getInt(at + DURABLE_OFFSET_OFFSET));
            if (best == null || state.generation() > best.generation()) {
                best = state;
            }
        }
        return best;
    }

    /** Opens the file for writing, creating it if needed; {@code previous} is what {@link #read} found. */
    static ShardCheckpoint open(Path dir, FilePool pool, State previous) throws IOException {
        Path path = dir.resolve(FILE_NAME);
        if (!Files.exists(path)) {
            pool.channels().open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
            FileUtil.forceDirectory(dir);
        }
        return new ShardCheckpoint(path, pool, previous);
    }

    /**
     * Durably records a new state; returns once it is forced. The recorded position limit never goes down, whatever
     * order concurrent callers arrive in, except through {@link #writeExact} at a clean close.
     */
    synchronized void write(long positionLimit, long segmentBase, long durableOffset, long lastArrivalMs)
            throws IOException {
        long limit = last == null ? positionLimit : Math.max(positionLimit, last.positionLimit());
        long arrivalMs = last == null ? lastArrivalMs : Math.max(lastArrivalMs, last.lastArrivalMs());
        writeExact(limit, segmentBase, durableOffset, arrivalMs);
    }

    /** Whether the file already says exactly this, so writing it again would only cost an fsync. */
    private boolean says(long positionLimit, long segmentBase, long durableOffset, long lastArrivalMs) {
        return last != null && last.positionLimit() == positionLimit && last.segmentBase() == segmentBase
                && last.durableOffset() == durableOffset && last.lastArrivalMs() == lastArrivalMs;
    }

    /** Records exactly this state: for a clean close, where the limit may come down to the true end. */
    synchronized void writeExact(long positionLimit, long segmentBase, long durableOffset, long lastArrivalMs)
            throws IOException {
        if (says(positionLimit, segmentBase, durableOffset, lastArrivalMs)) {
            return;
        }
        long next = generation + 1;
        ByteBuffer slot = ByteBuffer.allocate(SLOT_BYTES);
        slot.putLong(GENERATION_OFFSET, next);
        slot.putLong(POSITION_LIMIT_OFFSET, positionLimit);
        slot.putLong(SEGMENT_BASE_OFFSET, segmentBase);
        slot.putLong(LAST_ARRIVAL_OFFSET, lastArrivalMs);
        slot.putInt(DURABLE_OFFSET_OFFSET, Math.toIntExact(durableOffset));
        slot.putInt(CRC_OFFSET, checksum(slot, 0));
        try (FilePool.Handle h = pool.acquire(path)) {
            long at = (next % 2) * SLOT_BYTES;
            while (slot.hasRemaining()) {
                at += h.channel().write(slot, at);
            }
            h.channel().force(false);
        }
        generation = next;
        last = new State(next, positionLimit, segmentBase, lastArrivalMs, (int) durableOffset);
    }

    private static int checksum(ByteBuffer buf, int at) {
        CRC32C crc = new CRC32C();
        ByteBuffer covered = buf.duplicate();
        covered.limit(at + CRC_OFFSET).position(at);
        crc.update(covered);
        return (int) crc.getValue();
    }

    /** Closes the checkpoint file's pooled channel before the shard's directory is deleted. */
    void retire() throws IOException {
        pool.retire(path);
    }
}
