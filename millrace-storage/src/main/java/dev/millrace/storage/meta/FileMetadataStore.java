package dev.millrace.storage.meta;

import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataListeners;
import dev.millrace.storage.MetadataMaps;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.StaleVersionException;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.FailureLog;
import dev.millrace.storage.log.FileChannels;
import dev.millrace.storage.log.FileModes;
import dev.millrace.storage.log.FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The embedded metadata store: {@code dataDir/metadata/journal} holds one {@link MetadataEntry} per commit, forced
 * before the commit returns; {@code dataDir/metadata/snapshot} holds every live key as of some version. Loading reads
 * the snapshot, then applies the journal's newer entries up to the first torn or damaged one, which is cut off.
 *
 * <p>When the journal outgrows {@code compactBytes} a new snapshot is written to a temporary file, forced, renamed over
 * the old one and the directory forced; only then is the journal emptied. A crash at any step leaves either the old
 * snapshot and the full journal, or the new snapshot and journal entries it already contains (skipped by version).
 *
 * <p>A commit that fails (a full disk) changes nothing: the store remembers that the journal may hold a partial or
 * unforced entry after its last good one, and the next commit first cuts the journal back to that entry, so that an
 * entry whose commit was reported failed can never be applied at the next start. A compaction that fails is logged
 * and skipped (its temporary file removed at once, since it holds space a full disk needs); the commit goes on into
 * the journal and compaction is tried again at the next commit. Failures are logged rate-limited ({@link FailureLog})
 * and thrown as already reported. Files are private to the owner ({@link FileModes}).
 *
 * <p>Thread-safe: every method is synchronized; metadata changes are rare next to record traffic.
 */
public final class FileMetadataStore implements MetadataStore {
    static final String JOURNAL = "journal";
    static final String SNAPSHOT = "snapshot";
    public static final long COMPACT_BYTES_DEFAULT = 4L * 1024 * 1024;

    private static final Logger log = LoggerFactory.getLogger(FileMetadataStore.class);
    /** A failing metadata store logs at most one line per minute. */
    private static final long FAILURE_LOG_INTERVAL_MS = 60_000;

    private final Path dir;
    private final long compactBytes;
    private final FileChannels channels;
    private final FailureLog failures;
    /** The journal may hold bytes past {@code journalBytes} from a failed commit: cut them before the next one. */
    private boolean journalNeedsCut;
    private final TreeMap<String, byte[]> entries = new TreeMap<>();
    private final MetadataListeners listeners = new MetadataListeners();
    private FileChannel journal;
    private long journalBytes;
    private long version;
    private boolean closed;

    private FileMetadataStore(Path dir, long compactBytes, FileChannels channels, Clock clock) {
        this.dir = dir;
        this.compactBytes = compactBytes;
        this.channels = channels;
        this.failures = new FailureLog(log, "Metadata store " + dir, clock, FAILURE_LOG_INTERVAL_MS);
    }

    public static FileMetadataStore open(Path dataDir) {
        return open(dataDir, COMPACT_BYTES_DEFAULT);
    }

    public static FileMetadataStore open(Path dataDir, long compactBytes) {
        return open(dataDir, compactBytes, FileChannels.DEFAULT, Clock.systemUTC());
    }

    /** Opens the store with {@code channels} opening its files (a seam for tests that fill the disk). */
    public static FileMetadataStore open(Path dataDir, long compactBytes, FileChannels channels, Clock clock) {
        FileMetadataStore store = new FileMetadataStore(dataDir.resolve("metadata"), compactBytes, channels, clock);
        try {
            store.load();
        } catch (IOException e) {
            throw new StorageException("cannot open metadata in " + store.dir + ": " + e, e);
        }
        return store;
    }

