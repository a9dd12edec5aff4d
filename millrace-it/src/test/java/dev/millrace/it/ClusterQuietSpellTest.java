package dev.millrace.it;

import dev.millrace.channels.delivery.DeliveryOptions;
import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.kafka.testkit.ChildKafkaCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.ChannelStatus;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Channel delivery on a cluster keeps delivering a shard another node owns after a quiet spell: the metadata writer
 * delivers every shard, and reads the shards another node owns (and appends to) straight from Kafka with no listener
 * on them, so it must ask Kafka for their end once it has caught up with them (DeliveryEngine's idle poll, through
 * {@code ShardLog.freshEndPosition}); a log that trusted the end it last learned would find nothing past it for good,
 * as ClusterChannelTest's writer did in ci20 (393 acknowledged records never delivered after a 4.5 s spell).
 *
 * <p>Two Millrace nodes on one Kafka broker (a child process), an on-demand stream of 8 shards that fall to both
 * nodes, a channel delivering it to S3. Records are put through the follower (the node that is not the writer) into a
 * shard it owns, and are delivered; nothing is put for {@link #QUIET_MS}; then more records the same way, which must
 * be delivered within {@link #DELIVERY_BOUND}, every record exactly once, and only by the writer.
 *
 * <p>Which node owns a shard is not told by any API; it is seen in the shard-level {@code IncomingRecords} of
 * {@code GET /metrics}, counted by the node that stores the shard's records (docs/METRICS.md): a probe record per
 * shard, put before the channel exists (so it is not delivered), shows each shard's owner.
 *
 * <p>Each node has an S3 endpoint of its own ({@link HookedS3}, one store), so the store knows which node uploaded.
 * The test takes about 16 s once the broker and nodes are up (17 to 27 s to start them on 2 busy cores).
 *
 * <p>Not thread-safe: one test; s3proxy's threads note uploads into a concurrent map.
 */
class ClusterQuietSpellTest {
    private static final String ACCOUNT = "000000000000";
    private static final String CHANNEL = "quiet-to-s3";
    private static final String BUCKET = "quiet-archive";
    private static final int NODES = 2;
    /** Each shard falls to one of two nodes by a hash: one node has all 8 once in 128 streams (then another one). */
    private static final int SHARDS = 8;
    private static final int STREAM_ATTEMPTS = 3;
    private static final int RECORDS = 5;
    private static final long FRESHNESS_MS = 1_000;
    private static final DeliveryOptions DELIVERY = DeliveryOptions.defaults();
    /**
     * Counted from the last put before it: 6 s. The batch of those records is due at its first arrival + freshness +
     * grace (4 s) and delivered at the writer's next poll (1 s): by then the writer has read the shard to Kafka's end
     * with nothing in flight, the state ci20's writer reached in its 4.5 s spell, and a log trusting its end is stuck
     * from there on. One poll interval more (and {@link #IDLE_POLLS} after the delivery is seen) holds idle polls of
     * the caught-up shard, each of which must ask Kafka afresh: a fix that asked once after catching up (as the one
     * refresh after a membership change did in ci20) would stall here.
     */
    private static final long QUIET_MS = FRESHNESS_MS + DELIVERY.graceMs() + 2 * DELIVERY.pollIntervalMs();
    /** Idle polls of the caught-up shard the spell holds at least, counted from when the delivery was seen. */
    private static final int IDLE_POLLS = 2;
    /** Due time (freshness + grace), the next poll, and margin for 2 cores busy with other builds. */
    private static final Duration DELIVERY_BOUND = Duration.ofMillis(FRESHNESS_MS + DELIVERY.graceMs()
            + DELIVERY.pollIntervalMs() + 15_000);
    private static final String SHARD_RECORDS = "kinesis_shard_incoming_records_total";
    private static final Pattern SUFFIX = Pattern.compile("-[0-9a-f]{8}-(\\d{12})-([0-9a-z]{13})(\\.[a-z]+)?$");
    private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static ChildKafkaCluster kafka;
    private static MillraceNodes nodes;
    private static HookedS3 s3;
    private static S3Client s3Client;
    /** Per key, the nodes that uploaded it, in the order the uploads were stored. */
    private static final Map<String, List<Integer>> uploads = new ConcurrentHashMap<>();
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = new HookedS3(NODES, Set.of(BUCKET), (node, bucket, blob, store) -> {
            Object stored = store.store();
            uploads.computeIfAbsent(blob.getMetadata().getName(), k -> new CopyOnWriteArrayList<>()).add(node);
            return stored;
        });
        s3Client = s3.client();
        s3Client.createBucket(b -> b.bucket(BUCKET));
        kafka = ChildKafkaCluster.start(1);
        nodes = MillraceNodes.start(NODES, dir, kafka.bootstrapServers(), "it-quiet.", 0, i -> List.of(
                "--s3-endpoint", s3.endpoint(i).toString(), "--s3-access-key-id", S3ProxyServer.ACCESS_KEY,
                "--s3-secret-access-key", S3ProxyServer.SECRET_KEY, "--channel-min-freshness-seconds", "1"));
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

    @Test
    void recordsPutAfterAQuietSpellIntoAShardTheWriterDoesNotOwnAreDeliveredOnce() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> nodes.writers().size() == 1 && IntStream.range(0, NODES)
                .allMatch(i -> nodes.view(i) != null && nodes.view(i).liveNodes().size() == NODES));
        int writer = nodes.writers().get(0);
        int follower = 1 - writer;
        try (KinesisClient admin = Clients.syncRetrying(nodes.node(writer).endpoint(), 5);
             KinesisClient viaFollower = Clients.syncNoRetries(nodes.node(follower).endpoint())) {
            Owned owned = streamOnBothNodes(admin, viaFollower, writer, follower);
            String shardId = owned.followerShards().iterator().next();
            String hashKey = owned.shards().stream().filter(s -> s.shardId().equals(shardId)).findFirst()
                    .orElseThrow().hashKeyRange().startingHashKey();
            System.out.printf("ClusterQuietSpellTest: node%d is the writer; stream %s: node%d (the follower) owns %s,"
                    + " the writer %s; records go to %s%n", writer, owned.stream(), follower,
                    owned.followerShards(), owned.writerShards(), shardId);
            String channelArn = createActiveChannel(admin, owned.stream());

            List<String> before = put(viaFollower, owned.stream(), hashKey, "before");
            long lastPutNanos = System.nanoTime();
            await().atMost(DELIVERY_BOUND).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(delivered().keySet()).as("records put before the spell, delivered")
                            .containsAll(before));
            long deliveredNanos = System.nanoTime();
            // The spell: nothing is put into the stream until it ends.
            long quietUntilNanos = Math.max(lastPutNanos + QUIET_MS * 1_000_000,
                    deliveredNanos + IDLE_POLLS * DELIVERY.pollIntervalMs() * 1_000_000);
            Thread.sleep(Math.max(0, (quietUntilNanos - System.nanoTime()) / 1_000_000));
            long quietMs = (System.nanoTime() - lastPutNanos) / 1_000_000;

            List<String> after = put(viaFollower, owned.stream(), hashKey, "after");
            long afterNanos = System.nanoTime();
            await().atMost(DELIVERY_BOUND).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(delivered().keySet()).as("records put after a %d ms quiet spell into %s, which the"
                            + " writer (node%d) does not own, delivered within %s", quietMs, shardId, writer,
                            DELIVERY_BOUND).containsAll(after));
            System.out.printf("ClusterQuietSpellTest: delivered %d ms after the last put before a %d ms spell, and"
                    + " %d ms after the first put after it%n", (deliveredNanos - lastPutNanos) / 1_000_000, quietMs,
                    (System.nanoTime() - afterNanos) / 1_000_000);

            Map<String, List<String>> delivered = delivered();
            List<String> all = new ArrayList<>(before);
            all.addAll(after);
            assertThat(delivered.keySet()).as("delivered records").containsExactlyInAnyOrderElementsOf(all);
            delivered.forEach((id, keys) -> assertThat(keys).as("objects holding %s", id).hasSize(1));
            delivered.values().stream().flatMap(List::stream).distinct().forEach(key -> {
                Matcher m = SUFFIX.matcher(key);
                assertThat(m.find()).as("key %s ends with the channel, shard and position suffix", key).isTrue();
                assertThat("shardId-" + m.group(1)).as("shard of %s", key).isEqualTo(shardId);
            });
            uploads.forEach((key, by) -> assertThat(by).as("nodes that uploaded %s", key).containsExactly(writer));
            assertThat(nodes.writers()).as("the writer, still").containsExactly(writer);
            assertThat(admin.describeChannel(b -> b.channelARN(channelArn)).channelDescription().channelStatus())
                    .isEqualTo(ChannelStatus.ACTIVE);
        }
    }

    /** A stream's shards, and their ids by owner: the follower's and the writer's. */
    private record Owned(String stream, List<Shard> shards, Set<String> followerShards, Set<String> writerShards) {
    }

    /**
     * Creates a stream with shard-level IncomingRecords, puts a probe record into each shard through the follower,
     * and finds each shard's owner from the nodes' metrics; another stream if one node owns every shard.
     */
    private static Owned streamOnBothNodes(KinesisClient admin, KinesisClient viaFollower, int writer, int follower)
            throws Exception {
        for (int attempt = 0; attempt < STREAM_ATTEMPTS; attempt++) {
            String stream = "quiet-" + attempt;
            // Channels deliver on-demand streams only, which start with 4 shards: 8 made, then switched.
            Streams.createActive(admin, stream, SHARDS);
            admin.updateStreamMode(b -> b.streamARN(streamArn(stream)).streamModeDetails(m -> m.streamMode(
                    StreamMode.ON_DEMAND)));
            Streams.awaitActive(admin, stream);
            admin.enableEnhancedMonitoring(b -> b.streamName(stream).shardLevelMetrics(MetricsName.INCOMING_RECORDS));
            // The owner meters by its own view of the stream: both must have seen the change before the probes.
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() ->
                    IntStream.of(writer, follower).allMatch(i -> monitored(i == writer ? admin : viaFollower, stream)));
            List<Shard> shards = Streams.shards(admin, stream);
            List<PutRecordsRequestEntry> probes = shards.stream().map(s -> PutRecordsRequestEntry.builder()
                    .partitionKey("probe").explicitHashKey(s.hashKeyRange().startingHashKey())
                    .data(SdkBytes.fromUtf8String("{\"id\":\"probe-" + s.shardId() + "\"}")).build()).toList();
            assertThat(viaFollower.putRecords(b -> b.streamName(stream).records(probes)).failedRecordCount())
                    .as("probes not stored").isZero();
            Map<String, Integer> owners = new TreeMap<>();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                owners.clear();
                for (int node : new int[] {writer, follower}) {
                    for (String shardId : shardsCounted(node, stream)) {
                        assertThat(owners.put(shardId, node)).as("%s counted by both nodes", shardId).isNull();
                    }
                }
                assertThat(owners).as("owner of each shard").hasSize(shards.size());
            });
            Set<String> followerShards = new TreeSet<>();
            Set<String> writerShards = new TreeSet<>();
            owners.forEach((shardId, node) -> (node == follower ? followerShards : writerShards).add(shardId));
            if (!followerShards.isEmpty() && !writerShards.isEmpty()) {
                return new Owned(stream, shards, followerShards, writerShards);
            }
            System.out.printf("ClusterQuietSpellTest: every shard of %s is node%d's; another stream%n", stream,
                    owners.values().iterator().next());
        }
        throw new AssertionError("in " + STREAM_ATTEMPTS + " streams of " + SHARDS + " shards, one node owned every"
                + " shard: shards are not spread over the nodes");
    }

    private static String streamArn(String stream) {
        return "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + stream;
    }

    private static boolean monitored(KinesisClient kinesis, String stream) {
        return kinesis.describeStreamSummary(b -> b.streamName(stream)).streamDescriptionSummary().enhancedMonitoring()
                .stream().anyMatch(m -> m.shardLevelMetrics().contains(MetricsName.INCOMING_RECORDS));
    }

    /** The shards of the stream whose IncomingRecords the node counted (it stored records in them). */
    private static Set<String> shardsCounted(int node, String stream) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(nodes.node(node).endpoint().resolve("/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET /metrics of node%d", node).isEqualTo(200);
        Pattern shard = Pattern.compile("shard=\"([^\"]+)\"");
        Set<String> counted = new TreeSet<>();
        r.body().lines().filter(l -> l.startsWith(SHARD_RECORDS + "{") && l.contains("stream=\"" + stream + "\"")
                        && Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)) > 0)
                .forEach(l -> {
                    Matcher m = shard.matcher(l);
                    assertThat(m.find()).as("a shard label in %s", l).isTrue();
                    counted.add(m.group(1));
                });
        return counted;
    }

    private static String createActiveChannel(KinesisClient kinesis, String stream) {
        String arn = kinesis.createChannel(b -> b.channelName(CHANNEL)
                .serviceExecutionRoleARN("arn:aws:iam::" + ACCOUNT + ":role/delivery")
                .streamConfigurationList(s -> s.streamARN(streamArn(stream))
                        .recordConfiguration(r -> r.recordFormatType("JSON")))
                .s3DestinationConfiguration(d -> d.dataFreshnessInSeconds((int) (FRESHNESS_MS / 1000))
                        .storageConfiguration(c -> c.bucketARN("arn:aws:s3:::" + BUCKET).expectedBucketOwner(ACCOUNT)
                                .compressionType("NONE"))))
                .channelDescription().channelARN();
        Streams.awaitChannel(kinesis, arn, ChannelStatus.ACTIVE);
        return arn;
    }

    /** Puts {@link #RECORDS} records, {@code {"id":"<tag>-<i>"}}, at the hash key in one call; returns their ids. */
    private static List<String> put(KinesisClient kinesis, String stream, String hashKey, String tag) {
        List<String> ids = IntStream.range(0, RECORDS).mapToObj(i -> tag + "-" + i).toList();
        List<PutRecordsRequestEntry> entries = ids.stream().map(id -> PutRecordsRequestEntry.builder()
                .partitionKey(id).explicitHashKey(hashKey).data(SdkBytes.fromUtf8String("{\"id\":\"" + id + "\"}"))
                .build()).toList();
        // Without retries: a call stored and retried would put a record twice, which the exactly-once check counts.
        PutRecordsResponse r = kinesis.putRecords(b -> b.streamName(stream).records(entries));
        assertThat(r.failedRecordCount()).as("entries of %s refused: %s", tag, r.records()).isZero();
        return ids;
    }

    /** Every delivered record's id, with the keys of the objects it is in (once per line). */
    private static Map<String, List<String>> delivered() {
        Map<String, List<String>> out = new HashMap<>();
        for (S3Object o : s3Client.listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
            for (String line : new String(S3ProxyServer.get(s3Client, BUCKET, o.key()), StandardCharsets.UTF_8)
                    .lines().toList()) {
                Matcher m = ID.matcher(line);
                assertThat(m.find()).as("a delivered line with an id: %s", line).isTrue();
                out.computeIfAbsent(m.group(1), id -> new ArrayList<>()).add(o.key());
            }
        }
        return out;
    }
}
