package dev.millrace.server;

import com.sun.net.httpserver.HttpServer;
import dev.millrace.channels.Channel;
import dev.millrace.channels.ChannelRegistry;
import dev.millrace.channels.delivery.ChannelsConfig;
import dev.millrace.channels.delivery.Checkpoints;
import dev.millrace.channels.delivery.DeliveryOptions;
import dev.millrace.channels.delivery.ShardSource;
import dev.millrace.channels.s3.S3Settings;
import dev.millrace.channels.table.TableRecord;
import dev.millrace.channels.table.TableSink;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.channels.table.TableWriteResult;
import dev.millrace.glue.SchemaLookup;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.server.channels.ChannelDelivery;
import dev.millrace.server.channels.StreamShards;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.MetadataStore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's channel delivery over real registries: which channels it hands the engine, what it does with one
 * whose stored values do not map, the checkpoints of channels that are gone, the stream incarnation it reads, and
 * its destination check's reasons.
 */
class ChannelDeliveryRefreshTest {
    private static final String ACCOUNT = "000000000000";
    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/";
    private static final long DELAY_MS = 1_000;
    private static final String SHARD = "shardId-000000000000";
    private static final long SWEEP_MS = 30_000;
    /** A channel id no region holds. */
    private static final String GONE = "gonechannel000000000";
    private static final String SCHEMA_ARN = "arn:aws:glue:us-east-1:" + ACCOUNT + ":schema/reg/orders";

    @TempDir
    Path dir;
    private ManualClock clock;
    private ApiHarness api;
    private Checkpoints checkpoints;
    private final AtomicBoolean writer = new AtomicBoolean(true);