    private void load() throws IOException {
        FileModes.createPrivateDirectories(dir);
        FileModes.privateTree(dir);
        Files.deleteIfExists(dir.resolve(SNAPSHOT + ".tmp"));
        Path snapshot = dir.resolve(SNAPSHOT);
        if (Files.exists(snapshot)) {
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(snapshot));
            MetadataEntry.Decoded decoded = MetadataEntry.decode(bytes, 0);
            if (decoded == null || decoded.totalBytes() != bytes.limit()) {
                // The snapshot is only ever replaced by rename after a force: damage here is not a torn write.
                throw new CorruptDataException("metadata snapshot " + snapshot + " is damaged");
            }
            apply(decoded);
        }
        journal = channels.open(dir.resolve(JOURNAL), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(journal.size()));
        while (bytes.hasRemaining()) {
            if (journal.read(bytes, bytes.position()) < 0) {
                break;
            }
        }
        bytes.flip();
        int at = 0;
        MetadataEntry.Decoded decoded;
        while ((decoded = MetadataEntry.decode(bytes, at)) != null) {
            if (decoded.version() > version) {
                apply(decoded);
            }
            at += decoded.totalBytes();
        }
        if (at < bytes.limit()) {
            // A torn last commit was never acknowledged; cut it off so the next commit follows an intact entry.
            journal.truncate(at);
            journal.force(true);
        }
        journalBytes = at;
        FileUtil.forceDirectory(dir);
    }

    private void apply(MetadataEntry.Decoded decoded) {
        for (Map.Entry<String, byte[]> change : decoded.changes().entrySet()) {
            if (change.getValue() == null) {
                entries.remove(change.getKey());
            } else {
                entries.put(change.getKey(), change.getValue());
            }
        }
        version = decoded.version();
    }

    @Override
    public synchronized Optional<byte[]> get(String key) {
        return MetadataMaps.get(entries, key);
    }

    @Override
    public synchronized SortedMap<String, byte[]> scan(String prefix) {
        return MetadataMaps.scan(entries, prefix);
    }

    @Override
    public synchronized long commit(Map<String, byte[]> changes) {
        if (closed) {
            throw new StorageException("metadata store is closed");
        }
        if (changes.isEmpty()) {
            return version;
        }
        if (journalBytes > compactBytes) {
            // Before the commit, so that a commit never reports failure for a step after it happened.
            compact();
        }
        ByteBuffer entry = MetadataEntry.encode(version + 1, changes);
        int total = entry.remaining();
        try {
            if (journalNeedsCut) {
                journal.truncate(journalBytes);
                journal.force(true);
                journalNeedsCut = false;
            }
            long at = journalBytes;
            journalNeedsCut = true;
            while (entry.hasRemaining()) {
                at += journal.write(entry, at);
            }
            journal.force(false);
            journalNeedsCut = false;
        } catch (IOException e) {
            failures.failure("commit failed", e);
            cutJournal();
            throw new StorageException("metadata commit failed: " + e, e, true);
        }
        failures.healed("commits succeed again");
        journalBytes += total;
        MetadataEntry.Decoded applied = new MetadataEntry.Decoded(version + 1, copy(changes), total);
        apply(applied);
        listeners.fire(version, applied.changes());
        return version;
    }

    @Override
    public synchronized long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
        if (expectedVersion != version) {
            throw new StaleVersionException(expectedVersion, version);
        }
        return commit(changes);
    }

    @Override
    public Registration onCommit(MetadataListener listener) {
        return listeners.add(listener);
    }

    /**
     * Cuts what a failed commit left after the last good entry, at once, so that a restart does not apply a commit
     * reported failed; if even that fails, the next commit (or close) tries again first.
     */
    private void cutJournal() {
        try {
            journal.truncate(journalBytes);
            journal.force(true);
            journalNeedsCut = false;
        } catch (IOException e) {
            journalNeedsCut = true;
        }
    }

    private static Map<String, byte[]> copy(Map<String, byte[]> changes) {
        Map<String, byte[]> copy = new java.util.LinkedHashMap<>();
        changes.forEach((k, v) -> copy.put(k, v == null ? null : v.clone()));
        return copy;
    }

    /** Writes a snapshot of everything and empties the journal, in the crash-safe order described above. */
    private void compact() {
        Path tmp = dir.resolve(SNAPSHOT + ".tmp");
        try {
            ByteBuffer snapshot = MetadataEntry.encode(version, new TreeMap<>(entries));
            try (FileChannel ch = channels.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                long at = 0;
                while (snapshot.hasRemaining()) {
                    at += ch.write(snapshot, at);
                }
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(SNAPSHOT), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            FileUtil.forceDirectory(dir);
            journal.truncate(0);
            journal.force(true);
            journalBytes = 0;
            journalNeedsCut = false;
        } catch (IOException e) {
            // The journal still holds everything, so the store stays whole; the commit goes on without compaction.
            failures.failure("compaction failed (the journal keeps growing until it succeeds)", e);
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // Removed at the next start, or overwritten by the next compaction.
            }
        }
    }

    @Override
    public synchronized long version() {
        return version;
    }

    /** Bytes in the journal since the last snapshot; for tests. */
    synchronized long journalBytes() {
        return journalBytes;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (journalNeedsCut) {
            cutJournal();
        }
        try {
            journal.close();
        } catch (IOException e) {
            throw new StorageException("closing metadata journal failed: " + e, e);
        }
    }
}
