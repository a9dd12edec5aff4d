package dev.millrace.it;

import com.amazonaws.services.lambda.runtime.events.KinesisEvent;
import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.kafka.testkit.ChildKafkaCluster;
import org.jclouds.blobstore.domain.Blob;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourcePosition;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Channel delivery on a cluster (issue #18: "once several nodes share a Kafka cluster, each shard is delivered by
 * exactly one node"): three Millrace nodes on one Kafka broker deliver an on-demand stream's JSON records to one
 * bucket while records are put through every node, and the metadata writer's node, the one that delivers, is
 * SIGKILLed at the worst moment: from inside s3proxy, right after an object of its was stored and before the node
 * heard so (its checkpoint still says the batch is pending). Puts carry on through the survivors; a survivor becomes
 * the writer and delivers the rest.
 *
 * <p>Every node has an S3 endpoint of its own ({@link HookedS3}: three s3proxy endpoints over one store, in this
 * JVM), so the store knows which node made each upload; nothing is inferred from when it came. From the kill to the
 * end a thread of the test asks the nodes, every 50 ms, which of them is the writer, and notes every node that ever
 * said so.
 *
 * <p>What is checked, and why each is what a client can observe:
 * <ul>
 *   <li>Who uploaded: every upload stored before the kill is the old writer's; every one after it is by a node that
 *       was the writer at some time after the kill, or by the killed node (a request of its in flight when it died),
 *       and then its key is uploaded again by a later writer (the dead node committed nothing). A node that was never
 *       the writer uploaded nothing.</li>
 *   <li>Every acknowledged record is in exactly one object, and no record is in two: the contents a user reads.
 *       Every attempt of a put is a record of its own (its id names the attempt), so a failed attempt that was stored
 *       all the same (a "ghost") is not mistaken for a duplicate; it may be delivered, but once.</li>
 *   <li>The objects of a shard never overlap in sequence numbers (each object's range is that of the acknowledged
 *       records in it), and every record of an object belongs to the shard its key names: two nodes delivering one
 *       shard at once would cut overlapping batches, or write the same batch twice.</li>
 *   <li>Every key is uploaded once, but a batch the killed writer had stored without committing: its first upload is
 *       the killed writer's, its second a later writer's, byte for byte the same (if the writer moved again among
 *       the survivors, a survivor's stint may end so too). Two nodes writing the same batch under the same key
 *       (harmless to the contents, hence invisible there) shows up here.</li>
 *   <li>Each survivor's {@code kinesis_channel_delivery_to_s3_successful_records_total} is exactly the records of the
 *       objects it uploaded, and a survivor that never was the writer reports none: one node delivers, and counts,
 *       each batch. (The killed node's counts died with it.)</li>
 * </ul>
 *
 * <p>On Kafka a follower's checkpoint commits are refused (the metadata store is the writer's alone), so a node
 * that delivered without being the writer could not move a checkpoint; it could still upload a batch it found pending,
 * the same bytes again under the same key: invisible in the contents, seen by the store here.
 *
 * <p>One broker (a child process), three nodes with a quick writer takeover ({@link KafkaBackend#QUICK_TAKEOVER}),
 * DataFreshnessInSeconds 1. The scenario took 34 to 59 s on a 2-core machine busy with other builds (load 15 to
 * 27), after the broker and nodes had started (35 s there); less on a quiet one.
 *
 * <p>Then, on the two survivors, an event source mapping (issue #19) runs as channel delivery does, on the writer
 * only: its function is a {@link FunctionServer} in this JVM that every node knows as {@code fn}. Records are put
 * through the follower before and after the function SIGKILLs the writer's node inside an invocation; every
 * acknowledged one reaches the function (at least once, as on Lambda), each shard's records first reach it in
 * sequence order, records put after the takeover arrive (the new writer processes), and the mapping is still
 * Enabled, through the surviving node.
 *
 * <p>Not thread-safe; the tests run one at a time, in order. The producer thread, the writer watch and s3proxy's
 * threads share only concurrent collections and atomics.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterChannelTest {
    private static final String ACCOUNT = "000000000000";
    private static final String STREAM = "cluster-orders";
    private static final String CHANNEL = "cluster-to-s3";
    private static final String BUCKET = "cluster-archive";
    private static final int NODES = 3;
    private static final Pattern SUFFIX = Pattern.compile("-[0-9a-f]{8}-(\\d{12})-([0-9a-z]{13})(\\.[a-z]+)?$");
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");
    private static final String SUCCESSFUL_RECORDS = "kinesis_channel_delivery_to_s3_successful_records_total";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String MAPPED = "cluster-mapped";
    /** The invocation of the mapping inside which the function kills the writer: a few batches in, mid-stream. */
    private static final int KILL_AT_INVOCATION = 10;

    private static ChildKafkaCluster kafka;
    private static FunctionServer function;
    private static MillraceNodes nodes;
    private static TaggingS3 s3;
    private static S3Client s3Client;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = new TaggingS3(NODES);
        s3Client = s3.client();
        s3Client.createBucket(b -> b.bucket(BUCKET));
        function = new FunctionServer();
        kafka = ChildKafkaCluster.start(1);
        nodes = MillraceNodes.start(NODES, dir, kafka.bootstrapServers(), "it-channels.", 0, i -> List.of(
                "--s3-endpoint", s3.endpoint(i).toString(), "--s3-access-key-id", S3ProxyServer.ACCESS_KEY,
                "--s3-secret-access-key", S3ProxyServer.SECRET_KEY, "--channel-min-freshness-seconds", "1",
                "--function", "fn=" + function.url()));
    }

    @AfterAll
    static void stop() {
        try {
            if (nodes != null) {
                nodes.close();
            }
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            if (s3Client != null) {
                s3Client.close();
            }
            if (s3 != null) {
                s3.close();
            }
            if (function != null) {
                function.close();
            }
        }
    }

    /** An acknowledged record: where the SDK was told it went. */
    private record Acked(String shardId, String sequenceNumber) {
    }

    @Test
    void killingTheDeliveringWriterMidUploadDeliversEveryAcknowledgedRecordOnceByOneNodePerShard() throws Exception {
        long startNanos = System.nanoTime();
        List<KinesisClient> clients = IntStream.range(0, NODES).mapToObj(i -> Clients.syncNoRetries(nodes.node(i)
                .endpoint())).toList();
        Set<Integer> dead = ConcurrentHashMap.newKeySet();
        Producer producer = new Producer(clients, dead);
        WriterWatch watch = new WriterWatch();
        try (KinesisClient admin = Clients.syncRetrying(nodes.node(0).endpoint(), 10)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes.writers().size() == 1);
            admin.createStream(b -> b.streamName(STREAM).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
            Streams.awaitActive(admin, STREAM);
            int shards = Streams.shards(admin, STREAM).size();
            String channelId = createActiveChannel(admin);
            String prefix = "kinesis-channel/" + CHANNEL + "/" + channelId + "/";

            producer.start();
            // Delivery under way on every shard before the kill, so that the writer dies with batches in flight.
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200))
                    .until(() -> s3.shardsUploaded() >= shards && producer.acked.size() >= 500);
            int writer = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(nodes::writers, l -> l.size() == 1).get(0);
            Killed killed = killFromInsideUpload(writer, dead);
            watch.start();
            System.out.printf("ClusterChannelTest: node%d (the writer) SIGKILLed after %s was stored, at %d"
                    + " acknowledged%n", writer, killed.key(), producer.acked.size());
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !watch.everWriter.isEmpty());
            int target = producer.acked.size() + 500;
            await().atMost(Duration.ofSeconds(30)).until(() -> producer.acked.size() >= target);
            producer.finish();

            Map<String, Acked> acked = producer.acked;
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(missing(acked, delivered(prefix))).as("acknowledged records not delivered yet")
                            .isEmpty());
            Set<Integer> writersAfterKill = watch.finish();
            Map<String, List<String>> delivered = delivered(prefix);
            System.out.printf("ClusterChannelTest: %d acknowledged, %d sent, %d delivered in %d objects, %d keys"
                    + " uploaded twice, writers after the kill %s, failures %s, %d s%n", acked.size(),
                    producer.sent.size(), delivered.size(), keys(prefix).size(), s3.uploadsOf(2).size(),
                    writersAfterKill, producer.failures, (System.nanoTime() - startNanos) / 1_000_000_000);
            assertThat(writersAfterKill).as("nodes that were the writer after the kill").isNotEmpty()
                    .doesNotContain(writer);
            assertUploadedOnlyByWriters(killed, writer, writersAfterKill);
            assertExactlyOnce(producer, delivered);
            assertShardsNeverOverlap(acked, prefix);
            assertEachKeyUploadedOnceButTheInterruptedBatch(killed, writer, writersAfterKill, shards);
            assertSurvivorsCountedWhatTheyUploaded(channelId, writer, writersAfterKill);
        } finally {
            watch.halt();
            producer.halt();
            clients.forEach(KinesisClient::close);
        }
    }

    /**
     * After the channel scenario (which has no {@code @Order}, so it comes first): its survivors, of which the
     * writer runs the mapping and is SIGKILLed under it, by the function itself during its
     * {@link #KILL_AT_INVOCATION}th invocation, so that the writer dies with that batch under way.
     */
    @Test
    @Order(Order.DEFAULT + 1)
    void killingTheWriterWhileAMappingRunsGetsEveryAcknowledgedRecordToTheFunctionInShardOrder() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("ClusterChannelTest mapping seed: " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        List<Integer> alive = IntStream.range(0, NODES).filter(i -> nodes.node(i).isAlive()).boxed().toList();
        assertThat(alive).as("nodes alive after the channel scenario").hasSizeGreaterThanOrEqualTo(2);
        int writer = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(nodes::writers, l -> l.size() == 1).get(0);
        int follower = alive.stream().filter(i -> i != writer).findFirst().orElseThrow();
        String uuid;
        // Through the follower: it forwards the mapping's creation to the writer, and answers reads itself.
        try (KinesisClient admin = Clients.syncRetrying(nodes.node(follower).endpoint(), 10);
             LambdaClient lambda = Clients.lambda(nodes.node(follower).endpoint())) {
            admin.createStream(b -> b.streamName(MAPPED).shardCount(2));
            Streams.awaitActive(admin, MAPPED);
            uuid = lambda.createEventSourceMapping(b -> b.functionName("fn").eventSourceArn("arn:aws:kinesis:"
                    + "us-east-1:" + ACCOUNT + ":stream/" + MAPPED).startingPosition(EventSourcePosition.TRIM_HORIZON)
                    .batchSize(20)).uuid();
            await().atMost(Duration.ofSeconds(20)).until(() -> lambda.getEventSourceMapping(b -> b.uuid(uuid))
                    .state().equals("Enabled"));
        }
        CrashProducer.Ledger ledger = new CrashProducer.Ledger();
        AtomicReference<List<Integer>> writersAtKill = new AtomicReference<>();
        try (KinesisClient kinesis = Clients.syncNoRetries(nodes.node(follower).endpoint())) {
            CrashProducer producer = new CrashProducer(kinesis, MAPPED, "m-", ledger, (id, n, valid) -> id,
                    new Random(seed).nextLong());
            CountDownLatch killed = killWriterInsideInvocation(writer, writersAtKill);
            producer.start();
            Throwable failure = null;
            try {
                assertThat(killed.await(30, TimeUnit.SECONDS)).as("the writer was killed inside invocation %d",
                        KILL_AT_INVOCATION).isTrue();
                assertThat(writersAtKill.get()).as("the writers just before the kill").containsExactly(writer);
                int next = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                        .until(nodes::writers, l -> !l.isEmpty()).get(0);
                assertThat(next).as("the new writer").isNotEqualTo(writer);
                int target = ledger.acknowledged.size() + 200;
                await().atMost(Duration.ofSeconds(30)).until(() -> ledger.acknowledged.size() >= target);
            } catch (Throwable t) {
                failure = t;
                throw t;
            } finally {
                function.behaviour = event -> FunctionServer.Answer.OK; // a failed test kills no node in teardown
                finish(producer, failure);
            }
        }
        Set<String> mustArrive = new HashSet<>(ledger.acknowledged);
        mustArrive.addAll(ledger.deadLetters.values());
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).until(() ->
                arrivedIds().containsAll(mustArrive));

        assertThat(mustArrive).as("records acknowledged, 200 of them after the takeover").hasSizeGreaterThan(200);
        firstArrivalsByShard().forEach((shard, sequenceNumbers) -> assertThat(sequenceNumbers)
                .as("first arrivals in %s", shard).isSorted());
        try (LambdaClient lambda = Clients.lambda(nodes.node(follower).endpoint())) {
            assertThat(lambda.getEventSourceMapping(b -> b.uuid(uuid)).state()).isEqualTo("Enabled");
            assertThat(lambda.listEventSourceMappings(b -> b.functionName("fn")).eventSourceMappings())
                    .anySatisfy(m -> {
                        assertThat(m.uuid()).isEqualTo(uuid);
                        assertThat(m.state()).isEqualTo("Enabled");
                    });
        }
        System.out.printf("ClusterChannelTest: node%d (the writer) SIGKILLed inside invocation %d of the mapping; %d"
                + " acknowledged, %d sent, %d record invocations (%d repeated)%n", writer, KILL_AT_INVOCATION,
                mustArrive.size(), ledger.sent.size(), mappedArrivals().size(), mappedArrivals().size()
                - arrivedIds().size());
    }

    /**
     * Arms the function: its {@link #KILL_AT_INVOCATION}th invocation for {@link #MAPPED} notes who the writers are,
     * SIGKILLs node {@code writer}, then answers (to a dead caller). The latch is counted down after the kill.
     */
    private static CountDownLatch killWriterInsideInvocation(int writer, AtomicReference<List<Integer>> writers) {
        CountDownLatch killed = new CountDownLatch(1);
        AtomicInteger invocations = new AtomicInteger();
        function.behaviour = event -> {
            if (event.getRecords().stream().anyMatch(r -> r.getEventSourceARN().endsWith(":stream/" + MAPPED))
                    && invocations.incrementAndGet() == KILL_AT_INVOCATION) {
                writers.set(nodes.writers());
                nodes.node(writer).kill9();
                killed.countDown();
            }
            return FunctionServer.Answer.OK;
        };
        return killed;
    }

    /** Stops the producer; if the test already failed, a failure here is added to that one rather than hiding it. */
    private static void finish(CrashProducer producer, Throwable failure) throws InterruptedException {
        try {
            producer.finish();
        } catch (RuntimeException | Error e) {
            if (failure == null) {
                throw e;
            }
            failure.addSuppressed(e);
        }
    }

    /** The records of {@link #MAPPED} the function got, in the order they came, repeats included. */
    private static List<KinesisEvent.KinesisEventRecord> mappedArrivals() {
        return function.records().stream().filter(r -> r.getEventSourceARN().endsWith(":stream/" + MAPPED))
                .toList();
    }

    private static Set<String> arrivedIds() {
        Set<String> ids = new HashSet<>();
        mappedArrivals().forEach(r -> ids.add(FunctionServer.data(r)));
        return ids;
    }

    /** Per shard, the sequence numbers of its records in the order each first reached the function. */
    private static Map<String, List<BigInteger>> firstArrivalsByShard() {
        Map<String, List<BigInteger>> byShard = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (KinesisEvent.KinesisEventRecord r : mappedArrivals()) {
            String sequenceNumber = r.getKinesis().getSequenceNumber();
            if (seen.add(sequenceNumber)) {
                byShard.computeIfAbsent(r.getEventID().split(":")[0], s -> new ArrayList<>())
                        .add(new BigInteger(sequenceNumber));
            }
        }
        return byShard;
    }

    /**
     * What the kill interrupted: the object stored just before and its bytes then; and the last upload stored before
     * the node was dead (the store numbers uploads in the order they were stored).
     */
    private record Killed(String key, byte[] bytes, long lastUploadBeforeDeath) {
    }

    /**
     * SIGKILLs node {@code writer} from inside s3proxy's handling of its next upload, once the object is stored and
     * before the node hears so; the upload then fails.
     */
    private static Killed killFromInsideUpload(int writer, Set<Integer> dead) throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        AtomicReference<Killed> killed = new AtomicReference<>();
        s3.afterNextStoreBy(writer, (key, bytes) -> {
            dead.add(writer);
            nodes.node(writer).kill9();
            killed.set(new Killed(key, bytes, s3.lastUpload()));
            fired.countDown();
        });
        try {
            assertThat(fired.await(20, TimeUnit.SECONDS)).as("an upload of node%d came to be interrupted", writer)
                    .isTrue();
        } finally {
            s3.disarm(); // a test failing here must not kill a node during teardown
        }
        return killed.get();
    }

    private static String createActiveChannel(KinesisClient kinesis) {
        String arn = kinesis.createChannel(b -> b.channelName(CHANNEL)
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + STREAM)
                        .recordConfiguration(r -> r.recordFormatType("JSON")))
                .s3DestinationConfiguration(d -> d.dataFreshnessInSeconds(1)
                        .storageConfiguration(c -> c.bucketARN("arn:aws:s3:::" + BUCKET).expectedBucketOwner(ACCOUNT)
                                .compressionType("NONE"))))
                .channelDescription().channelARN();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> kinesis.describeChannel(b -> b.channelARN(arn)).channelDescription().channelStatus()
                        == ChannelStatus.ACTIVE);
        return kinesis.describeChannel(b -> b.channelARN(arn)).channelDescription().channelId();
    }

    private static Set<String> missing(Map<String, Acked> acked, Map<String, List<String>> delivered) {
        Set<String> missing = new HashSet<>(acked.keySet());
        missing.removeAll(delivered.keySet());
        return missing;
    }

    /** Every acknowledged record once; nothing twice; nothing nobody sent. */
    private static void assertExactlyOnce(Producer producer, Map<String, List<String>> delivered) {
        Map<String, List<String>> twice = new TreeMap<>();
        delivered.forEach((id, objects) -> {
            if (objects.size() > 1) {
                twice.put(id, objects);
            }
        });
        assertThat(twice).as("records delivered more than once (id -> objects)").isEmpty();
        assertThat(missing(producer.acked, delivered)).as("acknowledged records never delivered").isEmpty();
        Set<String> unknown = new HashSet<>(delivered.keySet());
        unknown.removeAll(producer.sent);
        assertThat(unknown).as("delivered records nobody sent").isEmpty();
    }

    /**
     * Per shard, the objects' ranges of sequence numbers (of the acknowledged records in them) are disjoint, and an
     * object holds only records of the shard its key names.
     */
    private static void assertShardsNeverOverlap(Map<String, Acked> acked, String prefix) {
        Map<String, List<BigInteger[]>> rangesByShard = new HashMap<>();
        for (String key : keys(prefix)) {
            Matcher m = SUFFIX.matcher(key);
            assertThat(m.find()).as("key %s ends with the channel, shard and position suffix", key).isTrue();
            String shardId = "shardId-" + m.group(1);
            BigInteger first = null;
            BigInteger last = null;
            for (String id : ids(key)) {
                Acked a = acked.get(id);
                if (a == null) {
                    continue; // a ghost: its sequence number was never told
                }
                assertThat(a.shardId()).as("record %s of %s", id, key).isEqualTo(shardId);
                BigInteger seq = new BigInteger(a.sequenceNumber());
                first = first == null || seq.compareTo(first) < 0 ? seq : first;
                last = last == null || seq.compareTo(last) > 0 ? seq : last;
            }
            if (first != null) {
                rangesByShard.computeIfAbsent(shardId, s -> new ArrayList<>()).add(new BigInteger[] {first, last});
            }
        }
        rangesByShard.forEach((shardId, ranges) -> {
            ranges.sort(Comparator.comparing(r -> r[0]));
            for (int i = 1; i < ranges.size(); i++) {
                assertThat(ranges.get(i)[0]).as("objects of %s overlap: %s..%s then %s..%s", shardId,
                        ranges.get(i - 1)[0], ranges.get(i - 1)[1], ranges.get(i)[0], ranges.get(i)[1])
                        .isGreaterThan(ranges.get(i - 1)[1]);
            }
        });
    }

    /**
     * Every upload stored before the kill is the old writer's. After it, an upload is by a node that was the writer
     * since, or by the dead node (a request of its in flight when it died: then, as it committed nothing, a later
     * writer uploads the key again). A node that was never the writer uploaded nothing.
     */
    private static void assertUploadedOnlyByWriters(Killed killed, int writer, Set<Integer> writersAfterKill) {
        s3.uploads.forEach((key, uploads) -> {
            for (TaggingS3.Upload u : uploads) {
                if (u.number() <= killed.lastUploadBeforeDeath()) {
                    assertThat(u.node()).as("node of upload #%d (%s), before the kill", u.number(), key)
                            .isEqualTo(writer);
                } else if (u.node() == writer) {
                    assertThat(uploads).as("uploads of %s, stored by the dead writer: uploaded again", key)
                            .anySatisfy(again -> assertThat(writersAfterKill).contains(again.node()));
                } else {
                    assertThat(writersAfterKill).as("writers after the kill, of whom node%d uploaded #%d (%s)",
                            u.node(), u.number(), key).contains(u.node());
                }
            }
        });
    }

    /**
     * One upload per key, but the batches the killed writer had stored without committing (at most one per shard,
     * the interrupted one among them): each uploaded first by it, then again, under the same key, with the same
     * bytes, by a writer after the kill. Should the writer move again among the survivors, a survivor's stint may end
     * the same way, with at most one such batch per shard, first uploaded by it.
     */
    private static void assertEachKeyUploadedOnceButTheInterruptedBatch(Killed killed, int writer,
                                                                       Set<Integer> writersAfterKill, int shards) {
        s3.uploads.forEach((key, times) -> assertThat(times).as("uploads of %s", key).hasSizeLessThanOrEqualTo(2));
        Set<String> twice = s3.uploadsOf(2);
        Set<Integer> firstUploaders = new HashSet<>(writersAfterKill.size() == 1 ? Set.of() : writersAfterKill);
        firstUploaders.add(writer);
        assertThat(twice).as("keys uploaded twice").contains(killed.key())
                .hasSizeLessThanOrEqualTo(shards * writersAfterKill.size());
        for (String key : twice) {
            List<TaggingS3.Upload> uploads = s3.uploadsInOrder(key);
            assertThat(uploads.get(0).node()).as("node of the first upload of %s", key).isIn(firstUploaders);
            assertThat(uploads.get(1).node()).as("node of the second upload of %s", key).isIn(writersAfterKill);
            assertThat(uploads.get(1).number()).as("second upload of %s, after the kill", key)
                    .isGreaterThan(killed.lastUploadBeforeDeath());
        }
        assertThat(S3ProxyServer.get(s3Client, BUCKET, killed.key())).as("%s rewritten byte for byte", killed.key())
                .isEqualTo(killed.bytes());
    }

    /**
     * Each survivor's successful-records counter is the records of the objects it uploaded; one that never was the
     * writer uploaded and counted nothing.
     */
    private static void assertSurvivorsCountedWhatTheyUploaded(String channelId, int writer,
                                                               Set<Integer> writersAfterKill) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            Map<Integer, Long> uploaded = new TreeMap<>();
            Map<String, Integer> records = new HashMap<>();
            s3.uploads.forEach((key, uploads) -> {
                for (TaggingS3.Upload u : uploads) {
                    uploaded.merge(u.node(), (long) records.computeIfAbsent(key, k -> ids(k).size()), Long::sum);
                }
            });
            for (int node = 0; node < NODES; node++) {
                if (node == writer) {
                    continue; // its counts died with it
                }
                double counted = successfulRecords(node, channelId);
                long ofItsUploads = uploaded.getOrDefault(node, 0L);
                System.out.printf("ClusterChannelTest: node%d%s counted %.0f successful records, uploaded %d%n", node,
                        writersAfterKill.contains(node) ? " (a writer)" : "", counted, ofItsUploads);
                if (!writersAfterKill.contains(node)) {
                    assertThat(ofItsUploads).as("records node%d (never the writer) uploaded", node).isZero();
                    assertThat(counted).as("records node%d (never the writer) counted", node).isZero();
                }
                assertThat(counted).as("records node%d counted", node).isEqualTo((double) ofItsUploads);
            }
        });
    }

    /** The sum of a node's {@value #SUCCESSFUL_RECORDS} samples of the channel; 0 if it has none. */
    private static double successfulRecords(int node, String channelId) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(nodes.node(node).endpoint().resolve("/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET /metrics of node%d", node).isEqualTo(200);
        return r.body().lines().filter(l -> l.startsWith(SUCCESSFUL_RECORDS + "{")
                        && l.contains("channel_id=\"" + channelId + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static List<String> keys(String prefix) {
        return s3Client.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    /** The ids of the records in an object, one JSON line each. */
    private static List<String> ids(String key) {
        List<String> ids = new ArrayList<>();
        for (String line : new String(S3ProxyServer.get(s3Client, BUCKET, key), StandardCharsets.UTF_8).lines()
                .toList()) {
            Matcher m = ID.matcher(line);
            assertThat(m.find()).as("a delivered line with an id: %s", line).isTrue();
            ids.add(m.group(1));
        }
        return ids;
    }

    /** Every delivered record's id, with the keys of the objects it is in (once per line). */
    private static Map<String, List<String>> delivered(String prefix) {
        Map<String, List<String>> out = new HashMap<>();
        for (String key : keys(prefix)) {
            for (String id : ids(key)) {
                out.computeIfAbsent(id, i -> new ArrayList<>()).add(key);
            }
        }
        return out;
    }

    /**
     * Puts batches of 20 records through the live nodes in turn, without the SDK's retries; the entries of a batch
     * that failed (the call, or some entries) are put again through the next node, each attempt as a record of its
     * own ({@code r<n>.<attempt>}, same partition key, hence the same shard, after the failed one), so that a failed
     * attempt stored all the same is never taken for a duplicate of the acknowledged one.
     */
    private static final class Producer extends Thread {
        final Map<String, Acked> acked = new ConcurrentHashMap<>();
        final Set<String> sent = ConcurrentHashMap.newKeySet();
        final Map<String, Integer> failures = new ConcurrentHashMap<>();
        private final List<KinesisClient> clients;
        private final Set<Integer> dead;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Throwable> crashed = new CopyOnWriteArrayList<>();
        private int node;

        Producer(List<KinesisClient> clients, Set<Integer> dead) {
            super("cluster-channel-producer");
            setDaemon(true);
            this.clients = clients;
            this.dead = dead;
        }

        @Override
        public void run() {
            try {
                Map<Integer, Integer> pending = new TreeMap<>(); // record number -> attempts so far
                for (int next = 0; running.get(); ) {
                    while (pending.size() < 20) {
                        pending.put(next++, 0);
                    }
                    pending = attempt(pending);
                    Thread.sleep(pending.isEmpty() ? 20 : 50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException | Error e) {
                crashed.add(e);
            }
        }

        /** One PutRecords through the next live node; returns the records still to put, with their attempts. */
        private Map<Integer, Integer> attempt(Map<Integer, Integer> records) {
            List<Integer> numbers = new ArrayList<>(records.keySet());
            List<String> ids = numbers.stream().map(n -> "r" + n + "." + records.get(n)).toList();
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < numbers.size(); i++) {
                sent.add(ids.get(i));
                entries.add(PutRecordsRequestEntry.builder().partitionKey("pk" + numbers.get(i) % 97)
                        .data(SdkBytes.fromUtf8String("{\"id\":\"" + ids.get(i) + "\",\"n\":" + numbers.get(i) + "}"))
                        .build());
            }
            Map<Integer, Integer> failed = new TreeMap<>();
            try {
                List<PutRecordsResultEntry> results = clients.get(nextLiveNode())
                        .putRecords(b -> b.streamName(STREAM).records(entries)).records();
                for (int i = 0; i < numbers.size(); i++) {
                    PutRecordsResultEntry r = results.get(i);
                    if (r.errorCode() == null) {
                        acked.put(ids.get(i), new Acked(r.shardId(), r.sequenceNumber()));
                    } else {
                        failures.merge(r.errorCode(), 1, Integer::sum);
                        failed.put(numbers.get(i), records.get(numbers.get(i)) + 1);
                    }
                }
            } catch (SdkException e) {
                failures.merge("call: " + e.getClass().getSimpleName(), 1, Integer::sum);
                records.forEach((n, attempts) -> failed.put(n, attempts + 1));
            }
            return failed;
        }

        private int nextLiveNode() {
            for (int i = 0; i < clients.size(); i++) {
                node = (node + 1) % clients.size();
                if (!dead.contains(node)) {
                    return node;
                }
            }
            throw new IllegalStateException("every node is dead");
        }

        void finish() throws InterruptedException {
            halt();
            assertThat(isAlive()).as("the producer stopped").isFalse();
            assertThat(crashed).as("the producer's own failures").isEmpty();
        }

        /** Stops without judging: for a test already failing, whose own failure is the one to report. */
        void halt() throws InterruptedException {
            running.set(false);
            join(60_000);
        }
    }

    /**
     * Asks the nodes every 50 ms which of them is the writer (each about itself), and notes every node that ever said
     * so: the writer may move among the survivors more than once under load.
     *
     * <p>Thread-safe: the set it fills is concurrent.
     */
    private static final class WriterWatch extends Thread {
        final Set<Integer> everWriter = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);

        WriterWatch() {
            super("cluster-channel-writer-watch");
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                while (running.get()) {
                    everWriter.addAll(nodes.writers());
                    Thread.sleep(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Stops, after one last look, and returns every node that was the writer while it watched. */
        Set<Integer> finish() throws InterruptedException {
            halt();
            assertThat(isAlive()).as("the writer watch stopped").isFalse();
            everWriter.addAll(nodes.writers());
            return Set.copyOf(everWriter);
        }

        void halt() throws InterruptedException {
            running.set(false);
            if (getState() != State.NEW) {
                join(30_000);
            }
        }
    }

    /**
     * One s3proxy endpoint per node over one store ({@link HookedS3}), noting each upload into the bucket with the
     * node it came from (the endpoint's) and its number in the order uploads were stored; once asked
     * ({@link #afterNextStoreBy}), it runs a hook after the next object a given node uploads is stored, and fails that
     * upload as if the answer were lost.
     *
     * <p>Thread-safe: s3proxy's threads note uploads into concurrent collections; the hook is taken atomically.
     */
    private static final class TaggingS3 implements AutoCloseable {
        /** An upload: by which node, and its number (1, 2, ...) in the order uploads were stored. */
        record Upload(int node, long number) {
        }

        @FunctionalInterface
        interface StoredHook {
            void stored(String key, byte[] bytes);
        }

        private record Armed(int node, StoredHook then) {
        }

        /** Per key, its uploads (not necessarily in order: s3proxy's threads race to note them). */
        final Map<String, List<Upload>> uploads = new ConcurrentHashMap<>();
        private final AtomicLong stored = new AtomicLong();
        private final AtomicReference<Armed> armed = new AtomicReference<>();
        private final HookedS3 s3;

        TaggingS3(int nodes) throws Exception {
            s3 = new HookedS3(nodes, Set.of(BUCKET), this::put);
        }

        private Object put(int node, String bucket, Blob blob, HookedS3.Store store) throws Throwable {
            String key = blob.getMetadata().getName();
            Object result = store.store();
            uploads.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>())
                    .add(new Upload(node, stored.incrementAndGet()));
            Armed now = armed.getAndUpdate(a -> a != null && a.node() == node ? null : a);
            if (now != null && now.node() == node) {
                now.then().stored(key, s3.stored(bucket, key));
                throw new IOException("the answer to the upload of " + key + " was lost");
            }
            return result;
        }

        URI endpoint(int node) {
            return s3.endpoint(node);
        }

        void afterNextStoreBy(int node, StoredHook then) {
            armed.set(new Armed(node, then));
        }

        void disarm() {
            armed.set(null);
        }

        /** The number of the last upload stored so far. */
        long lastUpload() {
            return stored.get();
        }

        /** How many shards (told by the keys' suffixes) have had an object uploaded. */
        long shardsUploaded() {
            return uploads.keySet().stream().map(SUFFIX::matcher).filter(Matcher::find).map(m -> m.group(1))
                    .distinct().count();
        }

        List<Upload> uploadsInOrder(String key) {
            return uploads.get(key).stream().sorted(Comparator.comparingLong(Upload::number)).toList();
        }

        /** The keys uploaded exactly {@code times} times. */
        Set<String> uploadsOf(int times) {
            Set<String> keys = new HashSet<>();
            uploads.forEach((key, stored) -> {
                if (stored.size() == times) {
                    keys.add(key);
                }
            });
            return keys;
        }

        S3Client client() {
            return s3.client();
        }

        @Override
        public void close() {
            s3.close();
        }
    }
}
