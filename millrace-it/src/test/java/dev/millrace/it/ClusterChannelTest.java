package dev.millrace.it;

import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.kafka.testkit.ChildKafkaCluster;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Channel delivery on a cluster (issue #18: "once several nodes share a Kafka cluster, each shard is delivered by
 * exactly one node"): three Millrace nodes on one Kafka broker, all with the same S3 endpoint (s3proxy, in this JVM),
 * deliver an on-demand stream's JSON records while records are put through every node, and the metadata writer's
 * node, the one that delivers, is SIGKILLed at the worst moment: from inside s3proxy, right after an object of its
 * was stored and before the node heard so (its checkpoint still says the batch is pending). Puts carry on through the
 * survivors; a survivor becomes the writer and delivers the rest.
 *
 * <p>What is checked, and why each is what a client can observe:
 * <ul>
 *   <li>Every acknowledged record is in exactly one object, and no record is in two: the contents a user reads.
 *       Every attempt of a put is a record of its own (its id names the attempt), so a failed attempt that was stored
 *       all the same (a "ghost") is not mistaken for a duplicate; it may be delivered, but once.</li>
 *   <li>The objects of a shard never overlap in sequence numbers (each object's range is that of the acknowledged
 *       records in it), and every record of an object belongs to the shard its key names: two nodes delivering one
 *       shard at once would cut overlapping batches, or write the same batch twice.</li>
 *   <li>Every key is uploaded once, but a batch the killed writer had stored without committing: the new writer
 *       rewrites it under the same key, byte for byte the same, after the takeover. s3proxy counts the uploads, so
 *       two nodes writing the same batch under the same key (harmless to the contents, hence invisible there) shows
 *       up here.</li>
 *   <li>The survivors' {@code kinesis_channel_delivery_to_s3_successful_records_total} add up to exactly the records
 *       of the objects uploaded after the takeover, and the survivor that never was the writer reports none: one
 *       node delivers, and counts, each batch. (The killed node's counts died with it, so the whole stream cannot be
 *       matched; what the survivors did can.)</li>
 * </ul>
 *
 * <p>On Kafka a follower's checkpoint commits are refused (the metadata store is the writer's alone), so a node
 * that delivered without being the writer could not move a checkpoint; it could still upload a batch it found pending,
 * the same bytes again under the same key: invisible in the contents, counted by s3proxy here.
 *
 * <p>One broker (a child process), three nodes with a quick writer takeover ({@link KafkaBackend#QUICK_TAKEOVER}),
 * DataFreshnessInSeconds 1. The scenario took 34 to 59 s on a 2-core machine busy with other builds (load 15 to
 * 27), after the broker and nodes had started (35 s there); less on a quiet one.
 *
 * <p>Not thread-safe; one test drives it. The producer thread and s3proxy's threads share only concurrent
 * collections and atomics.
 */
@Tag("solo") // runs alone: see millrace-it/pom.xml
class ClusterChannelTest {
    private static final String ACCOUNT = "000000000000";
    private static final String STREAM = "cluster-orders";
    private static final String CHANNEL = "cluster-to-s3";
    private static final String BUCKET = "cluster-archive";
    private static final Pattern SUFFIX = Pattern.compile("-[0-9a-f]{8}-(\\d{12})-([0-9a-z]{13})(\\.[a-z]+)?$");
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");
    private static final String SUCCESSFUL_RECORDS = "kinesis_channel_delivery_to_s3_successful_records_total";
    /**
     * Uploads that end this soon after the kill may still be the killed node's (its last request bytes were in the
     * socket); the survivors cannot deliver before its writer session (3 s) expires.
     */
    private static final long KILL_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(1_500);

    private static ChildKafkaCluster kafka;
    private static MillraceNodes nodes;
    private static CountingS3 s3;
    private static S3Client s3Client;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = new CountingS3();
        s3Client = s3.client();
        s3Client.createBucket(b -> b.bucket(BUCKET));
        kafka = ChildKafkaCluster.start(1);
        nodes = MillraceNodes.start(3, dir, kafka.bootstrapServers(), "it-channels.", 0,
                "--s3-endpoint", s3.endpoint.toString(), "--s3-access-key-id", S3ProxyServer.ACCESS_KEY,
                "--s3-secret-access-key", S3ProxyServer.SECRET_KEY, "--channel-min-freshness-seconds", "1");
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
        }
    }

    /** An acknowledged record: where the SDK was told it went. */
    private record Acked(String shardId, String sequenceNumber) {
    }

    @Test
    void killingTheDeliveringWriterMidUploadDeliversEveryAcknowledgedRecordOnceByOneNodePerShard() throws Exception {
        long startNanos = System.nanoTime();
        List<KinesisClient> clients = IntStream.range(0, 3).mapToObj(i -> Clients.syncNoRetries(nodes.node(i)
                .endpoint())).toList();
        Set<Integer> dead = ConcurrentHashMap.newKeySet();
        Producer producer = new Producer(clients, dead);
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
                    .until(() -> s3.uploads.size() >= shards && producer.acked.size() >= 500);
            int writer = nodes.writers().get(0);
            Killed killed = killFromInsideUpload(writer, dead);
            System.out.printf("ClusterChannelTest: node%d (the writer) SIGKILLed after %s was stored, at %d"
                    + " acknowledged%n", writer, killed.key(), producer.acked.size());
            int next = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(nodes::writers, l -> !l.isEmpty()).get(0);
            assertThat(next).as("the new writer").isNotEqualTo(writer);
            int target = producer.acked.size() + 500;
            await().atMost(Duration.ofSeconds(30)).until(() -> producer.acked.size() >= target);
            producer.finish();

            Map<String, Acked> acked = producer.acked;
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(missing(acked, delivered(prefix))).as("acknowledged records not delivered yet")
                            .isEmpty());
            Map<String, List<String>> delivered = delivered(prefix);
            System.out.printf("ClusterChannelTest: %d acknowledged, %d sent, %d delivered in %d objects, %d keys"
                    + " uploaded twice, failures %s, %d s%n", acked.size(), producer.sent.size(), delivered.size(),
                    keys(prefix).size(), s3.uploadsOf(2).size(), producer.failures,
                    (System.nanoTime() - startNanos) / 1_000_000_000);
            assertExactlyOnce(producer, delivered);
            assertShardsNeverOverlap(acked, prefix);
            assertEachKeyUploadedOnceButTheInterruptedBatch(killed, shards);
            assertSurvivorsCountedWhatTheyUploaded(channelId, prefix, killed, writer, next);
        } finally {
            producer.halt();
            clients.forEach(KinesisClient::close);
        }
    }

    /** What the kill interrupted: the object stored just before, its bytes then, and when the node died. */
    private record Killed(String key, byte[] bytes, long atNanos) {
    }

    /**
     * SIGKILLs node {@code writer} from inside s3proxy's handling of its next upload, once the object is stored and
     * before the node hears so; the upload then fails. Only the writer delivers, so the next upload is its.
     */
    private static Killed killFromInsideUpload(int writer, Set<Integer> dead) throws InterruptedException {
        CountDownLatch fired = new CountDownLatch(1);
        AtomicReference<Killed> killed = new AtomicReference<>();
        s3.afterNextStore((key, bytes) -> {
            dead.add(writer);
            nodes.node(writer).kill9();
            killed.set(new Killed(key, bytes, System.nanoTime()));
            fired.countDown();
        });
        assertThat(fired.await(20, TimeUnit.SECONDS)).as("an upload came to be interrupted").isTrue();
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
     * One upload per key, but the batches the killed writer had stored without committing (at most one per shard,
     * the interrupted one among them): each uploaded again after the takeover, under the same key, with the same
     * bytes.
     */
    private static void assertEachKeyUploadedOnceButTheInterruptedBatch(Killed killed, int shards) {
        s3.uploads.forEach((key, times) -> assertThat(times).as("uploads of %s", key).hasSizeLessThanOrEqualTo(2));
        Set<String> twice = s3.uploadsOf(2);
        assertThat(twice).as("keys uploaded twice").contains(killed.key()).hasSizeLessThanOrEqualTo(shards);
        for (String key : twice) {
            List<Long> times = s3.uploads.get(key);
            assertThat(times.get(0)).as("first upload of %s, by the killed writer", key)
                    .isLessThanOrEqualTo(killed.atNanos() + KILL_GRACE_NANOS);
            assertThat(times.get(1)).as("second upload of %s, by the new writer", key)
                    .isGreaterThan(killed.atNanos() + KILL_GRACE_NANOS);
        }
        assertThat(S3ProxyServer.get(s3Client, BUCKET, killed.key())).as("%s rewritten byte for byte", killed.key())
                .isEqualTo(killed.bytes());
    }

    /**
     * The survivors' successful-records counters add up to the records of the objects uploaded after the takeover;
     * the survivor that never was the writer counted nothing.
     */
    private static void assertSurvivorsCountedWhatTheyUploaded(String channelId, String prefix, Killed killed,
                                                               int writer, int next) {
        int bystander = 3 - writer - next;
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            long afterTakeover = 0;
            for (String key : keys(prefix)) {
                List<Long> times = s3.uploads.get(key);
                if (times.get(times.size() - 1) > killed.atNanos() + KILL_GRACE_NANOS) {
                    afterTakeover += ids(key).size();
                }
            }
            double bystanderCount = successfulRecords(bystander, channelId);
            double writerCount = successfulRecords(next, channelId);
            System.out.printf("ClusterChannelTest: successful records: node%d (new writer) %.0f, node%d %.0f;"
                    + " %d records in objects uploaded after the takeover%n", next, writerCount, bystander,
                    bystanderCount, afterTakeover);
            assertThat(bystanderCount).as("records node%d (never the writer) delivered", bystander).isZero();
            assertThat(writerCount + bystanderCount).as("records the survivors delivered")
                    .isEqualTo((double) afterTakeover);
        });
    }

    /** The sum of a node's {@value #SUCCESSFUL_RECORDS} samples of the channel; 0 if it has none. */
    private static double successfulRecords(int node, String channelId) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        nodes.node(node).endpoint().resolve("/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
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
     * s3proxy over jclouds' in-memory blob store, as {@link S3ProxyServer}, that notes when each object of the
     * bucket was stored (every upload of it) and, once asked ({@link #afterNextStore}), runs a hook after the next
     * object is stored, and fails that upload as if the answer were lost.
     *
     * <p>Thread-safe: s3proxy's threads note uploads into concurrent collections; the hook is taken atomically.
     */
    private static final class CountingS3 implements AutoCloseable {
        final URI endpoint;
        /** Per key, when each of its uploads was stored (System.nanoTime()). */
        final Map<String, List<Long>> uploads = new ConcurrentHashMap<>();
        private final BlobStoreContext context;
        private final S3Proxy proxy;
        private final AtomicReference<StoredHook> hook = new AtomicReference<>();

        @FunctionalInterface
        interface StoredHook {
            void stored(String key, byte[] bytes);
        }

        CountingS3() throws Exception {
            context = ContextBuilder.newBuilder("transient").build(BlobStoreContext.class);
            BlobStore store = context.getBlobStore();
            BlobStore noted = (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(),
                    new Class<?>[] {BlobStore.class}, (p, method, args) -> {
                        if (method.getName().equals("putBlob") && args != null && args.length >= 2
                                && args[0].equals(BUCKET)) {
                            return putBlob(store, method, args);
                        }
                        return invoke(store, method, args);
                    });
            proxy = S3Proxy.builder().blobStore(noted).endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3ProxyServer.ACCESS_KEY,
                            S3ProxyServer.SECRET_KEY)
                    .build();
            proxy.start();
            while (!proxy.getState().equals("STARTED")) {
                Thread.sleep(10);
            }
            endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        }

        private Object putBlob(BlobStore store, Method method, Object[] args) throws Throwable {
            String key = ((Blob) args[1]).getMetadata().getName();
            Object result = invoke(store, method, args);
            uploads.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(System.nanoTime());
            StoredHook now = hook.getAndSet(null);
            if (now != null) {
                try (InputStream in = store.getBlob(BUCKET, key).getPayload().openStream()) {
                    now.stored(key, in.readAllBytes());
                }
                throw new IOException("the answer to the upload of " + key + " was lost");
            }
            return result;
        }

        private static Object invoke(BlobStore store, Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(store, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        void afterNextStore(StoredHook then) {
            hook.set(then);
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
            return S3Client.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                            S3ProxyServer.ACCESS_KEY, S3ProxyServer.SECRET_KEY)))
                    .forcePathStyle(true).endpointOverride(endpoint)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .build();
        }

        @Override
        public void close() {
            try {
                proxy.stop();
            } catch (Exception e) {
                throw new IllegalStateException("s3proxy did not stop", e);
            } finally {
                context.close();
            }
        }
    }
}
