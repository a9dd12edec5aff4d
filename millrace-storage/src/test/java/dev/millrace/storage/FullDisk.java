package dev.millrace.storage;

import dev.millrace.storage.log.FileChannels;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.util.function.BiPredicate;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A disk that fills up, for storage tests: every channel the engine opens through it draws the bytes a write
 * allocates from one shared budget, and a write that does not fit writes what fits and then fails as Linux does
 * ({@code No space left on device}), as a tmpfs with a size limit showed by hand. Files are sparse: a write past the
 * allocated start of a file (as the write-ahead log's preallocation writes one byte at its end) leaves a hole that
 * takes no space until written. Truncating gives bytes back. Forces
 * can be made to fail too ({@code Input/output error}), as a failing device's fsync does. Deleted files are not
 * credited: tests set the free space they want.
 *
 * <p>Thread-safe.
 */
public final class FullDisk implements FileChannels {
    public static final String NO_SPACE = "No space left on device";

    private final AtomicLong freeBytes = new AtomicLong(Long.MAX_VALUE / 2);
    private final AtomicBoolean failForce = new AtomicBoolean();
    private final AtomicLong refusedWrites = new AtomicLong();
    private volatile BiPredicate<String, Boolean> failForcesWhere;
    private volatile String interruptNextForceOf;

    public void freeBytes(long bytes) {
        freeBytes.set(bytes);
    }

    /**
     * Fails the forces for which {@code test} holds of the file's path and the {@code metaData} flag (null: none);
     * e.g. the WAL's group-commit forces only, not the forced cut that heals it.
     */
    public void failForcesWhere(BiPredicate<String, Boolean> test) {
        failForcesWhere = test;
    }

    /**
     * The next force of a file whose name ends with {@code suffix} is interrupted while it runs, as
     * {@code shutdownNow} or {@code cancel(true)} would interrupt the thread doing it: the real channel closes.
     */
    public void interruptNextForceOf(String suffix) {
        interruptNextForceOf = suffix;
    }

    public void failForce(boolean fail) {
        failForce.set(fail);
    }

    /** Writes that hit the full disk so far: what the engine attempted while it could not succeed. */
    public long refusedWrites() {
        return refusedWrites.get();
    }

    /** Per file: where its allocated start ends; shared by every channel open on it. */
    private final java.util.concurrent.ConcurrentHashMap<String, long[]> allocatedEnds =
            new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public FileChannel open(Path path, Set<? extends OpenOption> options) throws IOException {
        FileChannel real = FileChannels.DEFAULT.open(path, options);
        long[] allocated = allocatedEnds.computeIfAbsent(path.toString(), k -> new long[] {-1});
        synchronized (allocated) {
            // A file this disk has not seen (-1: made before the test), or one just emptied: as large as it is.
            if (allocated[0] < 0 || allocated[0] > real.size()) {
                allocated[0] = real.size();
            }
        }
        return new Channel(path.toString(), real, allocated);
    }

    private final class Channel extends FileChannel {
        private final String name;
        private final FileChannel real;
        /** Where the file's allocated start ends: bytes past it are holes, but for islands written past it. */
        private final long[] allocatedEnd;

        Channel(String name, FileChannel real, long[] allocatedEnd) {
            this.name = name;
            this.real = real;
            this.allocatedEnd = allocatedEnd;
        }

        /** Takes space for a write of {@code wanted} bytes at {@code at}; returns how many of them may be written. */
        private int reserve(long at, int wanted) throws IOException {
            synchronized (allocatedEnd) {
                // A write into a hole allocates all it writes (an island, counted again if later writes reach it: a
                // few bytes at most); one that continues the allocated start allocates what it adds to it.
                boolean island = at > allocatedEnd[0];
                long growth = island ? wanted : Math.max(0, at + wanted - allocatedEnd[0]);
                while (true) {
                    long free = freeBytes.get();
                    long granted = Math.min(growth, free);
                    if (freeBytes.compareAndSet(free, free - granted)) {
                        int allowed = (int) (wanted - (growth - granted));
                        if (!island) {
                            allocatedEnd[0] = Math.max(allocatedEnd[0], at + allowed);
                        }
                        return allowed;
                    }
                }
            }
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            int wanted = src.remaining();
            int allowed = reserve(position, wanted);
            if (allowed <= 0 && wanted > 0) {
                refusedWrites.incrementAndGet();
                throw new IOException(NO_SPACE);
            }
            ByteBuffer part = src.duplicate();
            part.limit(part.position() + allowed);
            int n = real.write(part, position);
            src.position(src.position() + n);
            return n;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = write(src, real.position());
            real.position(real.position() + n);
            return n;
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                total += write(srcs[i]);
            }
            return total;
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            long shrink;
            synchronized (allocatedEnd) {
                shrink = Math.max(0, allocatedEnd[0] - size);
                allocatedEnd[0] = Math.min(allocatedEnd[0], size);
            }
            real.truncate(size);
            freeBytes.addAndGet(shrink);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            BiPredicate<String, Boolean> failWhere = failForcesWhere;
            if (failForce.get() || failWhere != null && failWhere.test(name, metaData)) {
                throw new IOException("Input/output error");
            }
            String interrupted = interruptNextForceOf;
            if (interrupted != null && name.endsWith(interrupted)) {
                interruptNextForceOf = null;
                Thread.currentThread().interrupt();
            }
            real.force(metaData);
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
            throw new UnsupportedOperationException("not used by the engine");
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            throw new UnsupportedOperationException("not used by the engine");
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