    @BeforeEach
    void setUp() {
        clock = new ManualClock(1_700_000_000_000L);
        api = new ApiHarness(dir.resolve("node"), clock, ScalingLimits.AWS, ThroughputLimits.OFF, DELAY_MS);
        checkpoints = new Checkpoints(api.metadata);
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private ChannelDelivery delivery() {
        return delivery(() -> List.of(api.channels));
    }

    private ChannelDelivery delivery(Supplier<List<ChannelRegistry>> registries) {
        return new ChannelDelivery(ChannelsConfig.LOCAL, dir.resolve("data"), api.metadata, ACCOUNT,
                new StreamShards(scope -> api.services), registries, writer::get, clock,
                new KinesisMetrics(clock, (account, region, aggregates) -> { }));
    }

    private void onDemandStream(String name) {
        api.call("CreateStream", "{\"StreamName\":\"" + name + "\",\"StreamModeDetails\":{\"StreamMode\":"
                + "\"ON_DEMAND\"}}");
        clock.advanceMs(DELAY_MS);
        api.call("DescribeStreamSummary", "{\"StreamName\":\"" + name + "\"}");
    }

    /** An ACTIVE channel on the stream; returns its id. */
    @SuppressWarnings("unchecked")
    private String activeChannel(String name, String stream) {
        Map<String, Object> created = (Map<String, Object>) api.call("CreateChannel", "{\"ChannelName\":\"" + name
                + "\",\"ServiceExecutionRoleARN\":\"arn:aws:iam::" + ACCOUNT + ":role/r\","
                + "\"StreamConfigurationList\":[{\"StreamARN\":\"" + STREAM_ARN + stream + "\","
                + "\"RecordConfiguration\":{\"RecordFormatType\":\"JSON\"}}],\"S3DestinationConfiguration\":{"
                + "\"StorageConfiguration\":{\"BucketARN\":\"arn:aws:s3:::my-bucket\",\"ExpectedBucketOwner\":\""
                + ACCOUNT + "\",\"CompressionType\":\"GZIP\"}}}").get("ChannelDescription");
        clock.advanceMs(DELAY_MS);
        api.channels.settleDue();
        return (String) created.get("ChannelId");
    }

    @Test
    void checkpointsOfAChannelDeletedWhileThisNodeWasNotDeliveringAreDeleted() {
        onDemandStream("orders");
        onDemandStream("audit");
        String kept = activeChannel("kept", "orders");
        String deleted = activeChannel("deleted", "audit");
        checkpoints.commit(kept, SHARD, 7);
        checkpoints.commit(deleted, SHARD, 9);

        // The channel goes while this node is not the writer; it has never seen it.
        api.call("DeleteChannel", "{\"ChannelARN\":\"" + api.channels.arn(api.channels.list().stream()
                .filter(c -> c.id().equals(deleted)).findFirst().orElseThrow()) + "\"}");
        clock.advanceMs(DELAY_MS);
        api.channels.settleDue();
        assertThat(api.channels.list()).extracting(c -> c.id()).containsExactly(kept);

        try (ChannelDelivery delivery = delivery()) {
            delivery.refresh();
            clock.advanceMs(SWEEP_MS);
            delivery.refresh();
            assertThat(checkpoints.next(deleted, SHARD)).isEmpty();
            assertThat(checkpoints.next(kept, SHARD)).hasValue(7);
            assertThat(delivery.delivers(kept)).isTrue();
        }
    }

    @Test
    void checkpointsOfLiveChannelsSurviveRefreshesThatSeeNoRegionOpenYet() {
        onDemandStream("orders");
        String live = activeChannel("live", "orders");
        checkpoints.commit(live, SHARD, 5);
        // A new writer on Kafka: the flag flips before the regions are opened (MillraceServer.onBecomingWriter).
        AtomicInteger refreshes = new AtomicInteger();
        try (ChannelDelivery delivery = delivery(() -> refreshes.incrementAndGet() <= 3 ? List.of()
                : List.of(api.channels))) {
            for (int i = 0; i < 3; i++) {
                delivery.refresh();
                clock.advanceMs(SWEEP_MS);
            }
            assertThat(checkpoints.next(live, SHARD)).as("the channel is stored, its region not open yet").hasValue(5);
            assertThat(delivery.delivers(live)).isFalse();
            delivery.refresh();
            assertThat(delivery.delivers(live)).isTrue();
            assertThat(checkpoints.next(live, SHARD)).hasValue(5);
        }
    }

    @Test
    void checkpointsOfAMissingChannelGoOnlyOnceTwoSweepsTheIntervalApartMissedIt() {
        checkpoints.commit(GONE, SHARD, 4);
        try (ChannelDelivery delivery = delivery()) {
            delivery.refresh();
            clock.advanceMs(SWEEP_MS - 1);
            delivery.refresh();
            assertThat(checkpoints.next(GONE, SHARD)).as("one sweep saw it missing").hasValue(4);
            clock.advanceMs(1);
            delivery.refresh();
            assertThat(checkpoints.next(GONE, SHARD)).isEmpty();
        }
    }

    @Test
    void channelsOfRegionsAndAccountsNotOpenHereKeepTheirCheckpoints() {
        String ownRegion = "ownregion00000000000";
        String otherAccount = "otheraccount00000000";
        // Only the keys matter to the sweep; the registries here know none of these regions.
        api.metadata.commit(Map.of("region/eu-west-1/channel/" + ownRegion, new byte[] {1},
                "account/111111111111/region/us-east-1/channel/" + otherAccount, new byte[] {1}));
        checkpoints.commit(ownRegion, SHARD, 1);
        checkpoints.commit(otherAccount, SHARD, 2);
        checkpoints.commit(GONE, SHARD, 3);
        try (ChannelDelivery delivery = delivery()) {
            delivery.refresh();
            clock.advanceMs(SWEEP_MS);
            delivery.refresh();
            assertThat(checkpoints.next(ownRegion, SHARD)).hasValue(1);
            assertThat(checkpoints.next(otherAccount, SHARD)).hasValue(2);
            assertThat(checkpoints.next(GONE, SHARD)).isEmpty();
        }
    }

    @Test
    void aSweepBeforeThisNodeLastBecameTheWriterDoesNotCount() {
        checkpoints.commit(GONE, SHARD, 4);
        try (ChannelDelivery delivery = delivery()) {
            delivery.refresh();
            writer.set(false);
            clock.advanceMs(SWEEP_MS);
            delivery.refresh();
            writer.set(true);
            delivery.refresh();
            assertThat(checkpoints.next(GONE, SHARD)).as("the first sweep as the writer again").hasValue(4);
            clock.advanceMs(SWEEP_MS);
            delivery.refresh();
            assertThat(checkpoints.next(GONE, SHARD)).isEmpty();
        }
    }

    @Test
    void theSweepWaitsForATaskOfADeletedChannelWhichStopsAfterItsBatch() throws Exception {
        onDemandStream("orders");
        String id = activeChannel("doomed", "orders");
        for (String data : List.of("YQ==", "Yg==", "Yw==")) {
            api.call("PutRecord", "{\"StreamName\":\"orders\",\"Data\":\"" + data + "\",\"PartitionKey\":\"k\"}");
        }
        clock.advanceMs(DELAY_MS);
        // Holds the first checkpoint commit after an upload (a value without ':') made on a delivery thread.
        CountDownLatch committing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MetadataStore held = (MetadataStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MetadataStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("commitIfVersion")
                            && Thread.currentThread().getName().startsWith("millrace-channel-delivery-")
                            && ((Map<?, ?>) args[1]).values().stream().noneMatch(v -> new String((byte[]) v,
                                    StandardCharsets.US_ASCII).contains(":"))
                            && committing.getCount() > 0) {
                        committing.countDown();
                        release.await();
                    }
                    try {
                        return method.invoke(api.metadata, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ChannelsConfig config = new ChannelsConfig(null, DeliveryOptions.defaults().withPollIntervalMs(10)
                .withMaxRecordsPerObject(1), ChannelsConfig.AWS_MIN_FRESHNESS_SECONDS);
        Path bucket = dir.resolve("data/channels/my-bucket");
        try (ChannelDelivery delivery = new ChannelDelivery(config, dir.resolve("data"), held, ACCOUNT,
                new StreamShards(scope -> api.services), () -> List.of(api.channels), writer::get, clock,
                new KinesisMetrics(clock, (account, region, aggregates) -> { }))) {
            delivery.refresh();
            delivery.start();
            try {
                sweepWhileHeld(delivery, id, committing);
            } finally {
                release.countDown();
            }

            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
                clock.advanceMs(SWEEP_MS);
                delivery.refresh();
                return !checkpoints.channelIds().contains(id);
            });
        }
        // Closed: every task has ended. The batches after the one under way were never started.
        try (Stream<Path> objects = Files.walk(bucket)) {
            assertThat(objects.filter(Files::isRegularFile)).hasSize(1);
        }
        assertThat(checkpoints.channelIds()).doesNotContain(id);
    }

    /** Once the channel's first batch is uploaded and held: DeleteChannel, then two sweeps that must not delete. */
    private void sweepWhileHeld(ChannelDelivery delivery, String id, CountDownLatch committing) throws Exception {
        assertThat(committing.await(10, TimeUnit.SECONDS)).isTrue();
        api.call("DeleteChannel", "{\"ChannelARN\":\"" + api.channels.arn(api.channels.list().get(0)) + "\"}");
        clock.advanceMs(DELAY_MS);
        api.channels.settleDue();
        for (int sweep = 0; sweep < 2; sweep++) {
            clock.advanceMs(SWEEP_MS);
            delivery.refresh();
        }
        assertThat(checkpoints.channelIds()).as("missing twice, but its task is under way").contains(id);
    }

    @Test
    void aChannelWhoseStoredValuesDoNotMapIsLeftOutAndTheOthersAreDelivered() {
        onDemandStream("orders");
        onDemandStream("audit");
        String good = activeChannel("good", "orders");
        String bad = activeChannel("bad", "audit");
        // As if written by hand or by another version: a bucket ARN delivery cannot read.
        String key = "channel/" + bad;
        String stored = new String(api.metadata.get(key).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(stored).contains("arn:aws:s3:::my-bucket");
        api.metadata.commit(Map.of(key, stored.replace("arn:aws:s3:::my-bucket", "my-bucket")
                .getBytes(StandardCharsets.UTF_8)));
        checkpoints.commit(bad, SHARD, 3);

        try (ChannelDelivery delivery = delivery()) {
            delivery.refresh();
            delivery.refresh();
            assertThat(delivery.delivers(good)).isTrue();
            assertThat(delivery.delivers(bad)).isFalse();
            assertThat(checkpoints.next(bad, SHARD)).as("it still exists: its checkpoints stay").hasValue(3);
        }
    }

    @Test
    void aStreamIsReadOnlyAsTheIncarnationTheChannelWasCreatedOn() {
        onDemandStream("orders");
        long createdMs = api.streams.find("orders").orElseThrow().epochMs();
        ShardSource shards = new StreamShards(scope -> api.services);
        assertThat(shards.shards(STREAM_ARN + "orders", createdMs)).extracting(ShardSource.Shard::shardId)
                .contains(SHARD);
        assertThat(shards.shards(STREAM_ARN + "orders", createdMs - 1)).isEmpty();
        assertThat(shards.shards(STREAM_ARN + "other", createdMs)).isEmpty();
    }

    @Test
    void aBucketTheCredentialsMayNotUseIsReportedAsDeniedNotAsMissing() throws Exception {
        onDemandStream("orders");
        activeChannel("denied", "orders");
        Channel channel = api.channels.list().get(0);
        // An S3 endpoint that refuses the data bucket (403) and has no other bucket (404), as HeadBucket answers.
        HttpServer s3 = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s3.createContext("/", exchange -> {
            exchange.sendResponseHeaders(exchange.getRequestURI().getPath().contains("my-bucket") ? 403 : 404, -1);
            exchange.close();
        });
        s3.start();
        String endpoint = "http://127.0.0.1:" + s3.getAddress().getPort();
        ChannelsConfig config = new ChannelsConfig(new S3Settings(URI.create(endpoint), true, "us-east-1",
                "AKIAEXAMPLE", "secret"), DeliveryOptions.defaults(), ChannelsConfig.AWS_MIN_FRESHNESS_SECONDS);
        try (ChannelDelivery delivery = new ChannelDelivery(config, dir.resolve("data"), api.metadata, ACCOUNT,
                new StreamShards(scope -> api.services), () -> List.of(api.channels), writer::get, clock,
                new KinesisMetrics(clock, (account, region, aggregates) -> { }))) {
            assertThat(delivery.check().problem(channel)).hasValueSatisfying(reason -> assertThat(reason)
                    .startsWith("Access denied to bucket my-bucket at " + endpoint));
        } finally {
            s3.stop(0);
        }
    }
    @Test
    void theTableSinkIsToldWhichChannelsAreStillDeliveredSoItReleasesDeletedOnes() {
        onDemandStream("orders");
        String delivered = activeChannel("kept", "orders");
        List<java.util.Set<String>> retained = new java.util.ArrayList<>();
        dev.millrace.channels.table.TableSink sink = new dev.millrace.channels.table.TableSink() {
            @Override
            public java.util.Optional<String> problem(dev.millrace.channels.table.TableTarget target) {
                return java.util.Optional.empty();
            }

            @Override
            public dev.millrace.channels.table.TableWriteResult write(dev.millrace.channels.table.TableTarget target,
                    String shardId, long startPosition, long nextPosition,
                    Iterable<dev.millrace.channels.table.TableRecord> records, RejectedRecords rejected) {
                throw new UnsupportedOperationException("no table channel here");
            }

            @Override
            public void retain(java.util.Set<String> channelIds) {
                retained.add(java.util.Set.copyOf(channelIds));
            }

            @Override
            public void close() {
            }
        };
        ChannelsConfig config = ChannelsConfig.LOCAL.withTables((maxRecordBytes, ignored) -> sink);
        try (ChannelDelivery delivery = new ChannelDelivery(config, dir.resolve("data"), api.metadata, ACCOUNT,
                new StreamShards(scope -> api.services), () -> List.of(api.channels), writer::get, clock,
                new KinesisMetrics(clock, (account, region, aggregates) -> { }), account -> null)) {
            delivery.refresh();
            assertThat(retained).last().isEqualTo(java.util.Set.of(delivered));
            writer.set(false);
            delivery.refresh();
            assertThat(retained).last().isEqualTo(java.util.Set.of());
        }
    }

    @Test
    void aTableChannelsSchemaIsLookedUpOnceAMinutePerIncarnationOfTheChannelAndAtEachRefreshWhileItIsMissing() {
        onDemandStream("orders");
        api.channels.useCheck(c -> Optional.empty());
        api.call("CreateChannel", "{\"ChannelName\":\"lake\",\"ServiceExecutionRoleARN\":\"arn:aws:iam::" + ACCOUNT
                + ":role/r\",\"StreamConfigurationList\":[{\"StreamARN\":\"" + STREAM_ARN + "orders\","
                + "\"RecordConfiguration\":{\"RecordFormatType\":\"JSON\",\"GSRSchemaARN\":\"" + SCHEMA_ARN + "\"}}],"
                + "\"S3TablesDestinationConfiguration\":{\"DeadLetterQueueS3Configuration\":{\"BucketARN\":"
                + "\"arn:aws:s3:::dlq\",\"ExpectedBucketOwner\":\"" + ACCOUNT + "\"},\"S3TablesConfigurationList\":[{"
                + "\"TableBucketARN\":\"arn:aws:s3tables:us-east-1:" + ACCOUNT + ":bucket/tables\",\"Namespace\":"
                + "\"analytics\",\"TableName\":\"t\",\"CompressionType\":\"ZSTD\",\"PartitionSpec\":{"
                + "\"PartitionFields\":[{\"Transform\":\"TIME_HOUR\",\"SourceName\":\"ts\"}]}}]}}");
        clock.advanceMs(DELAY_MS);
        api.channels.settleDue();
        String lake = api.channels.list().get(0).id();
        AtomicInteger lookups = new AtomicInteger();
        AtomicBoolean registered = new AtomicBoolean();
        SchemaLookup registry = new SchemaLookup() {
            @Override
            public Optional<SchemaVersion> latest(String schemaArn) {
                lookups.incrementAndGet();
                return registered.get() ? Optional.of(new SchemaVersion(schemaArn,
                        "6f0c2b9e-3d41-4c8a-9a57-0d1e2f3a4b5c", 1, "JSON", "{\"type\":\"object\"}", 0))
                        : Optional.empty();
            }

            @Override
            public Optional<SchemaVersion> byVersionId(String versionId) {
                return Optional.empty();
            }
        };
        AtomicBoolean regionOpen = new AtomicBoolean(true);
        ChannelsConfig config = ChannelsConfig.LOCAL.withTables((maxRecordBytes, ignored) -> new NoTables());
        try (ChannelDelivery delivery = new ChannelDelivery(config, dir.resolve("data"), api.metadata, ACCOUNT,
                new StreamShards(scope -> api.services), () -> regionOpen.get() ? List.of(api.channels) : List.of(),
                writer::get, clock, new KinesisMetrics(clock, (account, region, aggregates) -> { }),
                account -> registry)) {
            delivery.refresh();
            delivery.refresh();
            assertThat(delivery.delivers(lake)).isTrue();
            assertThat(lookups).as("not registered yet: asked again at each refresh").hasValue(2);
            registered.set(true);
            for (int i = 0; i < 3; i++) {
                delivery.refresh();
            }
            assertThat(lookups).as("found once, then kept").hasValue(3);

            regionOpen.set(false);
            delivery.refresh();
            regionOpen.set(true);
            delivery.refresh();
            assertThat(lookups).as("dropped while the channel was not delivered").hasValue(4);
            writer.set(false);
            delivery.refresh();
            writer.set(true);
            delivery.refresh();
            delivery.refresh();
            assertThat(lookups).as("dropped while this node did not deliver").hasValue(5);
            clock.advanceMs(ChannelDelivery.SCHEMA_RECHECK_MS - 1);
            delivery.refresh();
            assertThat(lookups).as("kept for a minute").hasValue(5);
            clock.advanceMs(1);
            delivery.refresh();
            delivery.refresh();
            assertThat(lookups).as("then looked up again, once").hasValue(6);
        }
    }

    /** A table sink for channels that are never written (the engine is not started). */
    private static final class NoTables implements TableSink {
        @Override
        public Optional<String> problem(TableTarget target) {
            return Optional.empty();
        }

        @Override
        public TableWriteResult write(TableTarget target, String shardId, long startPosition, long nextPosition,
                                      Iterable<TableRecord> records, RejectedRecords rejected) {
            throw new UnsupportedOperationException("the engine is not started");
        }

        @Override
        public void close() {
        }
    }
}
