package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.LogStore;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.ShardSealedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * The streams of this node: their metadata (persisted in the {@link MetadataStore} under {@code stream/<name>}), their
 * status transitions, and the shard logs that hold their records.
 *
 * <p>Transitional states ({@code CREATING}, {@code UPDATING}, {@code DELETING}) last {@code transitionDelayMs} by the
 * injected clock and are settled lazily, when a stream is next looked at, and by {@link #settleDue()}, which the
 * server calls periodically so that deleted streams' logs are removed.
 *
 * <p><b>Writer and followers.</b> Several nodes may share one metadata store; one of them at a time, the writer, may
 * change metadata, and the {@code writer} supplier says whether this node is it now. The map of streams follows the
 * store's change feed ({@link StreamView}), so every node shows what the writer committed. Everything that commits as a
 * side effect (settling a due transition on lookup, {@link #settleDue}, {@link #trimExpired}, the crash recovery of
 * {@link #recover}) does so only on the writer; on a follower a lookup shows the stored record unsettled until the
 * writer's housekeeping settles it and the feed brings the result. Changes a client asks for ({@link #create},
 * {@link #reshard}, ...) are forwarded to the writer by the server; called on a follower, the store refuses them.
 *
 * <p>Thread-safe: lookups read a concurrent map of immutable records and take no lock. Changes to a stream are
 * serialised on that stream's lock ({@link StreamLocks}) and written to the metadata store before they become
 * visible, so a slow change to one stream (sealing the logs of thousands of shards, say) never holds up a call on
 * another. Two short account-wide critical sections remain: a change that adds open shards checks the account's
 * shard limit and commits under {@code shardBudget}, so concurrent changes can never together exceed it; a new
 * stream takes its epoch and commits it under {@code epochLock}, so epochs stay strictly increasing, on disk too.
 * Maintenance passes ({@link #settleDue}, {@link #trimExpired}, auto-scaling through {@link #whenFree}) skip a
 * stream whose lock is taken and come back on their next run, rather than wait behind a client's change.
 */
public final class StreamRegistry {
    /** AWS's default quota of streams in the on-demand capacity mode, per account and region. */
    public static final int ON_DEMAND_STREAM_LIMIT = 50;
    private static final String ON_DEMAND = "ON_DEMAND";
    private static final Logger log = LoggerFactory.getLogger(StreamRegistry.class);
    private static final String STREAM_PREFIX = StreamView.STREAM_PREFIX;
    private static final String LAST_EPOCH_KEY = StreamView.LAST_EPOCH_KEY;

    private final MetadataStore metadata;
    private final LogStore logs;
    private final Clock clock;
    private final Account account;
    /** Leads this account's region's shard log keys ({@link RegionMetadata#logPrefix}). */
    private final String logPrefix;
    private final long transitionDelayMs;
    private final int shardLimit;
    private final BooleanSupplier writer;
    private final StreamView streams = new StreamView();
    private final Registration following;
    private final StreamLocks locks = new StreamLocks();
    /** Held while a change that adds open shards checks the account's limit and commits. */
    private final Object shardBudget = new Object();
    /** Held while a new stream takes its epoch and commits it, so epochs are strictly increasing. */
    private final Object epochLock = new Object();

    /** A registry without an account-wide shard limit. */
    public StreamRegistry(MetadataStore metadata, LogStore logs, Clock clock, Account account,
                          long transitionDelayMs) {
        this(metadata, logs, clock, account, transitionDelayMs, Integer.MAX_VALUE);
    }

    /**
     * The registry of a node that is the only one on its store, always the writer: it recovers at once.
     *
     * @param shardLimit the account's open-shard limit in this region, which every change that adds shards obeys
     */
    public StreamRegistry(MetadataStore metadata, LogStore logs, Clock clock, Account account,
                          long transitionDelayMs, int shardLimit) {
        this(metadata, logs, clock, account, transitionDelayMs, shardLimit, () -> true);
        recover();
    }

    /**
     * The registry of a node that shares its store with others: it follows the store's change feed and commits only
     * while {@code writer} says this node is the writer. It does not recover: the server calls {@link #recover} when
     * the node is or becomes the writer.
     */
    public StreamRegistry(MetadataStore metadata, LogStore logs, Clock clock, Account account,
                          long transitionDelayMs, int shardLimit, BooleanSupplier writer) {
        this(metadata, logs, clock, account, transitionDelayMs, shardLimit, writer,
                RegionMetadata.logPrefix(account, account.id()));
    }

    /**
     * As above, for an account that may not be the server's own: {@code logPrefix} leads its shard logs' keys
     * ({@link RegionMetadata#logPrefix}).
     */
    public StreamRegistry(MetadataStore metadata, LogStore logs, Clock clock, Account account,
                          long transitionDelayMs, int shardLimit, BooleanSupplier writer, String logPrefix) {
        this.logPrefix = logPrefix;
        this.logKeys = new ShardKeys(logPrefix);
        this.metadata = metadata;
        this.logs = logs;
        this.clock = clock;
        this.account = account;
        this.transitionDelayMs = transitionDelayMs;
        this.shardLimit = shardLimit;
        this.writer = writer;
        this.following = streams.follow(metadata);
    }

    /**
     * Finishes what a writer that stopped (crashed, or was deposed) may have left half done: seals the logs of shards
     * closed in the metadata but not yet ended, and deletes shard logs that belong to no stream. Call it when this
     * node is or becomes the writer, once its store has caught up with what the last writer committed (a Kafka store's
     * promotion does that), so that no stream is missing here whose logs would be taken for orphans. Does nothing on
     * a follower. Streams being changed right now are left alone: their change finishes them.
     */
    public void recover() {
        if (!writer.getAsBoolean()) {
            return;
        }
        for (String name : streams.names()) {
            locks.ifFree(name, () -> finishClosing(name));
        }
        OrphanLogs.delete(logs, logPrefix, account, streams.asMap());
    }

    /** Whether this node may change metadata now. */
    public boolean isWriter() {
        return writer.getAsBoolean();
    }

    /** Stops following the store's change feed; the registry's view stays as it is. */
    public void close() {
        following.close();
    }

    /** Names the view keeps a version for, live or tombstone; for tests that check tombstones do not pile up. */
    int versionsKept() {
        return streams.versionsKept();
    }

    /**
     * Applies a resharding plan (SplitShard, MergeShards, UpdateShardCount) to an {@code ACTIVE}, provisioned stream.
     *
     * <p>With a transition delay the stream passes through {@code UPDATING} and the plan takes effect when that ends,
     * as on AWS: until then DescribeStream and ListShards show the old shards and writes go to them, so what a client
     * is shown and where its records land never disagree. The planned list is kept in the stream record (persisted,
     * so a restart mid-UPDATING applies it at the same moment) and swapped in by {@link #settle}, which stamps the
     * closed and created shards with that moment. A split or merge applied early would have had DescribeStream show
     * one shard list while writes were routed by another. Without a delay the plan is applied at once.
     *
     * <p>Applying a plan commits the new shard list first (so routing moves to the children at once), then seals the
     * closed parents' logs and commits their ending positions. An append that raced to a parent in between either
     * lands before the seal, and is part of the parent, or fails with the shard sealed and is routed again by its
     * handler.
     */
    public StreamRecord reshard(String name, String operation, UnaryOperator<StreamRecord> plan) {
        return locks.locked(name, () -> {
            StreamRecord current = getActive(name);
            if ("ON_DEMAND".equals(current.mode())) {
                throw KinesisException.validation(operation + " is not supported for stream " + name
                        + " because it is in ON_DEMAND mode.");
            }
            if (transitionDelayMs == 0) {
                return apply(current, operation, plan);
            }
            StreamRecord planned = plan.apply(current);
            putCounted(current, planned.withShards(current.shards()).withPendingShards(planned.shards())
                    .withStatus(StreamStatus.UPDATING, clock.millis() + transitionDelayMs));
            log.info("Stream {}: {} takes effect when UPDATING ends", name, operation);
            return streams.get(name);
        });
    }

    /**
     * Reshards an on-demand stream on Millrace's own initiative (auto-scaling, warm throughput): as {@link #reshard}
     * but allowed in ON_DEMAND mode, and applied at once without passing through UPDATING, since nobody asked for it.
     */
    public StreamRecord autoReshard(String name, String reason, UnaryOperator<StreamRecord> plan) {
        return locks.locked(name, () -> apply(getActive(name), reason, plan));
    }

    /**
     * Runs {@code action} holding the stream's lock if no other change to it is under way; returns whether it ran.
     * For maintenance (auto-scaling), which tries again on its next pass rather than wait.
     */
    public boolean whenFree(String name, Runnable action) {
        return locks.ifFree(name, action);
    }

    /** Called holding the stream's lock. */
    private StreamRecord apply(StreamRecord current, String reason, UnaryOperator<StreamRecord> plan) {
        putCounted(current, plan.apply(current));
        finishClosing(current.name());
        return logResharded(current, reason);
    }

    private StreamRecord logResharded(StreamRecord before, String reason) {
        StreamRecord done = streams.get(before.name());
        Lifecycle.resharded(account, before, done, reason);
        return done;
    }

    /**
     * Seals the logs of shards that are closed but not yet ended, and records where each ended. Called holding the
     * stream's lock (or by {@link #recover}). A shard never written has no log and gets none (an empty, sealed log
     * for each such parent would fill the disk with files for nothing): it ends where it started. An append racing to
     * it is safe all the same, see {@link #logForAppend}.
     */
    private void finishClosing(String name) {
        StreamRecord s = streams.get(name);
        if (s == null || s.shards().stream().allMatch(sh -> sh.open() || sh.ended())) {
            return;
        }
        List<ShardRecord> shards = new ArrayList<>(s.shards().size());
        for (ShardRecord shard : s.shards()) {
            if (!shard.open() && !shard.ended()) {
                Optional<ShardLog> log = logs.openIfExists(logKey(s, shard.index()));
                if (log.isPresent()) {
                    log.get().seal();
                    shard = shard.ended(log.get().endPosition());
                } else {
                    shard = shard.ended(shard.startingPosition());
                }
            }
            shards.add(shard);
        }
        put(s.withShards(shards));
    }

    /**
     * The log to append to {@code shard} of {@code stream} (a snapshot the caller routed by), or {@link
     * ShardSealedException} if the shard has been closed since: the caller routes again. The log is opened (created
     * if need be) before the shard is looked up again, so an append racing with a close either sees the shard closed
     * here, or made the log before the close was committed, and {@link #finishClosing} then finds and seals it: the
     * append lands before the seal (and belongs to the parent) or fails as sealed. It never lands in a log of a shard
     * already ended without one.
     */
    public ShardLog logForAppend(StreamRecord stream, ShardRecord shard) {
        // Kept per shard: the store's own lookup by shard key (its map's node, the key, the log) was 6.5 % of the CPU
        // over 1,000 shards, where a call appends to ~400 of them. Forgotten when the stream is deleted; a shard whose
        // log is deleted while the stream lives (retention of a closed shard) takes no appends.
        ShardLog log = withRetention(stream,
                appendLogs.get(stream, shard.index(), () -> logs.openOrCreate(logKey(stream, shard.index()))));
        StreamRecord current = streams.get(stream.name());
        // One look by index (StreamRecord.shard), not a scan: this runs once per shard a call writes to, and a call
        // over 1,000 shards writing ~400 of them spent 9 % of the server's CPU scanning (docs/BENCHMARKS.md, issue 20).
        ShardRecord now = current == null || current.epochMs() != stream.epochMs() ? null
                : current.shard(shard.index());
        boolean open = now != null && now.open();
        if (!open) {
            throw new ShardSealedException(logKey(stream, shard.index()));
        }
        return log;
    }

    /** A short description for error messages: {@code stream X under account Y}. */
    public String context(String name) {
        return "stream " + name + " under account " + account.id();
    }

    public Account account() {
        return account;
    }

    public Clock clock() {
        return clock;
    }

    /** The account's region's metadata, which other registries of the region (channels) keep their keys in. */
    public MetadataStore metadata() {
        return metadata;
    }

    public long transitionDelayMs() {
        return transitionDelayMs;
    }

    /**
     * Creates a stream in {@code CREATING} with {@code shardCount} shards spanning the hash key space evenly; the
     * account's shard limit is checked in the same step ({@code LimitExceededException}).
     */
    public StreamRecord create(String name, int shardCount, String mode, Map<String, String> tags,
                               int maxRecordSizeKiB, Integer warmThroughputMiBps, String distribution) {
        return locks.locked(name, () -> {
            settle(name);
            if (streams.contains(name)) {
                throw KinesisException.resourceInUse("Stream " + name + " under account " + account.id()
                        + " already exists.");
            }
            synchronized (shardBudget) {
                checkShardLimit(shardCount);
                if (ON_DEMAND.equals(mode)) {
                    checkOnDemandStreamLimit();
                }
                StreamRecord stream;
                synchronized (epochLock) {
                    long now = clock.millis();
                    long epochMs = Math.max(now, streams.lastEpochMs() + 1);
                    stream = newStream(name, epochMs, now, shardCount, mode, tags, maxRecordSizeKiB,
                            warmThroughputMiBps, distribution);
                    Map<String, byte[]> changes = new HashMap<>();
                    changes.put(STREAM_PREFIX + name, StreamCodec.encode(stream));
                    changes.put(LAST_EPOCH_KEY, Long.toString(epochMs).getBytes(StandardCharsets.US_ASCII));
                    long version = metadata.commit(changes);
                    streams.epochUsed(epochMs);
                    streams.committed(stream, version);
                }
                Lifecycle.created(account, stream);
                return stream;
            }
        });
    }

    private StreamRecord newStream(String name, long epochMs, long now, int shardCount, String mode,
                                   Map<String, String> tags, int maxRecordSizeKiB, Integer warmThroughputMiBps,
                                   String distribution) {
        List<ShardRecord> shards = new ArrayList<>();
        for (int i = 0; i < shardCount; i++) {
            shards.add(ShardRecord.open(i, -1, -1, HashKeys.initialStart(i, shardCount),
                    HashKeys.initialEnd(i, shardCount), epochMs));
        }
        // AWS lists no shards while a stream is CREATING: they are kept aside until it is ACTIVE.
        boolean creating = transitionDelayMs > 0;
        return new StreamRecord(name, epochMs, creating ? StreamStatus.CREATING : StreamStatus.ACTIVE,
                now + transitionDelayMs, 24, mode, creating ? List.of() : shards, new java.util.TreeMap<>(tags), "NONE",
                null, new TreeSet<>(), maxRecordSizeKiB, warmThroughputMiBps, List.of(), distribution,
                creating ? shards : null);
    }

    /** The stream with its status settled, or {@code ResourceNotFoundException}. */
    public StreamRecord get(String name) {
        return find(name).orElseThrow(() -> notFound(name));
    }

    /**
     * The stream, its transition settled if due. While another thread is changing the stream (sealing logs at the
     * end of its UPDATING, say) the stream is shown as it stands, still in its transitional status, rather than
     * keep the caller waiting. On a follower it is shown as stored: the writer settles it.
     */
    public Optional<StreamRecord> find(String name) {
        StreamRecord s = streams.get(name);
        if (s != null && s.status() != StreamStatus.ACTIVE && clock.millis() >= s.statusUntilMs()
                && writer.getAsBoolean()) {
            locks.ifFree(name, () -> settle(name));
            s = streams.get(name);
        }
        return Optional.ofNullable(s);
    }

    /** The stream, which must be {@code ACTIVE}, else {@code ResourceInUseException}. */
    public StreamRecord getActive(String name) {
        StreamRecord s = get(name);
        if (s.status() != StreamStatus.ACTIVE) {
            throw notActive(s);
        }
        return s;
    }

    /** Every stream's name, sorted. */
    public List<String> names() {
        return new ArrayList<>(new TreeSet<>(streams.names()));
    }

    public int streamCount() {
        return streams.size();
    }

    /**
     * Total open shards over all streams, for DescribeLimits and the account's shard limit; a stream being created or
     * resharded counts the shards it will have.
     */
    public int openShardCount() {
        return streams.records().stream().mapToInt(StreamRecord::eventualOpenShardCount).sum();
    }

    public int shardLimit() {
        return shardLimit;
    }

    /** How many open shards the account may still add; maintenance (auto-scaling) stays within it. */
    public int shardHeadroom() {
        return Math.max(0, shardLimit - openShardCount());
    }

    /** Streams in the on-demand capacity mode, whatever their status (DescribeLimits' OnDemandStreamCount). */
    public int onDemandStreamCount() {
        int count = 0;
        for (StreamRecord s : streams.records()) {
            if (ON_DEMAND.equals(s.mode())) {
                count++;
            }
        }
        return count;
    }

    /**
     * {@code LimitExceededException} if one more stream in the on-demand mode (created so, or switched to it) would
     * pass AWS's default quota of {@link #ON_DEMAND_STREAM_LIMIT} per account and region. AWS documents the quota,
     * not the message; this one is worded like its shard-limit message.
     */
    public void checkOnDemandStreamLimit() {
        int count = onDemandStreamCount();
        if (count >= ON_DEMAND_STREAM_LIMIT) {
            throw KinesisException.limitExceeded("This request would exceed the limit on the number of streams "
                    + "with the on-demand capacity mode for the account " + account.id() + " in " + account.region()
                    + ". Current on-demand stream count for the account: " + count + ". Limit: "
                    + ON_DEMAND_STREAM_LIMIT + ". Refer to the AWS Service Limits page "
                    + "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and "
                    + "how to request higher limits.");
        }
    }

    /**
     * {@code LimitExceededException}, in AWS's words, if {@code additionalShards} more open shards would exceed the
     * account's limit. A check for the caller's error ordering; the change itself is checked again as it commits.
     */
    public void checkShardLimit(int additionalShards) {
        int open = openShardCount();
        if (additionalShards > 0 && (long) open + additionalShards > shardLimit) {
            throw KinesisException.limitExceeded("This request would exceed the shard limit for the account "
                    + account.id() + " in " + account.region() + ". Current shard count for the account: " + open
                    + ". Limit: " + shardLimit + ". Number of additional shards that would have resulted from this "
                    + "request: " + additionalShards + ". Refer to the AWS Service Limits page "
                    + "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and "
                    + "how to request higher limits.");
        }
    }

    /**
     * Applies a change to an {@code ACTIVE} stream. With {@code viaUpdating} the stream passes through
     * {@code UPDATING} for the transition delay, as AWS does for shard, mode and encryption changes.
     */
    public StreamRecord update(String name, boolean viaUpdating, UnaryOperator<StreamRecord> change) {
        return locks.locked(name, () -> {
            StreamRecord current = getActive(name);
            StreamRecord next = change.apply(current);
            if (viaUpdating && transitionDelayMs > 0) {
                next = next.withStatus(StreamStatus.UPDATING, clock.millis() + transitionDelayMs);
            }
            putCounted(current, next);
            return next;
        });
    }

    /** Applies a change that is allowed in any state but {@code DELETING} (tags, for instance). */
    public StreamRecord updateAnyState(String name, UnaryOperator<StreamRecord> change) {
        return locks.locked(name, () -> {
            StreamRecord current = get(name);
            if (current.status() == StreamStatus.DELETING) {
                throw notActive(current);
            }
            StreamRecord next = change.apply(current);
            putCounted(current, next);
            return next;
        });
    }

    /** Starts deleting a stream: {@code DELETING} for the transition delay, then gone with its logs. */
    public void delete(String name) {
        locks.locked(name, () -> {
            StreamRecord s = get(name);
            if (s.status() == StreamStatus.DELETING) {
                return;
            }
            put(s.withStatus(StreamStatus.DELETING, clock.millis() + transitionDelayMs));
            settle(name);
        });
    }

    /**
     * Settles every stream whose transition is due, but for those being changed right now; called periodically.
     * Does nothing on a follower.
     */
    public void settleDue() {
        if (!writer.getAsBoolean()) {
            return;
        }
        for (String name : streams.names()) {
            StreamRecord s = streams.get(name);
            if (s != null && s.status() != StreamStatus.ACTIVE && clock.millis() >= s.statusUntilMs()) {
                locks.ifFree(name, () -> settle(name));
            }
        }
    }

    /**
     * Deletes expired storage of every shard of every stream, each with its stream's retention; returns the number of
     * segments removed. Opens the logs that exist, so retention reclaims the space of shards not used since the
     * start, but creates none: a shard never written has nothing to trim. Each stream is trimmed holding its lock, so
     * a DeleteStream waits for the pass to leave it (and the pass never brings back a deleted stream's logs); a
     * stream being changed right now is left for the next pass. Does nothing on a follower (returns 0): the writer
     * trims the logs all nodes share and commits the shards it drops.
     */
    public int trimExpired() {
        if (!writer.getAsBoolean()) {
            return 0;
        }
        int[] removed = new int[1];
        for (String name : streams.names()) {
            locks.ifFree(name, () -> removed[0] += trimStream(name));
        }
        return removed[0];
    }

    /** Called holding the stream's lock. */
    private int trimStream(String name) {
        StreamRecord s = streams.get(name);
        if (s == null || s.status() == StreamStatus.DELETING) {
            return 0;
        }
        int removed = 0;
        long retentionMs = s.retentionHours() * 3_600_000L;
        for (ShardRecord shard : s.shards()) {
            Optional<ShardLog> log = logs.openIfExists(logKey(s, shard.index()));
            if (log.isPresent()) {
                if (log.get().retentionMs() != retentionMs) {
                    log.get().retentionMs(retentionMs);
                }
                removed += log.get().trimExpired();
            }
        }
        dropExpiredClosedShards(name);
        return removed;
    }

    /** Forgets closed shards whose every record has passed retention, and deletes their logs. */
    private void dropExpiredClosedShards(String name) {
        StreamRecord s = streams.get(name);
        // A pending reshard was planned on the current list: dropping shards from it now would bring them back.
        if (s == null || s.status() == StreamStatus.DELETING || s.pendingShards() != null) {
            return;
        }
        long cutoffMs = clock.millis() - s.retentionHours() * 3_600_000L;
        List<ShardRecord> kept = new ArrayList<>();
        List<ShardRecord> dropped = new ArrayList<>();
        for (ShardRecord shard : s.shards()) {
            (shard.ended() && shard.closedMs() < cutoffMs ? dropped : kept).add(shard);
        }
        if (dropped.isEmpty()) {
            return;
        }
        put(s.withShards(kept));
        for (ShardRecord shard : dropped) {
            logs.delete(logKey(s, shard.index()));
        }
    }

    /** The log of one shard, opened on first use with the stream's retention. */
    public ShardLog log(StreamRecord stream, ShardRecord shard) {
        return withRetention(stream, logs.openOrCreate(logKey(stream, shard.index())));
    }

    private static ShardLog withRetention(StreamRecord stream, ShardLog log) {
        long retentionMs = stream.retentionHours() * 3_600_000L;
        if (log.retentionMs() != retentionMs) {
            log.retentionMs(retentionMs);
        }
        return log;
    }

    public String arn(String name) {
        return account.streamArn(name);
    }

    public KinesisException notFound(String name) {
        return KinesisException.resourceNotFound("Stream " + name + " under account " + account.id()
                + " not found.");
    }

    public KinesisException notActive(StreamRecord s) {
        return KinesisException.resourceInUse("Stream " + s.name() + " under account " + account.id()
                + " not ACTIVE, instead in state " + s.status());
    }

    private void settle(String name) {
        StreamRecord s = streams.get(name);
        if (s == null || s.status() == StreamStatus.ACTIVE || clock.millis() < s.statusUntilMs()) {
            return;
        }
        if (s.status() == StreamStatus.DELETING) {
            Map<String, byte[]> changes = new HashMap<>();
            changes.put(STREAM_PREFIX + name, null);
            streams.removed(name, metadata.commit(changes));
            Lifecycle.deleted(account, name);
            for (ShardRecord shard : s.shards()) {
                logs.delete(logKey(s, shard.index()));
            }
            for (ShardRecord shard : s.pendingShards() == null ? List.<ShardRecord>of() : s.pendingShards()) {
                logs.delete(logKey(s, shard.index()));
            }
            logKeys.forget(name);
            appendLogs.forget(name);
            SHARD_KEYS.forget(name);
            return;
        }
        StreamRecord active = s.withStatus(StreamStatus.ACTIVE, 0).withPendingShards(null);
        if (s.pendingShards() == null) {
            put(active);
        } else if (s.status() == StreamStatus.CREATING) {
            put(active.withShards(s.pendingShards()));
        } else {
            put(active.withShards(Resharding.effectiveAt(s.shards(), s.pendingShards(), clock.millis())));
            finishClosing(name);
            logResharded(s, "resharding");
        }
    }

    private void put(StreamRecord s) {
        StreamRecord before = streams.get(s.name());
        streams.committed(s, metadata.commit(Map.of(STREAM_PREFIX + s.name(), StreamCodec.encode(s))));
        Lifecycle.changed(account, before, s);
    }

    /**
     * Commits {@code next} in place of {@code current}; if it adds open shards, checks the account's shard limit and
     * commits in one step, so that changes to two streams can never together exceed it.
     */
    private void putCounted(StreamRecord current, StreamRecord next) {
        int added = next.eventualOpenShardCount() - current.eventualOpenShardCount();
        if (added <= 0) {
            put(next);
            return;
        }
        synchronized (shardBudget) {
            checkShardLimit(added);
            put(next);
        }
    }

    /**
     * Tells storage that this node may no longer be the only appender of any shard it knows (the cluster's live
     * nodes changed, so shards changed owners): what it learned of their ends from its own appends is learned again
     * from the backend ({@link LogStore#release}).
     */
    public void releaseLogs() {
        for (StreamRecord s : streams.records()) {
            for (ShardRecord shard : s.shards()) {
                logs.release(logKey(s, shard.index()));
            }
        }
    }

    /**
     * The storage key of a shard's log: {@link #shardKey}, led by the account's region's {@link #logPrefix}
     * ({@code eu-west-1.1796000000000-orders-000000}), so that two regions' or accounts' streams of one name never
     * share a log; legacy keys start with a digit, so the kinds cannot be confused.
     */
    public String logKey(StreamRecord stream, int shardIndex) {
        return logKeys.of(stream, shardIndex);
    }

    /** Keys of this registry's shard logs; see {@link ShardKeys}. */
    private final ShardKeys logKeys;
    /** The logs appended to, by shard ({@link #logForAppend}). */
    private final ShardMemo<ShardLog> appendLogs = new ShardMemo<>();
    /** Shard keys as throttles and meters name shards, for every registry alike (they hold no prefix). */
    private static final ShardKeys SHARD_KEYS = new ShardKeys("");

    /** A shard's key: unique per stream incarnation, so a re-created stream never sees old records. */
    static String shardKey(StreamRecord stream, int shardIndex) {
        return SHARD_KEYS.of(stream, shardIndex);
    }

    static String buildShardKey(StreamRecord stream, int shardIndex) {
        StringBuilder b = new StringBuilder(40).append(stream.epochMs()).append('-').append(stream.name()).append('-');
        return ZeroPadded.append(b, shardIndex, 6).toString();
    }
}
