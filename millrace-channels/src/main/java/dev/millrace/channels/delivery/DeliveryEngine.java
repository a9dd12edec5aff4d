package dev.millrace.channels.delivery;

import dev.millrace.storage.log.FileModes;

import dev.millrace.channels.delivery.BatchStager.StagedBatch;
import dev.millrace.channels.delivery.Checkpoints.Checkpoint;
import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.channels.s3.Destination;
import dev.millrace.channels.s3.Destination.ObjectTarget;
import dev.millrace.channels.s3.DestinationException;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * crash or a failure writes the same key: an overwrite, never a duplicate. A failed attempt changes no checkpoint and
 * is retried after a backoff that doubles per failure, up to {@code backoffMaxMs}.
 *
 * <p>A shard whose log cannot be read at the checkpoint (a record encrypted with a disabled key, or damaged) is
 * retried like a failed destination and counted in {@link ChannelStats#failedDeliveries}; nothing is skipped. Records
 * that expire from the stream before they are delivered (the destination down for longer than the retention period)
 * are lost to the channel, as they would be on AWS; that is logged.
 *
 * <p>Thread-safe. At most one task works on a shard at a time.
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
    private final Map<String, ChannelState> channels = new ConcurrentHashMap<>();
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
        this.source = source;
        this.checkpoints = checkpoints;
        this.destination = destination;
        this.options = options;
        this.clock = clock;
        this.stager = new BatchStager(options, prepareStaging(stagingDir));
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
                    LOG.info("Channel {} ({}) delivers stream {} to bucket {}", spec.channelName(), id,
                            spec.streamName(), spec.bucket());
                    return new ChannelState(spec);
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
        for (ShardState shard : state.shards.values()) {
            oldest = Math.min(oldest, shard.oldestUndeliveredArrivalMs);
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
        tick.scheduleWithFixedDelay(this::tick, 0, options.pollIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /**
     * Polls every shard of every channel once on the calling thread and delivers what is due; returns how many
     * batches were delivered. For tests and tools; the server uses {@link #start}.
     */
    public int runOnce() {
        int delivered = 0;
        for (ChannelState channel : channels.values()) {
            for (Shard shard : source.shards(channel.spec.streamArn())) {
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

    private void tick() {
        for (ChannelState channel : channels.values()) {
            try {
                List<Shard> shards = source.shards(channel.spec.streamArn());
                Set<String> live = new HashSet<>();
                for (Shard shard : shards) {
                    live.add(shard.shardId());
                    ShardState state = channel.shard(shard.shardId());
                    if (state.retryAtMs <= clock.millis() && state.queued.compareAndSet(false, true)) {
                        workers.execute(() -> {
                            state.queued.set(false);
                            work(channel, shard);
                        });
                    }
                }
                // Shards gone from the stream (expired after a reshard, or the stream deleted) need no state.
                channel.shards.keySet().retainAll(live);
            } catch (RuntimeException e) {
                LOG.warn("Channel {}: polling its stream's shards failed; trying again in {} ms",
                        channel.spec.channelName(), options.pollIntervalMs(), e);
            }
        }
    }

    /** Delivers the shard's due batches, at most a turn's worth; returns how many. */
    private int work(ChannelState channel, Shard shard) {
        ShardState state = channel.shard(shard.shardId());
        if (!state.busy.compareAndSet(false, true)) {
            return 0;
        }
        int delivered = 0;
        try {
            if (clock.millis() < state.retryAtMs) {
                return 0;
            }
            while (delivered < options.maxBatchesPerTurn() && deliverNext(channel, shard, state)) {
                delivered++;
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
        if (cut.isEmpty()) {
            state.oldestUndeliveredArrivalMs = Long.MAX_VALUE;
            return false;
        }
        state.oldestUndeliveredArrivalMs = cut.firstArrivalMs();
        boolean due = cut.closed() || (closed && atEnd)
                || clock.millis() >= cut.firstArrivalMs() + cut.freshnessMs() + options.graceMs();
        if (!due) {
            return false;
        }
        Optional<StagedBatch> staged = stager.stage(spec, shard, cut.firstPosition());
        state.scan = null;
        if (staged.isEmpty()) {
            return false;
        }
        try (StagedBatch batch = staged.get()) {
            checkpoints.commitPending(spec.channelId(), shard.shardId(), batch.firstPosition(),
                    batch.nextPosition());
            deliver(channel, shard, state, batch);
        }
        return true;
    }

    /** Rebuilds and delivers the batch a failed or crashed attempt recorded as pending, exactly as it was cut. */
    private boolean redeliverPending(ChannelState channel, Shard shard, ShardState state, Checkpoint pending)
            throws IOException {
        DeliverySpec spec = channel.spec;
        state.scan = null;
        Optional<StagedBatch> staged = stager.stagePending(spec, shard, pending.nextPosition(),
                pending.pendingEndPosition());
        if (staged.isEmpty()) {
            LOG.warn("Channel {}: the records of shard {} from position {} to {} expired before they were "
                    + "delivered", spec.channelName(), shard.shardId(), pending.nextPosition(),
                    pending.pendingEndPosition() - 1);
            checkpoints.commit(spec.channelId(), shard.shardId(), pending.pendingEndPosition());
            return deliverNext(channel, shard, state);
        }
        try (StagedBatch batch = staged.get()) {
            deliver(channel, shard, state, batch);
        }
        return true;
    }

    /** Writes the batch's objects, then its checkpoint. */
    private void deliver(ChannelState channel, Shard shard, ShardState state, StagedBatch batch) {
        DeliverySpec spec = channel.spec;
        upload(spec, shard, batch);
        checkpoints.commit(spec.channelId(), shard.shardId(), batch.nextPosition());
        channel.stats.delivered(batch);
        listener.delivered(spec, batch.deliveredRecords(), batch.deadLetteredRecords(), batch.bytesIn(),
                batch.dataFile() != null ? batch.dataBytes() : 0);
        state.oldestUndeliveredArrivalMs = Long.MAX_VALUE;
        LOG.debug("Channel {} delivered shard {} positions {}..{}: {} records, {} dead-lettered",
                spec.channelName(), shard.shardId(), batch.firstPosition(), batch.nextPosition() - 1,
                batch.deliveredRecords(), batch.deadLetteredRecords());
    }

    private void upload(DeliverySpec spec, Shard shard, StagedBatch batch) {
        String suffix = KeyTemplate.suffix(spec.channelId(), shardNumber(shard.shardId()), batch.firstPosition());
        Instant firstArrival = Instant.ofEpochMilli(batch.firstArrivalMs());
        if (batch.dataFile() != null) {
            String key = spec.keyTemplate().expand(spec.channelName(), spec.channelId(), spec.streamName(),
                    firstArrival, suffix);
            destination.put(new ObjectTarget(spec.bucket(), key, spec.storageClass(), spec.expectedBucketOwner()),
                    batch.dataFile());
        }
        if (batch.dlqFile() != null) {
            destination.put(new ObjectTarget(spec.dlqBucket(), deadLetterKey(spec, firstArrival, suffix), "STANDARD",
                    spec.expectedBucketOwner()), batch.dlqFile());
        }
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

    /** One channel being delivered. */
    private static final class ChannelState {
        volatile DeliverySpec spec;
        final ChannelStats stats = new ChannelStats();
        final Map<String, ShardState> shards = new ConcurrentHashMap<>();

        ChannelState(DeliverySpec spec) {
            this.spec = spec;
        }

        ShardState shard(String shardId) {
            return shards.computeIfAbsent(shardId, id -> new ShardState());
        }
    }

    /** One shard of a channel; {@code scan} and {@code failures} are touched only by the task holding busy. */
    private static final class ShardState {
        final AtomicBoolean busy = new AtomicBoolean();
        final AtomicBoolean queued = new AtomicBoolean();
        volatile long retryAtMs;
        volatile long oldestUndeliveredArrivalMs = Long.MAX_VALUE;
        ShardScan scan;
        int failures;
    }
}
