package dev.millrace.storage.log;

import dev.millrace.storage.FailureLog;
import dev.millrace.storage.AppendListener;
import dev.millrace.storage.Registration;
import dev.millrace.storage.AppendListeners;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.PendingAppend;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * A shard's log on local disk: a directory of segments, the newest one active.
 *
 * <p>Appends are serialised by {@code appendLock}, which guards every mutable field. With
 * {@link DurabilityPolicy#SYNC} an append is in two steps ({@link #begin}, then {@link PendingAppend#await}): the batch
 * is written to the active segment and queued in the store's {@link WriteAheadLog} under the lock, and acknowledged
 * once the WAL is forced past it, which one force does for every shard a caller began (group commit across shards).
 * The segment itself is not forced per append, nor even written: the batch goes to the active segment's write-back
 * tail ({@link ActiveSegment}, {@link TailMemory}), the shard is marked dirty, and the WAL's cleaner writes and forces
 * it ({@link #flushIfDirty}) before deleting the WAL files that cover it. Segment forces still share one {@code force}
 * per group: {@code syncLock} admits one forcer at a time, and each forcer covers everything written before it
 * started. Records become visible to readers only when acknowledged: the published view ({@link PublishedSegments})
 * cuts the active segment at the last acknowledged batch.
 *
 * <p>Append listeners ({@link #onAppend}) are told by each appender of its own batch once it is acknowledged, holding
 * no lock: a slow listener delays only that appender's return, never the shard's other appends or the group commit.
 *
 * <p>Encrypted appends store one sealed batch ({@link RecordBatch#seal}); reads open it with the store's key ring.
 *
 * <p>Thread-safe. Lock order: {@code syncLock} before {@code appendLock} before the WAL's locks. Reads take no lock.
 *
 * <p>{@code IOException}s are converted to {@link StorageException} here, once. An IO failure while writing (a full
 * disk) takes the shard offline, because the file's tail is then unknown: appends fail at once, reads go on. The shard
 * heals itself: at most once per {@link LogConfig#healIntervalMs()} an append first re-establishes the shard's state
 * from disk, as opening it does ({@link #reestablish}), and goes on if that worked. The outage ({@link ShardOutage})
 * logs one line per {@link LogConfig#failureLogIntervalMs()}, and its failures are thrown as already reported.
 */
final class EmbeddedShardLog implements ShardLog {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedShardLog.class);
    static final String SEALED_MARKER = "sealed";
    /** Positions reserved per checkpoint write: at most this many are skipped after a crash. */
    static final long RESERVE_POSITIONS = 1L << 20;
    /** The checkpoint's durable offset is advanced after this many forced bytes, bounding the scan after a crash. */
    static final long CHECKPOINT_INTERVAL_BYTES = 16L * 1024 * 1024;

    private final String key;
    /** The key as the WAL's entries hold it, encoded once; null without a WAL. */
    private final byte[] walKey;
    private final Path dir;
    final LogConfig config;
    private final Clock clock;
    private final FilePool pool;
    private final KeyRing keys;
    /** The store's write-ahead log under {@link DurabilityPolicy#SYNC}; null under INTERVAL. */
    private final WriteAheadLog wal;
    private final Object appendLock = new Object();
    private final Object syncLock = new Object();
    final AppendListeners listeners = new AppendListeners();

    private final ShardOutage outage;
    /** What readers see; changed under {@code appendLock}. */
    private final PublishedSegments published;
    private ShardCheckpoint checkpoint;
    private long positionLimit;
    /** The durable offset the checkpoint last recorded; a stale value only means a longer scan after a crash. */
    private volatile long checkpointOffset;
    private ActiveSegment active;
    /**
     * Written under {@code appendLock} only; volatile so that an encrypting appender can seal its batch for the
     * position it will most likely get before it takes the lock.
     */
    private volatile long nextPosition;
    private long lastArrivalMs;
    private boolean sealed;
    private boolean closed;
    /**
     * Counts re-establishments. A batch written before one may have been cut by it while its appender waited for a
     * force, and {@code durableEnd} now covers its positions: the appender must fail, not find its position durable.
     * Changed holding both locks, so reading it under either is safe.
     */
    private long incarnation;
    /** Written and not forced to the segment: under SYNC the WAL alone holds it durably until the cleaner forces. */
    private boolean dirty;
    /** The LSN of this shard's newest WAL entry; 0 if none since it was opened or re-established. */
    private long lastWalLsn;
    /** The WAL's failure epoch when that entry was queued ({@link WriteAheadLog#lost}). */
    private long lastWalEpoch;
    /** The end of the last intact batch recovery found: a WAL entry at or past it is missing and replayed. */
    private long replayFloor;
    /** Whether anything was appended since the shard was opened; a clean close of an untouched shard forces nothing. */
    private boolean appendedSinceOpen;

    private volatile long durableEnd;
    private volatile long retentionMs;

    private EmbeddedShardLog(String key, Path dir, LogConfig config, Clock clock, FilePool pool, KeyRing keys,
                             FailureLog.Budget failureLines, WriteAheadLog wal, ShardRecovery.Result recovered,
                             boolean sealed) {
        this.key = key;
        this.walKey = wal == null ? null : WalEntry.keyBytes(key);
        this.dir = dir;
        this.config = config;
        this.clock = clock;
        this.pool = pool;
        this.keys = keys;
        this.wal = wal;
        this.replayFloor = recovered.tailEnd();
        this.outage = new ShardOutage(key, clock, config.healIntervalMs(),
                new FailureLog(log, "Shard " + key, clock, config.failureLogIntervalMs(), failureLines));
        this.active = withWriteBack(recovered.active());
        this.checkpoint = recovered.checkpoint();
        this.positionLimit = recovered.nextPosition();
        this.checkpointOffset = recovered.durableOffset();
        this.published = new PublishedSegments(recovered.sealed(), active.snapshot());
        this.nextPosition = recovered.nextPosition();
        this.lastArrivalMs = active.lastArrivalMs();
        this.durableEnd = nextPosition;
        this.sealed = sealed;
        this.retentionMs = config.defaultRetentionMs();
        if (wal != null) {
            wal.tails().shardOpened();
        }
    }

    /**
     * {@code keys}: what encrypted batches are read with; {@code failureLines}: the store's budget of failure lines,
     * shared by its shards; {@code wal}: the store's write-ahead log under SYNC, else null; {@code create}: whether
     * a missing directory is created, or the open fails.
     */
    static EmbeddedShardLog open(String key, Path dir, LogConfig config, Clock clock, FilePool pool, KeyRing keys,
                                 FailureLog.Budget failureLines, WriteAheadLog wal, boolean create) {
        try {
            if (!Files.isDirectory(dir)) {
                if (!create) {
                    throw new StorageException("cannot open shard " + key + ": its directory " + dir + " is gone");
                }
                FileModes.createPrivateDirectories(dir);
                FileUtil.forceDirectory(dir.getParent());
            } else {
                FileModes.privateTree(dir);
            }
            ShardRecovery.Result recovered = new ShardRecovery(dir, config, pool).recover(-1);
            boolean sealed = Files.exists(dir.resolve(SEALED_MARKER));
            return new EmbeddedShardLog(key, dir, config, clock, pool, keys, failureLines, wal, recovered, sealed);
        } catch (IOException e) {
            throw new StorageException("cannot open shard " + key + " in " + dir + ": " + e, e);
        }
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public AppendResult append(List<AppendRecord> records) {
        return append(records, null);
    }

    @Override
    public AppendResult append(List<AppendRecord> records, DataKey dataKey) {
        return begin(records, dataKey).await();
    }

    /**
     * Writes the batch to the active segment and, under SYNC, queues it in the WAL; {@link ShardAppend#await} then
     * waits for the WAL force and publishes it. An encrypted batch is sealed before the lock, for the position the
     * shard's end suggests, so that the cipher work runs concurrently with other appends; if another append took that
     * position first, it is sealed again under the lock for the one it gets (its ciphertext is bound to its position).
     */
    @Override
    public PendingAppend begin(List<AppendRecord> records, DataKey dataKey) {
        ByteBuffer plain = dataKey == null ? RecordBatch.encode(records, config.maxBatchBytes())
                : RecordBatch.encodeForSealing(records, config.maxBatchBytes());
        ByteBuffer batch = dataKey == null ? plain
                : RecordBatch.seal(plain, dataKey, nextPosition, config.maxBatchBytes());
        if (outage.offline()) {
            healOrFail();
        }
        if (wal != null) {
            if (wal.failed()) {
                wal.healOrFail();
            }
            wal.awaitBacklog();
        }
        synchronized (appendLock) {
            checkWritable();
            if (wal != null) {
                checkWalBeforeWrite();
            }
            long arrivalMs;
            long base;
            try {
                if (dataKey != null && RecordBatch.basePosition(batch, 0) != nextPosition) {
                    batch = RecordBatch.seal(plain, dataKey, nextPosition, config.maxBatchBytes());
                }
                long nowMs = clock.millis(); // read once: a call over 1,000 shards reads it per shard
                maybeRoll(batch.remaining(), nowMs);
                if (nextPosition + records.size() > positionLimit) {
                    positionLimit = nextPosition + records.size() + RESERVE_POSITIONS;
                    checkpoint.write(positionLimit, active.segment.basePosition, checkpointOffset, lastArrivalMs);
                }
                arrivalMs = Math.max(nowMs, lastArrivalMs);
                base = nextPosition;
                RecordBatch.stamp(batch, base, arrivalMs);
                active.append(batch);
            } catch (IOException e) {
                throw outage.fail("append failed", e);
            }
            nextPosition = active.endPosition();
            lastArrivalMs = arrivalMs;
            appendedSinceOpen = true;
            long lsn = -1;
            long walEpoch = 0;
            SegmentSnapshot written = null;
            if (wal != null) {
                try {
                    walEpoch = wal.epoch();
                    lsn = wal.append(walKey, batch);
                } catch (StorageException e) {
                    // The batch is in the segment but will never be acknowledged: cut it before anything follows it.
                    throw outage.fail("the write-ahead log refused a written batch", e);
                }
                lastWalLsn = lsn;
                lastWalEpoch = walEpoch;
                dirty = true;
                written = active.snapshot();
            } else if (config.durability() == DurabilityPolicy.INTERVAL) {
                dirty = true;
                published.show(active.snapshot());
            }
            return new ShardAppend(this, AppendResult.contiguous(base, records.size(), arrivalMs), nextPosition,
                    incarnation, lsn, walEpoch, written);
        }
    }

    /**
     * Refuses to write behind a batch of this shard the WAL lost (it failed before forcing it, and healed since): that
     * batch is in the segment, never acknowledged, and a later acknowledged one would publish it. The shard goes
     * offline instead, and healing cuts it. Then checks that the WAL takes appends. Under appendLock.
     */
    private void checkWalBeforeWrite() {
        if (lastWalLsn > 0 && durableEnd < nextPosition && wal.lost(lastWalLsn, lastWalEpoch)) {
            throw outage.fail("the write-ahead log lost an un-forced batch of this shard",
                    new IOException("write-ahead log failure"));
        }
        wal.checkWritable();
    }

    /**
     * Waits for the WAL force that covers the entry ending at {@code lsn}, then raises {@code durableEnd} and makes
     * {@code written} (the active segment as it was right after the batch) visible, unless something newer already
     * is: visibility only moves forward, and a roll in between published the whole old segment.
     */
    void awaitWal(long lsn, long walEpoch, long end, long writtenIn, SegmentSnapshot written) {
        StorageException walFailure = null;
        try {
            wal.awaitDurable(lsn, walEpoch);
        } catch (StorageException e) {
            walFailure = e;
        }
        synchronized (appendLock) {
            if (incarnation != writtenIn) {
                throw new StorageException("shard " + key + " was re-established from disk after an IO failure "
                        + "before this batch was acknowledged; it was not stored", outage.cause(), true);
            }
            if (walFailure != null) {
                if (durableEnd >= end) {
                    return; // a roll or a seal forced the segment past it meanwhile: it is durable after all
                }
                if (!outage.offline()) {
                    outage.fail("the write-ahead log lost a written batch", walFailure);
                }
                throw walFailure;
            }
            durableEnd = Math.max(durableEnd, end);
            if (written.segment() == active.segment && published.active().sizeBytes() < written.sizeBytes()) {
                published.show(written);
            }
        }
    }

    @Override
    public Registration onAppend(AppendListener listener) {
        return listeners.add(listener);
    }

    /**
     * Returns once everything up to {@code position} is forced to the segment; one caller forces for all that wait.
     * With a WAL, {@code durableEnd} says what the WAL made durable, not what the segment holds, so only the dirty
     * flag tells whether a force is still due.
     */
    void awaitDurable(long position, long writtenIn) {
        synchronized (syncLock) {
            if (incarnation != writtenIn) {
                throw new StorageException("shard " + key + " was re-established from disk after an IO failure "
                        + "before this batch was forced; it was not stored", outage.cause(), true);
            }
            if (wal == null && durableEnd >= position) {
                return;
            }
            SegmentSnapshot written;
            synchronized (appendLock) {
                if (closed) {
                    throw new StorageException("shard " + key + " is closed");
                }
                if (outage.offline()) {
                    throw outage.refused();
                }
                if (wal != null && !dirty) {
                    return;
                }
                try {
                    active.flush();
                } catch (IOException e) {
                    throw outage.fail("writing the segment failed", e);
                }
                written = active.snapshot();
                dirty = false;
            }
            try {
                written.segment().force();
            } catch (IOException e) {
                synchronized (appendLock) {
                    throw outage.fail("fsync failed", e);
                }
            }
            long limit;
            synchronized (appendLock) {
                durableEnd = Math.max(durableEnd, written.endPosition());
                if (written.segment() != active.segment) {
                    return;
                }
                // Under INTERVAL an append publishes itself; one made while this was forcing is newer than what was
                // forced, and must not be hidden again until the next flush.
                SegmentSnapshot visible = published.active();
                if (visible.segment() != written.segment() || visible.endPosition() < written.endPosition()) {
                    published.show(written);
                } else {
                    published.releaseWrittenTail(active.segment, written.sizeBytes());
                }
                limit = positionLimit;
            }
            // Outside the append lock: appends to this shard go on while the checkpoint is forced.
            advanceCheckpoint(limit, written.segment().basePosition, written.sizeBytes(), written.lastArrivalMs());
        }
    }

    /**
     * Records a newer durable offset in the checkpoint once enough forced bytes have accumulated. Called under
     * {@code syncLock}; a roll racing with it can only leave the checkpoint naming the previous segment, which makes
     * recovery scan the new one from its start.
     */
    private void advanceCheckpoint(long limit, long segmentBase, long forcedBytes, long lastArrivalMs) {
        if (forcedBytes - checkpointOffset < CHECKPOINT_INTERVAL_BYTES) {
            return;
        }
        try {
            checkpoint.write(limit, segmentBase, forcedBytes, lastArrivalMs);
        } catch (IOException e) {
            synchronized (appendLock) {
                throw outage.fail("checkpoint write failed", e);
            }
        }
        checkpointOffset = forcedBytes;
    }

    /**
     * Forces what appends left un-forced in the segment: under INTERVAL for the store's flusher, under SYNC for the
     * WAL's cleaner. Returns whether everything this shard wrote is now forced (or the shard is closed); false while it
     * is offline, when it may hold acknowledged bytes that are not: the WAL must keep them. Throws if the force fails.
     */
    boolean flushIfDirty() {
        long target;
        long writtenIn;
        synchronized (appendLock) {
            if (closed) {
                return true;
            }
            if (outage.offline()) {
                return false;
            }
            if (!dirty) {
                return true;
            }
            target = nextPosition;
            writtenIn = incarnation;
        }
        awaitDurable(target, writtenIn);
        return true;
    }

    /** For the WAL's cleaner: heals the shard if due (no append may come to), then forces it; never throws. */
    boolean flushForWal() {
        try {
            if (outage.offline()) {
                healOrFail();
            }
            return flushIfDirty();
        } catch (StorageException e) {
            return false; // the shard recorded and logged the failure; the cleaner tries again next time
        }
    }

    /**
     * Appends a batch from the WAL verbatim at its stamped position unless the shard holds it (its base is below the
     * end of the last batch recovery found or replay added), so replaying twice changes nothing; a sealed shard holds
     * all (sealing forced it). Right after {@link #open}, before the shard is shared; then {@link #finishReplay}.
     */
    void replay(ByteBuffer stampedBatch) throws IOException {
        long base = RecordBatch.basePosition(stampedBatch, 0);
        dirty = true; // recovery's tail may be un-forced page cache too (a process kill): the cleaner forces it
        appendedSinceOpen = true;
        if (sealed || base < replayFloor) {
            return;
        }
        // No roll here: recovery already moved the active segment's end past the reserved positions, and a sealed
        // segment must end where the next begins. The segment outgrows segmentBytes by at most the WAL's backlog.
        if (active.sizeBytes() + stampedBatch.remaining() > Integer.MAX_VALUE) {
            throw new IOException("replaying the write-ahead log would grow a segment of shard " + key
                    + " past 2 GiB");
        }
        active.append(stampedBatch);
        replayFloor = RecordBatch.endPosition(stampedBatch, 0);
        lastArrivalMs = Math.max(lastArrivalMs, RecordBatch.lastArrivalMs(stampedBatch, 0));
        if (replayFloor > nextPosition) {
            nextPosition = replayFloor;
        }
        if (nextPosition > positionLimit) {
            positionLimit = nextPosition + RESERVE_POSITIONS;
            checkpoint.write(positionLimit, active.segment.basePosition, checkpointOffset, lastArrivalMs);
        }
    }

    /** Publishes what {@link #replay} added: it was acknowledged before the restart. */
    void finishReplay() {
        active.skipTo(nextPosition);
        durableEnd = nextPosition;
        published.show(active.snapshot());
    }

    /** Refuses appends from now on; gives the shard's share of the tails' memory back. Under appendLock. */
    private void markClosed() {
        if (!closed && wal != null) {
            wal.tails().shardClosed();
        }
        closed = true;
    }

    /** Under SYNC the active segment keeps its tail in memory: the WAL holds those batches durably. */
    private ActiveSegment withWriteBack(ActiveSegment segment) {
        if (wal != null) {
            segment.writeBack(wal.tails());
        }
        return segment;
    }

    private void maybeRoll(int batchBytes, long nowMs) throws IOException {
        if (active.sizeBytes() == 0) {
            return;
        }
        boolean full = active.sizeBytes() + batchBytes > config.segmentBytes();
        boolean old = nowMs - active.firstArrivalMs() >= config.segmentMs();
        if (full || old) {
            roll();
        }
    }

    /** Seals the active segment and starts a new one at the next position. Everything written becomes durable. */
    private void roll() throws IOException {
        active.finish();
        SegmentSnapshot finished = active.snapshot();
        published.addSealed(finished);
        Segment next = Segment.create(dir, nextPosition, pool, config);
        FileUtil.forceDirectory(dir);
        active = withWriteBack(new ActiveSegment(next, new SegmentIndex(), config.indexIntervalBytes(),
                lastArrivalMs));
        checkpoint.write(positionLimit, nextPosition, 0, lastArrivalMs);
        checkpointOffset = 0;
        dirty = false; // the finished segment was forced, and the new one is empty
        // Publish before raising durableEnd: an appender that finds its position durable must also find it visible.
        published.show(active.snapshot());
        durableEnd = Math.max(durableEnd, nextPosition);
    }

    private void checkWritable() {
        if (closed) {
            throw new StorageException("shard " + key + " is closed");
        }
        if (outage.offline()) {
            throw outage.refused();
        }
        if (sealed) {
            throw new ShardSealedException(key);
        }
    }

    void endOutage(long position) {
        if (!outage.healing()) {
            return; // nearly always: no lock per acknowledged append (an append begun after a heal sees it set)
        }
        boolean ended;
        synchronized (appendLock) {
            ended = outage.endHealing();
        }
        if (ended) {
            outage.logBackOnline(position);
        }
    }

    /**
     * Heals an offline shard if an attempt is due, or fails the append at once. Holds both locks while it works, so
     * that no append or force runs on the state it replaces.
     */
    private void healOrFail() {
        synchronized (syncLock) {
            synchronized (appendLock) {
                if (!outage.offline() || closed) {
                    return;
                }
                if (!outage.healDue()) {
                    throw outage.refused();
                }
                try {
                    reestablish();
                } catch (IOException | RuntimeException e) {
                    throw outage.healFailed(e);
                }
                outage.healed();
            }
        }
    }

    /**
     * Brings the shard back to what is on disk, as opening it does, without a restart. Only acknowledged batches are
     * kept: the active segment is cut where readers' view ends (under SYNC, the last forced batch; under INTERVAL, the
     * last acknowledged one, which a failed flush may have left un-forced, as a crash would), and segment files a
     * half-done roll created after it are removed; then {@link ShardRecovery} checks the tail, re-reads the
     * checkpoint and resumes positions past every one handed out. Fresh descriptors are opened for every file.
     * Called holding both locks.
     */
    private void reestablish() throws IOException {
        ShardRecovery recovery = new ShardRecovery(dir, config, pool);
        recovery.cutTo(published.active());
        active.dropTail();
        incarnation++;
        long floor = nextPosition;
        ShardRecovery.Result recovered = recovery.recover(floor);
        active = withWriteBack(recovered.active());
        checkpoint = recovered.checkpoint();
        active.skipTo(floor);
        nextPosition = Math.max(recovered.nextPosition(), floor);
        positionLimit = nextPosition;
        checkpointOffset = recovered.durableOffset();
        lastArrivalMs = Math.max(lastArrivalMs, active.lastArrivalMs());
        durableEnd = nextPosition;
        // What is kept was acknowledged but may not be forced (under SYNC the WAL held it): the next flush forces it.
        dirty = true;
        lastWalLsn = 0;
        sealed = Files.exists(dir.resolve(SEALED_MARKER));
        published.reset(recovered.sealed(), active.snapshot());
    }

    @Override
    public ReadResult read(long fromPosition, int maxRecords, long maxBytes) {
        if (fromPosition < 0 || maxRecords <= 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("fromPosition >= 0, maxRecords > 0, maxBytes > 0 required");
        }
        return withView(v -> new ShardReader(v, clock.millis() - retentionMs, config.maxBatchBytes(), keys)
                .read(fromPosition, maxRecords, maxBytes));
    }

    @Override
    public long positionAtOrAfter(long timestampMs) {
        return withView(v -> new ShardReader(v, clock.millis() - retentionMs, config.maxBatchBytes(), keys)
                .positionAtOrAfter(timestampMs));
    }

    @Override
    public long startPosition() {
        return positionAtOrAfter(Long.MIN_VALUE);
    }

    @Override
    public long endPosition() {
        return published.view().endPosition();
    }

    private <T> T withView(ShardReader.ViewTask<T> task) {
        return ShardReader.withView(published::view, key, task);
    }

    @Override
    public void retentionMs(long retentionMs) {
        if (retentionMs <= 0) {
            throw new IllegalArgumentException("retentionMs must be positive: " + retentionMs);
        }
        this.retentionMs = retentionMs;
    }

    @Override
    public long retentionMs() {
        return retentionMs;
    }

    @Override
    public void seal() {
        if (outage.offline()) {
            healOrFail(); // a split or merge must not wait for the next append to heal the parent
        }
        synchronized (syncLock) {
            synchronized (appendLock) {
                if (sealed) {
                    return;
                }
                checkWritable();
                try {
                    active.flush();
                    active.segment.force();
                    writeSealedMarker();
                    FileUtil.forceDirectory(dir);
                } catch (IOException e) {
                    throw outage.fail("seal failed", e);
                }
                sealed = true;
                dirty = false;
                durableEnd = Math.max(durableEnd, nextPosition);
                published.show(active.snapshot());
            }
        }
    }

    private void writeSealedMarker() throws IOException {
        FileUtil.writeForced(config.channels(), dir.resolve(SEALED_MARKER),
                Long.toString(nextPosition).getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public boolean sealed() {
        synchronized (appendLock) {
            return sealed;
        }
    }

    @Override
    public int trimExpired() {
        List<SegmentSnapshot> expired;
        synchronized (appendLock) {
            if (closed || outage.offline()) {
                return 0;
            }
            long cutoffMs = clock.millis() - retentionMs;
            try {
                boolean allSealedExpired = published.sealed().stream().allMatch(s -> s.lastArrivalMs() < cutoffMs);
                if (allSealedExpired && active.sizeBytes() > 0 && lastArrivalMs < cutoffMs && !sealed) {
                    // The active segment holds only expired records: roll it so that it can be deleted too.
                    roll();
                }
            } catch (IOException e) {
                throw outage.fail("roll for retention failed", e);
            }
            expired = published.removeExpired(cutoffMs);
            if (expired.isEmpty()) {
                return 0;
            }
        }
        // Oldest first, log before index: a crash part-way leaves a shorter prefix deleted, which is still consistent.
        try {
            for (SegmentSnapshot s : expired) {
                s.segment().retireFiles();
                Files.deleteIfExists(s.segment().logPath);
                Files.deleteIfExists(s.segment().indexPath);
            }
            FileUtil.forceDirectory(dir);
        } catch (IOException e) {
            throw new StorageException("deleting expired segments of shard " + key + " failed: " + e, e);
        }
        return expired.size();
    }

    /**
     * Forces everything written and refuses further appends. Returns whether everything acknowledged is forced to the
     * segments (false if the shard was offline: then the WAL must keep what it holds).
     */
    boolean close() {
        synchronized (syncLock) {
            synchronized (appendLock) {
                if (closed) {
                    return true;
                }
                markClosed();
                if (outage.offline()) {
                    active.dropTail();
                    return false;
                }
                if (appendedSinceOpen) {
                    try {
                        active.flush();
                        active.segment.force();
                        durableEnd = Math.max(durableEnd, nextPosition);
                        // A clean stop records the exact end: the next start skips no positions and scans nothing.
                        checkpoint.writeExact(nextPosition, active.segment.basePosition, active.sizeBytes(),
                                lastArrivalMs);
                    } catch (IOException e) {
                        active.dropTail();
                        throw new StorageException("final fsync of shard " + key + " failed: " + e, e);
                    }
                }
                return true;
            }
        }
    }

    /**
     * Forces what the shard wrote, closes it and releases its files, ahead of deleting its directory. The force is
     * for a delete that fails after this: the shard then still exists, and the WAL, which the cleaner empties without
     * it, no longer holds its un-forced batches. If the force fails, the shard stays open.
     */
    void closeForDelete() {
        synchronized (syncLock) {
            synchronized (appendLock) {
                if (dirty) {
                    try {
                        active.flush();
                        active.segment.force();
                    } catch (IOException e) {
                        throw outage.fail("fsync before delete failed", e);
                    }
                    dirty = false;
                }
                markClosed();
                active.dropTail();
                try {
                    for (SegmentSnapshot s : published.sealed()) {
                        s.segment().retireFiles();
                    }
                    active.segment.retireFiles();
                    // Without this the deleted checkpoint's descriptor stayed open for the life of the process:
                    // one per deleted shard.
                    checkpoint.retire();
                } catch (IOException e) {
                    throw new StorageException("closing files of shard " + key + " failed: " + e, e);
                }
            }
        }
    }

    /**
     * Writes the active segment's write-back tail to its file now, not forced, as a full tail would be: for tests
     * that damage a segment file batch by batch.
     */
    void writeOutTail() {
        synchronized (appendLock) {
            try {
                active.flush();
            } catch (IOException e) {
                throw outage.fail("writing the segment failed", e);
            }
            published.releaseWrittenTail(active.segment, active.sizeBytes());
        }
    }

    /** Lets a shard whose WAL replay failed go, before it was shared: its tail, and its share of the tails' memory. */
    void discard() {
        synchronized (appendLock) {
            active.dropTail();
            markClosed();
        }
    }

    /** For tests and metrics: the readers' current picture. */
    ShardView view() {
        return published.view();
    }
}
