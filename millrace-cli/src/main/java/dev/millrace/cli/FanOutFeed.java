package dev.millrace.cli;

import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.StartingPosition;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One shard read through enhanced fan-out: SubscribeToShard over HTTP/2, one event at a time (the subscriber asks
 * for the next event only once the tail has taken the previous one, so a slow terminal slows the server's pushing
 * rather than filling memory). A subscription lasts up to five minutes: when the server ends it, or when the
 * injected clock says five minutes have passed and it has not, the feed subscribes again after the last
 * continuation sequence number. ResourceInUseException (another subscription of the consumer to the shard, which
 * AWS keeps for a few seconds after the previous one ends) is retried after {@link #IN_USE_RETRY}.
 *
 * <p>Not thread-safe for {@link #next()} (one shard's steps run one at a time); the SDK's threads only add to a
 * concurrent queue.
 */
final class FanOutFeed implements ShardFeed {
    static final Duration SUBSCRIPTION_LIFETIME = Duration.ofMinutes(5);
    static final Duration IN_USE_RETRY = Duration.ofSeconds(2);
    private static final Object ENDED = new Object();

    private final KinesisAsyncClient kinesis;
    private final String consumerArn;
    private final String shardId;
    private final Clock clock;
    private final BlockingQueue<Object[]> events = new LinkedBlockingQueue<>();
    private StartingPosition position;
    private volatile int generation;
    private volatile Subscription subscription;
    private boolean active;
    private Instant subscribedAt;
    private Instant retryAt = Instant.MIN;

    FanOutFeed(KinesisAsyncClient kinesis, String consumerArn, String shardId, StartPosition start, Clock clock) {
        this.kinesis = kinesis;
        this.consumerArn = consumerArn;
        this.shardId = shardId;
        this.clock = clock;
        this.position = StartingPosition.builder().type(start.type()).sequenceNumber(start.sequenceNumber())
                .timestamp(start.timestamp()).build();
    }

    @Override
    public Batch next() {
        Instant now = clock.instant();
        if (!active && !now.isBefore(retryAt)) {
            subscribe(now);
        }
        Object[] tagged = events.poll();
        // Events of a subscription this feed has since replaced are dropped: the new one resumes after them.
        while (tagged != null && (int) tagged[0] != generation) {
            tagged = events.poll();
        }
        if (tagged == null) {
            if (active && !now.isBefore(subscribedAt.plus(SUBSCRIPTION_LIFETIME))) {
                endSubscription();
            }
            return null;
        }
        Object event = tagged[1];
        if (event == ENDED) {
            active = false;
            return null;
        }
        if (event instanceof Throwable failure) {
            active = false;
            if (ExitCode.unwrap(failure) instanceof ResourceInUseException) {
                retryAt = now.plus(IN_USE_RETRY);
                return null;
            }
            throw failure instanceof RuntimeException re ? re : new CompletionException(failure);
        }
        SubscribeToShardEvent e = (SubscribeToShardEvent) event;
        if (e.continuationSequenceNumber() != null) {
            position = StartingPosition.builder().type("AFTER_SEQUENCE_NUMBER")
                    .sequenceNumber(e.continuationSequenceNumber()).build();
        }
        Subscription s = subscription;
        if (s != null) {
            s.request(1);
        }
        boolean ended = e.continuationSequenceNumber() == null;
        return new Batch(e.records(), e.millisBehindLatest(), e.childShards(), ended, false);
    }

    private void subscribe(Instant now) {
        int gen = ++generation;
        active = true;
        subscribedAt = now;
        SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
                .onEventStream(publisher -> publisher.subscribe(new EventSubscriber(gen)))
                .onError(t -> { })
                .build();
        kinesis.subscribeToShard(b -> b.consumerARN(consumerArn).shardId(shardId).startingPosition(position),
                handler).whenComplete((ignored, failure) -> events.add(new Object[] {gen, failure == null ? ENDED
                : failure}));
    }

    private void endSubscription() {
        Subscription s = subscription;
        subscription = null;
        active = false;
        generation++;
        if (s != null) {
            s.cancel();
        }
    }

    @Override
    public void close() {
        endSubscription();
    }

    /** Adds a subscription's events to the queue, tagged with its generation; asks for one at a time. */
    private final class EventSubscriber implements Subscriber<SubscribeToShardEventStream> {
        private final int gen;

        EventSubscriber(int gen) {
            this.gen = gen;
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (gen != generation) {
                s.cancel();
                return;
            }
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(SubscribeToShardEventStream event) {
            if (event instanceof SubscribeToShardEvent e) {
                events.add(new Object[] {gen, e});
            } else if (subscription != null) {
                subscription.request(1);
            }
        }

        @Override
        public void onError(Throwable t) {
            // The call's future fails with the same error; it is queued from there.
        }

        @Override
        public void onComplete() {
            // Likewise: the future completes.
        }
    }
}
