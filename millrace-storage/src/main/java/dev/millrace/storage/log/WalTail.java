package dev.millrace.storage.log;

import dev.millrace.storage.StorageException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * What the {@link WriteAheadLog} holds at start-up, indexed by shard: each shard takes its entries when it is first
 * opened ({@link #replayInto}), so that a start costs one read of the WAL, however many shards its tail touches; the
 * store's cleaner replays the rest before it deletes a WAL file.
 *
 * <p>Recovery reads the files oldest first. The newest file is cut at its first entry that is not intact (a torn
 * tail: it was never forced, so never acknowledged), or where its preallocated rest of zeros begins. An entry that is not intact in an older file is damage: every
 * older file was forced whole before the next one was started, so acknowledged records may be missing from a shard
 * there, and replaying past the hole would leave a gap nobody notices. The store then refuses to start, naming the
 * file and the offset (see {@link #recover}). Entries of shards whose directory is gone (deleted streams) are dropped:
 * a shard's directory is never created from the WAL.
 *
 * <p>Thread-safe: entries are claimed per shard through a concurrent map, and the files are read with positional
 * reads only, by threads that hold off their interrupt meanwhile (see {@link #readEntry}).
 */
final class WalTail implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WalTail.class);
    private static final int CHUNK_BYTES = 1024 * 1024;

    /** How often one entry's read is tried when the file's channel was closed under it by an interrupt. */
    private static final int READ_ATTEMPTS = 3;

    /**
     * One WAL file, read by every shard that replays entries of it: a {@code FileChannel} closes itself when a thread
     * reading it is interrupted, for all its users, so the file keeps its path and is opened again then. Thread-safe.
     */
    private static final class TailFile {
        private final Path path;
        private final FileChannels channels;
        private FileChannel channel; // guarded by this
        private boolean closed; // guarded by this

        TailFile(Path path, FileChannels channels, FileChannel channel) {
            this.path = path;
            this.channels = channels;
            this.channel = channel;
        }

        synchronized FileChannel channel() throws ClosedChannelException {
            if (closed) {
                throw new ClosedChannelException();
            }
            return channel;
        }

        /** Opens the file again unless another reader did already since {@code seen} was closed, or the tail is. */
        synchronized void reopen(FileChannel seen) throws IOException {
            if (closed) {
                throw new ClosedChannelException();
            }
            if (channel == seen) {
                channel = channels.open(path, StandardOpenOption.READ);
                log.info("Write-ahead log file {} reopened: an interrupt closed it during a replay", path);
            }
        }

        synchronized void close() throws IOException {
            closed = true;
            channel.close();
        }
    }

    /** Takes the batches of one shard, oldest first. */
    @FunctionalInterface
    interface BatchSink {
        void accept(ByteBuffer stampedBatch) throws IOException;
    }

    private final Map<String, WalIndex.Entries> byShard;
    private final List<TailFile> files;
    private final long entries;

    private WalTail(Map<String, WalIndex.Entries> byShard, List<TailFile> files, long entries) {
        this.byShard = new ConcurrentHashMap<>(byShard);
        this.files = files;
        this.entries = entries;
    }

    /**
     * Reads the WAL files in {@code dir}, cuts a torn tail off the newest, and indexes the entries of the shards for
     * which {@code shardExists} holds.
     *
     * @throws StorageException naming the file and offset if an older file is damaged
     */
    static WalTail recover(Path dir, LogConfig config, Predicate<String> shardExists) throws IOException {
        long startedNs = System.nanoTime();
        List<Path> files = WriteAheadLog.listFiles(dir);
        if (files.size() > WalIndex.MAX_FILES) {
            throw new StorageException("the write-ahead log in " + dir + " holds " + files.size()
                    + " files, more than a start can index (" + WalIndex.MAX_FILES + ")");
        }
        WalIndex index = new WalIndex(shardExists);
        List<TailFile> tailFiles = new ArrayList<>();
        try {
            for (int i = 0; i < files.size(); i++) {
                Path file = files.get(i);
                FileChannel ch = config.channels().open(file, StandardOpenOption.READ);
                tailFiles.add(new TailFile(file, config.channels(), ch));
                long size = ch.size();
                int fileIndex = i;
                long validEnd = scan(ch, size, config.maxBatchBytes(), (buf, at, offset, entryBytes) ->
                        index.add(buf, WalEntry.keyOffset(at), WalEntry.keyBytes(buf, at), fileIndex, offset,
                                entryBytes));
                if (validEnd == size) {
                    continue;
                }
                boolean newest = i == files.size() - 1;
                if (newest && zeros(ch, validEnd, size)) {
                    // The unused rest of a preallocated file (WriteAheadLog#preallocate): the log ends there. An
                    // older file was cut to its entries, and the cut forced, before the next file was made: zeros
                    // there are damage (forced entries lost), and refuse the start below.
                    cut(file, config, validEnd);
                    continue;
                }
                if (!newest) {
                    throw new StorageException("write-ahead log file " + file + " is damaged at offset " + validEnd
                            + " of " + size + ", before its end, and newer files follow it: acknowledged records "
                            + "may be missing there. Refusing to start rather than leave an unnoticed gap in a "
                            + "shard. Keep a copy of " + dir + "; moving the damaged file away lets the server "
                            + "start without the records of that file and the ones after it that shards did not "
                            + "force yet.");
                }
                cutTornTail(file, config, validEnd, size);
            }
        } catch (IOException | RuntimeException e) {
            closeAll(tailFiles);
            throw e;
        }
        Map<String, WalIndex.Entries> byShard = index.byShard();
        WalTail tail = new WalTail(byShard, tailFiles, index.entries());
        if (index.entries() > 0) {
            log.info("Write-ahead log in {}: {} entries of {} shards to replay when each is first opened "
                    + "(indexed in {} ms)", dir, index.entries(), byShard.size(),
                    (System.nanoTime() - startedNs) / 1_000_000);
        }
        return tail;
    }

    private static void cutTornTail(Path file, LogConfig config, long validEnd, long size) throws IOException {
        cut(file, config, validEnd);
        log.warn("Write-ahead log file {}: discarded {} bytes of a torn tail at offset {} (never acknowledged)",
                file, size - validEnd, validEnd);
    }

    private static void cut(Path file, LogConfig config, long validEnd) throws IOException {
        try (FileChannel ch = config.channels().open(file, StandardOpenOption.WRITE)) {
            ch.truncate(validEnd);
            ch.force(true);
        }
    }

    /**
     * Whether bytes {@code from} to {@code size} of the file are all zero (a hole reads as zeros, without IO); compared
     * a chunk at a time against zeros with {@link ByteBuffer#mismatch}, which the JIT vectorises: a 64 MiB rest costs
     * milliseconds at a start.
     */
    private static boolean zeros(FileChannel ch, long from, long size) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES);
        ByteBuffer zeros = ByteBuffer.allocate(CHUNK_BYTES);
        for (long at = from; at < size; at += buf.limit()) {
            buf.clear().limit((int) Math.min(CHUNK_BYTES, size - at));
            readFully(ch, buf, at);
            if (buf.hasRemaining()) {
                return false;
            }
            buf.flip();
            if (buf.mismatch(zeros.clear().limit(buf.limit())) >= 0) {
                return false;
            }
        }
        return true;
    }

    @FunctionalInterface
    private interface EntryVisitor {
        /** The intact entry at {@code at} in {@code buf} (a heap buffer), which starts at {@code offset} in the file. */
        void visit(ByteBuffer buf, int at, long offset, int entryBytes);
    }

    /** Visits the intact entries from the start; returns where the first entry that is not intact starts. */
    private static long scan(FileChannel ch, long size, int maxBatchBytes, EntryVisitor visitor) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(0);
        long bufStart = 0;
        long offset = 0;
        long maxEntry = WalEntry.maxEntryBytes(maxBatchBytes);
        while (offset < size) {
            int at = (int) (offset - bufStart);
            if (buf.limit() - at < WalEntry.KEY_OFFSET) {
                buf = fill(ch, buf, offset, size, CHUNK_BYTES);
                bufStart = offset;
                at = 0;
            }
            if (buf.limit() - at < WalEntry.KEY_OFFSET) {
                return offset;
            }
            long claimed = WalEntry.claimedEntryBytes(buf, at);
            if (claimed > maxEntry || offset + claimed > size) {
                return offset;
            }
            if (buf.limit() - at < claimed) {
                buf = fill(ch, buf, offset, size, (int) Math.max(CHUNK_BYTES, claimed));
                bufStart = offset;
                at = 0;
            }
            if (WalEntry.intactEntryBytes(buf, at, buf.limit(), maxBatchBytes) != claimed) {
                return offset;
            }
            visitor.visit(buf, at, offset, (int) claimed);
            offset += claimed;
        }
        return offset;
    }

    private static ByteBuffer fill(FileChannel ch, ByteBuffer previous, long offset, long size, int bytes)
            throws IOException {
        int wanted = (int) Math.min(bytes, size - offset);
        ByteBuffer buf = previous.capacity() >= wanted ? previous.clear().limit(wanted) : ByteBuffer.allocate(wanted);
        readFully(ch, buf, offset);
        buf.flip();
        return buf;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long offset) throws IOException {
        long at = offset;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, at);
            if (n < 0) {
                break;
            }
            at += n;
        }
    }

    /**
     * Hands the shard's entries to {@code sink}, oldest first. They stay until the store {@link #forget}s them, which
     * it does only once the shard is in its map of open shards: until then the cleaner, which forces only the shards
     * in that map, must still see the shard as pending, or it could delete the WAL files that are the only durable
     * copy of what was just replayed. Replaying again is harmless (replay skips what the shard holds). Returns
     * whether the shard had any.
     */
    boolean replayInto(String key, BatchSink sink) throws IOException {
        WalIndex.Entries refs = byShard.get(key);
        if (refs == null) {
            return false;
        }
        ByteBuffer buf = ByteBuffer.allocate(0);
        for (int i = 0; i < refs.count(); i++) {
            int entryBytes = refs.entryBytes(i);
            if (buf.capacity() < entryBytes) {
                buf = ByteBuffer.allocate(entryBytes);
            }
            readEntry(files.get(refs.file(i)), refs.offset(i), entryBytes, buf);
            buf.flip();
            if (buf.limit() != entryBytes) {
                throw new IOException("write-ahead log entry at offset " + refs.offset(i) + " was cut since "
                        + "start-up");
            }
            int batchAt = WalEntry.batchOffset(buf, 0);
            sink.accept(buf.duplicate().position(batchAt).slice());
        }
        Runnable hook = afterReplay;
        if (hook != null) {
            hook.run();
        }
        return true;
    }

    /**
     * Reads one entry into {@code buf}. Replays run on request threads, and an interrupt during a read would close the
     * file's channel for every shard still to replay from it (and so keep the cleaner from ever emptying the tail):
     * the reader holds off its interrupt during the read and hands it back after, as the WAL's leader does; a channel
     * closed all the same (an interrupt arriving during the read, on this thread or another) is opened again.
     */
    private static void readEntry(TailFile file, long offset, int entryBytes, ByteBuffer buf) throws IOException {
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                FileChannel ch = file.channel();
                try {
                    buf.clear().limit(entryBytes);
                    readFully(ch, buf, offset);
                    return;
                } catch (ClosedChannelException e) {
                    if (e instanceof ClosedByInterruptException) {
                        Thread.interrupted(); // else the reopened channel closes at once
                        interrupted = true;
                    }
                    if (attempt == READ_ATTEMPTS) {
                        throw e;
                    }
                    file.reopen(ch);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** For tests: runs right after a shard's entries were replayed, before its open returns. */
    volatile Runnable afterReplay;

    /** Forgets a shard's entries: it holds them now (it is published among the open shards), or it was deleted. */
    void forget(String key) {
        byShard.remove(key);
    }

    /** The shards whose entries were not replayed yet. */
    Set<String> pendingShards() {
        return Set.copyOf(byShard.keySet());
    }

    boolean isEmpty() {
        return byShard.isEmpty();
    }

    /** Entries found at start-up, of all shards (for logs and tests). */
    long entries() {
        return entries;
    }

    @Override
    public void close() {
        closeAll(files);
    }

    private static void closeAll(List<TailFile> files) {
        for (TailFile file : files) {
            try {
                file.close();
            } catch (IOException e) {
                log.warn("Closing a write-ahead log file failed: {}", e.toString());
            }
        }
    }
}
