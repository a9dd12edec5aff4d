package dev.millrace.lambda.poll;

import dev.millrace.channels.delivery.ShardSource;
import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.lambda.FunctionRegistry;
import dev.millrace.lambda.StreamLookup;
import dev.millrace.lambda.invoke.BatchContext;
import dev.millrace.lambda.invoke.FunctionInvoker;
import dev.millrace.lambda.mapping.EventSourceMapping;
import dev.millrace.lambda.mapping.MappingState;
import dev.millrace.lambda.mapping.MappingStore;
import dev.millrace.lambda.poll.MappingCheckpoints.Checkpoint;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the account region's event source mappings: for every enabled mapping, one {@link ShardWorker} per shard of its
 * stream (children once their parents are done), invoking the mapping's function over HTTP; and moves mappings' states
 * on (Creating → Enabled once its starting checkpoints are committed, Disabling → Disabled once its batches ended,
 * Updating → Enabled with workers on the new settings, Deleting → gone with its checkpoints).
 *
 * <p>A poll (every {@code pollIntervalMs}, on one thread) reads the mappings, settles their states and ticks every
 * worker; batches run on a bounded pool of invocation threads. Between polls a worker is ticked alone, on the same
 * poll thread, when one of its batches ends and when records are appended to its shard ({@link TickWakeup}): a
 * backlog drains as fast as the function takes batches, and a record put into an idle stream is invoked at once. A
 * change to the mappings queues a poll at once too. On a cluster the engine works only while
 * {@code active} says so (the metadata writer, as channels' delivery), and the shard source gives it the shards it
 * processes: each shard is processed by one node.
 *
 * <p>Thread-safe: the poll thread owns the mappings' work (the works, their workers, every tick); invocation threads
 * run batches and wake workers, appending threads wake them; {@link #close} stops it.
 */
public final class MappingEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MappingEngine.class);

    /**
     * @param pollIntervalMs     how often the mappings and shards are looked at; a worker is also ticked when its
     *                           batch ends or its shard is appended to ({@link TickWakeup}), so this bounds only how
     *                           late a change no one announces is seen (a batching window's end, a parent shard
     *                           done)
     * @param invocationThreads  invocations (and their retries' waits) at once, over every mapping
     * @param connectTimeout     to a function's endpoint
     * @param invocationTimeout  the function's timeout: how long an invocation may run
     * @param backoffBaseMs      the first wait before a retry, doubling per failure
     * @param backoffMaxMs       the longest wait
     * @param readAheadBytes     events read ahead (queued, not yet in a batch) at most, over every mapping and shard
     *                           ({@link ReadBudget})
     */
    public record Options(long pollIntervalMs, int invocationThreads, Duration connectTimeout,
                          Duration invocationTimeout, long backoffBaseMs, long backoffMaxMs, long readAheadBytes) {

        /**
         * 256 MiB read ahead: a full 6 MB event ahead for some 40 lanes at once, a bounded share of a server's heap
         * per engine (one per account and region); past it, a worker with an empty queue, or an idle lane whose
         * queue is empty, still reads up to 6 MB (so that stuck mappings or lanes cannot starve the others).
         */
        public static final long DEFAULT_READ_AHEAD_BYTES = 256L * 1024 * 1024;

        public Options(long pollIntervalMs, int invocationThreads, Duration connectTimeout,
                       Duration invocationTimeout, long backoffBaseMs, long backoffMaxMs) {
            this(pollIntervalMs, invocationThreads, connectTimeout, invocationTimeout, backoffBaseMs, backoffMaxMs,
                    DEFAULT_READ_AHEAD_BYTES);
        }

        /** These options with invocations allowed {@code timeout} (the functions' Timeout). */
        public Options withInvocationTimeout(Duration timeout) {
            return new Options(pollIntervalMs, invocationThreads, connectTimeout, timeout, backoffBaseMs,
                    backoffMaxMs, readAheadBytes);
        }

        public static Options defaults() {
            return new Options(200, 32, Duration.ofSeconds(5), Duration.ofSeconds(60), 500, 30_000);
        }
    }

    /** One mapping's workers at one version of its settings. */
    private static final class Work {
        final MappingRun run;
        final String streamArn;
        final long streamCreatedMs;
        final Map<String, ShardWorker> workers = new HashMap<>();
        /** Per shard whose worker stopped on a failure since it last made progress. */
        final Map<String, RestartBackoff> restarts = new HashMap<>();

        Work(MappingRun run, String streamArn, long streamCreatedMs) {
            this.run = run;
            this.streamArn = streamArn;
            this.streamCreatedMs = streamCreatedMs;
        }

        void stop() {
            workers.values().forEach(ShardWorker::stop);
        }

        boolean idle() {
            return workers.values().stream().allMatch(ShardWorker::idle);
        }
    }

    private final MappingStore store;
    private final MappingCheckpoints checkpoints;
    private final ShardSource shards;
    private final StreamLookup streams;
    private final FunctionRegistry functions;
    private final FailureDestinations failures;
    private final MappingListener listener;
    private final Options options;
    private final Clock clock;
    private final String region;
    private final String accountId;
    private final BooleanSupplier active;
    /** Owned by the poll thread. */
    private final Map<String, Work> works = new HashMap<>();
    private ScheduledExecutorService poller;
    /** The poll thread for workers' wake-ups: not cleared by {@link #close}, which shuts it down. */
    private volatile ScheduledExecutorService pollThread;
    private ThreadPoolExecutor invocations;
    /** Schedules the next step of batches waiting out a retry's backoff. */
    private ScheduledExecutorService retryTimer;
    private FunctionInvoker invoker;
    private Registration changes;
    private final ReadBudget readBudget;
    /** Whether a poll for a change is queued (changes coalesce into it). */
    private final AtomicBoolean changePollQueued = new AtomicBoolean();

    public MappingEngine(MappingStore store, MetadataStore metadata, ShardSource shards, StreamLookup streams,
                         FunctionRegistry functions, FailureDestinations failures, MappingListener listener,
                         Options options, Clock clock, String region, String accountId, BooleanSupplier active) {
        this.store = store;
        this.checkpoints = new MappingCheckpoints(metadata);
        this.shards = shards;
        this.streams = streams;
        this.functions = functions;
        this.failures = failures;
        this.listener = listener;
        this.options = options;
        this.clock = clock;
        this.region = region;
        this.accountId = accountId;
        this.active = active;
        this.readBudget = new ReadBudget(options.readAheadBytes());
    }

    /** Starts polling. */
    public synchronized void start() {
        if (poller != null) {
            return;
        }
        invoker = new FunctionInvoker(options.connectTimeout());
        AtomicInteger threadNumber = new AtomicInteger();
        invocations = new ThreadPoolExecutor(options.invocationThreads(), options.invocationThreads(), 60,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "millrace-esm-invoke-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        invocations.allowCoreThreadTimeOut(true);
        retryTimer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "millrace-esm-retries");
            thread.setDaemon(true);
            return thread;
        });
        poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "millrace-esm-poll");
            thread.setDaemon(true);
            return thread;
        });
        pollThread = poller;
        poller.scheduleWithFixedDelay(this::poll, 0, options.pollIntervalMs(), TimeUnit.MILLISECONDS);
        // A change (a new mapping, a deletion) is acted on at once rather than at the next poll; changes that come
        // while one such poll waits are its (each batch's LastProcessingResult is a change).
        changes = store.onChange(() -> {
            ScheduledExecutorService p = poller;
            if (p != null && !p.isShutdown() && changePollQueued.compareAndSet(false, true)) {
                try {
                    p.execute(() -> {
                        changePollQueued.set(false);
                        poll();
                    });
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // Closing.
                }
            }
        });
    }

    private void poll() {
        try {
            if (!active.getAsBoolean()) {
                works.values().forEach(Work::stop);
                works.values().removeIf(Work::idle);
                return;
            }
            Set<String> seen = new HashSet<>();
            for (EventSourceMapping mapping : store.all()) {
                seen.add(mapping.uuid());
                try {
                    handle(mapping);
                } catch (RuntimeException e) {
                    LOG.warn("Event source mapping {}: {}", mapping.uuid(), e.toString(), e);
                }
            }
            works.entrySet().removeIf(entry -> {
                if (seen.contains(entry.getKey())) {
                    return false;
                }
                entry.getValue().stop();
                return entry.getValue().idle();
            });
        } catch (RuntimeException e) {
            LOG.warn("Event source mappings could not be polled: {}", e.toString(), e);
        }
    }

    private void handle(EventSourceMapping mapping) {
        Work work = works.get(mapping.uuid());
        MappingState state = mapping.state();
        if (state == MappingState.DELETING || !mapping.enabled()) {
            if (work != null) {
                work.stop();
                if (!work.idle()) {
                    return;
                }
                works.remove(mapping.uuid());
            }
            if (state == MappingState.DELETING) {
                checkpoints.forget(mapping.uuid());
            }
            if (!state.settled()) {
                store.settle(mapping.uuid(), mapping.lastModifiedMs());
            }
            return;
        }
        if (work != null && !sameSettings(work.run.mapping(), mapping)) {
            work.stop();
            if (!work.idle()) {
                return;
            }
            works.remove(mapping.uuid());
            work = null;
        }
        if (work == null) {
            work = begin(mapping);
            if (work == null) {
                // Settled all the same, as Lambda does: LastProcessingResult says what is wrong (a stream or a
                // function missing), and the work begins once it is there.
                if (!state.settled()) {
                    store.settle(mapping.uuid(), mapping.lastModifiedMs());
                }
                return;
            }
            works.put(mapping.uuid(), work);
        }
        if (!state.settled()) {
            store.settle(mapping.uuid(), mapping.lastModifiedMs());
        }
        tick(work);
    }

    /** The work of a mapping about to run, its starting checkpoints committed if it is new; null if it cannot run. */
    private Work begin(EventSourceMapping mapping) {
        String streamArn = mapping.eventSourceArn().contains("/consumer/")
                ? streams.consumerStream(mapping.eventSourceArn()).orElse(null)
                : mapping.eventSourceArn();
        OptionalLong createdMs = streamArn == null ? OptionalLong.empty() : streams.streamCreatedMs(streamArn);
        if (createdMs.isEmpty()) {
            problem(mapping, "Stream not found: " + mapping.eventSourceArn());
            return null;
        }
        Optional<URI> url = functions.url(mapping.functionName());
        if (url.isEmpty()) {
            problem(mapping, "Function not found: " + mapping.functionArn() + " (no --function "
                    + mapping.functionName() + "=URL)");
            return null;
        }
        long created = createdMs.getAsLong();
        MappingRun run = new MappingRun(mapping, url.get(), BatchContext.streamArnOf(streamArn), services(),
                shard -> parentsDone(mapping, streamArn, created, shard));
        if (!checkpoints.started(mapping.uuid())) {
            // New (created now, or created disabled and enabled now): where it starts is fixed once, with the marker.
            List<Shard> current = shards.shards(streamArn, created);
            checkpoints.markStarted(mapping.uuid(), startingPosition(mapping), () -> startingCheckpoints(mapping,
                    current));
        }
        return new Work(run, streamArn, created);
    }

    private static String startingPosition(EventSourceMapping mapping) {
        return mapping.startingPosition().equals("AT_TIMESTAMP")
                ? "AT_TIMESTAMP " + mapping.startingPositionTimestampMs() : mapping.startingPosition();
    }

    /**
     * LATEST and AT_TIMESTAMP fix where each shard the stream has now starts, before the mapping says Enabled: records
     * put after that are processed, whenever the workers first read. TRIM_HORIZON needs nothing (no checkpoint means
     * the shard's start). Shards born later are read from their start.
     */
    private static Map<String, Checkpoint> startingCheckpoints(EventSourceMapping mapping, List<Shard> current) {
        Map<String, Checkpoint> starts = new HashMap<>();
        if (mapping.startingPosition().equals("TRIM_HORIZON")) {
            return starts;
        }
        for (Shard shard : current) {
            long start = mapping.startingPosition().equals("AT_TIMESTAMP")
                    ? shard.log().positionAtOrAfter(mapping.startingPositionTimestampMs())
                    // Fresh: on Kafka, a shard another node appends to may have a cached end behind its records.
                    : shard.log().freshEndPosition();
            starts.put(shard.shardId(), Checkpoint.at(start));
        }
        return starts;
    }

    /** Whether the shard's parents are done for the mapping, or gone from the stream (expired). */
    private boolean parentsDone(EventSourceMapping mapping, String streamArn, long streamCreatedMs, Shard shard) {
        for (String parent : new String[] {shard.parentShardId(), shard.adjacentParentShardId()}) {
            if (parent == null) {
                continue;
            }
            boolean present = shards.shards(streamArn, streamCreatedMs).stream()
                    .anyMatch(s -> s.shardId().equals(parent));
            if (present && !checkpoints.read(mapping.uuid(), parent).map(Checkpoint::shardDone).orElse(false)) {
                return false;
            }
        }
        return true;
    }

    private void tick(Work work) {
        List<Shard> current = shards.shards(work.streamArn, work.streamCreatedMs);
        Set<String> ids = new HashSet<>();
        for (Shard shard : current) {
            ids.add(shard.shardId());
            ShardWorker worker = work.workers.computeIfAbsent(shard.shardId(), id -> new ShardWorker(work.run, shard));
            if (!worker.running()) {
                // Stopped by a failure (a log that cannot be read, a checkpoint the store refused) or a
                // lost checkpoint race: start again from the stored checkpoint, after a backoff that doubles per
                // failure so that a lasting one does not invoke the function in a loop.
                if (!worker.idle() || !restartDue(work, shard.shardId())) {
                    continue;
                }
                worker = new ShardWorker(work.run, shard);
                work.workers.put(shard.shardId(), worker);
            } else if (worker.progressed() && work.restarts.containsKey(shard.shardId())) {
                // Working again: a later failure waits the base backoff, not the doubled one of a lasting failure.
                work.restarts.get(shard.shardId()).progressed();
            }
            worker.tryTick();
        }
        work.workers.entrySet().removeIf(entry -> {
            if (ids.contains(entry.getKey())) {
                return false;
            }
            entry.getValue().stop();
            return entry.getValue().idle();
        });
        work.restarts.keySet().retainAll(ids);
    }

    /** Whether a stopped worker of the shard may be replaced now ({@link RestartBackoff}). */
    private boolean restartDue(Work work, String shardId) {
        RestartBackoff backoff = work.restarts.computeIfAbsent(shardId,
                id -> new RestartBackoff(options.backoffBaseMs(), options.backoffMaxMs()));
        // Monotonic: a wall clock stepped back must not hold the shard for as long.
        if (!backoff.due(System.nanoTime() / 1_000_000L)) {
            return false;
        }
        LOG.info("Event source mapping {} shard {}: starting again from the checkpoint (restart {})",
                work.run.mapping().uuid(), shardId, backoff.restarts());
        return true;
    }

    /** LastProcessingResult for a mapping that cannot run (the store commits only a change). */
    private void problem(EventSourceMapping mapping, String detail) {
        store.recordProcessingResult(mapping.uuid(), "PROBLEM: " + detail);
    }

    /** Whether two versions of a mapping process alike (its state and status lines aside). */
    private static boolean sameSettings(EventSourceMapping a, EventSourceMapping b) {
        return a.functionArn().equals(b.functionArn()) && a.batchSize() == b.batchSize()
                && a.maximumBatchingWindowSeconds() == b.maximumBatchingWindowSeconds()
                && a.parallelizationFactor() == b.parallelizationFactor()
                && a.maximumRecordAgeSeconds() == b.maximumRecordAgeSeconds()
                && a.bisectBatchOnFunctionError() == b.bisectBatchOnFunctionError()
                && a.maximumRetryAttempts() == b.maximumRetryAttempts()
                && a.tumblingWindowSeconds() == b.tumblingWindowSeconds()
                && a.functionResponseTypes().equals(b.functionResponseTypes())
                && a.filterPatterns().equals(b.filterPatterns())
                && Objects.equals(a.onFailureDestination(), b.onFailureDestination());
    }

    /** Runs a worker's woken tick on the poll thread; false once the engine is closing. */
    private boolean scheduleTick(Runnable tick, long delayNs) {
        ScheduledExecutorService p = pollThread;
        if (p == null || p.isShutdown()) {
            return false;
        }
        try {
            p.schedule(tick, delayNs, TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return false;
        }
    }

    private MappingRun.Services services() {
        return new MappingRun.Services(store, checkpoints, invoker, failures, listener, invocations, retryTimer,
                this::scheduleTick, readBudget, clock, options.invocationTimeout(), options.backoffBaseMs(),
                options.backoffMaxMs(), region, accountId, active);
    }

    /** Stops polling and every batch, interrupting invocations under way; waits a few seconds for them to end. */
    @Override
    public void close() {
        ScheduledExecutorService p;
        synchronized (this) {
            p = poller;
            poller = null;
        }
        if (p == null) {
            return;
        }
        if (changes != null) {
            changes.close();
        }
        // The caller's interrupt is put aside for the close and set again after: an interrupted wait would skip the
        // batches' ends, and an interrupted thread's file write closes the metadata store's channel for everyone (as
        // in the workers' endBatch). An interrupt during the close cuts its waits short, no more.
        boolean interrupted = Thread.interrupted();
        try {
            stopAndCommit(p);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            // Whatever was cut short: no thread of the engine outlives it.
            retryTimer.shutdownNow();
            invocations.shutdownNow();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        invoker.close();
    }

    /**
     * {@link #close}'s work: the poll thread stops (the works are its own until then; if it does not stop, they are
     * left to it), batches end or are interrupted after a few seconds, and the workers make their last commits.
     *
     * @throws InterruptedException if a wait is interrupted: what follows it is skipped (checkpoints are then behind,
     *                              so some records are invoked again, as after a crash)
     */
    private void stopAndCommit(ScheduledExecutorService p) throws InterruptedException {
        p.shutdown();
        if (!p.awaitTermination(10, TimeUnit.SECONDS)) {
            p.shutdownNow();
            if (!p.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Event source mappings of {} in {}: the poll thread did not stop; its work is left to it",
                        accountId, region);
                return;
            }
        }
        works.values().forEach(Work::stop);
        // Waiting batches are stepped at once by their worker's stop (they end, as stopped); the timer is not needed.
        retryTimer.shutdown();
        // Stopped workers end their batches at the next step; an invocation still under way after a few seconds is
        // interrupted and gives up its call (the function may still run it): its batch is invoked again from the
        // checkpoint after the restart, as after a crash. Workers clear the interrupt before touching the store.
        invocations.shutdown();
        if (!invocations.awaitTermination(5, TimeUnit.SECONDS)) {
            invocations.shutdownNow();
            invocations.awaitTermination(5, TimeUnit.SECONDS);
        }
        // The workers' last commits (a running worker puts its commits off): a graceful close leaves every checkpoint
        // behind what ended, so that nothing is invoked again after the restart. A worker still invoking is skipped.
        for (Work work : works.values()) {
            work.workers.values().forEach(ShardWorker::idle);
        }
    }
}
