package dev.millrace.storage.log;

import dev.millrace.storage.FailureLog;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.crypto.KeyRing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * The embedded {@link LogStore}: {@code dataDir/shards/<shardKey>/} per shard, each a directory of segments, and under
 * {@link DurabilityPolicy#SYNC} one {@link WriteAheadLog} in {@code dataDir/wal/} that all shards share.
 *
 * <p>Shards are opened lazily, on first use, so start-up costs nothing per shard; opening one recovers only its tail,
 * then replays its entries of the WAL's tail ({@link WalTail}), which start-up only indexed. Open file channels are
 * shared through one {@link FilePool}. With {@link DurabilityPolicy#INTERVAL} a daemon thread forces dirty shards
 * every {@link LogConfig#flushIntervalMs()}. With SYNC a daemon thread cleans the WAL when it rolls and every
 * {@link LogConfig#walCleanIntervalMs()}: it takes the start of the WAL's current file as a boundary, replays the
 * shards the WAL tail still holds entries of, forces every dirty shard (each entry's segment write was issued before
 * the entry was queued, so this covers every entry below the boundary), and only then deletes the files below it.
 * A clean close forces every shard with an exact checkpoint, then empties the WAL: a clean start replays nothing.
 *
 * <p>Thread-safe. Lock order: {@code openGate} (read side), then a key's bin in {@code shards} (an open's
 * {@code computeIfAbsent}), then what the open takes (the file pool, the WAL tail's files; no shard lock, the shard is
 * not shared yet); a delete's {@code compute} takes the bin, then the shard's sync lock, then its append lock
 * ({@code closeForDelete}). Nothing that holds a shard's or the WAL's lock takes {@code openGate} or a bin, and
 * {@link #close} holds the write side of {@code openGate} alone, only to set {@code closing}.
 */
public final class EmbeddedLogStore implements LogStore {
    private static final Pattern SHARD_KEY = Pattern.compile("[A-Za-z0-9_.-]{1,200}");
    private static final String DELETED_SUFFIX = ".deleted";
    /** Failure lines of all shards together per failure-log interval (a minute by default): enough to see a pattern. */
    static final int FAILURE_LINES_PER_INTERVAL = 20;

    private final LogConfig config;
    private final Clock clock;
    private final Path shardsDir;
    private final FilePool pool;
    private final KeyRing keys;
    private static final Logger log = LoggerFactory.getLogger(EmbeddedLogStore.class);
    private final ConcurrentHashMap<String, EmbeddedShardLog> shards = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher;
    /** Under SYNC: the shared write-ahead log, and what it held at start-up that shards have not replayed yet. */
    private final WriteAheadLog wal;
    private final WalTail walTail;
    private final AtomicBoolean cleanQueued = new AtomicBoolean();
    /**
     * Opens of shards not in {@code shards} yet hold the read side while they open, publish and forget the shard's WAL
     * tail; {@link #close} takes the write side to set {@code closing}: once it has, every shard ever opened is in
     * {@code shards}, and no other will be. Shards already open are returned without it.
     */
    private final java.util.concurrent.locks.ReentrantReadWriteLock openGate =
            new java.util.concurrent.locks.ReentrantReadWriteLock();
    /** What kept the current clean from deleting files, for its report; written by the cleaner thread only. */
    private volatile String cleanBlocker;
    /** Set by {@link #close}: no shard opens, and the cleaner stops at the next shard. */
    private volatile boolean closing;
    /**
     * Complete WAL files that wait before a roll queues a clean. A clean forces every shard written since the last
     * one, an fsync each whatever it wrote, so over many shards its cost is per clean, not per byte: over 1,000 shards
     * a clean per roll took ~5 % of the server's CPU (issue 20). Each file more left waiting is one more file a
     * start after a crash indexes ({@link WalTail}); two keep that within the 5 s target at 10,000 shards.
     */
    static final int CLEAN_AFTER_FILES = 2;
    /** Threads that force shards side by side during a clean (with the cleaner's own). */
    static final int CLEAN_FORCE_THREADS = 4;
    /** How long a close waits for the cleaner to stop; past it, the WAL keeps its files. */
    static final long CLOSE_WAIT_MS = 60_000;
    private final java.util.concurrent.ExecutorService forcers;
    private final FailureLog openFailures;
    /**
     * The shards' failure lines together: a full disk fails every shard at once, and 10,000 shards must not write
     * 10,000 lines an interval.
     */
    private final FailureLog.Budget failureLines;
    /** How a delete renames a shard's directory away; replaced by tests only. */
    private volatile DirectoryMover mover = (from, to) -> Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    /** How long a close waits for the cleaner; shortened by tests only. */
    private volatile long closeWaitMs = CLOSE_WAIT_MS;
    /** For tests: runs on the cleaner thread once a clean took its boundary, before it replays and forces. */
    volatile Runnable beforeCleanForce;

    private EmbeddedLogStore(LogConfig config, Clock clock, Path shardsDir, KeyRing keys, WalTail walTail) {
        this.config = config;
        this.clock = clock;
        this.shardsDir = shardsDir;
        this.keys = keys;
        this.pool = new FilePool(config.maxOpenFiles(), config.channels());
        this.failureLines = new FailureLog.Budget(clock, config.failureLogIntervalMs(), FAILURE_LINES_PER_INTERVAL);
        this.openFailures = new FailureLog(LoggerFactory.getLogger(EmbeddedLogStore.class), "Log store " + shardsDir,
                clock, config.failureLogIntervalMs(), failureLines);
        this.walTail = walTail;
        boolean sync = config.durability() == DurabilityPolicy.SYNC;
        flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, sync ? "millrace-wal-cleaner" : "millrace-log-flusher");
            t.setDaemon(true);
            return t;
        });
        forcers = sync ? Executors.newFixedThreadPool(CLEAN_FORCE_THREADS - 1, r -> {
            Thread t = new Thread(r, "millrace-wal-forcer");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            if (sync) {
                wal = WriteAheadLog.open(walDir(config), config, clock, pool, failureLines, this::cleanSoon);
                flusher.scheduleWithFixedDelay(() -> cleanWal(true), config.walCleanIntervalMs(),
                        config.walCleanIntervalMs(), TimeUnit.MILLISECONDS);
            } else {
                wal = null;
                drainWal();
                flusher.scheduleWithFixedDelay(this::flushAll, config.flushIntervalMs(), config.flushIntervalMs(),
                        TimeUnit.MILLISECONDS);
            }
        } catch (RuntimeException e) {
            releaseAfterFailedStart(e);
            throw e;
        }
    }

    /** A start that failed must not leave the cleaner's threads or open files behind. */
    private void releaseAfterFailedStart(RuntimeException failure) {
        flusher.shutdownNow();
        if (forcers != null) {
            forcers.shutdownNow();
        }
        if (walTail != null) {
            walTail.close();
        }
        try {
            pool.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Under INTERVAL, a WAL left by a SYNC run that crashed still holds acknowledged records: they are replayed into
     * their shards at once, forced, and the WAL removed, since nothing under INTERVAL would clean it.
     */
    private void drainWal() {
        if (walTail == null) {
            return;
        }
        boolean forced = replayPending();
        for (EmbeddedShardLog shard : shards.values()) {
            forced &= shard.flushIfDirty();
        }
        walTail.close();
        if (!forced) {
            throw new StorageException("cannot replay the write-ahead log in " + walDir(config) + " into its shards");
        }
        try {
            FileUtil.deleteTree(walDir(config));
            FileUtil.forceDirectory(config.dataDir());
        } catch (IOException e) {
            throw new StorageException("cannot remove the replayed write-ahead log in " + walDir(config) + ": " + e,
                    e);
        }
    }

    private static Path walDir(LogConfig config) {
        return config.dataDir().resolve(WriteAheadLog.DIR_NAME);
    }

    /** {@link #open(LogConfig, Clock, KeyRing)} with no keys: encrypted records cannot be read. */
    public static EmbeddedLogStore open(LogConfig config, Clock clock) {
        return open(config, clock, KeyRing.NONE);
    }

    /**
     * Opens (creating if needed) the store under {@code config.dataDir()}; finishes interrupted deletions. Encrypted
     * records are read with keys from {@code keys}.
     */
    public static EmbeddedLogStore open(LogConfig config, Clock clock, KeyRing keys) {
        java.util.Objects.requireNonNull(keys, "keys");
        Path shardsDir = config.dataDir().resolve("shards");
        try {
            // A data dir that exists keeps its owner's mode (the app warns if it is open to others); shards/ and
            // everything in it are private in any case.
            boolean created = !Files.isDirectory(shardsDir);
            FileModes.createPrivateDirectories(shardsDir);
            if (created) {
                FileUtil.forceDirectory(config.dataDir()); // its entry for shards/ must survive a power loss too
            }
            // Only the directory: its shards are tightened one by one when first opened, so a start costs nothing per
            // shard even for data written by a version that left modes to the umask.
            FileModes.restrict(shardsDir, FileModes.PRIVATE_DIR);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(shardsDir, "*" + DELETED_SUFFIX)) {
                for (Path leftover : entries) {
                    FileUtil.deleteTree(leftover);
                }
            }
        } catch (IOException e) {
            throw new StorageException("cannot open log store in " + shardsDir + ": " + e, e);
        }
        return new EmbeddedLogStore(config, clock, shardsDir, keys, recoverWal(config, shardsDir));
    }

    /**
     * Indexes what the WAL holds; entries of shards whose directory is gone are dropped. Null under INTERVAL when
     * there is no WAL (one left by a SYNC run is replayed all the same).
     */
    private static WalTail recoverWal(LogConfig config, Path shardsDir) {
        Path walDir = walDir(config);
        if (config.durability() != DurabilityPolicy.SYNC && !Files.isDirectory(walDir)) {
            return null;
        }
        try {
            boolean created = !Files.isDirectory(walDir);
            FileModes.createPrivateDirectories(walDir);
            if (created) {
                FileUtil.forceDirectory(config.dataDir()); // the first WAL file's name is forced, wal/'s too
            }
            FileModes.privateTree(walDir); // a few files: tightened at every start, as a shard's are when opened
            return WalTail.recover(walDir, config, key -> validKey(key) && Files.isDirectory(within(shardsDir, key)));
        } catch (IOException e) {
            throw new StorageException("cannot recover the write-ahead log in " + walDir + ": " + e, e);
        }
    }

    /**
     * Opens a shard and replays its entries of the WAL's tail; {@link #publish} puts it in {@code shards}.
     * {@code create}: whether a missing directory is created (else the open fails: a shard that was deleted meanwhile
     * must not come back as an empty directory).
     */
    private EmbeddedShardLog openShard(String shardKey, Path dir, boolean create) {
        EmbeddedShardLog shard = EmbeddedShardLog.open(shardKey, dir, config, clock, pool, keys, failureLines, wal,
                create);
        if (walTail != null) {
            try {
                if (walTail.replayInto(shardKey, shard::replay)) {
                    shard.finishReplay();
                }
            } catch (IOException | RuntimeException e) {
                // The WAL still holds what was replayed: the next open replays it again into a new instance.
                shard.discard();
                throw e instanceof StorageException se ? se : new StorageException(
                        "replaying the write-ahead log into shard " + shardKey + " failed: " + e, e);
            }
        }
        return shard;
    }

    @Override
    public ShardLog openOrCreate(String shardKey) {
        // An open shard first: its key was checked when it was opened, and every append asks (the key's pattern and
        // path checks cost 5 % of a call over 1,000 shards when they ran first).
        EmbeddedShardLog open = shardKey == null ? null : shards.get(shardKey);
        if (open != null) {
            return open;
        }
        Path shardDir = shardDir(shardKey);
        try {
            return publish(shardKey, k -> openShard(k, shardDir, true));
        } catch (StorageException e) {
            if (e.getClass() != StorageException.class || closing) {
                throw e; // damage is not a passing condition: every occurrence is worth its line; closing is no failure
            }
            // A shard that cannot be opened (a full disk while its files are made) is tried again at the next use,
            // which finishes or redoes what this one left; every request using it fails meanwhile, logged by interval.
            openFailures.failure("opening shard " + shardKey + " failed", e.getCause() == null ? e : e.getCause());
            throw new StorageException(e.getMessage(), e.getCause(), true);
        }
    }

    @Override
    public Optional<ShardLog> openIfExists(String shardKey) {
        Path dir = shardDir(shardKey);
        EmbeddedShardLog open = shards.get(shardKey);
        if (open != null) {
            return Optional.of(open);
        }
        // Checked inside the map's atomic step, so a log is opened only from a directory that is there; a null
        // result leaves the map unchanged.
        return Optional.ofNullable(publish(shardKey, k -> Files.isDirectory(dir) ? openShard(k, dir, false) : null));
    }

    /**
     * Opens a shard through the map (or finds it there), then forgets its entries of the WAL's tail: only now, since
     * the cleaner forces the shards in the map and counts the others as pending through the tail, so a replayed shard
     * must always be in one of the two. Refused once the store is closing.
     */
    private EmbeddedShardLog publish(String shardKey,
                                     java.util.function.Function<String, EmbeddedShardLog> opener) {
        var gate = openGate.readLock();
        gate.lock();
        try {
            if (closing) {
                throw new StorageException("the log store is closing", null, true);
            }
            EmbeddedShardLog shard = shards.computeIfAbsent(shardKey, opener);
            if (shard != null && walTail != null) {
                walTail.forget(shardKey);
            }
            return shard;
        } finally {
            gate.unlock();
        }
    }

    @Override
    public boolean exists(String shardKey) {
        Path dir = shardDir(shardKey);
        return shards.containsKey(shardKey) || Files.isDirectory(dir);
    }

    /**
     * Deletes a shard: closes it if open (forced first), renames its directory away, forgets its WAL-tail entries,
     * then removes the files. All but the removal run inside the map's atomic step for the key, so no open of the
     * shard is in flight meanwhile (one that is, the cleaner's replay or a request's, finishes first and is then
     * closed here) and none starts before the directory is gone: a stream created again under the same name gets a
     * new shard, never one over the deleted files. The WAL-tail entries are forgotten only once the rename succeeded:
     * if it fails, the stream still exists, and a shard not opened since the start holds its acknowledged records
     * durably only there.
     */
    @Override
    public void delete(String shardKey) {
        Path dir = shardDir(shardKey);
        Path doomed = within(shardsDir, shardKey + "." + System.nanoTime() + DELETED_SUFFIX);
        IOException[] renameFailure = {null};
        boolean[] renamed = {false};
        shards.compute(shardKey, (k, shard) -> {
            if (shard != null) {
                // Forces what the shard holds before it leaves the map (the cleaner forces only shards in it): if the
                // rename below fails, the stream still exists and keeps every acknowledged record.
                shard.closeForDelete();
            }
            try {
                if (Files.isDirectory(dir)) {
                    // Rename first: after a crash the shard is whole under its name or gone, never half-deleted.
                    mover.move(dir, doomed);
                    renamed[0] = true;
                    FileUtil.forceDirectory(shardsDir);
                }
            } catch (IOException e) {
                renameFailure[0] = e;
            }
            if (renameFailure[0] == null && walTail != null) {
                // Only now: had the rename (or its force) failed, the stream would still exist, and a shard not opened
                // since the start holds its acknowledged records durably only in the WAL. A directory gone for good
                // makes the cleaner forget the entries anyway.
                walTail.forget(k);
            }
            return null; // a closed shard never stays in the map: the next use opens it again if the rename failed
        });
        try {
            if (renameFailure[0] != null) {
                throw renameFailure[0]; // a renamed directory whose force failed is removed at the next start
            }
            if (renamed[0]) {
                FileUtil.deleteTree(doomed);
            }
        } catch (IOException e) {
            throw new StorageException("cannot delete shard " + shardKey + ": " + e, e);
        }
    }

    /** Renames a shard's directory away for a delete; a seam for tests, which make it fail. */
    @FunctionalInterface
    interface DirectoryMover {
        void move(Path from, Path to) throws IOException;
    }

    /** For tests: how a delete renames a shard's directory away. */
    void mover(DirectoryMover mover) {
        this.mover = mover;
    }

    @Override
    public List<String> shardKeys() {
        List<String> keys = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(shardsDir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.endsWith(DELETED_SUFFIX) && Files.isDirectory(entry)) {
                    keys.add(name);
                }
            }
        } catch (IOException e) {
            throw new StorageException("cannot list shards in " + shardsDir + ": " + e, e);
        }
        return keys;
    }

    @Override
    public int trimExpired() {
        int removed = 0;
        for (EmbeddedShardLog shard : shards.values()) {
            removed += shard.trimExpired();
        }
        return removed;
    }

    /** Tells {@code observer} how long each fsync of a shard's log takes from now on (metrics). */
    public void observeFsyncs(FsyncObserver observer) {
        pool.observeFsyncs(java.util.Objects.requireNonNull(observer, "observer"));
    }

    /**
     * Bytes the files of shard {@code shardKey} take on disk now (0 if it has none); lists its directory, so meant
     * for a metrics scrape, not for a request.
     */
    public long diskBytes(String shardKey) {
        Path dir = shardDir(shardKey);
        long total = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path file : files) {
                try {
                    total += Files.size(file);
                } catch (IOException e) {
                    continue; // deleted by retention between the listing and now: it takes nothing any more
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new StorageException("cannot list shard " + shardKey + " in " + dir + ": " + e, e);
        }
        return total;
    }

    /** Channels open right now; never more than {@link LogConfig#maxOpenFiles()} while none is in use. */
    public int openFileCount() {
        return pool.openCount();
    }

    private void flushAll() {
        for (EmbeddedShardLog shard : shards.values()) {
            try {
                shard.flushIfDirty();
            } catch (StorageException e) {
                // The shard recorded the failure and fails its next append with it; this thread must keep flushing
                // the other shards, so there is nothing more to do with it here.
                continue;
            }
        }
    }

    /**
     * Queues a clean of the WAL after it rolled, once {@link #CLEAN_AFTER_FILES} complete files wait, unless one is
     * queued already.
     */
    private void cleanSoon() {
        if (wal.completeFiles() < CLEAN_AFTER_FILES) {
            return;
        }
        if (cleanQueued.compareAndSet(false, true)) {
            try {
                flusher.execute(() -> {
                    cleanQueued.set(false);
                    cleanWal(false);
                });
            } catch (RejectedExecutionException e) {
                cleanQueued.set(false); // closing: the close empties the WAL itself
            }
        }
    }

    /**
     * Deletes the WAL files every shard has forced past. {@code timed}: the periodic run, which first rolls the WAL
     * if it holds anything, so that its entries can go too. Runs on the cleaner thread only.
     */
    private void cleanWal(boolean timed) {
        try {
            if (timed) {
                wal.rollIfNotEmpty();
            }
            if (!wal.hasOlderFiles()) {
                return;
            }
            long boundary = wal.cleanBoundary();
            Runnable hook = beforeCleanForce;
            if (hook != null) {
                hook.run();
            }
            cleanBlocker = null;
            boolean forced = replayPending();
            forced &= forceAll();
            // Not once closing: a close that gave up waiting for this clean (a device stalled past its wait) decided
            // with what the shards held whether the WAL keeps its files, and has cleared the map forceAll reads.
            if (forced && !closing) {
                wal.cleaningBlockedBy(null);
                wal.deleteBelow(boundary);
            } else if (!closing) {
                reportBlockedClean();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        } catch (IOException | RuntimeException e) {
            // The files stay, and the next run tries again; the shards and the WAL log their own failures.
            openFailures.failure("cleaning the write-ahead log failed", e);
        }
    }

    /**
     * Says loudly (once per failure-log interval) which shard keeps the WAL from being cleaned: its files stay, for
     * durability, but once they pass the backlog limit every append on the node fails, so the operator must know why.
     */
    private void reportBlockedClean() {
        String why = cleanBlocker == null ? "a shard that could not be forced" : cleanBlocker;
        wal.cleaningBlockedBy("cleaning is blocked by " + why);
        openFailures.failure("the write-ahead log cannot be cleaned: blocked by " + why + "; its files stay, and "
                + "appends on every shard fail once they hold more than " + WriteAheadLog.MAX_BACKLOG_FILES
                + " files' worth (" + WriteAheadLog.MAX_BACKLOG_FILES * config.walSegmentBytes() + " bytes)",
                new IOException(why));
    }

    /**
     * Forces every dirty shard, {@link #CLEAN_FORCE_THREADS} at a time: a clean of 10,000 dirty shards is 10,000
     * fsyncs, which a device serves faster side by side, and the WAL grows while they run. Returns whether all of
     * them hold everything they wrote on disk now.
     */
    private boolean forceAll() throws InterruptedException {
        List<EmbeddedShardLog> all = new ArrayList<>(shards.values());
        if (closing) {
            return false; // the copy may be of the map the close emptied: "all forced" would be vacuous
        }
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        AtomicBoolean forced = new AtomicBoolean(true);
        var unforced = new java.util.concurrent.atomic.AtomicReference<String>();
        Runnable worker = () -> {
            for (int i = next.getAndIncrement(); i < all.size(); i = next.getAndIncrement()) {
                if (closing) {
                    forced.set(false);
                } else if (!all.get(i).flushForWal()) {
                    forced.set(false);
                    unforced.compareAndSet(null, all.get(i).key());
                }
            }
        };
        List<java.util.concurrent.Future<?>> helpers = new ArrayList<>();
        for (int t = 1; t < CLEAN_FORCE_THREADS && t * 64 < all.size(); t++) {
            helpers.add(forcers.submit(worker));
        }
        worker.run();
        for (java.util.concurrent.Future<?> helper : helpers) {
            try {
                helper.get();
            } catch (java.util.concurrent.ExecutionException e) {
                forced.set(false);
            }
        }
        if (unforced.get() != null && cleanBlocker == null) {
            cleanBlocker = "shard " + unforced.get() + ", which could not be forced (offline after an IO failure)";
        }
        return forced.get();
    }

    /** Opens (and so replays) every shard the WAL's tail still holds entries of; false if one could not be. */
    private boolean replayPending() {
        if (walTail == null || walTail.isEmpty()) {
            return true;
        }
        for (String shardKey : walTail.pendingShards()) {
            if (closing) {
                return false; // the close decides with what the shards hold; the next start replays the rest
            }
            try {
                if (openIfExists(shardKey).isEmpty()) {
                    walTail.forget(shardKey); // its directory went away since the start: nothing to replay into
                }
            } catch (StorageException e) {
                openFailures.failure("replaying the write-ahead log into shard " + shardKey + " failed", e);
                if (cleanBlocker == null) {
                    cleanBlocker = "shard " + shardKey + ", whose entries could not be replayed (" + e.getMessage()
                            + ")";
                }
            }
        }
        if (!walTail.isEmpty()) {
            return false;
        }
        walTail.close();
        return true;
    }

    /**
     * Closes every shard, forced with an exact checkpoint, then empties the WAL if that is safe: only when every shard
     * that was ever opened is closed forced (no open is in flight and none can start: {@code closing}), no append can
     * still be queued in the WAL (it refuses appends before the shards close), the cleaner is done (it may be opening
     * shards), and no shard is still pending in the WAL's tail. Otherwise the WAL keeps its files for the next start.
     */
    @Override
    public void close() {
        var gate = openGate.writeLock();
        gate.lock();
        try {
            closing = true;
        } finally {
            gate.unlock();
        }
        if (wal != null) {
            wal.refuseAppends();
        }
        flusher.shutdown();
        long deadlineNanos = System.nanoTime() + closeWaitMs * 1_000_000;
        boolean cleanerDone = awaitQuietly(flusher, deadlineNanos);
        if (forcers != null) {
            forcers.shutdown();
            cleanerDone &= awaitQuietly(forcers, deadlineNanos);
        }
        StorageException failure = null;
        boolean allForced = true;
        for (EmbeddedShardLog shard : shards.values()) {
            try {
                allForced &= shard.close();
            } catch (StorageException e) {
                allForced = false;
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        shards.clear();
        if (wal != null) {
            // Emptied only when every shard holds what it acknowledged: else the next start replays it.
            boolean empty = allForced && cleanerDone && walTail.isEmpty();
            if (!empty) {
                log.warn("Closing the log store with shards not forced or the cleaner still running; the write-ahead "
                        + "log keeps its entries for the next start");
            }
            walTail.close();
            try {
                wal.close(empty);
            } catch (StorageException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        try {
            pool.close();
        } catch (IOException e) {
            throw new StorageException("closing log files failed: " + e, e);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Waits for a stopping executor until {@code deadlineNanos} (one deadline for the cleaner and its forcers); the
     * cleaner stops at its next shard once {@code closing} is set, so this is bounded by one shard's open or force.
     * Returns whether it finished.
     */
    private boolean awaitQuietly(java.util.concurrent.ExecutorService executor, long deadlineNanos) {
        try {
            if (executor.awaitTermination(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return true;
            }
            log.warn("The log store's cleaner did not stop within {} ms", closeWaitMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** For tests: how long a close waits for the cleaner, instead of {@link #CLOSE_WAIT_MS}. */
    void closeWaitMs(long waitMs) {
        closeWaitMs = waitMs;
    }

    /** For tests: the shared WAL under SYNC. */
    WriteAheadLog wal() {
        return wal;
    }

    /** For tests: runs a timed clean of the WAL on the cleaner thread. */
    java.util.concurrent.Future<?> cleanNow() {
        return flusher.submit(() -> cleanWal(true));
    }

    /** For tests: {@code hook} runs in each open of a shard right after its WAL entries were replayed. */
    void afterReplay(Runnable hook) {
        walTail.afterReplay = hook;
    }

    /**
     * For tests: stops the store as {@code kill -9} would, as far as the files are concerned: nothing is forced, no
     * checkpoint is written, the WAL keeps its files; written bytes stay in the page cache. The store is unusable
     * afterwards.
     */
    void abandon() {
        flusher.shutdownNow();
        if (forcers != null) {
            forcers.shutdownNow();
        }
        try {
            flusher.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (wal != null) {
            walTail.close();
            wal.close(false);
        }
        try {
            pool.close();
        } catch (IOException e) {
            throw new StorageException("closing log files failed: " + e, e);
        }
    }

    /** The directory of a valid shard key's shard. */
    private Path shardDir(String shardKey) {
        checkKey(shardKey);
        return within(shardsDir, shardKey);
    }

    /**
     * {@code dir/name}, refused unless it is an entry directly in {@code dir} named {@code name} itself. The key
     * pattern alone already admits no separator and no leading dot; this holds whatever the pattern becomes, so that
     * no stream name can ever make the engine create, write or delete anything outside its shards directory.
     */
    static Path within(Path dir, String name) {
        Path base = dir.toAbsolutePath().normalize();
        Path path = base.resolve(name).normalize();
        if (!base.equals(path.getParent()) || !path.getFileName().toString().equals(name)) {
            throw new StorageException("shard key '" + name + "' would name " + path + ", which is not in " + base);
        }
        return dir.resolve(name);
    }

    private static void checkKey(String shardKey) {
        if (!validKey(shardKey)) {
            throw new IllegalArgumentException("invalid shard key: " + shardKey);
        }
    }

    private static boolean validKey(String shardKey) {
        return shardKey != null && SHARD_KEY.matcher(shardKey).matches() && !shardKey.startsWith(".")
                && !shardKey.endsWith(DELETED_SUFFIX);
    }
}
