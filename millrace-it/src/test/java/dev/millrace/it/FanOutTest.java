package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Enhanced fan-out with the AWS SDK for Java v2 async client over HTTP/2: registered consumers, SubscribeToShard
 * delivering every record in order from TRIM_HORIZON and from LATEST, the 5-second re-subscribe rule, and the end of
 * a split shard answered with ChildShards and no continuation.
 */
class FanOutTest {
    @TempDir
    static Path dir;
    private static MillraceProcess server;
    private static KinesisClient kinesis;
    private static KinesisAsyncClient async;

    @BeforeAll
    static void start() {
        server = MillraceProcess.start(dir.resolve("data"));
        kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder());
        async = Clients.async(server.endpoint(), new Clients.Recorder());
    }

    @AfterAll
    static void stop() {
        async.close();
        kinesis.close();
        assertThat(server.stop()).isZero();
    }

    private static String register(String stream, String consumer) {
        String streamArn = "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream;
        String arn = kinesis.registerStreamConsumer(b -> b.streamARN(streamArn).consumerName(consumer))
                .consumer().consumerARN();
        await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.describeStreamConsumer(b -> b.consumerARN(arn))
                .consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
        return arn;
    }

    private static void putMany(String stream, int count) {
        for (int done = 0; done < count; done += 500) {
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = done; i < Math.min(count, done + 500); i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("k" + (i % 13))
                        .data(SdkBytes.fromUtf8String("r" + i)).build());
            }
            assertThat(kinesis.putRecords(b -> b.streamName(stream).records(entries)).failedRecordCount()).isZero();
        }
    }

    /** A subscription that keeps every event it receives. */
    private static final class Collector {
        final List<SubscribeToShardEvent> events = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        volatile boolean responded;
        CompletableFuture<Void> done;

        List<Record> records() {
            List<Record> all = new ArrayList<>();
            events.forEach(e -> all.addAll(e.records()));
            return all;
        }
    }

    private static Collector subscribe(String consumerArn, String shardId, ShardIteratorType type) {
        Collector c = new Collector();
        SubscribeToShardRequest request = SubscribeToShardRequest.builder().consumerARN(consumerArn).shardId(shardId)
                .startingPosition(p -> p.type(type)).build();
        SubscribeToShardResponseHandler handler = SubscribeToShardResponseHandler.builder()
                .onError(c.errors::add)
                .onResponse(r -> c.responded = true)
                .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                        .onSubscribeToShardEvent(c.events::add).build())
                .build();
        c.done = async.subscribeToShard(request, handler);
        return c;
    }

    @Test
    void everyRecordArrivesInOrderFromTrimHorizonAndFromLatest() {
        Streams.createActive(kinesis, "fan", 1);
        putMany("fan", 20_000);
        String arn = register("fan", "app-1");
        Collector old = subscribe(arn, "shardId-000000000000", ShardIteratorType.TRIM_HORIZON);
        await().atMost(Duration.ofSeconds(60)).until(() -> old.records().size() >= 20_000);
        List<Record> got = old.records();
        assertThat(got).hasSize(20_000);
        for (int i = 0; i < got.size(); i++) {
            assertThat(got.get(i).data().asUtf8String()).isEqualTo("r" + i);
        }
        assertThat(old.events.get(old.events.size() - 1).continuationSequenceNumber())
                .isEqualTo(got.get(got.size() - 1).sequenceNumber());

        String second = register("fan", "app-2");
        Collector live = subscribe(second, "shardId-000000000000", ShardIteratorType.LATEST);
        await().atMost(Duration.ofSeconds(10)).until(() -> !live.events.isEmpty() || !live.errors.isEmpty());
        kinesis.putRecord(b -> b.streamName("fan").partitionKey("x").data(SdkBytes.fromUtf8String("live")));
        await().atMost(Duration.ofSeconds(10)).until(() -> live.records().size() == 1);
        assertThat(live.records().get(0).data().asUtf8String()).isEqualTo("live");
        assertThat(live.errors).isEmpty();
    }

    @Test
    void idleSubscriptionsGetAnEventAtLeastEveryFiveSeconds() {
        Streams.createActive(kinesis, "idle", 1);
        String arn = register("idle", "app");
        Collector c = subscribe(arn, "shardId-000000000000", ShardIteratorType.LATEST);
        await().atMost(Duration.ofSeconds(13)).until(() -> c.events.size() >= 2);
        assertThat(c.events).allSatisfy(e -> {
            assertThat(e.records()).isEmpty();
            assertThat(e.continuationSequenceNumber()).isNotNull();
        });
        assertThat(c.errors).isEmpty();
    }

    @Test
    void subscribingAgainWithinFiveSecondsIsRefused() {
        Streams.createActive(kinesis, "again", 1);
        String arn = register("again", "app");
        Collector first = subscribe(arn, "shardId-000000000000", ShardIteratorType.LATEST);
        // The initial response, not the first event: with no records that comes only with the 5-second heartbeat.
        await().atMost(Duration.ofSeconds(4)).until(() -> first.responded);
        Collector second = subscribe(arn, "shardId-000000000000", ShardIteratorType.LATEST);
        await().atMost(Duration.ofSeconds(20)).until(() -> !second.errors.isEmpty());
        assertThat(second.errors).anyMatch(t -> t instanceof ResourceInUseException
                || t.getCause() instanceof ResourceInUseException);
        assertThat(second.events).isEmpty();
    }

    @Test
    void theEndOfASplitShardCarriesChildShardsAndNoContinuation() {
        Streams.createActive(kinesis, "splitfan", 1);
        putMany("splitfan", 100);
        String arn = register("splitfan", "app");
        kinesis.splitShard(b -> b.streamName("splitfan").shardToSplit("shardId-000000000000")
                .newStartingHashKey(java.math.BigInteger.ONE.shiftLeft(127).toString()));
        Streams.awaitActive(kinesis, "splitfan");
        Collector c = subscribe(arn, "shardId-000000000000", ShardIteratorType.TRIM_HORIZON);
        await().atMost(Duration.ofSeconds(20)).until(() -> c.events.stream().anyMatch(e -> e.hasChildShards()
                && !e.childShards().isEmpty()));
        SubscribeToShardEvent last = c.events.get(c.events.size() - 1);
        assertThat(last.continuationSequenceNumber()).isNull();
        assertThat(last.childShards()).hasSize(2);
        assertThat(c.records()).hasSize(100);
    }
}
