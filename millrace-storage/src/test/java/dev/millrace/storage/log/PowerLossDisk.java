package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A disk that can lose power, for storage tests: it remembers, per segment log and WAL file, how far the file was
 * written from its start when it was last forced, and {@link #losePower} cuts every such file back to that, as a
 * machine crash loses what only the page cache held (appended files only: segments and WAL files are written at their
 * end; a write past that end, as a WAL file's preallocation writes one byte at its last offset, is not counted). A
 * file never forced loses everything. It also counts forces, per kind of file.
 *
 * <p>With a journal file, every change to what is forced is also appended there, before the force returns to the
 * engine (so before anything is acknowledged on its strength): another process can then cut the files as a power
 * loss would after this one was killed ({@link #losePower(Path)}), which is how {@link KillNineManyShardsTest} turns
 * each kill into a machine crash.
 *
 * <p>Thread-safe.
 */
final class PowerLossDisk implements FileChannels {
    private final Map<Path, Long> forcedBytes = new ConcurrentHashMap<>();
    /** Per file: how far it was written without a gap from its start (what a force makes durable). */
    private final Map<Path, Long> writtenEnds = new ConcurrentHashMap<>();
    private final AtomicLong walForces = new AtomicLong();
    private final AtomicLong segmentForces = new AtomicLong();
    private final FileChannel journal;

    PowerLossDisk() {
        this.journal = null;
    }

    PowerLossDisk(Path journal) throws IOException {
        this.journal = FileChannel.open(journal, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    /**
     * Records that {@code file} holds {@code bytes} durably now (after a force, or a cut that was forced). Callers
     * hold this object's lock from updating the map to here, so the journal's last line per file is the newest.
     */
    private void record(Path file, long bytes) throws IOException {
        if (journal == null) {
            return;
        }
        ByteBuffer line = ByteBuffer.wrap((bytes + " " + file + "\n").getBytes(StandardCharsets.UTF_8));
        while (line.hasRemaining()) {
            journal.write(line);
        }
    }

    /**
     * Cuts every file the journal names back to the last size it recorded for it: what a machine crash right after
     * the journaling process died would have kept. Lines cut short by the kill are ignored.
     */
    static void losePower(Path journal) throws IOException {
        losePower(journal, false);
    }

    /**
     * {@link #losePower(Path)}, or with {@code holes} as {@link #losePowerLeavingHoles} does: the first un-forced page
     * of each file reads as zeros and the rest survives.
     */
    static void losePower(Path journal, boolean holes) throws IOException {
        Map<Path, Long> durable = new java.util.HashMap<>();
        String text = Files.readString(journal, StandardCharsets.UTF_8);
        for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int space = line.indexOf(' ');
            durable.put(Path.of(line.substring(space + 1)), Long.parseLong(line.substring(0, space)));
        }
        for (Map.Entry<Path, Long> e : durable.entrySet()) {
            if (holes) {
                zeroFirstUnforcedPage(e.getKey(), e.getValue());
            } else {
                cut(e.getKey(), e.getValue());
            }
        }
    }

    private static void cut(Path file, long bytes) throws IOException {
        if (Files.exists(file) && Files.size(file) > bytes) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(bytes);
            }
        }
    }

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        Path key = path.toAbsolutePath().normalize();
        if (tracked(key)) {
            // A file found on disk counts as durable as it is (a previous power loss already cut it); a new one
            // holds nothing durable until it is forced.
            long durable = Files.exists(key) ? Files.size(key) : 0L;
            synchronized (this) {
                if (forcedBytes.putIfAbsent(key, durable) == null) {
                    record(key, durable);
                }
            }
        }
        FileChannel real = FileChannels.DEFAULT.open(path, options);
        if (tracked(key)) {
            long size = real.size();
            writtenEnds.compute(key, (k, end) -> end == null ? size : Math.min(end, size));
        }
        return new Channel(key, real);
    }

    private static boolean tracked(Path path) {
        String name = path.getFileName().toString();
        return name.endsWith(Segment.LOG_SUFFIX) || name.endsWith(WriteAheadLog.SUFFIX);
    }

    long walForces() {
        return walForces.get();
    }

    long segmentForces() {
        return segmentForces.get();
    }

    /** Cuts every tracked file that still exists back to what its last force covered. */
    void losePower() throws IOException {
        for (Map.Entry<Path, Long> e : forcedBytes.entrySet()) {
            cut(e.getKey(), e.getValue());
        }
        forcedBytes.clear();
    }

    /**
     * Loses power as a file system that writes pages back out of order may: in every tracked file, the first page of
     * what was not forced reads as zeros (an unwritten extent), and what follows it survives; the size stays.
     */
    void losePowerLeavingHoles() throws IOException {
        for (Map.Entry<Path, Long> e : forcedBytes.entrySet()) {
            zeroFirstUnforcedPage(e.getKey(), e.getValue());
        }
        forcedBytes.clear();
    }

    private static void zeroFirstUnforcedPage(Path file, long forced) throws IOException {
        if (!Files.exists(file) || Files.size(file) <= forced) {
            return;
        }
        long holeEnd = Math.min(Files.size(file), (forced / PAGE_BYTES + 1) * PAGE_BYTES);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocate((int) (holeEnd - forced));
            long at = forced;
            while (zeros.hasRemaining()) {
                at += ch.write(zeros, at);
            }
        }
    }

    private static final int PAGE_BYTES = 4096;

    private final class Channel extends FileChannel {
        private final Path path;
        private final FileChannel real;

        Channel(Path path, FileChannel real) {
            this.path = path;
            this.real = real;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            long size = Math.min(real.size(), writtenEnds.getOrDefault(path, real.size()));
            real.force(metaData);
            if (tracked(path)) {
                synchronized (PowerLossDisk.this) {
                    record(path, forcedBytes.merge(path, size, Math::max));
                }
                (path.getFileName().toString().endsWith(WriteAheadLog.SUFFIX) ? walForces : segmentForces)
                        .incrementAndGet();
            }
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            if (tracked(path)) {
                writtenEnds.computeIfPresent(path, (p, end) -> Math.min(end, size));
                // A cut is forced by its callers; what stays is at most what was there.
                synchronized (PowerLossDisk.this) {
                    Long now = forcedBytes.computeIfPresent(path, (p, forced) -> Math.min(forced, size));
                    if (now != null) {
                        record(path, now);
                    }
                }
            }
            return this;
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            int n = real.write(src, position);
            wrote(position, n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            long position = real.position();
            int n = real.write(src);
            wrote(position, n);
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long position = real.position();
            long n = real.write(srcs, offset, length);
            wrote(position, n);
            return n;
        }

        /** A write that starts at or before the written end moves it on; one past it (a hole before it) does not. */
        private void wrote(long position, long bytes) {
            if (tracked(path) && bytes > 0) {
                writtenEnds.computeIfPresent(path, (p, end) -> position <= end ? Math.max(end, position + bytes) : end);
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return real.transferFrom(src, position, count);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
