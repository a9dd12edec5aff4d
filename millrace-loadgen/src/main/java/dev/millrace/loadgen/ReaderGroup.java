package dev.millrace.loadgen;

import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * The run's readers: one {@link PollingReader} per shard and/or one {@link FanOutReader} per shard (through one
 * consumer per stream), with their {@link ReadStats}.
 *
 * <p>Not thread-safe; the run's main thread starts and stops it (the readers themselves run on SDK threads).
 */
final class ReaderGroup {
    private static final Duration LIVE_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final List<PollingReader> polling = new ArrayList<>();
    private final List<FanOutReader> fanOut = new ArrayList<>();
    final ReadStats pollingStats;
    final ReadStats fanOutStats;

    /**
     * @param consumerArns one per target, in the same order; empty unless fan-out readers are asked for
     * @param backlog      true to read from TRIM_HORIZON after the puts, false to follow the stream from LATEST
     */
    ReaderGroup(BenchSettings settings, KinesisClients clients, List<StreamSetup.Target> targets,
                List<String> consumerArns, boolean backlog, long runId, RunClock clock, ErrorCounts errors,
                ScheduledExecutorService timer) {
        ShardIteratorType start = backlog ? ShardIteratorType.TRIM_HORIZON : ShardIteratorType.LATEST;
        this.pollingStats = settings.readers().polling() ? new ReadStats(runId, settings.payload(), clock, !backlog) : null;
        this.fanOutStats = settings.readers().fanOut() ? new ReadStats(runId, settings.payload(), clock, !backlog) : null;
        for (int t = 0; t < targets.size(); t++) {
            StreamSetup.Target target = targets.get(t);
            for (String shardId : target.shardIds()) {
                if (pollingStats != null) {
                    polling.add(new PollingReader(clients.data(), clients.getRecords(), target.name(), shardId,
                            start, settings, pollingStats, errors, timer));
                }
                if (fanOutStats != null) {
                    fanOut.add(new FanOutReader(clients.fanOut(), consumerArns.get(t), shardId, start, fanOutStats,
                            errors, timer));
                }
            }
        }
    }

    /** Starts every reader and waits until each holds its position in its shard. */
    void start() throws InterruptedException {
        List<CompletableFuture<Void>> live = new ArrayList<>();
        polling.forEach(r -> live.add(r.start()));
        fanOut.forEach(r -> live.add(r.start()));
        await(live, LIVE_TIMEOUT, "readers did not get their position in the shards");
    }

    /**
     * Waits until every kind of reader has read {@code target} records (as counted by {@code read}) or the deadline
     * passes; returns true if they all did.
     */
    boolean awaitRecords(LongSupplier target, boolean countAll, long deadlineNanos) throws InterruptedException {
        while (true) {
            boolean done = (pollingStats == null || read(pollingStats, countAll) >= target.getAsLong())
                    && (fanOutStats == null || read(fanOutStats, countAll) >= target.getAsLong());
            if (done) {
                return true;
            }
            if (System.nanoTime() > deadlineNanos) {
                return false;
            }
            Thread.sleep(5);
        }
    }

    static long read(ReadStats stats, boolean countAll) {
        return countAll ? stats.recordsAll.sum() : stats.recordsMeasured.sum();
    }

    void stop() throws InterruptedException {
        List<CompletableFuture<Void>> finished = new ArrayList<>();
        polling.forEach(r -> finished.add(r.stop()));
        fanOut.forEach(r -> finished.add(r.stop()));
        await(finished, STOP_TIMEOUT, "readers did not stop");
    }

    private static void await(List<CompletableFuture<Void>> futures, Duration timeout, String what)
            throws InterruptedException {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            long pending = futures.stream().filter(f -> !f.isDone()).count();
            throw new IllegalStateException(what + " within " + timeout + " (" + pending + " of " + futures.size()
                    + " pending)", e);
        }
    }
}
