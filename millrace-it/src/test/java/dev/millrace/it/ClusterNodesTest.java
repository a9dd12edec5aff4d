package dev.millrace.it;

import dev.millrace.kafka.testkit.KafkaTestCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Datapoint;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.Metric;
import software.amazon.awssdk.services.cloudwatch.model.MetricDataQuery;
import software.amazon.awssdk.services.cloudwatch.model.MetricDataResult;
import software.amazon.awssdk.services.cloudwatch.model.Statistic;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ConsumerStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardEvent;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardRequest;
import software.amazon.awssdk.services.kinesis.model.SubscribeToShardResponseHandler;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Three Millrace nodes (child processes) on one Kafka cluster and topic prefix, as issue #15 asks: every operation
 * gives the same answer on every node, whichever node a change was made through, and the cluster carries on when the
 * metadata writer's node is SIGKILLed.
 *
 * <ol>
 *   <li>The nodes find each other and elect exactly one writer.</li>
 *   <li>Create, write, split, tag, register a consumer, merge and delete, each through a different node; the other
 *       nodes' answers follow, transient states (CREATING, UPDATING, DELETING) included, and a node that made a change
 *       shows it in its very next answer.</li>
 *   <li>DynamoDB conditional writes are linearizable across nodes (KCL's leases rely on it); CloudWatch metrics
 *       published through one node are listed through another.</li>
 *   <li>Records put through every node are counted once in AWS/Kinesis metrics that CloudWatch answers alike
 *       through every node (put early, read late: the wait for their minute to end overlaps the tests between), and
 *       still once after more of the writer's collections and a follower's death.</li>
 *   <li>The writer's node is SIGKILLed: another node is the writer within 15 s, every stream is still there, and
 *       metadata changes work again through the survivors.</li>
 * </ol>
 *
 * <p>One Kafka broker (in this JVM) and one cluster of nodes for the class; the tests run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterNodesTest {
    /**
     * Longer than AWS's 500 ms, so that the other nodes' answers are sure to be seen in the transient states on a
     * machine busy with three nodes and a broker (a poll through the SDK can take a few hundred ms there).
     */
    private static final long TRANSITION_MS = 2_000;
    private static KafkaTestCluster kafka;
    private static MillraceNodes nodes;
    private static final List<KinesisClient> kinesis = new ArrayList<>();
    /** The stream whose AWS/Kinesis metrics are read through CloudWatch, and what was put into it. */
    private static final String METERED = "metered";
    /** The Sum CloudWatch must answer for each metric of {@link #METERED}. */
    private static final Expected metered = new Expected();
    /** The minutes of the puts into {@link #METERED}: the first one's start, the last one's end. */
    private static Instant meteredFromTime;
    private static Instant meteredToTime;
    /** When order 8 saw the totals in CloudWatch (System.nanoTime()), 0 before. */
    private static volatile long meteredSeenNanos;
    @TempDir
    static Path dir;

    @BeforeAll
    static void startCluster() {
        kafka = KafkaTestCluster.start(1);
        nodes = MillraceNodes.start(3, dir, kafka.bootstrapServers(), "it-cluster.", TRANSITION_MS,
                "--throughput-limits", "on");
        for (int i = 0; i < nodes.size(); i++) {
            kinesis.add(Clients.syncRetrying(nodes.node(i).endpoint(), 8));
        }
    }

    @AfterAll
    static void stop() {
        kinesis.forEach(KinesisClient::close);
        if (nodes != null) {
            nodes.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    @Order(1)
    void nodesFindEachOtherAndElectOneWriter() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 0; i < nodes.size(); i++) {
                MillraceNodes.View v = nodes.view(i);
                assertThat(v).as("node %d's view", i).isNotNull();
                assertThat(v.liveNodes()).containsExactly("node0", "node1", "node2");
            }
            assertThat(nodes.writers()).hasSize(1);
        });
        String writer = "node" + nodes.writers().get(0);
        for (int i = 0; i < nodes.size(); i++) {
            assertThat(nodes.view(i).writerNode()).as("the writer node %d names", i).isEqualTo(writer);
        }
    }

    /**
     * Records of known number and size put into {@link #METERED} through every node, to every shard (so every node
     * answers calls, and the shards' owners, whichever nodes they are, store them). Their AWS/Kinesis minutes are read
     * back through CloudWatch in {@link #cloudWatchOnEveryNodeAnswersTheWholeClustersTraffic}, late in the class, by
     * when the minute of the puts has usually ended: the wait for it overlaps the tests in between.
     */
    @Test
    @Order(2)
    void trafficIsPutThroughEveryNodeForCloudWatchToCount() {
        kinesis.get(0).createStream(b -> b.streamName(METERED).shardCount(3));
        awaitStatusEverywhere(METERED, StreamStatus.ACTIVE);
        List<Shard> shards = Streams.shards(kinesis.get(0), METERED);
        meteredFromTime = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        for (int node = 0; node < 3; node++) {
            // Without retries: a call retried after it was stored would be counted twice, rightly, but unexpectedly.
            try (KinesisClient once = Clients.syncNoRetries(nodes.node(node).endpoint())) {
                // A size per node: a node's records counted twice or not at all show in IncomingBytes.
                putMetered(once, shards, 4 + node, 10 + node);
            }
        }
        meteredToTime = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(1, ChronoUnit.MINUTES);
        if (metered.inDoubt()) {
            System.out.printf("ClusterNodesTest: puts failed, so CloudWatch's sums are checked within %s%n",
                    metered.bounds.entrySet().stream().map(e -> e.getKey() + " " + java.util.Arrays.toString(
                            e.getValue())).toList());
        }
    }

    /**
     * Puts {@code batched} records by PutRecords (to every shard in turn) and one by PutRecord, each of
     * {@code dataBytes} and a 1-byte partition key, and tells {@link #metered} what was stored, or may have been.
     */
    private static void putMetered(KinesisClient client, List<Shard> shards, int batched, int dataBytes) {
        SdkBytes data = SdkBytes.fromByteArray(new byte[dataBytes]);
        long recordBytes = dataBytes + 1L;
        List<PutRecordsRequestEntry> pending = IntStream.range(0, batched).mapToObj(i -> PutRecordsRequestEntry
                .builder().partitionKey("k").explicitHashKey(shards.get(i % shards.size()).hashKeyRange()
                        .startingHashKey()).data(data).build()).toList();
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            assertThat(attempt).as("PutRecords attempts").isLessThan(5);
            List<PutRecordsRequestEntry> sent = pending;
            int stored = 0;
            boolean answered = false;
            try {
                PutRecordsResponse r = client.putRecords(b -> b.streamName(METERED).records(sent));
                pending = IntStream.range(0, sent.size()).filter(i -> r.records().get(i).errorCode() != null)
                        .mapToObj(sent::get).toList();
                stored = sent.size() - pending.size();
                answered = true;
            } catch (SdkException noAnswer) {
                // sent again; the node may have answered (and counted) it all the same
            }
            int unsure = sent.size() - stored; // entries refused with InternalFailure too may have been stored
            metered.add("IncomingRecords", stored, unsure);
            metered.add("IncomingBytes", stored * recordBytes, unsure * recordBytes);
            metered.add("PutRecords.SuccessfulRecords", stored, answered ? 0 : unsure);
            metered.add("PutRecords.Success", stored > 0 ? 1 : 0, answered ? 0 : 1);
        }
        for (int attempt = 0; ; attempt++) {
            assertThat(attempt).as("PutRecord attempts").isLessThan(5);
            try {
                client.putRecord(b -> b.streamName(METERED).partitionKey("k").data(data));
                metered.add("IncomingRecords", 1, 0);
                metered.add("IncomingBytes", recordBytes, 0);
                metered.add("PutRecord.Success", 1, 0);
                return;
            } catch (SdkException e) {
                metered.add("IncomingRecords", 0, 1);
                metered.add("IncomingBytes", 0, recordBytes);
                metered.add("PutRecord.Success", 0, 1);
            }
        }
    }

    /**
     * What CloudWatch must count for {@link #METERED}, by metric: at least the sum of what was acknowledged, at most
     * that and what is in doubt (a put answered with an error, or not at all, may have been stored). Exact when no
     * put failed, as on a machine that keeps up.
     */
    private static final class Expected {
        final Map<String, double[]> bounds = new java.util.concurrent.ConcurrentSkipListMap<>();

        synchronized void add(String metric, double certain, double inDoubt) {
            double[] b = bounds.computeIfAbsent(metric, m -> new double[2]);
            b[0] += certain;
            b[1] += certain + inDoubt;
        }

        synchronized boolean inDoubt() {
            return bounds.values().stream().anyMatch(b -> b[0] != b[1]);
        }

        synchronized void assertCounted(String metric, double actual, String where) {
            double[] b = bounds.get(metric);
            if (b[0] == b[1]) {
                assertThat(actual).as("%s %s", metric, where).isEqualTo(b[0]);
            } else {
                assertThat(actual).as("%s %s", metric, where).isBetween(b[0], b[1]);
            }
        }
    }

    @Test
    @Order(3)
    void changesMadeThroughOneNodeAreSeenOnEveryNode() {
        int w = nodes.writers().get(0);
        int f1 = (w + 1) % 3;
        int f2 = (w + 2) % 3;
        String stream = "across";
        // Created through a follower: forwarded to the writer, and visible on the follower in its next answer.
        kinesis.get(f1).createStream(b -> b.streamName(stream).shardCount(2));
        assertThat(status(f1, stream)).isEqualTo(StreamStatus.CREATING);
        // The other follower learns of it through the metadata topic; it sees the transient state too.
        StreamStatus firstSeen = await().atMost(Duration.ofSeconds(5)).until(() -> statusOrNull(f2, stream),
                s -> s != null);
        assertThat(firstSeen).isEqualTo(StreamStatus.CREATING);
        awaitStatusEverywhere(stream, StreamStatus.ACTIVE);

        // Records written through one node read back through the others, with iterators from yet another.
        List<PutRecordsRequestEntry> entries = IntStream.range(0, 40).mapToObj(i -> PutRecordsRequestEntry.builder()
                .partitionKey("key-" + i).data(SdkBytes.fromString("value-" + i, StandardCharsets.UTF_8)).build())
                .toList();
        PutRecordsResponse put = kinesis.get(f2).putRecords(b -> b.streamName(stream).records(entries));
        assertThat(put.failedRecordCount()).isZero();
        for (int reader = 0; reader < 3; reader++) {
            assertThat(readAll(reader, (reader + 1) % 3, stream)).as("read through node %d", reader)
                    .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 40).mapToObj(i -> "value-" + i).toList());
        }

        // A split through the writer: UPDATING on the followers, then the same shards everywhere.
        Shard first = Streams.shards(kinesis.get(w), stream).get(0);
        kinesis.get(w).splitShard(b -> b.streamName(stream).shardToSplit(first.shardId())
                .newStartingHashKey(midpoint(first)));
        assertThat(await().atMost(Duration.ofSeconds(5)).until(() -> status(f2, stream),
                s -> s != StreamStatus.ACTIVE)).isEqualTo(StreamStatus.UPDATING);
        awaitStatusEverywhere(stream, StreamStatus.ACTIVE);
        awaitSameShardsEverywhere(stream, 4);

        // Tags through a follower.
        kinesis.get(f2).addTagsToStream(b -> b.streamName(stream).tags(Map.of("team", "blue")));
        for (int i = 0; i < 3; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(kinesis.get(node)
                    .listTagsForStream(b -> b.streamName(stream)).tags()).singleElement()
                    .satisfies(t -> assertThat(t.key() + "=" + t.value()).isEqualTo("team=blue")));
        }

        // A consumer registered through a follower, described through the other.
        String arn = kinesis.get(f1).describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary()
                .streamARN();
        kinesis.get(f1).registerStreamConsumer(b -> b.streamARN(arn).consumerName("reader"));
        await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.get(f2).describeStreamConsumer(b -> b
                .streamARN(arn).consumerName("reader")).consumerDescription().consumerStatus(),
                s -> s == ConsumerStatus.ACTIVE);

        // A merge of the split's children through a follower.
        List<Shard> open = Streams.shards(kinesis.get(f1), stream).stream()
                .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null)
                .sorted(java.util.Comparator.comparing(s -> new java.math.BigInteger(s.hashKeyRange()
                        .startingHashKey())))
                .toList();
        kinesis.get(f1).mergeShards(b -> b.streamName(stream).shardToMerge(open.get(0).shardId())
                .adjacentShardToMerge(open.get(1).shardId()));
        awaitStatusEverywhere(stream, StreamStatus.ACTIVE);
        awaitSameShardsEverywhere(stream, 5);

        // Deleted through a follower: DELETING, then gone everywhere.
        kinesis.get(f2).deleteStream(b -> b.streamName(stream).enforceConsumerDeletion(true));
        assertThat(status(f2, stream)).isEqualTo(StreamStatus.DELETING);
        for (int i = 0; i < 3; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(10)).until(() -> statusOrNull(node, stream) == null);
        }
    }

    @Test
    @Order(4)
    void dynamoDbConditionalWritesAreLinearizableAcrossNodes() {
        List<DynamoDbClient> dynamo = IntStream.range(0, 3).mapToObj(i -> DynamoDbClient.builder()
                .endpointOverride(nodes.node(i).endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(Clients.CREDENTIALS).httpClient(UrlConnectionHttpClient.create()).build())
                .toList();
        try {
            dynamo.get(0).createTable(b -> b.tableName("leases").billingMode(BillingMode.PAY_PER_REQUEST)
                    .keySchema(k -> k.attributeName("leaseKey").keyType(KeyType.HASH))
                    .attributeDefinitions(a -> a.attributeName("leaseKey").attributeType(ScalarAttributeType.S)));
            // Each node in turn takes the lease only if nobody holds it: exactly the first succeeds.
            dynamo.get(1).putItem(b -> b.tableName("leases").item(Map.of("leaseKey", AttributeValue.fromS("shard-0"),
                    "owner", AttributeValue.fromS("node1"))).conditionExpression("attribute_not_exists(leaseKey)"));
            for (int other : new int[]{2, 0, 1}) {
                assertThatThrownBy(() -> dynamo.get(other).putItem(b -> b.tableName("leases").item(Map.of(
                        "leaseKey", AttributeValue.fromS("shard-0"), "owner", AttributeValue.fromS("node" + other)))
                        .conditionExpression("attribute_not_exists(leaseKey)")))
                        .as("node %d's conditional put", other).isInstanceOf(ConditionalCheckFailedException.class);
            }
            for (DynamoDbClient d : dynamo) {
                assertThat(d.getItem(b -> b.tableName("leases").key(Map.of("leaseKey",
                        AttributeValue.fromS("shard-0"))).consistentRead(true)).item().get("owner").s())
                        .isEqualTo("node1");
            }
        } finally {
            dynamo.forEach(DynamoDbClient::close);
        }
        try (CloudWatchClient one = cloudWatch(0); CloudWatchClient other = cloudWatch(2)) {
            one.putMetricData(b -> b.namespace("ClusterTest").metricData(d -> d.metricName("Beats").value(1.0)));
            assertThat(other.listMetrics(b -> b.namespace("ClusterTest")).metrics()).extracting(Metric::metricName)
                    .containsExactly("Beats");
        }
    }

    @Test
    @Order(5)
    void fanOutWorksOnAnyNodeWithOneSubscriptionPerConsumerAndShardClusterWide() {
        String stream = "fanned";
        kinesis.get(0).createStream(b -> b.streamName(stream).shardCount(1));
        awaitStatusEverywhere(stream, StreamStatus.ACTIVE);
        String streamArn = kinesis.get(0).describeStreamSummary(b -> b.streamName(stream))
                .streamDescriptionSummary().streamARN();
        String consumerArn = kinesis.get(1).registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("app"))
                .consumer().consumerARN();
        await().atMost(Duration.ofSeconds(10)).until(() -> kinesis.get(2).describeStreamConsumer(b -> b
                .consumerARN(consumerArn)).consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
        List<KinesisAsyncClient> async = IntStream.range(0, 3).mapToObj(i -> Clients.async(nodes.node(i).endpoint(),
                new Clients.Recorder())).toList();
        try {
            // Subscribed through every node in turn: the records written through the other nodes arrive.
            Subscription first = subscribe(async.get(0), consumerArn);
            await().atMost(Duration.ofSeconds(10)).until(() -> first.responded);
            for (int i = 0; i < 30; i++) {
                int n = i;
                kinesis.get(1 + i % 2).putRecord(b -> b.streamName(stream).partitionKey("k" + n)
                        .data(SdkBytes.fromUtf8String("fan-" + n)));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> first.values().size() >= 30);
            assertThat(first.values()).containsExactlyElementsOf(IntStream.range(0, 30).mapToObj(i -> "fan-" + i)
                    .toList());
            // Within 5 seconds of the first, a subscription through another node is refused, as on AWS.
            Subscription tooSoon = subscribe(async.get(1), consumerArn);
            await().atMost(Duration.ofSeconds(10)).until(() -> !tooSoon.errors.isEmpty());
            assertThat(tooSoon.errors).anyMatch(ClusterNodesTest::resourceInUse);
            // After 5 seconds one through a third node takes over, and the first ends with ResourceInUseException.
            long waitMs = 5_500 - (System.currentTimeMillis() - first.respondedMs);
            if (waitMs > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(waitMs * 1_000_000);
            }
            Subscription next = subscribe(async.get(2), consumerArn);
            await().atMost(Duration.ofSeconds(10)).until(() -> next.responded || !next.errors.isEmpty());
            assertThat(next.errors).isEmpty();
            await().atMost(Duration.ofSeconds(10)).until(() -> !first.errors.isEmpty());
            assertThat(first.errors).anyMatch(ClusterNodesTest::resourceInUse);
            kinesis.get(0).putRecord(b -> b.streamName(stream).partitionKey("x").data(SdkBytes.fromUtf8String(
                    "after")));
            await().atMost(Duration.ofSeconds(10)).until(() -> next.values().contains("after"));
        } finally {
            async.forEach(KinesisAsyncClient::close);
        }
    }

    /** A subscription from TRIM_HORIZON that keeps the values of the records it receives and its errors. */
    private static final class Subscription {
        final List<SubscribeToShardEvent> events = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        /** When the node answered: its claim of the subscription was granted before. */
        volatile long respondedMs;
        volatile boolean responded;

        List<String> values() {
            List<String> all = new ArrayList<>();
            events.forEach(e -> e.records().forEach(r -> all.add(r.data().asUtf8String())));
            return all;
        }
    }

    private static Subscription subscribe(KinesisAsyncClient client, String consumerArn) {
        Subscription sub = new Subscription();
        client.subscribeToShard(SubscribeToShardRequest.builder().consumerARN(consumerArn)
                .shardId("shardId-000000000000").startingPosition(p -> p.type(ShardIteratorType.TRIM_HORIZON))
                .build(), SubscribeToShardResponseHandler.builder()
                .onError(sub.errors::add)
                .onResponse(r -> {
                    sub.respondedMs = System.currentTimeMillis();
                    sub.responded = true;
                })
                .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                        .onSubscribeToShardEvent(sub.events::add).build())
                .build());
        return sub;
    }

    private static boolean resourceInUse(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ResourceInUseException) {
                return true;
            }
        }
        return false;
    }

    @Test
    @Order(6)
    void onDemandScalingSplitsHotShardsFromTheWholeClustersTraffic() throws Exception {
        String stream = "on-demand";
        kinesis.get(1).createStream(b -> b.streamName(stream).streamModeDetails(m -> m.streamMode(
                software.amazon.awssdk.services.kinesis.model.StreamMode.ON_DEMAND)));
        awaitStatusEverywhere(stream, StreamStatus.ACTIVE);
        List<Shard> shards = Streams.shards(kinesis.get(0), stream);
        assertThat(shards).hasSize(4);
        // 800 records/s on each shard, a third through each node: 80 % of a shard's limit, over the 50 % that makes
        // it hot. Each shard is owned (and metered) by one of the three nodes, so the writer sees the demand of the
        // shards it does not own only by asking their owners.
        List<KinesisClient> once = IntStream.range(0, 3).mapToObj(i -> Clients.syncNoRetries(nodes.node(i)
                .endpoint())).toList();
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (Shard shard : shards) {
            for (int i = 0; i < 80; i++) {
                entries.add(PutRecordsRequestEntry.builder().partitionKey("k").explicitHashKey(shard.hashKeyRange()
                        .startingHashKey()).data(SdkBytes.fromByteArray(new byte[100])).build());
            }
        }
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            KinesisClient client = once.get(n);
            Thread t = new Thread(() -> {
                // 320 records every 300 ms per node: 3 x 1,067 records/s, 800 per shard.
                for (long next = System.nanoTime(); running.get(); next += 300_000_000L) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    try {
                        client.putRecords(b -> b.streamName(stream).records(entries));
                    } catch (RuntimeException e) {
                        // a call during the split may fail; the load goes on
                    }
                }
            });
            t.start();
            writers.add(t);
        }
        // Waits for what is claimed: every original shard ended. (Counting shards without an ending sequence number
        // would count a parent closed but not yet sealed as open, and a Kafka seal takes a broker config change.)
        List<String> originals = shards.stream().map(Shard::shardId).toList();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> endedShards(
                    kinesis.get(2), stream).containsAll(originals));
        } finally {
            running.set(false);
            for (Thread t : writers) {
                t.join();
            }
            once.forEach(KinesisClient::close);
        }
        // (A child that stays hot is split again, so more may have closed.)
        assertThat(endedShards(kinesis.get(0), stream)).as("every hot shard was split, whichever node owns it")
                .containsAll(originals);
        assertThat(Streams.shards(kinesis.get(1), stream).stream().filter(sh -> sh.sequenceNumberRange()
                .endingSequenceNumber() == null).count()).as("open shards after the splits").isGreaterThanOrEqualTo(8);
    }

    private static Set<String> endedShards(KinesisClient kinesis, String stream) {
        return Streams.shards(kinesis, stream).stream().filter(sh -> sh.sequenceNumberRange().endingSequenceNumber()
                != null).map(Shard::shardId).collect(Collectors.toSet());
    }

    @Test
    @Order(7)
    void aShardWrittenThroughEveryNodeIsThrottledToItsLimitClusterWide() throws Exception {
        String stream = "limited";
        kinesis.get(0).createStream(b -> b.streamName(stream).shardCount(1));
        awaitStatusEverywhere(stream, StreamStatus.ACTIVE);
        // Twice the shard's 1,000 records/s, spread over the three nodes: 100-byte records, so the records/s limit
        // binds (100 KB/s is a tenth of the bytes limit).
        int perNodePerSecond = 2 * 1000 / 3;
        int batch = 50;
        long periodNanos = 1_000_000_000L * batch / perNodePerSecond;
        long runNanos = Duration.ofSeconds(12).toNanos();
        long warmupNanos = Duration.ofSeconds(3).toNanos(); // the allowance's initial burst is spent by then
        List<KinesisClient> once = IntStream.range(0, 3).mapToObj(i -> Clients.syncNoRetries(nodes.node(i)
                .endpoint())).toList();
        long start = System.nanoTime();
        java.util.concurrent.atomic.AtomicLong acceptedInWindow = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong acceptedAll = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong throttled = new java.util.concurrent.atomic.AtomicLong();
        List<Thread> writers = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            KinesisClient client = once.get(n);
            Thread t = new Thread(() -> {
                List<PutRecordsRequestEntry> entries = IntStream.range(0, batch).mapToObj(i -> PutRecordsRequestEntry
                        .builder().partitionKey("k" + i).data(SdkBytes.fromByteArray(new byte[100])).build()).toList();
                for (long next = start; next - start < runNanos; next += periodNanos) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    PutRecordsResponse r = client.putRecords(b -> b.streamName(stream).records(entries));
                    long ok = r.records().stream().filter(e -> e.errorCode() == null).count();
                    r.records().stream().filter(e -> e.errorCode() != null).forEach(e -> assertThat(e.errorCode())
                            .isEqualTo("ProvisionedThroughputExceededException"));
                    acceptedAll.addAndGet(ok);
                    throttled.addAndGet(batch - ok);
                    if (System.nanoTime() - start >= warmupNanos) {
                        acceptedInWindow.addAndGet(ok);
                    }
                }
            });
            t.start();
            writers.add(t);
        }
        for (Thread t : writers) {
            t.join();
        }
        once.forEach(KinesisClient::close);
        double windowSeconds = (runNanos - warmupNanos) / 1e9;
        double rate = acceptedInWindow.get() / windowSeconds;
        System.out.printf("ClusterNodesTest: %.0f records/s accepted after the warm-up (limit 1000), %d throttled%n",
                rate, throttled.get());
        assertThat(throttled.get()).as("records throttled").isPositive();
        assertThat(rate).as("records/s accepted through three nodes").isBetween(900.0, 1100.0);
        // Every acknowledged record is there once.
        Shard only = Streams.shards(kinesis.get(1), stream).get(0);
        assertThat(Streams.readShard(kinesis.get(2), stream, only.shardId(), 10_000)).hasSize((int) acceptedAll.get());
    }

    /**
     * CloudWatch's calls are answered by the metadata writer (a follower forwards them), and the writer's CloudWatch
     * holds every node's AWS/Kinesis minutes ({@code ClusterMetrics}): so whichever node a client asks, it reads the
     * cluster's totals, exactly once each, for what {@link #trafficIsPutThroughEveryNodeForCloudWatchToCount} put.
     * Before a node is killed: a node's minutes not yet collected die with it, and the writer's CloudWatch is memory.
     */
    @Test
    @Order(8)
    void cloudWatchOnEveryNodeAnswersTheWholeClustersTraffic() {
        assertThat(metered.bounds).as("the puts of order 2 ran").isNotEmpty();
        int w = nodes.writers().get(0);
        int follower = (w + 1) % 3;
        List<CloudWatchClient> cw = IntStream.range(0, 3).mapToObj(ClusterNodesTest::cloudWatch).toList();
        try {
            long waitStartNanos = System.nanoTime();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                for (int node = 0; node < 3; node++) {
                    for (String metric : metered.bounds.keySet()) {
                        metered.assertCounted(metric, meteredSum(cw.get(node), metric), "through node " + node);
                    }
                }
            });
            meteredSeenNanos = System.nanoTime();
            System.out.printf("ClusterNodesTest: the minutes of the puts were in CloudWatch %d ms after this test"
                    + " began%n", (System.nanoTime() - waitStartNanos) / 1_000_000);
            // GetMetricData through a follower: the same totals.
            List<MetricDataResult> results = cw.get(follower).getMetricData(b -> b.startTime(meteredFromTime)
                    .endTime(meteredToTime).metricDataQueries(
                            meteredQuery("records", "IncomingRecords"), meteredQuery("bytes", "IncomingBytes")))
                    .metricDataResults();
            assertThat(results).extracting(MetricDataResult::id).containsExactlyInAnyOrder("records", "bytes");
            for (MetricDataResult r : results) {
                metered.assertCounted(r.id().equals("records") ? "IncomingRecords" : "IncomingBytes", r.values()
                        .stream().mapToDouble(Double::doubleValue).sum(), "by GetMetricData through node " + follower);
            }
            // A metric published through a follower is kept by the writer, so every node reads it at once.
            Instant now = Instant.now();
            cw.get(follower).putMetricData(b -> b.namespace("ClusterTotals").metricData(
                    d -> d.metricName("Orders").value(2.0).timestamp(now),
                    d -> d.metricName("Orders").value(3.0).timestamp(now)));
            for (int node = 0; node < 3; node++) {
                List<Datapoint> points = cw.get(node).getMetricStatistics(b -> b.namespace("ClusterTotals")
                        .metricName("Orders").startTime(now.minus(5, ChronoUnit.MINUTES))
                        .endTime(now.plus(5, ChronoUnit.MINUTES)).period(600)
                        .statistics(Statistic.SUM, Statistic.SAMPLE_COUNT)).datapoints();
                assertThat(points).as("published through node %d, read through node %d", follower, node)
                        .singleElement().satisfies(p -> {
                            assertThat(p.sum()).isEqualTo(5.0);
                            assertThat(p.sampleCount()).isEqualTo(2.0);
                        });
                assertThat(cw.get(node).listMetrics(b -> b.namespace("AWS/Kinesis").metricName("IncomingRecords")
                        .dimensions(d -> d.name("StreamName").value(METERED))).metrics()).as("listed by node %d", node)
                        .hasSize(1);
            }
        } finally {
            cw.forEach(CloudWatchClient::close);
        }
    }

    private static double meteredSum(CloudWatchClient cloudWatch, String metric) {
        return cloudWatch.getMetricStatistics(b -> b.namespace("AWS/Kinesis").metricName(metric)
                .dimensions(Dimension.builder().name("StreamName").value(METERED).build())
                .startTime(meteredFromTime).endTime(meteredToTime).period(60).statistics(Statistic.SUM))
                .datapoints().stream().mapToDouble(Datapoint::sum).sum();
    }

    private static MetricDataQuery meteredQuery(String id, String metric) {
        return MetricDataQuery.builder().id(id).metricStat(s -> s.period(60).stat("Sum").metric(m -> m
                .namespace("AWS/Kinesis").metricName(metric).dimensions(d -> d.name("StreamName").value(METERED))))
                .build();
    }

    @Test
    @Order(9)
    void aSubscriberWhoseNodeDiesResubscribesThroughTheBalancerAndMissesNothing() throws Exception {
        String stream = "carry-on";
        kinesis.get(0).createStream(b -> b.streamName(stream).shardCount(1));
        awaitStatusEverywhere(stream, StreamStatus.ACTIVE);
        String streamArn = kinesis.get(0).describeStreamSummary(b -> b.streamName(stream))
                .streamDescriptionSummary().streamARN();
        String consumerArn = kinesis.get(0).registerStreamConsumer(b -> b.streamARN(streamArn).consumerName("app"))
                .consumer().consumerARN();
        // Node 1 follows the writer's metadata: until the registration reaches it, the consumer is not found there.
        await().atMost(Duration.ofSeconds(10))
                .ignoreExceptionsInstanceOf(ResourceNotFoundException.class)
                .until(() -> kinesis.get(1).describeStreamConsumer(b -> b.consumerARN(consumerArn))
                        .consumerDescription().consumerStatus() == ConsumerStatus.ACTIVE);
        int writer = nodes.writers().get(0);
        int victim = (writer + 1) % 3;
        List<java.net.URI> endpoints = IntStream.range(0, 3).mapToObj(i -> nodes.node(i).endpoint()).toList();
        try (TcpProxy balancer = new TcpProxy(endpoints);
             KinesisAsyncClient direct = Clients.async(nodes.node(victim).endpoint(), new Clients.Recorder());
             KinesisAsyncClient viaBalancer = Clients.async(balancer.endpoint(), new Clients.Recorder());
             KinesisClient producer = Clients.syncRetrying(balancer.endpoint(), 10)) {
            Resubscriber subscriber = new Resubscriber(consumerArn);
            java.util.concurrent.atomic.AtomicBoolean producing = new java.util.concurrent.atomic.AtomicBoolean(true);
            Set<String> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
            Thread produce = new Thread(() -> {
                for (int batch = 0; producing.get(); batch++) {
                    int b0 = batch;
                    List<PutRecordsRequestEntry> entries = IntStream.range(0, 10).mapToObj(i -> PutRecordsRequestEntry
                            .builder().partitionKey("k" + i).data(SdkBytes.fromUtf8String("c-" + b0 + "-" + i))
                            .build()).toList();
                    try {
                        PutRecordsResponse r = producer.putRecords(x -> x.streamName(stream).records(entries));
                        r.records().stream().filter(e -> e.errorCode() == null)
                                .forEach(e -> acknowledged.add(e.sequenceNumber()));
                    } catch (RuntimeException e) {
                        // not acknowledged: nothing to expect
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
                }
            });
            produce.start();
            // First through the victim directly, then (its node dead) through the balancer, from the continuation.
            Thread subscribe = new Thread(() -> subscriber.run(direct, viaBalancer, () -> !nodes.node(victim)
                    .isAlive()));
            subscribe.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> subscriber.received.size() >= 200);
            nodes.node(victim).kill9();
            int before = subscriber.received.size();
            await().atMost(Duration.ofSeconds(60)).until(() -> subscriber.received.size() >= before + 300);
            producing.set(false);
            produce.join();
            await().atMost(Duration.ofSeconds(30)).until(() -> subscriber.sequenceNumbers().containsAll(acknowledged));
            subscriber.stop();
            subscribe.join(10_000);
            System.out.printf("ClusterNodesTest: the subscriber resubscribed %d times; %d records received, %d"
                    + " acknowledged%n", subscriber.subscriptions.get() - 1, subscriber.received.size(),
                    acknowledged.size());
            assertThat(subscriber.subscriptions.get()).isGreaterThan(1);
            // No gap and nothing twice: exactly the shard's records, in order, as GetRecords reads them.
            int survivor = (victim + 1) % 3;
            List<String> all = Streams.readShard(kinesis.get(survivor), stream, "shardId-000000000000", 10_000)
                    .stream().map(Record::sequenceNumber).toList();
            List<String> got = subscriber.sequenceNumbers();
            assertThat(got).isEqualTo(all.subList(0, got.size()));
            assertThat(got).containsAll(acknowledged);
        }
    }

    /**
     * A subscriber as KCL's fan-out consumer behaves: from TRIM_HORIZON, then, whenever a subscription ends (after 5
     * minutes, or because its node died), again from the last continuation sequence number; through {@code first}
     * until {@code switchNow} says so, then through {@code then}.
     */
    private static final class Resubscriber {
        final List<Record> received = new CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger subscriptions = new java.util.concurrent.atomic.AtomicInteger();
        private final String consumerArn;
        private volatile String continuation;
        private volatile boolean running = true;

        Resubscriber(String consumerArn) {
            this.consumerArn = consumerArn;
        }

        List<String> sequenceNumbers() {
            return received.stream().map(Record::sequenceNumber).toList();
        }

        void stop() {
            running = false;
        }

        void run(KinesisAsyncClient first, KinesisAsyncClient then, java.util.function.BooleanSupplier switchNow) {
            while (running) {
                KinesisAsyncClient client = switchNow.getAsBoolean() ? then : first;
                String from = continuation;
                SubscribeToShardRequest request = SubscribeToShardRequest.builder().consumerARN(consumerArn)
                        .shardId("shardId-000000000000").startingPosition(p -> {
                            if (from == null) {
                                p.type(ShardIteratorType.TRIM_HORIZON);
                            } else {
                                p.type(ShardIteratorType.AFTER_SEQUENCE_NUMBER).sequenceNumber(from);
                            }
                        }).build();
                subscriptions.incrementAndGet();
                java.util.concurrent.CompletableFuture<Void> live = client.subscribeToShard(request,
                        SubscribeToShardResponseHandler.builder()
                                .subscriber(SubscribeToShardResponseHandler.Visitor.builder()
                                        .onSubscribeToShardEvent(e -> {
                                            received.addAll(e.records());
                                            continuation = e.continuationSequenceNumber();
                                        }).build())
                                .build());
                try {
                    // A live subscription is kept until it ends, checking now and then whether to stop. (Not
                    // subscribed again meanwhile: two subscriptions at once would deliver records twice.)
                    while (running) {
                        try {
                            live.get(2, java.util.concurrent.TimeUnit.SECONDS);
                            break;
                        } catch (java.util.concurrent.TimeoutException stillLive) {
                            // next check
                        }
                    }
                } catch (Exception e) {
                    // Ended with an error (its node died, or a claim refused for a moment): subscribe again.
                }
                java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
            }
        }
    }

    /**
     * The totals of {@link #cloudWatchOnEveryNodeAnswersTheWholeClustersTraffic} still, several collection ticks later
     * (minutes a node handed over were stored once, not at every tick) and after a follower's death (what the writer
     * collected from it stays): through every node still alive, before the writer's is killed.
     */
    @Test
    @Order(10)
    void cloudWatchStillCountsThePutsOnceAfterMoreCollectionsAndAFollowersDeath() {
        assertThat(meteredSeenNanos).as("the totals were seen in order 8").isNotZero();
        // Two of the writer's 5 s collection ticks at least; the test between usually takes longer.
        long waitNanos = Duration.ofSeconds(11).toNanos() - (System.nanoTime() - meteredSeenNanos);
        if (waitNanos > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(waitNanos);
        }
        List<Integer> alive = IntStream.range(0, 3).filter(i -> nodes.node(i).isAlive()).boxed().toList();
        // (Two after order 9's kill; three if it failed before it, which is reported there, not again here.)
        assertThat(alive).as("nodes alive").hasSizeGreaterThanOrEqualTo(2);
        for (int node : alive) {
            try (CloudWatchClient cw = cloudWatch(node)) {
                for (String metric : metered.bounds.keySet()) {
                    metered.assertCounted(metric, meteredSum(cw, metric), "through node " + node + " later");
                }
            }
        }
    }

    @Test
    @Order(11)
    void anotherNodeTakesOverWithin15sWhenTheWritersNodeIsKilled() {
        List<Integer> alive = IntStream.range(0, 3).filter(i -> nodes.node(i).isAlive()).boxed().toList();
        int some = alive.get(0);
        kinesis.get(some).createStream(b -> b.streamName("survivor").shardCount(1));
        for (int i : alive) {
            await().atMost(Duration.ofSeconds(10)).until(() -> statusOrNull(i, "survivor") == StreamStatus.ACTIVE);
        }
        int w = nodes.writers().get(0);
        long killedAtNanos = System.nanoTime();
        nodes.node(w).kill9();
        List<Integer> survivors = alive.stream().filter(i -> i != w).toList();
        int next = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(
                () -> nodes.writers(), l -> !l.isEmpty()).get(0);
        long takeoverMs = (System.nanoTime() - killedAtNanos) / 1_000_000;
        System.out.printf("ClusterNodesTest: node%d took over %d ms after node%d was killed%n", next, takeoverMs, w);
        assertThat(survivors).contains(next);
        assertThat(takeoverMs).as("takeover time, ms").isLessThan(15_000);
        for (int i : survivors) {
            assertThat(status(i, "survivor")).isEqualTo(StreamStatus.ACTIVE);
        }
        // Changes work again, through any survivor.
        int through = survivors.get(survivors.size() - 1);
        kinesis.get(through).createStream(b -> b.streamName("after-takeover").shardCount(1));
        for (int i : survivors) {
            await().atMost(Duration.ofSeconds(10)).until(() -> statusOrNull(i, "after-takeover")
                    == StreamStatus.ACTIVE);
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(nodes.view(next).liveNodes())
                .hasSize(survivors.size()).doesNotContain("node" + w));
    }

    private static CloudWatchClient cloudWatch(int node) {
        return CloudWatchClient.builder().endpointOverride(nodes.node(node).endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(Clients.CREDENTIALS).httpClient(UrlConnectionHttpClient.create()).build();
    }

    private static StreamStatus status(int node, String stream) {
        return kinesis.get(node).describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary()
                .streamStatus();
    }

    private static StreamStatus statusOrNull(int node, String stream) {
        try {
            return status(node, stream);
        } catch (ResourceNotFoundException e) {
            return null;
        }
    }

    private static void awaitStatusEverywhere(String stream, StreamStatus status) {
        for (int i = 0; i < 3; i++) {
            int node = i;
            await().atMost(Duration.ofSeconds(10)).until(() -> statusOrNull(node, stream) == status);
        }
    }

    private static void awaitSameShardsEverywhere(String stream, int shards) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Set<String> reference = null;
            for (int i = 0; i < 3; i++) {
                Set<String> seen = Streams.shards(kinesis.get(i), stream).stream()
                        .map(s -> s.shardId() + ":" + s.sequenceNumberRange().endingSequenceNumber())
                        .collect(Collectors.toSet());
                assertThat(seen).as("node %d's shards", i).hasSize(shards);
                if (reference == null) {
                    reference = seen;
                } else {
                    assertThat(seen).as("node %d's shards", i).isEqualTo(reference);
                }
            }
        });
    }

    /** Every record of the stream, read through {@code reader} with iterators got from {@code iteratorNode}. */
    private static List<String> readAll(int reader, int iteratorNode, String stream) {
        List<String> values = new ArrayList<>();
        for (Shard shard : Streams.shards(kinesis.get(iteratorNode), stream)) {
            String iterator = kinesis.get(iteratorNode).getShardIterator(b -> b.streamName(stream)
                    .shardId(shard.shardId()).shardIteratorType("TRIM_HORIZON")).shardIterator();
            for (Record r : Streams.readFrom(kinesis.get(reader), iterator, 1000)) {
                values.add(r.data().asUtf8String());
            }
        }
        return values;
    }

    private static String midpoint(Shard shard) {
        return new java.math.BigInteger(shard.hashKeyRange().startingHashKey())
                .add(new java.math.BigInteger(shard.hashKeyRange().endingHashKey())).shiftRight(1).toString();
    }
}
