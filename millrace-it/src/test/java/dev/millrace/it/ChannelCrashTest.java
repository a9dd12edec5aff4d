package dev.millrace.it;

import dev.millrace.channels.s3.S3ProxyServer;
import org.jclouds.blobstore.domain.Blob;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Channel delivery is exactly once across kill -9: a server (child process, one data directory and port for all its
 * lives) delivering an on-demand stream's JSON records, gzipped, to a real S3 API server (s3proxy, in this JVM) is
 * killed with SIGKILL {@link #cycles()} times while a producer writes, and restarted. Half of the kills come at a
 * random moment of the server's life; the others at the worst ones, from inside s3proxy while it handles the upload
 * of a data object or a dead-letter object: either before the object is stored (the batch is recorded as pending,
 * nothing is written) or after it is stored but before the server hears so (the object is written, its checkpoint is
 * not). One record in 30 is not JSON and must become a dead letter. At the end every record whose PutRecords entry
 * was acknowledged is in exactly one object (a valid one in the bucket, an invalid one in the dead letters), no
 * record is in two, no two objects start at the same shard position, and an object written by a killed server was
 * written again, under the same key, byte for byte the same (the overwrite that makes a retried upload harmless).
 *
 * <p>The producer never retries (each record is sent at most once), so a record twice in the bucket can only be the
 * channel's doing. Records in a request that failed with the server are unacknowledged: they may or may not be
 * delivered, but at most once. The random choices come from one seed, printed and settable with
 * {@code -Dcrash.seed=N}: the schedule of kills repeats, the server's timing does not.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@Tag("solo") // runs alone: see millrace-it/pom.xml
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChannelCrashTest {
    private static final String ACCOUNT = "000000000000";
    private static final String BUCKET = "crash-archive";
    private static final String STREAM = "crash-orders";
    private static final String DLQ_BUCKET = "crash-dlq";
    private static final Pattern SUFFIX = Pattern.compile("-[0-9a-f]{8}-(\\d{12})-([0-9a-z]{13})\\.gz$");
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

    /** When a kill armed in s3proxy fires, relative to storing the object. */
    private enum KillPoint { BEFORE_STORE, AFTER_STORE }

    private KillingS3 s3;
    private S3Client s3Client;
    private Path dataDir;
    private volatile MillraceProcess server;

    @BeforeAll
    void start() throws Exception {
        s3 = new KillingS3();
        s3Client = s3.client();
        s3Client.createBucket(b -> b.bucket(BUCKET));
        s3Client.createBucket(b -> b.bucket(DLQ_BUCKET));
        dataDir = Files.createTempDirectory("millrace-it-channel-crash-");
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        s3Client.close();
        s3.close();
        KinesisApiContract.deleteTree(dataDir);
    }

    private MillraceProcess startServer(int port) {
        return MillraceProcess.startOnPort(dataDir, port, "--s3-endpoint", s3.endpoint.toString(),
                "--s3-access-key-id", S3ProxyServer.ACCESS_KEY, "--s3-secret-access-key", S3ProxyServer.SECRET_KEY,
                "--channel-min-freshness-seconds", "1");
    }

    /** How many times the server is killed. */
    int cycles() {
        return 10;
    }

    /**
     * How long a kill armed in s3proxy waits for an upload. On Kafka a node restarted after kill -9 delivers only once
     * it is elected metadata writer, after its dead predecessor's claim expires.
     */
    Duration hookKillWait() {
        return Duration.ofSeconds(6);
    }

    @Test
    void everyAcknowledgedRecordIsDeliveredExactlyOnceAcrossKillNineAtRandomAndAtTheWorstMoments() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("ChannelCrashTest seed: " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
        Random random = new Random(seed);
        long startNs = System.nanoTime();

        server = startServer(0);
        int port = server.port();
        String channelId;
        try (KinesisClient kinesis = Clients.syncNoRetries(server.awaitReady())) {
            Streams.createOnDemand(kinesis, STREAM);
            channelId = createActiveChannel(kinesis);
        }
        CrashProducer.Ledger ledger = new CrashProducer.Ledger();
        List<String> kills = new ArrayList<>();
        for (int cycle = 0; cycle < cycles(); cycle++) {
            if (cycle > 0) {
                server = startServer(port);
            }
            try (KinesisClient kinesis = Clients.syncNoRetries(server.awaitReady())) {
                CrashProducer producer = new CrashProducer(kinesis, STREAM, "c" + cycle + "-", ledger,
                        ChannelCrashTest::record, random.nextLong());
                producer.start();
                kills.add(killSomehow(cycle, random));
                producer.finish();
            }
        }
        System.out.println("ChannelCrashTest kills: " + kills);

        server = startServer(port);
        String prefix = "kinesis-channel/crash-to-s3/" + channelId + "/";
        awaitEverythingDelivered(ledger, prefix);
        Map<String, List<String>> delivered = deliveredIds(prefix);
        System.out.printf("ChannelCrashTest: %d acknowledged (%d of them dead letters), %d sent, %d delivered in %d "
                        + "objects, %d dead letters, %d s%n", ledger.acknowledged.size() + ledger.deadLetters.size(),
                ledger.deadLetters.size(), ledger.sent.size(), delivered.size(), keys(BUCKET, prefix).size(),
                deadLetterCounts().size(), (System.nanoTime() - startNs) / 1_000_000_000);
        assertThat(ledger.acknowledged).as("records were acknowledged in most lives").hasSizeGreaterThan(cycles() * 20);
        assertExactlyOnce(ledger, delivered);
        assertKeysDeterministic(prefix);
        assertThat(kills).as("kills from inside s3proxy, at the worst moments, happened")
                .filteredOn(k -> k.startsWith("s3")).hasSizeGreaterThanOrEqualTo(cycles() / 4);
    }

    /**
     * The last life: a sentinel put last in every shard is delivered only after everything before it there, and the
     * dead letters of the sentinel's batch right after it.
     */
    private void awaitEverythingDelivered(CrashProducer.Ledger ledger, String prefix) {
        List<String> sentinels;
        try (KinesisClient kinesis = Clients.syncNoRetries(server.awaitReady())) {
            sentinels = CrashProducer.putSentinels(kinesis, STREAM, ledger, ChannelCrashTest::record);
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(deliveredIds(prefix).keySet()).containsAll(sentinels));
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(deadLetterCounts().keySet())
                        .containsAll(ledger.deadLetters.keySet()));
    }

    /** Every acknowledged record once where it belongs (bucket or dead letters), none twice, none unknown. */
    private void assertExactlyOnce(CrashProducer.Ledger ledger, Map<String, List<String>> delivered) {
        Map<String, List<String>> twice = new HashMap<>();
        delivered.forEach((id, objects) -> {
            if (objects.size() > 1) {
                twice.put(id, objects);
            }
        });
        assertThat(twice).as("records delivered more than once (id -> objects)").isEmpty();
        Set<String> missing = new HashSet<>(ledger.acknowledged);
        missing.removeAll(delivered.keySet());
        assertThat(missing).as("acknowledged records never delivered").isEmpty();
        Set<String> unknown = new HashSet<>(delivered.keySet());
        unknown.removeAll(ledger.sent);
        assertThat(unknown).as("delivered records nobody sent").isEmpty();
        assertThat(delivered.keySet()).as("invalid JSON goes to the dead letters only")
                .doesNotContainAnyElementsOf(ledger.invalidSent);

        Map<String, Integer> deadLetters = deadLetterCounts();
        assertThat(deadLetters).as("dead letters written more than once (sequence number -> count)")
                .allSatisfy((sequenceNumber, count) -> assertThat(count).as(sequenceNumber).isEqualTo(1));
        assertThat(deadLetters.keySet()).as("every acknowledged invalid record is a dead letter")
                .containsAll(ledger.deadLetters.keySet());
        assertThat(deadLetters.size()).as("dead letters, at most one per invalid record sent")
                .isLessThanOrEqualTo(ledger.invalidSent.size());
    }

    /**
     * No two objects start at the same shard position, and every upload a kill interrupted was made again under the
     * same key: stored or not when the server died, with the same bytes if it was.
     */
    private void assertKeysDeterministic(String prefix) {
        List<String> keys = keys(BUCKET, prefix);
        Set<String> shardPositions = new HashSet<>();
        for (String key : keys) {
            Matcher m = SUFFIX.matcher(key);
            assertThat(m.find()).as("key %s ends with the channel, shard and position suffix", key).isTrue();
            assertThat(shardPositions.add(m.group(1) + "/" + m.group(2)))
                    .as("one object per shard and first position: %s", key).isTrue();
        }
        for (KillingS3.Target target : s3.killedBeforeStore) {
            assertThat(keys(target.bucket(), "")).as("the upload a kill interrupted was made again under its key")
                    .contains(target.key());
        }
        s3.killedAfterStore.forEach((target, bytes) -> {
            assertThat(s3.puts.get(target)).as("puts of %s, stored by a server killed before it heard", target)
                    .isGreaterThanOrEqualTo(2);
            assertThat(S3ProxyServer.get(s3Client, target.bucket(), target.key()))
                    .as("%s rewritten byte for byte", target).isEqualTo(bytes);
        });
    }

    private String createActiveChannel(KinesisClient kinesis) {
        String arn = kinesis.createChannel(b -> b.channelName("crash-to-s3")
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + STREAM)
                        .recordConfiguration(r -> r.recordFormatType("JSON")))
                .s3DestinationConfiguration(d -> d.dataFreshnessInSeconds(1)
                        .storageConfiguration(c -> c.bucketARN("arn:aws:s3:::" + BUCKET).expectedBucketOwner(ACCOUNT)
                                .compressionType("GZIP"))
                        .deadLetterQueueS3Configuration(q -> q.bucketARN("arn:aws:s3:::" + DLQ_BUCKET)
                                .expectedBucketOwner(ACCOUNT).errorOutputPrefix("errors/"))))
                .channelDescription().channelARN();
        return Streams.awaitChannel(kinesis, arn, ChannelStatus.ACTIVE).channelId();
    }

    /**
     * Kills the server: on even cycles after a random time, on odd ones from inside s3proxy's handling of the next
     * upload to the bucket or (one time in four) to the dead-letter bucket, before or after storing it, or after
     * {@link #hookKillWait()} if none comes. Returns how it went, for the log.
     */
    private String killSomehow(int cycle, Random random) throws InterruptedException {
        MillraceProcess victim = server;
        if (cycle % 2 == 0) {
            long delayMs = 200 + random.nextInt(1_500);
            Thread.sleep(delayMs);
            victim.kill9();
            return "random@" + delayMs + "ms";
        }
        KillPoint point = random.nextBoolean() ? KillPoint.BEFORE_STORE : KillPoint.AFTER_STORE;
        String bucket = random.nextInt(4) == 0 ? DLQ_BUCKET : BUCKET;
        CountDownLatch fired = new CountDownLatch(1);
        s3.arm(bucket, point, () -> {
            victim.kill9();
            fired.countDown();
        });
        if (fired.await(hookKillWait().toMillis(), TimeUnit.MILLISECONDS)) {
            return "s3-" + bucket + "-" + point;
        }
        s3.disarm();
        victim.kill9();
        fired.await(hookKillWait().toMillis(), TimeUnit.MILLISECONDS);
        return "timeout(no upload to " + bucket + " in " + hookKillWait().toSeconds() + " s)";
    }

    private List<String> keys(String bucket, String prefix) {
        return s3Client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    /** Every delivered record's id, with the keys of the objects it is in. */
    private Map<String, List<String>> deliveredIds(String prefix) {
        Map<String, List<String>> ids = new HashMap<>();
        for (String key : keys(BUCKET, prefix)) {
            String text = new String(gunzip(S3ProxyServer.get(s3Client, BUCKET, key)), StandardCharsets.UTF_8);
            for (String line : text.lines().toList()) {
                Matcher m = ID.matcher(line);
                assertThat(m.find()).as("a delivered line with an id: %s", line).isTrue();
                ids.computeIfAbsent(m.group(1), id -> new ArrayList<>()).add(key);
            }
        }
        return ids;
    }

    private Map<String, Integer> deadLetterCounts() {
        return CrashProducer.deadLetterCounts(s3Client, DLQ_BUCKET, "errors/");
    }

    private static byte[] gunzip(byte[] gzipped) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped));
             ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A record's data: JSON, or for an invalid one JSON cut short. */
    private static String record(String id, int n, boolean valid) {
        return "{\"id\":\"" + id + "\",\"n\":" + n + (valid ? "}" : "");
    }

    /**
     * s3proxy over jclouds' in-memory blob store ({@link HookedS3}, one endpoint), with a hook in the store's
     * {@code putBlob}: once armed, the next data object's upload runs the hook (the kill) before or after the object
     * is stored, and the request then fails. Counts the puts of every key.
     */
    private static final class KillingS3 implements AutoCloseable {
        final URI endpoint;
        final Map<Target, Integer> puts = new ConcurrentHashMap<>();
        final Set<Target> killedBeforeStore = ConcurrentHashMap.newKeySet();
        final Map<Target, byte[]> killedAfterStore = new ConcurrentHashMap<>();
        private final HookedS3 s3;
        private final AtomicReference<Armed> armed = new AtomicReference<>();

        /** An object: bucket and key. */
        record Target(String bucket, String key) {
        }

        private record Armed(String bucket, KillPoint point, Runnable kill) {
        }

        KillingS3() throws Exception {
            s3 = new HookedS3(1, Set.of(BUCKET, DLQ_BUCKET), this::putBlob);
            endpoint = s3.endpoint(0);
        }

        private Object putBlob(int via, String bucket, Blob blob, HookedS3.Store store) throws Throwable {
            Target target = new Target(bucket, blob.getMetadata().getName());
            Armed now = armed.getAndUpdate(a -> a != null && a.bucket().equals(target.bucket()) ? null : a);
            if (now != null && !now.bucket().equals(target.bucket())) {
                now = null;
            }
            if (now != null && now.point() == KillPoint.BEFORE_STORE) {
                killedBeforeStore.add(target);
                now.kill().run();
                throw new IOException("the server was killed before " + target + " was stored");
            }
            Object result = store.store();
            puts.merge(target, 1, Integer::sum);
            if (now != null) {
                killedAfterStore.put(target, s3.stored(target.bucket(), target.key()));
                now.kill().run();
                throw new IOException("the server was killed after " + target + " was stored");
            }
            return result;
        }

        void arm(String bucket, KillPoint point, Runnable kill) {
            armed.set(new Armed(bucket, point, kill));
        }

        void disarm() {
            armed.set(null);
        }

        /** A plain SDK client, as a user would read the objects back. */
        S3Client client() {
            return s3.client();
        }

        @Override
        public void close() {
            s3.close();
        }
    }
}
