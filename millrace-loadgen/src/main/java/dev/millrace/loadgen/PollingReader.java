package dev.millrace.loadgen;

import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads one shard with GetShardIterator (the SDK's) and a chain of GetRecords calls ({@link GetRecordsClient})
 * that follows {@code NextShardIterator}, one call at a time: the next call leaves from the previous one's callback,
 * at once if it returned records and after {@code --poll-idle-ms} if the reader had caught up (AWS allows five
 * GetRecords per second per shard).
 *
 * <p>Starts at LATEST (fetched before the producer starts, so it sees every record put after) or, for a backlog
 * read, at TRIM_HORIZON. After an ExpiredIteratorException it asks for a new iterator after the last sequence
 * number it read. Every failed call is counted; the chain then tries again after a pause.
 *
 * <p>Thread-safe: the chain runs one call at a time, each callback on whichever thread completed the call;
 * {@link #stop()} may be called from any thread.
 */
final class PollingReader {
    private final KinesisAsyncClient client;
    private final GetRecordsClient getRecords;
    private final String streamName;
    private final String shardId;
    private final ShardIteratorType startType;
    private final int limit;
    private final long pollIdleMs;
    private final ReadStats stats;
    private final ErrorCounts errors;
    private final ScheduledExecutorService timer;
    private final CompletableFuture<Void> live = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile boolean stopping;
    /** The last sequence number read; written and read only by the chain, one callback after another. */
    private volatile String lastSequenceNumber;

    PollingReader(KinesisAsyncClient client, GetRecordsClient getRecords, String streamName, String shardId,
                  ShardIteratorType startType, BenchSettings settings, ReadStats stats, ErrorCounts errors,
                  ScheduledExecutorService timer) {
        this.client = client;
        this.getRecords = getRecords;
        this.streamName = streamName;
        this.shardId = shardId;
        this.startType = startType;
        this.limit = settings.getRecordsLimit();
        this.pollIdleMs = settings.pollIdleMs();
        this.stats = stats;
        this.errors = errors;
        this.timer = timer;
    }

    /** Starts the chain; the returned future completes once the reader holds its first iterator. */
    CompletableFuture<Void> start() {
        guarded(this::getIterator);
        return live;
    }

    /** Ends the chain at its next step; the returned future completes when it has. */
    CompletableFuture<Void> stop() {
        stopping = true;
        return finished;
    }

    private void getIterator() {
        String after = lastSequenceNumber;
        client.getShardIterator(b -> {
            b.streamName(streamName).shardId(shardId);
            if (after == null) {
                b.shardIteratorType(startType);
            } else {
                b.shardIteratorType(ShardIteratorType.AFTER_SEQUENCE_NUMBER).startingSequenceNumber(after);
            }
        }).whenComplete((response, failure) -> guarded(() -> {
            if (stopping) {
                finished.complete(null);
            } else if (failure != null) {
                errors.failedCall("GetShardIterator", failure);
                later(this::getIterator, errorPauseMs());
            } else {
                live.complete(null);
                poll(response.shardIterator());
            }
        }));
    }

    private void poll(String iterator) {
        getRecords.getRecords(iterator, limit)
                .whenComplete((page, failure) -> guarded(() -> polled(iterator, page, failure)));
    }

    private void polled(String iterator, GetRecordsClient.Page page, Throwable failure) {
        long nowNanos = System.nanoTime();
        if (stopping) {
            finished.complete(null);
            return;
        }
        if (failure != null) {
            errors.failedCall("GetRecords", failure);
            if ("ExpiredIteratorException".equals(ErrorCounts.errorType(failure))) {
                later(this::getIterator, 0);
            } else {
                later(() -> poll(iterator), errorPauseMs());
            }
            return;
        }
        int n = page.data().size();
        stats.add(page.data(), nowNanos);
        if (n > 0) {
            lastSequenceNumber = page.lastSequenceNumber();
        }
        String next = page.nextShardIterator();
        if (next == null) {
            // The shard was closed by a reshard: nothing more will ever be in it.
            finished.complete(null);
        } else if (n == 0) {
            later(() -> poll(next), pollIdleMs);
        } else {
            poll(next);
        }
    }

    private long errorPauseMs() {
        return Math.max(pollIdleMs, 500);
    }

    private void later(Runnable step, long delayMs) {
        timer.schedule(() -> guarded(() -> {
            if (stopping) {
                finished.complete(null);
            } else {
                step.run();
            }
        }), delayMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs a step of the chain. A step that throws would otherwise vanish into a future nobody reads and silently
     * end the reader; instead it is counted and ends the reader with that failure, which the run reports.
     */
    private void guarded(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            errors.failedCall("PollingReader", e);
            live.completeExceptionally(e);
            finished.completeExceptionally(e);
        }
    }
}
