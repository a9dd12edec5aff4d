package dev.millrace.cli;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.async.SdkPublisher;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEventStream;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponse;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FanOutFeed} on a fake async client whose subscriptions the test drives, and a clock the test moves:
 * renewal after five minutes, resubscription after the server ends a subscription, and the wait after
 * ResourceInUseException, each resuming after the last continuation sequence number.
 */
class FanOutFeedTest {
    private final MovableClock clock = new MovableClock();
    private final FakeAsync kinesis = new FakeAsync();
    private final FanOutFeed feed = new FanOutFeed(kinesis, "arn:consumer", "shardId-000000000000",
            StartPosition.LATEST, clock);

    @Test
    void eventsComeOneAtATimeAndTheSubscriptionIsRenewedAfterFiveMinutes() {
        assertThat(feed.next()).as("subscribed, nothing yet").isNull();
        assertThat(kinesis.requests).hasSize(1);
        assertThat(kinesis.requests.get(0).startingPosition().type()).isEqualTo(ShardIteratorType.LATEST);
        assertThat(kinesis.requested(0)).isEqualTo(1);

        kinesis.push(0, event("11", "a"));
        ShardFeed.Batch batch = feed.next();
        assertThat(batch.records()).extracting(Record::sequenceNumber).containsExactly("11");
        assertThat(batch.ended()).isFalse();
        assertThat(kinesis.requested(0)).as("the next event asked for once this one was taken").isEqualTo(2);

        clock.advance(Duration.ofMinutes(4));
        assertThat(feed.next()).isNull();
        assertThat(kinesis.cancelled.get(0)).isFalse();
        clock.advance(Duration.ofMinutes(1));
        assertThat(feed.next()).isNull();
        assertThat(kinesis.cancelled.get(0)).as("ended by the client after 5 minutes").isTrue();
        feed.next();
        assertThat(kinesis.requests).hasSize(2);
        assertThat(kinesis.requests.get(1).startingPosition().type())
                .isEqualTo(ShardIteratorType.AFTER_SEQUENCE_NUMBER);
        assertThat(kinesis.requests.get(1).startingPosition().sequenceNumber()).isEqualTo("11");

        kinesis.push(0, event("12", "stale"));
        assertThat(feed.next()).as("an event of the replaced subscription is dropped").isNull();
    }

    @Test
    void aSubscriptionTheServerEndsIsFollowedByAnotherAfterTheLastContinuation() {
        feed.next();
        kinesis.push(0, event("20", "x"));
        feed.next();
        kinesis.futures.get(0).complete(null);
        assertThat(feed.next()).isNull();
        feed.next();
        assertThat(kinesis.requests).hasSize(2);
        assertThat(kinesis.requests.get(1).startingPosition().sequenceNumber()).isEqualTo("20");
    }

    @Test
    void resourceInUseIsRetriedAfterAWaitAndOtherFailuresAreThrown() {
        feed.next();
        kinesis.futures.get(0).completeExceptionally(ResourceInUseException.builder().message("in use").build());
        assertThat(feed.next()).isNull();
        feed.next();
        assertThat(kinesis.requests).as("not before the wait").hasSize(1);
        clock.advance(FanOutFeed.IN_USE_RETRY);
        feed.next();
        assertThat(kinesis.requests).hasSize(2);

        kinesis.futures.get(1).completeExceptionally(new IllegalStateException("broken"));
        org.assertj.core.api.Assertions.assertThatThrownBy(feed::next).hasMessageContaining("broken");
    }

    @Test
    void theEndOfAShardIsAnEventWithoutContinuation() {
        feed.next();
        kinesis.push(0, SubscribeToShardEvent.builder().records(List.of()).millisBehindLatest(0L)
                .childShards(cs -> cs.shardId("shardId-000000000001").parentShards("shardId-000000000000")).build());
        ShardFeed.Batch end = feed.next();
        assertThat(end.ended()).isTrue();
        assertThat(end.childShards()).hasSize(1);
    }

    private static SubscribeToShardEvent event(String sequenceNumber, String data) {
        return SubscribeToShardEvent.builder().continuationSequenceNumber(sequenceNumber).millisBehindLatest(0L)
                .records(Record.builder().sequenceNumber(sequenceNumber).partitionKey("k")
                        .data(SdkBytes.fromUtf8String(data)).approximateArrivalTimestamp(Instant.EPOCH).build())
                .build();
    }

    /** A clock the test moves by hand. */
    private static final class MovableClock extends Clock {
        private Instant now = Instant.parse("2026-12-06T14:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** Subscriptions the test drives: their requests, subscribers, demand, cancellation and futures. */
    private static final class FakeAsync implements KinesisAsyncClient {
        final List<SubscribeToShardRequest> requests = new ArrayList<>();
        final List<Subscriber<? super SubscribeToShardEventStream>> subscribers = new ArrayList<>();
        final List<long[]> demand = new ArrayList<>();
        final List<Boolean> cancelled = new ArrayList<>();
        final List<CompletableFuture<Void>> futures = new ArrayList<>();

        @Override
        public CompletableFuture<Void> subscribeToShard(SubscribeToShardRequest request,
                                                        SubscribeToShardResponseHandler handler) {
            int index = requests.size();
            requests.add(request);
            demand.add(new long[1]);
            cancelled.add(false);
            CompletableFuture<Void> future = new CompletableFuture<>();
            futures.add(future);
            handler.responseReceived(SubscribeToShardResponse.builder().build());
            handler.onEventStream(SdkPublisher.adapt(subscriber -> {
                subscribers.add(subscriber);
                subscriber.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        demand.get(index)[0] += n;
                    }

                    @Override
                    public void cancel() {
                        cancelled.set(index, true);
                    }
                });
            }));
            return future;
        }

        long requested(int subscription) {
            return demand.get(subscription)[0];
        }

        void push(int subscription, SubscribeToShardEvent event) {
            subscribers.get(subscription).onNext(event);
        }

        @Override
        public String serviceName() {
            return "kinesis";
        }

        @Override
        public void close() {
        }
    }
}
