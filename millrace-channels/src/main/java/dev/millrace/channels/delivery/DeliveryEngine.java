package dev.millrace.channels.delivery;

import dev.millrace.storage.log.FileModes;

import dev.millrace.channels.delivery.BatchStager.StagedBatch;
import dev.millrace.channels.delivery.Checkpoints.Checkpoint;
import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.channels.s3.Destination;
import dev.millrace.channels.s3.Destination.ObjectTarget;
import dev.millrace.channels.s3.DestinationException;
import dev.millrace.channels.table.TableSink;
import dev.millrace.storage.ShardLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers channels' streams to their destinations, exactly once per shard.
 *
 * <p>For every channel and every shard of its stream, a poll (every {@code pollIntervalMs}, on a small bounded pool,
 * never on the server's event loop) finds the shard's next batch ({@link BatchCut}, from the checkpoint or, for a
 * shard never delivered, from the first record that arrived at or after the channel became ACTIVE) and, once it is
 * due, stages it ({@link BatchStager}), records the batch's range as pending, writes the object and then its
 * dead-letter object, and only then commits the checkpoint past it. An attempt that finds a pending range rebuilds
 * exactly that range (see {@link Checkpoints}). A batch is due when a record beyond it is readable (it cannot grow any more), when its shard is closed
 * and read to the end, or once the clock passes its first record's arrival + freshness + grace (appends in flight).
 * Object keys depend only on the batch's first record (its arrival time and position), so an attempt repeated after a
 * crash or a failure writes the same key: an overwrite, never a duplicate; but a repeated attempt whose first records
 * expired meanwhile keeps an object already under the key (it has those records too) instead of replacing it with
 * fewer. A failed attempt changes no checkpoint and is retried after a backoff that doubles per failure, up to
 * {@code backoffMaxMs}.
 *
 * <p>A channel with an S3 Tables destination ({@link DeliverySpec#table}) goes the same way with its table in the
 * object's place: the range is recorded as pending, the {@link TableSink} commits the rows with the shard's
 * checkpoint in the table ({@link TableBatches}; a batch already there after a crash is not written again), then the
 * dead-letter object and the checkpoint are written.
 *
 * <p>A shard whose log cannot be read at the checkpoint (a record encrypted with a disabled key, or damaged) is
 * retried like a failed destination and counted in {@link ChannelStats#failedDeliveries}; nothing is skipped. Records
 * that expire from the stream before they are delivered (the destination down for longer than the retention period)
 * are lost to the channel, as they would be on AWS; that is logged.
 *
 * <p>A shard that had nothing to deliver is not read again until its log's end moves, it closes, its batch's due
 * time comes, or {@code freshness / 10} passed (a backend may learn late of other nodes' appends): an idle stream
 * costs no reads. A shard read to its end asks its log for the end afresh ({@link ShardLog#freshEndPosition}) when it
 * is polled again, once per such poll: on a cluster, the metadata writer delivers shards other nodes own and append
 * to, and a Kafka log with no listener on it trusts the end it knew, so without asking, those appends would never be
 * seen (a read at that end answers from memory). That costs one offset lookup per caught-up shard per idle poll (at
 * most one a second per shard) on the writer, none on the embedded engine.
 *
 * <p>Thread-safe. At most one task works on a shard at a time, also across a channel removed and added again while a
 * task still runs (the shards' state is the engine's, not the channel's); and checkpoints change only from the value
 * the task read ({@link Checkpoints}), so a task that lost its shard cannot move the checkpoint back.
 */
public final class DeliveryEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);
    private static final String DEAD_LETTER_EXTENSION = ".jsonl";

    private final ShardSource source;
    private final Checkpoints checkpoints;
    private final Destination destination;
    private final DeliveryOptions options;
    private final Clock clock;
    private final BatchStager stager;
    /** Delivery to S3 Tables channels' tables; null when the server has no table sink. */
    private final TableBatches tables;
    private final Map<String, ChannelState> channels = new ConcurrentHashMap<>();
    /** Engine-wide, so that a channel dropped and re-added while a task runs still has one task per shard. */
    private final Map<ShardKey, ShardState> shards = new ConcurrentHashMap<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile ScheduledExecutorService ticker;
    private volatile ExecutorService workers;
    private volatile DeliveryListener listener = DeliveryListener.NONE;

    /**
     * @param stagingDir where batches are staged before upload (the server's: {@code DATA_DIR/channels-staging});
     *                   created if missing, and emptied of earlier runs' left-overs, so one engine per directory
     */
    public DeliveryEngine(ShardSource source, Checkpoints checkpoints, Destination destination, Path stagingDir,
            DeliveryOptions options, Clock clock) {
        this(source, checkpoints, destination, null, stagingDir, options, clock);
    }

    /**
     * @param tableSink where S3 Tables channels' batches go ({@link TableBatches}), or null if no channel has a
     *                  table; the dead letters of every channel go to {@code destination}
     */
    public DeliveryEngine(ShardSource source, Checkpoints checkpoints, Destination destination, TableSink tableSink,
            Path stagingDir, DeliveryOptions options, Clock clock) {
        this.source = source;
        this.checkpoints = checkpoints;
        this.destination = destination;
        this.options = options;
        this.clock = clock;
        Path staging = prepareStaging(stagingDir);
        this.stager = new BatchStager(options, staging);
        this.tables = tableSink == null ? null : new TableBatches(tableSink, checkpoints, options, staging);
    }

    /**
     * The channels to deliver from now on: new ones start, changed ones (a new freshness) go on with the new spec,
     * missing ones stop (a batch being delivered finishes).
     */
    public void setChannels(Collection<DeliverySpec> specs) {
        Set<String> ids = new HashSet<>();
        for (DeliverySpec spec : specs) {
            ids.add(spec.channelId());
            channels.compute(spec.channelId(), (id, state) -> {
                if (state == null) {
                    LOG.info("Channel {} ({}) delivers stream {} to {}", spec.channelName(), id,
                            spec.streamName(), spec.table() != null ? "table " + spec.table().qualifiedName()
                                    + " of " + spec.table().tableBucketArn() : "bucket " + spec.bucket());
                    return new ChannelState(spec);
                }
                if (spec.dataFreshnessMs() < state.spec.dataFreshnessMs()) {
                    // Idle shards wait for the old, later due times: look at them again at the next poll.
                    wake(id);
                }
                state.spec = spec;
                return state;
            });
        }
        channels.keySet().removeIf(id -> {
            if (!ids.contains(id)) {
                LOG.info("Channel {} stops delivering", id);
                return true;
            }
            return false;
        });
        retire(key -> !ids.contains(key.channelId()));
    }

    /**
     * Forgets the state of the shards {@code gone} selects that no task works on. A state is retired by taking its
     * busy flag for good, so that a task that looked it up before cannot start on it; a busy one stays (the same
     * state serves the channel if it comes back) and is retired by a later call.
     */
    private void retire(Predicate<ShardKey> gone) {
        for (Map.Entry<ShardKey, ShardState> entry : shards.entrySet()) {
            if (gone.test(entry.getKey()) && entry.getValue().busy.compareAndSet(false, true)) {
                shards.remove(entry.getKey(), entry.getValue());
            }
        }
    }

    private void wake(String channelId) {
        shards.forEach((key, state) -> {
            if (key.channelId().equals(channelId)) {
                state.idleUntilMs = 0;
            }
        });
    }

    private ShardState shard(ChannelState channel, Shard shard) {
        return shards.computeIfAbsent(new ShardKey(channel.spec.channelId(), shard.shardId()), key -> new ShardState());
    }

    /**
     * Whether a task works on one of the channel's shards now: a dropped channel's checkpoints may be forgotten only
     * once this is false (a task that starts later sees the channel gone and delivers nothing).
     */
    public boolean busy(String channelId) {
        for (Map.Entry<ShardKey, ShardState> entry : shards.entrySet()) {
            if (entry.getKey().channelId().equals(channelId) && entry.getValue().busy.get()) {
                return true;
            }
        }
        return false;
    }

    /** Tells {@code value} of every batch delivered and every attempt failed from now on (the server's metrics). */
    public void listen(DeliveryListener value) {
        this.listener = value;
    }

    /** The channel's counters, while it is delivered. */
    public Optional<ChannelStats> stats(String channelId) {
        return Optional.ofNullable(channels.get(channelId)).map(state -> state.stats);
    }

    /**
     * The age of the channel's oldest undelivered record as of the last poll of each shard (AWS's DataFreshness), 0
     * when everything is delivered; empty when the channel is not delivered here.
     */
    public OptionalLong dataFreshnessMs(String channelId) {
        ChannelState state = channels.get(channelId);
        if (state == null) {
            return OptionalLong.empty();
        }
        long now = clock.millis();
        long oldest = Long.MAX_VALUE;
        for (Map.Entry<ShardKey, ShardState> shard : shards.entrySet()) {
            if (shard.getKey().channelId().equals(channelId)) {
                oldest = Math.min(oldest, shard.getValue().oldestUndeliveredArrivalMs);
            }
        }
        return OptionalLong.of(oldest == Long.MAX_VALUE ? 0 : Math.max(0, now - oldest));
    }

    /** Starts polling on the engine's own threads. */
    public void start() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        ThreadPoolExecutor pool = new ThreadPoolExecutor(options.threads(), options.threads(), 0,
                TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), threads("millrace-channel-delivery-"));
        workers = pool;
        ScheduledThreadPoolExecutor tick = new ScheduledThreadPoolExecutor(1, threads("millrace-channel-poll-"));
        ticker = tick;
        tick.scheduleWithFixedDelay(() -> poll(pool), 0, options.pollIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /**
     * Polls every shard of every channel once on the calling thread and delivers what is due; returns how many
     * batches were delivered. For tests and tools; the server uses {@link #start}.
     */
    public int runOnce() {
        int delivered = 0;
        for (ChannelState channel : channels.values()) {
            for (Shard shard : source.shards(channel.spec.streamArn(), channel.spec.streamCreatedMs())) {
                delivered += work(channel, shard);
            }
        }
        return delivered;
    }

    @Override
    public void close() {
        ScheduledExecutorService tick = ticker;
        ExecutorService pool = workers;
        try {
            if (tick != null) {
                tick.shutdownNow();
                // A poll still running would hand work to a pool that no longer takes any.
                tick.awaitTermination(10, TimeUnit.SECONDS);
            }
            if (pool != null) {
                pool.shutdown();
                if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                    pool.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            if (pool != null) {
                pool.shutdownNow();
            }
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Hands every shard that may have something to deliver to {@code executor}, at most once at a time (the engine's
     * ticker calls it with its pool; tests with a direct executor).
     */
    void poll(Executor executor) {
        Set<ShardKey> live = new HashSet<>();
        Set<String> listed = new HashSet<>();
        for (ChannelState channel : channels.values()) {
            try {
                long now = clock.millis();
                for (Shard shard : source.shards(channel.spec.streamArn(), channel.spec.streamCreatedMs())) {
                    ShardKey key = new ShardKey(channel.spec.channelId(), shard.shardId());
                    live.add(key);
                    ShardState state = shards.computeIfAbsent(key, k -> new ShardState());
                    if (state.retryAtMs <= now && state.wantsPoll(shard, now)
                            && state.queued.compareAndSet(false, true)) {
                        executor.execute(() -> {
                            state.queued.set(false);
                            work(channel, shard);
                        });
                    }
                }
                listed.add(channel.spec.channelId());
            } catch (RuntimeException e) {
                LOG.warn("Channel {}: polling its stream's shards failed; trying again in {} ms",
                        channel.spec.channelName(), options.pollIntervalMs(), e);
            }
        }
        // Shards gone from a stream (expired after a reshard, or the stream deleted) need no state.
        retire(key -> listed.contains(key.channelId()) && !live.contains(key));
    }

    /** Delivers the shard's due batches, at most a turn's worth; returns how many. */
    private int work(ChannelState channel, Shard shard) {
        ShardState state = shard(channel, shard);
        if (!state.busy.compareAndSet(false, true)) {
            return 0;
        }
        int delivered = 0;
        try {
            if (clock.millis() < state.retryAtMs) {
                return 0;
            }
            // Before reading: an append during the reads moves the end past this, so the next poll reads it. A shard
            // read to its end last time asks the backend (see the class comment): another node's appends are seen
            // only so on Kafka, and the reads below then find them. At most once per poll that reaches the shard.
            long endPosition = state.caughtUp ? shard.log().freshEndPosition() : shard.log().endPosition();
            boolean closed = shard.ended() || shard.log().sealed();
            state.idleUntilMs = 0;
            // Before each batch: a channel dropped (DeleteChannel) while its task was queued or running stops here,
            // so that once its checkpoints are forgotten nothing starts it again from its activation.
            while (delivered < options.maxBatchesPerTurn() && channels.get(channel.spec.channelId()) == channel
                    && deliverNext(channel, shard, state)) {
                delivered++;
            }
            if (delivered == 0) {
                state.idle(endPosition, closed, clock.millis(), idlePollMs(channel.spec));
            }
            if (state.failures > 0) {
                LOG.info("Channel {} delivers shard {} again after {} failed attempts", channel.spec.channelName(),
                        shard.shardId(), state.failures);
                state.failures = 0;
            }
        } catch (IOException | RuntimeException e) {
            state.failures++;
            long backoffMs = Math.min(options.backoffMaxMs(),
                    options.backoffBaseMs() << Math.min(state.failures - 1, 30));
            state.retryAtMs = clock.millis() + backoffMs;
            state.idleUntilMs = 0;
            state.scan = null;
            channel.stats.failed();
            listener.failed(channel.spec);
            if (e instanceof IOException || e instanceof DestinationException) {
                LOG.warn("Channel {} could not deliver shard {} (attempt {}), retrying in {} ms: {}",
                        channel.spec.channelName(), shard.shardId(), state.failures, backoffMs, e.toString());
            } else {
                LOG.warn("Channel {} could not deliver shard {} (attempt {}), retrying in {} ms",
                        channel.spec.channelName(), shard.shardId(), state.failures, backoffMs, e);
            }
        } finally {
            state.busy.set(false);
        }
        return delivered;
    }

    /** Delivers the shard's next batch if it is due; returns whether it did. */
    private boolean deliverNext(ChannelState channel, Shard shard, ShardState state) throws IOException {
        DeliverySpec spec = channel.spec;
        // Asked before reading: a shard already closed now has all its records readable by the reads that follow.
        boolean closed = shard.ended() || shard.log().sealed();
        Optional<Checkpoint> checkpoint = checkpoints.read(spec.channelId(), shard.shardId());
        if (checkpoint.isPresent() && checkpoint.get().pending()) {
            return redeliverPending(channel, shard, state, checkpoint.get());
        }
        long start = checkpoint.map(Checkpoint::nextPosition)
                .orElseGet(() -> shard.log().positionAtOrAfter(spec.activatedAtMs()));
        ShardScan scan = state.scan;
        if (scan == null || scan.startPosition() != start || scan.cut().freshnessMs() != spec.dataFreshnessMs()) {
            if (shard.log().startPosition() > start) {
                LOG.warn("Channel {}: the records of shard {} from position {} to {} expired before they were "
                        + "delivered", spec.channelName(), shard.shardId(), start, shard.log().startPosition() - 1);
            }
            scan = new ShardScan(start, new BatchCut(spec.dataFreshnessMs(), options.objectTargetBytes(),
                    options.maxRecordsPerObject(), spec.recordFormat()));
            state.scan = scan;
        }
        boolean atEnd = scan.advance(shard.log(), options.readPageRecords(), options.readPageBytes());
        BatchCut cut = scan.cut();
        state.caughtUp = cut.isEmpty();
        if (cut.isEmpty()) {
            state.oldestUndeliveredArrivalMs = Long.MAX_VALUE;
            state.dueAtMs = Long.MAX_VALUE;
            return false;
        }
        state.oldestUndeliveredArrivalMs = cut.firstArrivalMs();
        long dueAtMs = cut.firstArrivalMs() + cut.freshnessMs() + options.graceMs();
        state.dueAtMs = dueAtMs;
        boolean due = cut.closed() || (closed && atEnd) || clock.millis() >= dueAtMs;
        if (!due) {
            return false;
        }
        if (spec.table() != null) {
            // The range as the scan cut it, from the checkpoint rather than the first record: the table's checkpoint
            // is the batch's start, and positions need not be dense (a log reopened starts a new segment).
            Checkpoint pending = new Checkpoint(start, cut.nextPosition(), cut.firstArrivalMs());
            checkpoints.commitPending(spec.channelId(), shard.shardId(), checkpoint, pending.nextPosition(),
                    pending.pendingEndPosition(), pending.firstArrivalMs());
            return redeliverPending(channel, shard, state, pending);
        }
        Optional<StagedBatch> staged = stager.stage(spec, shard, cut.firstPosition());
        state.scan = null;
        if (staged.isEmpty()) {
            return false;
        }
        try (StagedBatch batch = staged.get()) {
            checkpoints.commitPending(spec.channelId(), shard.shardId(), checkpoint, batch.firstPosition(),
                    batch.nextPosition(), batch.firstArrivalMs());
            deliver(channel, shard, state, batch, new Checkpoint(batch.firstPosition(), batch.nextPosition(),
                    batch.firstArrivalMs()));
        }
        return true;
    }

    /**
     * Delivers a batch recorded as pending, exactly as it was cut: a table batch just cut, or one a failed or crashed
     * attempt left (rebuilt).
     */
    private boolean redeliverPending(ChannelState channel, Shard shard, ShardState state, Checkpoint pending)
            throws IOException {
        DeliverySpec spec = channel.spec;
        state.scan = null;
        if (spec.table() != null) {
            // Even if its records expired: the sink commits the table's checkpoint past them.
            try (StagedBatch batch = tables(spec).write(spec, shard, pending)) {
                deliver(channel, shard, state, batch, pending);
            }
            return true;
        }
        Optional<StagedBatch> staged = stager.stagePending(spec, shard, pending.nextPosition(),
                pending.pendingEndPosition());
        if (staged.isEmpty()) {
            LOG.warn("Channel {}: the records of shard {} from position {} to {} expired before they were "
                    + "delivered", spec.channelName(), shard.shardId(), pending.nextPosition(),
                    pending.pendingEndPosition() - 1);
            checkpoints.commit(spec.channelId(), shard.shardId(), pending, pending.pendingEndPosition());
            return deliverNext(channel, shard, state);
        }
        try (StagedBatch batch = staged.get()) {
            deliver(channel, shard, state, batch, pending);
        }
        return true;
    }

    /**
     * Writes the batch's objects under the keys of its recorded first position and arrival ({@code pending}: the
     * interrupted attempt's, even if the records it started with expired since), then its checkpoint. A batch that
     * lost its first records to expiry keeps an object the interrupted attempt wrote: that one holds them too.
     */
    private void deliver(ChannelState channel, Shard shard, ShardState state, StagedBatch batch, Checkpoint pending) {
        DeliverySpec spec = channel.spec;
        long firstArrivalMs = pending.firstArrivalMs() >= 0 ? pending.firstArrivalMs() : batch.firstArrivalMs();
        upload(spec, shard, batch, pending.nextPosition(), firstArrivalMs,
                batch.firstPosition() != pending.nextPosition());
        checkpoints.commit(spec.channelId(), shard.shardId(), pending, batch.nextPosition());
        channel.stats.delivered(batch);
        listener.delivered(spec, batch.deliveredRecords(), batch.deadLetteredRecords(), batch.bytesIn(),
                batch.dataBytes());
        state.oldestUndeliveredArrivalMs = Long.MAX_VALUE;
        LOG.debug("Channel {} delivered shard {} positions {}..{}: {} records, {} dead-lettered",
                spec.channelName(), shard.shardId(), batch.firstPosition(), batch.nextPosition() - 1,
                batch.deliveredRecords(), batch.deadLetteredRecords());
    }

    /** Writes the batch's objects; {@code keepExisting}: leaves an object already under its key as it is. */
    private void upload(DeliverySpec spec, Shard shard, StagedBatch batch, long firstPosition, long firstArrivalMs,
            boolean keepExisting) {
        String suffix = KeyTemplate.suffix(spec.channelId(), shardNumber(shard.shardId()), firstPosition);
        Instant firstArrival = Instant.ofEpochMilli(firstArrivalMs);
        if (batch.dataFile() != null) {
            String key = spec.keyTemplate().expand(spec.channelName(), spec.channelId(), spec.streamName(),
                    firstArrival, suffix);
            put(new ObjectTarget(spec.bucket(), key, spec.storageClass(), spec.expectedBucketOwner()),
                    batch.dataFile(), keepExisting);
        }
        if (batch.dlqFile() != null) {
            // The dead-letter bucket may be another account's: its own expected owner, not the data bucket's.
            put(new ObjectTarget(spec.dlqBucket(), deadLetterKey(spec, firstArrival, suffix), "STANDARD",
                    spec.dlqExpectedBucketOwner()), batch.dlqFile(), keepExisting);
        }
    }

    private void put(ObjectTarget target, Path file, boolean keepExisting) {
        if (keepExisting && destination.exists(target)) {
            LOG.info("Keeping s3://{}/{}, written by an interrupted attempt with records that expired since",
                    target.bucket(), target.key());
            return;
        }
        destination.put(target, file);
    }

    /**
     * A batch's dead-letter object key: the DLQ prefix, then {@code yyyy/MM/dd/HH/} and
     * {@code <channel-name>-<channel-id>-yyyy-MM-dd-HH-mm<suffix>.jsonl} (times of the batch's first record, UTC),
     * the suffix being the batch object's, so a data object and its dead letters are easy to pair.
     */
    static String deadLetterKey(DeliverySpec spec, Instant firstArrival, String suffix) {
        ZonedDateTime t = firstArrival.atZone(ZoneOffset.UTC);
        String date = String.format("%04d/%02d/%02d/%02d/", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour());
        String stamp = String.format("%04d-%02d-%02d-%02d-%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
                t.getHour(), t.getMinute());
        return spec.dlqPrefix() + date + spec.channelName() + "-" + spec.channelId() + "-" + stamp + suffix
                + DEAD_LETTER_EXTENSION;
    }

    /** The number in a Kinesis shard id, "shardId-000000000042" → 42. */
    static long shardNumber(String shardId) {
        int dash = shardId.lastIndexOf('-');
        try {
            return Long.parseLong(shardId.substring(dash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a Kinesis shard id: " + shardId, e);
        }
    }

    private static Path prepareStaging(Path stagingDir) {
        try {
            // Under the data dir, which is the owner's only (FileModes): staged objects hold records.
            FileModes.createPrivateDirectories(stagingDir);
            try (var leftOvers = Files.list(stagingDir)) {
                for (Path file : (Iterable<Path>) leftOvers::iterator) {
                    if (file.getFileName().toString().endsWith(".part")) {
                        Files.deleteIfExists(file);
                    }
                }
            }
            return stagingDir;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the channel staging directory " + stagingDir, e);
        }
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private TableBatches tables(DeliverySpec spec) throws IOException {
        if (tables == null) {
            throw new IOException("Channel " + spec.channelName() + " delivers to table "
                    + spec.table().qualifiedName() + ", but this server has no table sink");
        }
        return tables;
    }

    /** The least time between two polls of a shard with nothing to deliver: a tenth of the channel's freshness. */
    private long idlePollMs(DeliverySpec spec) {
        return Math.max(options.pollIntervalMs(), spec.dataFreshnessMs() / 10);
    }

    /** One channel being delivered. */
    private static final class ChannelState {
        volatile DeliverySpec spec;
        final ChannelStats stats = new ChannelStats();

        ChannelState(DeliverySpec spec) {
            this.spec = spec;
        }
    }

    /** A shard of a channel. */
    private record ShardKey(String channelId, String shardId) {
    }

    /**
     * One shard of a channel; {@code scan}, {@code failures}, {@code dueAtMs} and {@code caughtUp} are touched only by
     * the task holding busy. A retired state keeps busy for good.
     */
    private static final class ShardState {
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicBoolean queued = new AtomicBoolean();
        volatile long retryAtMs;
        volatile long oldestUndeliveredArrivalMs = Long.MAX_VALUE;
        /** While idle: the log's end and whether the shard was closed when it was last read, and until when. */
        volatile long idleEndPosition = -1;
        volatile boolean idleClosed;
        volatile long idleUntilMs;
        ShardScan scan;
        int failures;
        long dueAtMs = Long.MAX_VALUE;
        /** Whether the last read found nothing past the checkpoint: the next task asks for the end afresh. */
        boolean caughtUp;

        /** Nothing was due: poll again when the log moves, the shard closes, the batch is due, or idleMs passed. */
        void idle(long endPosition, boolean closed, long nowMs, long idleMs) {
            idleEndPosition = endPosition;
            idleClosed = closed;
            idleUntilMs = Math.min(nowMs + idleMs, dueAtMs);
        }

        /**
         * Whether the shard may have something to deliver. A log that cannot tell (a backend failing or slow to
         * answer) is polled: its task fails and backs off, and the channel's other shards are still checked.
         */
        boolean wantsPoll(Shard shard, long nowMs) {
            if (nowMs >= idleUntilMs) {
                return true;
            }
            try {
                return shard.log().endPosition() != idleEndPosition
                        || (shard.ended() || shard.log().sealed()) != idleClosed;
            } catch (RuntimeException e) {
                return true;
            }
        }
    }
}
