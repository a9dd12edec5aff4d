package dev.millrace.loadgen;

import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads one shard through an enhanced fan-out consumer: SubscribeToShard (HTTP/2 event stream), and a new
 * subscription from the last ContinuationSequenceNumber (AFTER_SEQUENCE_NUMBER) when the server ends one (AWS does
 * after 5 minutes), when one fails, or when one has lasted 5 minutes on a server that does not end it. AWS accepts
 * one SubscribeToShard per second per consumer and shard, so a new subscription waits until a second has passed
 * since the previous one.
 *
 * <p>The first subscription starts at LATEST (or TRIM_HORIZON for a backlog read); {@link #start()}'s future
 * completes when the server has answered it (initial response or first event), so the producer starts after the
 * position is fixed.
 *
 * <p>Thread-safe: subscriptions follow one another; each has a generation number, so that the end of a
 * subscription this reader already replaced is ignored. Events arrive on the SDK's threads one at a time per
 * subscription (one event requested at a time).
 */
final class FanOutReader {
    static final long SUBSCRIPTION_NANOS = TimeUnit.MINUTES.toNanos(5);
    private static final long MIN_RESUBSCRIBE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final KinesisAsyncClient client;
    private final String consumerArn;
    private final String shardId;
    private final ShardIteratorType startType;
    private final ReadStats stats;
    private final ErrorCounts errors;
    private final ScheduledExecutorService timer;
    private final CompletableFuture<Void> live = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile boolean stopping;
    private volatile String continuation;
    private volatile int generation;
    private volatile long subscribedAtNanos;
    private volatile Subscription current;

    FanOutReader(KinesisAsyncClient client, String consumerArn, String shardId, ShardIteratorType startType,
                 ReadStats stats, ErrorCounts errors, ScheduledExecutorService timer) {
        this.client = client;
        this.consumerArn = consumerArn;
        this.shardId = shardId;
        this.startType = startType;
        this.stats = stats;
        this.errors = errors;
        this.timer = timer;
    }

    /** Subscribes; the returned future completes when the first subscription is live. */
    CompletableFuture<Void> start() {
        guarded(this::subscribe);
        return live;
    }

    /** Cancels the current subscription and makes no more. */
    CompletableFuture<Void> stop() {
        stopping = true;
        Subscription s = current;
        if (s != null) {
            s.cancel();
        }
        finished.complete(null);
        return finished;
    }

    private void subscribe() {
        int gen = ++generation;
        String after = continuation;
        StartingPosition position = after == null
                ? StartingPosition.builder().type(startType).build()
                : StartingPosition.builder().type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(after).build();
        subscribedAtNanos = System.nanoTime();
        SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
                .onResponse(r -> live.complete(null))
                .onEventStream(publisher -> publisher.subscribe(new Events(gen)))
                // The call's future reports the same failure; it is counted there, once.
                .onError(t -> { })
                .build();
        client.subscribeToShard(b -> b.consumerARN(consumerArn).shardId(shardId).startingPosition(position), handler)
                .whenComplete((ignored, failure) -> guarded(() -> ended(gen, failure)));
    }

    private void ended(int gen, Throwable failure) {
        if (stopping || gen != generation || finished.isDone()) {
            return;
        }
        if (failure != null) {
            errors.failedCall("SubscribeToShard", failure);
        }
        resubscribe();
    }

    private void resubscribe() {
        // Supersede the subscription now, so that its end (which may still come) is not taken for a failure.
        generation++;
        long waitNanos = Math.max(0, subscribedAtNanos + MIN_RESUBSCRIBE_NANOS - System.nanoTime());
        timer.schedule(() -> guarded(() -> {
            if (!stopping) {
                subscribe();
            }
        }), waitNanos, TimeUnit.NANOSECONDS);
    }

    private void guarded(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException | Error e) {
            errors.failedCall("FanOutReader", e);
            live.completeExceptionally(e);
            finished.completeExceptionally(e);
        }
    }

    /**
     * One subscription's events, requested one at a time.
     *
     * <p>Not thread-safe on its own; the SDK delivers its signals serially.
     */
    private final class Events implements Subscriber<SubscribeToShardEventStream> {
        private final int gen;
        private Subscription subscription;

        Events(int gen) {
            this.gen = gen;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            current = s;
            if (stopping) {
                s.cancel();
            } else {
                s.request(1);
            }
        }

        @Override
        public void onNext(SubscribeToShardEventStream event) {
            guarded(() -> next(event));
        }

        private void next(SubscribeToShardEventStream event) {
            long nowNanos = System.nanoTime();
            live.complete(null);
            if (event instanceof SubscribeToShardEvent e) {
                stats.add(ReadStats.dataOf(e.records()), nowNanos);
                if (e.continuationSequenceNumber() == null) {
                    // The shard is closed and fully read (the event lists its children).
                    finished.complete(null);
                    subscription.cancel();
                    return;
                }
                continuation = e.continuationSequenceNumber();
            }
            if (stopping || gen != generation) {
                subscription.cancel();
            } else if (nowNanos - subscribedAtNanos >= SUBSCRIPTION_NANOS) {
                subscription.cancel();
                resubscribe();
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            // Reported by the call's future (see ended).
        }

        @Override
        public void onComplete() {
            // Reported by the call's future (see ended).
        }
    }
}
