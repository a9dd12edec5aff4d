package dev.millrace.storage.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A bounded, least-recently-used set of open file channels shared by every shard, so that 10,000 shards work under
 * a default {@code ulimit -n}.
 *
 * <p>Callers {@link #acquire} a handle, use its channel with positional reads and writes only (the channel's own
 * position is shared), and close the handle. A channel is closed when it is the least recently used one over the cap
 * and no handle holds it; the cap is exceeded only while every channel is in use. Closing a channel loses nothing:
 * written bytes are in the page cache, and a later {@code force} through another channel of the same file makes
 * them durable, since fsync works on the file, not the descriptor.
 *
 * <p>Thread-safe; one lock guards the map. Opening a file happens under it, which is acceptable because hot files stay
 * open.
 */
final class FilePool implements AutoCloseable {
    private final int maxOpenFiles;
    private final FileChannels channels;
    private final LinkedHashMap<Path, Entry> entries = new LinkedHashMap<>(64, 0.75f, true);
    private boolean closed;
    private volatile FsyncObserver fsyncs = FsyncObserver.NONE;

    FilePool(int maxOpenFiles, FileChannels channels) {
        this.maxOpenFiles = maxOpenFiles;
        this.channels = channels;
    }

    /** Who is told of each log fsync's duration; the pool is what every segment shares, so it carries it. */
    void observeFsyncs(FsyncObserver observer) {
        this.fsyncs = observer;
    }

    FsyncObserver fsyncs() {
        return fsyncs;
    }

    /** How the engine opens files; the pool's own channels come from here too. */
    FileChannels channels() {
        return channels;
    }

    /**
     * Closes every idle channel of files under {@code dir}, and marks busy ones to be closed when released: a shard
     * that re-establishes its state after an IO error starts on fresh descriptors, never on one whose error state or
     * position it cannot know.
     */
    synchronized void retireUnder(Path dir) throws IOException {
        Iterator<Map.Entry<Path, Entry>> it = entries.entrySet().iterator();
        while (it.hasNext()) {
            Entry entry = it.next().getValue();
            if (entry.path.startsWith(dir)) {
                it.remove();
                entry.retired = true;
                if (entry.refs == 0) {
                    entry.channel.close();
                }
            }
        }
    }

    /** A use of an open channel. Not thread-safe itself; each thread acquires its own. */
    final class Handle implements AutoCloseable {
        private final Entry entry;
        private boolean released;

        private Handle(Entry entry) {
            this.entry = entry;
        }

        FileChannel channel() {
            return entry.channel;
        }

        @Override
        public void close() throws IOException {
            if (!released) {
                released = true;
                release(entry);
            }
        }
    }

    private static final class Entry {
        final Path path;
        final FileChannel channel;
        int refs;
        boolean retired;

        Entry(Path path, FileChannel channel) {
            this.path = path;
            this.channel = channel;
        }
    }

    synchronized Handle acquire(Path path) throws IOException {
        if (closed) {
            throw new IOException("file pool is closed");
        }
        Entry entry = entries.get(path);
        if (entry == null) {
            entry = new Entry(path, channels.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
            entries.put(path, entry);
            evictIdle();
        }
        entry.refs++;
        return new Handle(entry);
    }

    /** Closes the channel of a file about to be deleted or renamed, now or when its last handle is released. */
    synchronized void retire(Path path) throws IOException {
        Entry entry = entries.remove(path);
        if (entry != null) {
            entry.retired = true;
            if (entry.refs == 0) {
                entry.channel.close();
            }
        }
    }

    synchronized int openCount() {
        return entries.size();
    }

    private synchronized void release(Entry entry) throws IOException {
        entry.refs--;
        if (entry.retired) {
            if (entry.refs == 0) {
                entry.channel.close();
            }
        } else {
            evictIdle();
        }
    }

    private void evictIdle() throws IOException {
        Iterator<Map.Entry<Path, Entry>> it = entries.entrySet().iterator();
        while (entries.size() > maxOpenFiles && it.hasNext()) {
            Entry eldest = it.next().getValue();
            if (eldest.refs == 0) {
                it.remove();
                eldest.channel.close();
            }
        }
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        List<IOException> failures = new ArrayList<>();
        for (Entry entry : entries.values()) {
            try {
                entry.channel.close();
            } catch (IOException e) {
                failures.add(e);
            }
        }
        entries.clear();
        if (!failures.isEmpty()) {
            IOException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }
}
