package dev.millrace.it;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.awaitility.Awaitility.await;

/**
 * Not a test: measures enhanced fan-out against a freshly started server (see docs/BENCHMARKS.md for the command).
 * Arguments: seconds of load (default 30), subscriptions (default 200), durability {@code sync|interval}.
 * <ol>
 *   <li>Put-to-push latency: one producer puts 1,000 records/s (PutRecord, async client) into one shard for
 *   {@code seconds}; one SubscribeToShard consumer (async client, HTTP/2) receives them; latency is from just before
 *   the PutRecord call to the moment the event reaches the consumer's callback, both in this JVM.</li>
 *   <li>Concurrent subscriptions: {@code subscriptions} subscriptions (20 consumers per stream, the AWS limit, on
 *   one-shard streams) are opened, then one record per stream is put; reports how many subscriptions received it.</li>
 * </ol>
 */
public final class FanOutLatencyBench {
    /** The first 10 seconds of load warm both JVMs up and are not measured. */
    static final int WARMUP_RECORDS = 10_000;
    private FanOutLatencyBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int subscriptions = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String durability = args.length > 2 ? args[2] : "sync";
        Path dir = Files.createTempDirectory("millrace-fanout-bench");
        try (MillraceProcess server = MillraceProcess.start(dir.resolve("data"), "--durability", durability);
             KinesisClient kinesis = Clients.sync(server.endpoint(), true, new Clients.Recorder());
             KinesisAsyncClient async = KinesisAsyncClient.builder().endpointOverride(server.endpoint())
                     .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                     .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                             software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("AKID", "secret")))
                     .httpClient(software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient.builder()
                             .protocol(software.amazon.awssdk.http.Protocol.HTTP2)
                             .maxConcurrency(subscriptions + 1100).build())
                     .build()) {
            latency(kinesis, async, seconds);
            concurrency(kinesis, async, subscriptions);
            server.stop();
        }
    }

    private static String consumer(KinesisClient kinesis, String stream, String name) {
        String arn = kinesis.registerStreamConsumer(b -> b.consumerName(name)
                .streamARN("arn:aws:kinesis:us-east-1:000000000000:stream/" + stream)).consumer().consumerARN();
        await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.describeStreamConsumer(b -> b.consumerARN(arn))
                .consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
        return arn;
    }

    private static void subscribe(KinesisAsyncClient async, String arn, java.util.function.Consumer<Integer> onRecords,
                                  ConcurrentLinkedQueue<Long> latenciesNs) {
        async.subscribeToShard(b -> b.consumerARN(arn).shardId("shardId-000000000000")
                        .startingPosition(p -> p.type(ShardIteratorType.LATEST)),
                SubscribeToShardResponseHandler.builder().subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                        .onSubscribeToShardEvent(e -> {
                            long now = System.nanoTime();
                            e.records().forEach(r -> {
                                ByteBuffer data = r.data().asByteBuffer();
                                // Records marked as warm-up (second long = 1) are delivered but not measured.
                                if (latenciesNs != null && data.getLong(8) == 0) {
                                    latenciesNs.add(now - data.getLong(0));
                                }
                            });
                            onRecords.accept(e.records().size());
                        }).build()).build());
    }

    private static void latency(KinesisClient kinesis, KinesisAsyncClient async, int seconds) throws Exception {
        Streams.createActive(kinesis, "latency", 1);
        String arn = consumer(kinesis, "latency", "bench");
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicInteger received = new AtomicInteger();
        subscribe(async, arn, received::addAndGet, latencies);
        Thread.sleep(1000);
        int total = WARMUP_RECORDS + seconds * 1000;
        AtomicInteger acknowledged = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ConcurrentLinkedQueue<Long> putNs = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + i * 1_000_000L;
            while (System.nanoTime() < due) {
                LockSupport.parkNanos(50_000);
            }
            ByteBuffer data = ByteBuffer.allocate(100);
            data.putLong(0, System.nanoTime());
            data.putLong(8, i < WARMUP_RECORDS ? 1 : 0);
            // Asynchronous puts keep the offered rate at 1,000/s whatever one put's round trip costs.
            long sent = System.nanoTime();
            async.putRecord(b -> b.streamName("latency").partitionKey("k").data(SdkBytes.fromByteBuffer(data)))
                    .whenComplete((r, e) -> {
                        if (e == null) {
                            acknowledged.incrementAndGet();
                            putNs.add(System.nanoTime() - sent);
                        } else {
                            failed.incrementAndGet();
                        }
                    });
        }
        double achieved = total / ((System.nanoTime() - start) / 1e9);
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.get() + failed.get() >= total);
        await().atMost(Duration.ofSeconds(30)).until(() -> received.get() >= acknowledged.get());
        List<Long> puts = new ArrayList<>(putNs).subList(Math.min(putNs.size(), WARMUP_RECORDS), putNs.size());
        puts = new ArrayList<>(puts);
        puts.sort(null);
        System.out.printf("PutRecord round trip: p50 %.2f ms, p99 %.2f ms; %d failed%n", ms(puts, 0.5), ms(puts, 0.99),
                failed.get());
        List<Long> sorted = new ArrayList<>(latencies);
        sorted.sort(null);
        System.out.printf("put-to-push latency over %d records (after 10 s of warm-up) at %.0f records/s: "
                        + "p50 %.2f ms, p99 %.2f ms, "
                        + "p99.9 %.2f ms, max %.2f ms%n", sorted.size(), achieved, ms(sorted, 0.50), ms(sorted, 0.99),
                ms(sorted, 0.999), sorted.get(sorted.size() - 1) / 1e6);
    }

    private static double ms(List<Long> sorted, double q) {
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size()))) / 1e6;
    }

    private static void concurrency(KinesisClient kinesis, KinesisAsyncClient async, int subscriptions)
            throws Exception {
        int streams = (subscriptions + 19) / 20;
        AtomicInteger got = new AtomicInteger();
        int opened = 0;
        for (int s = 0; s < streams; s++) {
            Streams.createActive(kinesis, "many-" + s, 1);
            for (int c = 0; c < 20 && opened < subscriptions; c++, opened++) {
                subscribe(async, consumer(kinesis, "many-" + s, "c" + c), n -> got.addAndGet(n), null);
            }
        }
        Thread.sleep(2000);
        for (int s = 0; s < streams; s++) {
            int stream = s;
            kinesis.putRecord(b -> b.streamName("many-" + stream).partitionKey("k")
                    .data(SdkBytes.fromByteArray(new byte[8])));
        }
        int expected = opened;
        await().atMost(Duration.ofSeconds(30)).until(() -> got.get() >= expected);
        System.out.printf("concurrent subscriptions: %d opened, %d received the record%n", opened, got.get());
    }
}
