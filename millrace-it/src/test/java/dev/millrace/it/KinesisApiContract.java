package dev.millrace.it;

import dev.millrace.it.Streams.Written;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.DescribeLimitsResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamResponse;
import software.amazon.awssdk.services.kinesis.model.DisableEnhancedMonitoringResponse;
import software.amazon.awssdk.services.kinesis.model.EnableEnhancedMonitoringResponse;
import software.amazon.awssdk.services.kinesis.model.EncryptionType;
import software.amazon.awssdk.services.kinesis.model.EnhancedMetrics;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.ListTagsForStreamResponse;
import software.amazon.awssdk.services.kinesis.model.MetricsName;
import software.amazon.awssdk.services.kinesis.model.MinimumThroughputBillingCommitmentInputStatus;
import software.amazon.awssdk.services.kinesis.model.MinimumThroughputBillingCommitmentOutput;
import software.amazon.awssdk.services.kinesis.model.MinimumThroughputBillingCommitmentOutputStatus;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ResourceInUseException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamDescription;
import software.amazon.awssdk.services.kinesis.model.StreamDescriptionSummary;
import software.amazon.awssdk.services.kinesis.model.StreamMode;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import software.amazon.awssdk.services.kinesis.model.Tag;
import software.amazon.awssdk.services.kinesis.model.UpdateStreamWarmThroughputResponse;
import software.amazon.awssdk.services.kinesis.model.ValidationException;
import software.amazon.awssdk.services.kinesis.model.WarmThroughputObject;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The Kinesis API as a real AWS SDK client sees it, against one Millrace server (a child process) per test class.
 * Subclasses choose the client: sync CBOR, sync JSON, async HTTP/2. Every test uses streams of its own. Tests tagged
 * {@link #RECORDS} carry records through the client and back (its wire format, sequence numbers, timestamps); those are
 * what every client's {@link OnKafka} variant runs, while the CBOR client's runs them all.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KinesisApiContract {
    /** The tag of the tests that put records through the client and read them back. */
    static final String RECORDS = "records";
    static final String ACCOUNT = "000000000000";
    static final BigInteger MAX_HASH = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    static final int MIB = 1024 * 1024;
    /** What {@code ALL} stands for: every shard-level metric (API reference, EnableEnhancedMonitoring). */
    static final List<MetricsName> EVERY_METRIC = List.of(MetricsName.INCOMING_BYTES, MetricsName.INCOMING_RECORDS,
            MetricsName.OUTGOING_BYTES, MetricsName.OUTGOING_RECORDS, MetricsName.WRITE_PROVISIONED_THROUGHPUT_EXCEEDED,
            MetricsName.READ_PROVISIONED_THROUGHPUT_EXCEEDED, MetricsName.ITERATOR_AGE_MILLISECONDS);

    protected final Clients.Recorder recorder = new Clients.Recorder();
    protected MillraceProcess server;
    protected KinesisClient kinesis;
    private Path dataDir;

    /** The client under test, talking to {@code endpoint} and reporting to {@link #recorder}. */
    protected abstract KinesisClient newClient(URI endpoint, Clients.Recorder recorder);

    /** The Content-Type every request and response must carry. */
    protected abstract String wireContentType();

    @BeforeAll
    void startServer() throws IOException {
        dataDir = Files.createTempDirectory("millrace-it-");
        server = MillraceProcess.start(dataDir);
        kinesis = newClient(server.awaitReady(), recorder);
    }

    @AfterAll
    void stopServer() throws IOException {
        try {
            if (kinesis != null) {
                kinesis.close();
            }
            if (server != null) {
                assertThat(server.stop()).as("exit status after SIGTERM").isZero();
                assertThat(server.output()).contains("Millrace stopped");
            }
        } finally {
            if (server != null) {
                server.close();
            }
            deleteTree(dataDir);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String streamName(TestInfo test, String suffix) {
        String method = test.getTestMethod().map(m -> m.getName()).orElse("test");
        return method + "-" + suffix;
    }

    @Test
    @org.junit.jupiter.api.Tag(RECORDS)
    void wireFormatIsTheClientsOwn() {
        kinesis.listStreams();
        assertThat(recorder.requestContentTypes).isNotEmpty().allMatch(wireContentType()::equals);
        assertThat(recorder.responseContentTypes).isNotEmpty().allMatch(wireContentType()::equals);
    }

    @Test
    void streamLifecycle(TestInfo test) {
        String name = streamName(test, "s");
        Instant before = Instant.now();
        Streams.createActive(kinesis, name, 3);

        DescribeStreamResponse described = kinesis.describeStream(b -> b.streamName(name));
        StreamDescription d = described.streamDescription();
        assertThat(d.streamName()).isEqualTo(name);
        assertThat(d.streamARN()).isEqualTo("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + name);
        assertThat(d.streamStatus()).isEqualTo(StreamStatus.ACTIVE);
        assertThat(d.streamModeDetails().streamMode()).isEqualTo(StreamMode.PROVISIONED);
        assertThat(d.retentionPeriodHours()).isEqualTo(24);
        assertThat(d.hasMoreShards()).isFalse();
        assertThat(d.encryptionTypeAsString()).isEqualTo("NONE");
        assertThat(d.streamCreationTimestamp()).isBetween(before.minusSeconds(5), Instant.now().plusSeconds(5));
        assertThat(d.shards()).extracting(Shard::shardId)
                .containsExactly("shardId-000000000000", "shardId-000000000001", "shardId-000000000002");
        assertCoversHashSpace(d.shards());
        for (Shard s : d.shards()) {
            assertThat(s.sequenceNumberRange().startingSequenceNumber()).matches("[1-9][0-9]{0,128}");
            assertThat(s.sequenceNumberRange().endingSequenceNumber()).isNull();
            assertThat(s.parentShardId()).isNull();
        }

        StreamDescriptionSummary summary =
                kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary();
        assertThat(summary.streamName()).isEqualTo(name);
        assertThat(summary.streamARN()).isEqualTo(d.streamARN());
        assertThat(summary.streamStatus()).isEqualTo(StreamStatus.ACTIVE);
        assertThat(summary.openShardCount()).isEqualTo(3);
        assertThat(summary.consumerCount()).isZero();
        assertThat(summary.retentionPeriodHours()).isEqualTo(24);
        assertThat(summary.streamCreationTimestamp()).isEqualTo(d.streamCreationTimestamp());

        // by ARN as well as by name
        assertThat(kinesis.describeStreamSummary(b -> b.streamARN(d.streamARN())).streamDescriptionSummary()
                .streamName()).isEqualTo(name);

        ListStreamsResponse listed = kinesis.listStreams();
        assertThat(listed.streamNames()).contains(name);
        assertThat(listed.streamSummaries()).anySatisfy(s -> {
            assertThat(s.streamName()).isEqualTo(name);
            assertThat(s.streamARN()).isEqualTo(d.streamARN());
            assertThat(s.streamStatus()).isEqualTo(StreamStatus.ACTIVE);
        });

        kinesis.increaseStreamRetentionPeriod(b -> b.streamName(name).retentionPeriodHours(48));
        assertThat(retention(name)).isEqualTo(48);
        assertThatThrownBy(() -> kinesis.increaseStreamRetentionPeriod(b -> b.streamName(name)
                .retentionPeriodHours(24)))
                .isInstanceOfSatisfying(InvalidArgumentException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidArgumentException"));
        kinesis.decreaseStreamRetentionPeriod(b -> b.streamName(name).retentionPeriodHours(24));
        assertThat(retention(name)).isEqualTo(24);
        assertThatThrownBy(() -> kinesis.decreaseStreamRetentionPeriod(b -> b.streamName(name)
                .retentionPeriodHours(12)))
                .isInstanceOfSatisfying(InvalidArgumentException.class,
                        e -> assertThat(e.awsErrorDetails().errorMessage()).contains("24 hours"));

        kinesis.addTagsToStream(b -> b.streamName(name).tags(Map.of("team", "data", "env", "test", "cost", "")));
        ListTagsForStreamResponse tags = kinesis.listTagsForStream(b -> b.streamName(name));
        assertThat(tags.tags()).extracting(Tag::key, Tag::value).containsExactly(
                tuple("cost", ""), tuple("env", "test"),
                tuple("team", "data"));
        assertThat(tags.hasMoreTags()).isFalse();
        ListTagsForStreamResponse firstTag = kinesis.listTagsForStream(b -> b.streamName(name).limit(1));
        assertThat(firstTag.tags()).extracting(Tag::key).containsExactly("cost");
        assertThat(firstTag.hasMoreTags()).isTrue();
        assertThat(kinesis.listTagsForStream(b -> b.streamName(name).exclusiveStartTagKey("cost")).tags())
                .extracting(Tag::key).containsExactly("env", "team");
        kinesis.removeTagsFromStream(b -> b.streamName(name).tagKeys("env", "cost", "no-such-tag"));
        assertThat(kinesis.listTagsForStream(b -> b.streamName(name)).tags())
                .extracting(Tag::key, Tag::value).containsExactly(tuple("team", "data"));

        DescribeLimitsResponse limits = kinesis.describeLimits();
        assertThat(limits.shardLimit()).isEqualTo(10_000);
        assertThat(limits.openShardCount()).isGreaterThanOrEqualTo(3);
        assertThat(limits.onDemandStreamCountLimit()).isEqualTo(50);
        assertThat(limits.onDemandStreamCount()).isGreaterThanOrEqualTo(0);

        kinesis.deleteStream(b -> b.streamName(name));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThatThrownBy(() -> kinesis.describeStreamSummary(b -> b.streamName(name)))
                        .isInstanceOf(ResourceNotFoundException.class));
        assertThat(kinesis.listStreams().streamNames()).doesNotContain(name);
        assertThatThrownBy(() -> kinesis.describeStream(b -> b.streamName(name)))
                .isInstanceOfSatisfying(ResourceNotFoundException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ResourceNotFoundException");
                    assertThat(e.statusCode()).isEqualTo(400);
                });
        // the name can be used again, and the new stream starts empty
        Streams.createActive(kinesis, name, 1);
        assertThat(Streams.readShard(kinesis, name, "shardId-000000000000", 100)).isEmpty();
        kinesis.deleteStream(b -> b.streamName(name));
    }

    private int retention(String name) {
        return kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary()
                .retentionPeriodHours();
    }

    private static void assertCoversHashSpace(List<Shard> shards) {
        BigInteger next = BigInteger.ZERO;
        for (Shard s : shards) {
            assertThat(new BigInteger(s.hashKeyRange().startingHashKey())).isEqualTo(next);
            next = new BigInteger(s.hashKeyRange().endingHashKey()).add(BigInteger.ONE);
        }
        assertThat(next.subtract(BigInteger.ONE)).isEqualTo(MAX_HASH);
    }

    @Test
    void listStreamsPages(TestInfo test) {
        List<String> mine = List.of(streamName(test, "a"), streamName(test, "b"), streamName(test, "c"));
        mine.forEach(n -> kinesis.createStream(b -> b.streamName(n).shardCount(1)));
        List<String> seen = new ArrayList<>();
        ListStreamsResponse page = kinesis.listStreams(b -> b.limit(1));
        for (int i = 0; i < 1000; i++) {
            assertThat(page.streamNames()).hasSize(1);
            seen.addAll(page.streamNames());
            if (!page.hasMoreStreams()) {
                break;
            }
            String token = page.nextToken();
            assertThat(token).isNotNull();
            page = kinesis.listStreams(b -> b.nextToken(token).limit(1));
        }
        assertThat(seen).doesNotHaveDuplicates().containsAll(mine).isSorted();
        ListStreamsResponse after = kinesis.listStreams(b -> b.exclusiveStartStreamName(mine.get(0)));
        assertThat(after.streamNames()).contains(mine.get(1), mine.get(2)).doesNotContain(mine.get(0));
        mine.forEach(n -> kinesis.deleteStream(b -> b.streamName(n)));
    }

    @Test
    void listShardsAndDescribeStreamPage(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 7);
        List<String> all = new ArrayList<>();
        ListShardsResponse page = kinesis.listShards(b -> b.streamName(name).maxResults(3));
        List<Integer> sizes = new ArrayList<>();
        while (true) {
            sizes.add(page.shards().size());
            page.shards().forEach(s -> all.add(s.shardId()));
            String token = page.nextToken();
            if (token == null) {
                break;
            }
            page = kinesis.listShards(b -> b.nextToken(token).maxResults(3));
        }
        assertThat(sizes).containsExactly(3, 3, 1);
        assertThat(all).containsExactly("shardId-000000000000", "shardId-000000000001", "shardId-000000000002",
                "shardId-000000000003", "shardId-000000000004", "shardId-000000000005", "shardId-000000000006");
        List<Shard> shards = kinesis.listShards(b -> b.streamName(name)).shards();
        assertThat(shards).extracting(Shard::shardId).containsExactlyElementsOf(all);
        assertCoversHashSpace(shards);
        assertThat(kinesis.listShards(b -> b.streamName(name).exclusiveStartShardId("shardId-000000000004"))
                .shards()).extracting(Shard::shardId).containsExactly("shardId-000000000005", "shardId-000000000006");

        StreamDescription first = kinesis.describeStream(b -> b.streamName(name).limit(4)).streamDescription();
        assertThat(first.shards()).hasSize(4);
        assertThat(first.hasMoreShards()).isTrue();
        StreamDescription rest = kinesis.describeStream(b -> b.streamName(name).limit(4)
                .exclusiveStartShardId(first.shards().get(3).shardId())).streamDescription();
        assertThat(rest.shards()).extracting(Shard::shardId)
                .containsExactly("shardId-000000000004", "shardId-000000000005", "shardId-000000000006");
        assertThat(rest.hasMoreShards()).isFalse();
        assertThatThrownBy(() -> kinesis.listShards(b -> b.streamName("no-such-stream-" + name)))
                .isInstanceOf(ResourceNotFoundException.class);
        kinesis.deleteStream(b -> b.streamName(name));
    }

    @Test
    @org.junit.jupiter.api.Tag(RECORDS)
    void putRecordsRoutesByMd5AndReadsBackInOrder(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 4);
        List<Shard> shards = Streams.shards(kinesis, name);
        Random random = new Random(42);
        List<PutRecordsRequestEntry> entries = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            byte[] data = new byte[random.nextInt(200)];
            random.nextBytes(data);
            PutRecordsRequestEntry.Builder e = PutRecordsRequestEntry.builder()
                    .partitionKey("key-" + i + "-" + random.nextInt(1000))
                    .data(SdkBytes.fromByteArray(data));
            if (i % 100 == 7) {
                e.explicitHashKey(MAX_HASH.toString()); // pins the record to the last shard, whatever its key
            }
            entries.add(e.build());
        }
        PutRecordsResponse put = kinesis.putRecords(b -> b.streamName(name).records(entries));
        assertThat(put.failedRecordCount()).isZero();
        assertThat(put.records()).hasSize(500);

        Map<String, List<Written>> expected = new HashMap<>();
        Map<String, String> lastSequence = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            PutRecordsRequestEntry e = entries.get(i);
            PutRecordsResultEntry r = put.records().get(i);
            assertThat(r.errorCode()).isNull();
            BigInteger hash = e.explicitHashKey() != null ? new BigInteger(e.explicitHashKey())
                    : Streams.md5(e.partitionKey());
            assertThat(r.shardId()).as("shard of entry %d", i).isEqualTo(Streams.owner(shards, hash));
            String previous = lastSequence.put(r.shardId(), r.sequenceNumber());
            if (previous != null) {
                assertThat(Streams.compareSequence(r.sequenceNumber(), previous)).as("order in shard").isPositive();
            }
            expected.computeIfAbsent(r.shardId(), k -> new ArrayList<>())
                    .add(new Written(r.sequenceNumber(), e.partitionKey(), e.data().asByteArray()));
        }
        assertThat(expected.keySet()).as("500 keys reach every shard").hasSize(4);
        assertThat(expected.get("shardId-000000000003")).hasSizeGreaterThanOrEqualTo(5);

        Set<String> allSequences = new LinkedHashSet<>();
        for (Shard shard : shards) {
            List<Record> read = Streams.readShard(kinesis, name, shard.shardId(), 37);
            assertThat(read).extracting(Written::of)
                    .containsExactlyElementsOf(expected.getOrDefault(shard.shardId(), List.of()));
            read.forEach(r -> allSequences.add(r.sequenceNumber()));
        }
        assertThat(allSequences).hasSize(500);
        kinesis.deleteStream(b -> b.streamName(name));
    }

    @Test
    @org.junit.jupiter.api.Tag(RECORDS)
    void everyShardIteratorType(TestInfo test) throws InterruptedException {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 1);
        String shardId = "shardId-000000000000";
        List<String> sequences = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            PutRecordResponse r = kinesis.putRecord(b -> b.streamName(name).partitionKey("pk-" + n)
                    .data(SdkBytes.fromUtf8String("r" + n)));
            assertThat(r.shardId()).isEqualTo(shardId);
            if (!sequences.isEmpty()) {
                assertThat(Streams.compareSequence(r.sequenceNumber(), sequences.get(sequences.size() - 1)))
                        .isPositive();
            }
            sequences.add(r.sequenceNumber());
            Thread.sleep(3); // spread arrival times a little, for AT_TIMESTAMP
        }

        assertThat(dataFrom(iterator(name, shardId, ShardIteratorType.TRIM_HORIZON, null, null)))
                .containsExactly("r0", "r1", "r2", "r3", "r4");
        assertThat(dataFrom(iterator(name, shardId, ShardIteratorType.AT_SEQUENCE_NUMBER, sequences.get(2), null)))
                .containsExactly("r2", "r3", "r4");
        assertThat(dataFrom(iterator(name, shardId, ShardIteratorType.AFTER_SEQUENCE_NUMBER, sequences.get(2),
                null))).containsExactly("r3", "r4");
        assertThat(dataFrom(iterator(name, shardId, ShardIteratorType.AFTER_SEQUENCE_NUMBER, sequences.get(4),
                null))).isEmpty();

        String latest = iterator(name, shardId, ShardIteratorType.LATEST, null, null);
        GetRecordsResponse nothing = kinesis.getRecords(b -> b.shardIterator(latest));
        assertThat(nothing.records()).isEmpty();
        assertThat(nothing.millisBehindLatest()).isZero();
        kinesis.putRecord(b -> b.streamName(name).partitionKey("pk-5").data(SdkBytes.fromUtf8String("r5")));
        assertThat(dataFrom(latest)).containsExactly("r5");
        assertThat(dataFrom(nothing.nextShardIterator())).containsExactly("r5");

        List<Record> all = Streams.readShard(kinesis, name, shardId, 100);
        assertThat(all).hasSize(6);
        Instant t3 = all.get(3).approximateArrivalTimestamp();
        int firstAtOrAfter = 0;
        while (all.get(firstAtOrAfter).approximateArrivalTimestamp().isBefore(t3)) {
            firstAtOrAfter++;
        }
        List<String> expected = all.subList(firstAtOrAfter, all.size()).stream()
                .map(r -> r.data().asUtf8String()).toList();
        assertThat(expected).contains("r3", "r4", "r5");
        assertThat(dataFrom(iterator(name, shardId, ShardIteratorType.AT_TIMESTAMP, null, t3)))
                .containsExactlyElementsOf(expected);
        assertThat(dataFrom(iterator(name, shardId, ShardIteratorType.AT_TIMESTAMP, null,
                Instant.now().minus(Duration.ofHours(1))))).hasSize(6);
        Thread.sleep(20);
        assertThat(dataFrom(iterator(name, shardId, ShardIteratorType.AT_TIMESTAMP, null, Instant.now())))
                .isEmpty();

        // a sequence number of another shard's stream, or none at all where one is needed
        assertThatThrownBy(() -> iterator(name, shardId, ShardIteratorType.AT_SEQUENCE_NUMBER, null, null))
                .isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> iterator(name, "shardId-000000000009", ShardIteratorType.TRIM_HORIZON, null, null))
                .isInstanceOf(ResourceNotFoundException.class);
        kinesis.deleteStream(b -> b.streamName(name));
    }

    private String iterator(String stream, String shardId, ShardIteratorType type, String sequence, Instant at) {
        return kinesis.getShardIterator(b -> b.streamName(stream).shardId(shardId).shardIteratorType(type)
                .startingSequenceNumber(sequence).timestamp(at)).shardIterator();
    }

    private List<String> dataFrom(String iterator) {
        return Streams.readFrom(kinesis, iterator, 1000).stream().map(r -> r.data().asUtf8String())
                .collect(Collectors.toList());
    }

    @Test
    @org.junit.jupiter.api.Tag(RECORDS)
    void binaryDataRoundTripsWithArrivalTimestamps(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 2);
        byte[] everyByte = new byte[512];
        for (int i = 0; i < everyByte.length; i++) {
            everyByte[i] = (byte) (i < 256 ? i : 511 - i); // 0x00..0xFF then 0xFF..0x00
        }
        byte[] large = new byte[1000 * 1000];
        new Random(7).nextBytes(large);
        Instant before = Instant.now();
        kinesis.putRecord(b -> b.streamName(name).partitionKey("bytes").data(SdkBytes.fromByteArray(everyByte)));
        kinesis.putRecords(b -> b.streamName(name).records(
                PutRecordsRequestEntry.builder().partitionKey("bytes").data(SdkBytes.fromByteArray(everyByte))
                        .build(),
                PutRecordsRequestEntry.builder().partitionKey("bytes").data(SdkBytes.fromByteArray(new byte[0]))
                        .build(),
                PutRecordsRequestEntry.builder().partitionKey("bytes").data(SdkBytes.fromByteArray(large))
                        .build()));
        Instant after = Instant.now();

        String shardId = Streams.owner(Streams.shards(kinesis, name), Streams.md5("bytes"));
        List<Record> read = Streams.readShard(kinesis, name, shardId, 10);
        assertThat(read).hasSize(4);
        assertThat(read.get(0).data().asByteArray()).isEqualTo(everyByte);
        assertThat(read.get(1).data().asByteArray()).isEqualTo(everyByte);
        assertThat(read.get(2).data().asByteArray()).isEmpty();
        assertThat(read.get(3).data().asByteArray()).isEqualTo(large);
        for (Record r : read) {
            assertThat(r.partitionKey()).isEqualTo("bytes");
            assertThat(r.approximateArrivalTimestamp())
                    .as("arrival of %s (not 1970, not in the future)", r.sequenceNumber())
                    .isBetween(before.minusSeconds(5), after.plusSeconds(5));
            assertThat(r.approximateArrivalTimestamp().toEpochMilli()).isCloseTo(System.currentTimeMillis(),
                    within(60_000L));
        }
        kinesis.deleteStream(b -> b.streamName(name));
    }

    @Test
    void serializationErrorsReachTheClientWithTheirMessage() {
        // AWS sends a SerializationException's text as "Message" (capital M) and none for a body that does not
        // parse; the SDK must read both, in the client's own wire format
        boolean cbor = wireContentType().equals(Clients.CBOR);
        byte[] recordsNotAList = cbor
                ? new byte[] {(byte) 0xA1, 0x67, 'R', 'e', 'c', 'o', 'r', 'd', 's', 0x61, 'x'}
                : "{\"Records\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] unparsable = cbor ? new byte[] {(byte) 0xBF, 0x61} : new byte[] {'{'};
        try {
            recorder.bodyOverride.set(recordsNotAList);
            assertThatThrownBy(() -> kinesis.putRecords(b -> b.streamName("s").records(entry("k", new byte[1]))))
                    .isInstanceOfSatisfying(KinesisException.class, e -> {
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SerializationException");
                        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Expected list or null");
                        assertThat(e.statusCode()).isEqualTo(400);
                    });
            recorder.bodyOverride.set(unparsable);
            assertThatThrownBy(() -> kinesis.listStreams())
                    .isInstanceOfSatisfying(KinesisException.class, e -> {
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SerializationException");
                        assertThat(e.statusCode()).isEqualTo(400);
                    });
        } finally {
            recorder.bodyOverride.set(null);
        }
    }

    @Test
    void errorsCarryAwsCodesAndMessages(TestInfo test) {
        String missing = streamName(test, "missing");
        assertThatThrownBy(() -> kinesis.describeStream(b -> b.streamName(missing)))
                .isInstanceOfSatisfying(ResourceNotFoundException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ResourceNotFoundException");
                    assertThat(e.awsErrorDetails().errorMessage())
                            .isEqualTo("Stream " + missing + " under account " + ACCOUNT + " not found.");
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.requestId()).isNotBlank();
                });
        assertThatThrownBy(() -> kinesis.putRecord(b -> b.streamName(missing).partitionKey("k")
                .data(SdkBytes.fromUtf8String("x"))))
                .isInstanceOfSatisfying(ResourceNotFoundException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ResourceNotFoundException"));
        assertThatThrownBy(() -> kinesis.deleteStream(b -> b.streamName(missing)))
                .isInstanceOf(ResourceNotFoundException.class);

        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 1);
        assertThatThrownBy(() -> kinesis.createStream(b -> b.streamName(name).shardCount(1)))
                .isInstanceOfSatisfying(ResourceInUseException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ResourceInUseException");
                    assertThat(e.awsErrorDetails().errorMessage())
                            .isEqualTo("Stream " + name + " under account " + ACCOUNT + " already exists.");
                    assertThat(e.statusCode()).isEqualTo(400);
                });

        assertThatThrownBy(() -> kinesis.createStream(b -> b.streamName("a b").shardCount(1)))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
                    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("1 validation error detected: "
                            + "Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy "
                            + "regular expression pattern: [a-zA-Z0-9_.-]+");
                    assertThat(e.statusCode()).isEqualTo(400);
                });

        assertThatThrownBy(() -> kinesis.getRecords(b -> b.shardIterator("garbage")))
                .isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
                    assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidArgumentException");
                    assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("Invalid ShardIterator.");
                    assertThat(e.statusCode()).isEqualTo(400);
                });
        String real = iterator(name, "shardId-000000000000", ShardIteratorType.TRIM_HORIZON, null, null);
        char[] chars = real.toCharArray();
        chars[20] = chars[20] == 'A' ? 'B' : 'A';
        String tampered = new String(chars);
        assertThatThrownBy(() -> kinesis.getRecords(b -> b.shardIterator(tampered)))
                .isInstanceOf(InvalidArgumentException.class);
        assertThat(kinesis.getRecords(b -> b.shardIterator(real)).records()).isEmpty();

        assertThatThrownBy(() -> kinesis.putRecord(b -> b.streamName(name).partitionKey("k")
                .explicitHashKey(MAX_HASH.add(BigInteger.ONE).toString()).data(SdkBytes.fromUtf8String("x"))))
                .isInstanceOfSatisfying(InvalidArgumentException.class,
                        e -> assertThat(e.awsErrorDetails().errorMessage()).startsWith("Invalid ExplicitHashKey."));
        assertThatThrownBy(() -> kinesis.putRecord(b -> b.streamName(name).partitionKey("")
                .data(SdkBytes.fromUtf8String("x"))))
                .isInstanceOfSatisfying(KinesisException.class,
                        e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
        kinesis.deleteStream(b -> b.streamName(name));
    }

    // ---- Stream settings: record size, enhanced monitoring, encryption, warm throughput ----

    @Test
    void maxRecordSizeIsSetByArnAndLimitsDataPlusPartitionKey(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 1);
        String arn = arn(name);
        assertThat(summary(name).maxRecordSizeInKiB()).as("the default maximum record size").isEqualTo(1024);
        Random random = new Random(11);
        List<Written> accepted = new ArrayList<>();

        // 1 MiB by default: a record of exactly 1 MiB, data plus partition key, fits; 1 MiB + 1 byte does not
        accepted.add(putRecord(name, "k", randomBytes(random, MIB - 1)));
        assertRecordTooLarge(() -> putRecord(name, "k", new byte[MIB]));
        assertRecordTooLarge(() -> putRecord(name, "0123456789", new byte[MIB - 9]));

        kinesis.updateMaxRecordSize(b -> b.streamARN(arn).maxRecordSizeInKiB(2048));
        assertThat(summary(name).maxRecordSizeInKiB()).isEqualTo(2048);
        accepted.add(putRecord(name, "0123456789", randomBytes(random, 2 * MIB - 10)));
        assertRecordTooLarge(() -> putRecord(name, "0123456789", new byte[2 * MIB - 9]));
        // PutRecords holds every entry to the limit; one entry over it fails the whole call, and nothing is written
        byte[] small = randomBytes(random, 100);
        byte[] largest = randomBytes(random, 2 * MIB - 1);
        PutRecordsResponse fits = kinesis.putRecords(b -> b.streamARN(arn).records(entry("small", small),
                entry("k", largest)));
        assertThat(fits.failedRecordCount()).isZero();
        accepted.add(new Written(fits.records().get(0).sequenceNumber(), "small", small));
        accepted.add(new Written(fits.records().get(1).sequenceNumber(), "k", largest));
        assertRecordTooLarge(() -> kinesis.putRecords(b -> b.streamARN(arn).records(entry("small", small),
                entry("k", new byte[2 * MIB]))));

        // the most a stream can be set to: 10 MiB, which is also the largest Data blob the API takes
        kinesis.updateMaxRecordSize(b -> b.streamARN(arn).maxRecordSizeInKiB(10240));
        assertThat(summary(name).maxRecordSizeInKiB()).isEqualTo(10240);
        accepted.add(putRecord(name, "k", randomBytes(random, 10 * MIB - 1)));
        assertRecordTooLarge(() -> putRecord(name, "k", new byte[10 * MIB]));
        assertThatThrownBy(() -> putRecord(name, "k", new byte[10 * MIB + 1]))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.awsErrorDetails().errorMessage())
                        .contains("Member must have length less than or equal to 10485760"));

        // lowering the limit holds new records to it
        kinesis.updateMaxRecordSize(b -> b.streamARN(arn).maxRecordSizeInKiB(1024));
        assertRecordTooLarge(() -> putRecord(name, "k", new byte[MIB]));

        // 1024 to 10240 only; the stream must exist
        assertThatThrownBy(() -> kinesis.updateMaxRecordSize(b -> b.streamARN(arn).maxRecordSizeInKiB(1023)))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.awsErrorDetails().errorMessage())
                        .contains("Member must have value greater than or equal to 1024"));
        assertThatThrownBy(() -> kinesis.updateMaxRecordSize(b -> b.streamARN(arn).maxRecordSizeInKiB(10241)))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.awsErrorDetails().errorMessage())
                        .contains("Member must have value less than or equal to 10240"));
        assertThatThrownBy(() -> kinesis.updateMaxRecordSize(b -> b.streamARN(arn(name + "-missing"))
                .maxRecordSizeInKiB(2048))).isInstanceOf(ResourceNotFoundException.class);
        assertThat(summary(name).maxRecordSizeInKiB()).isEqualTo(1024);

        // exactly the accepted records were stored, and they read back byte for byte
        assertThat(Streams.readShardWritten(kinesis, name, "shardId-000000000000")).containsExactlyElementsOf(accepted);

        // CreateStream sets it too
        String created = streamName(test, "created");
        kinesis.createStream(b -> b.streamName(created).shardCount(1).maxRecordSizeInKiB(3072));
        Streams.awaitActive(kinesis, created);
        assertThat(summary(created).maxRecordSizeInKiB()).isEqualTo(3072);
        assertRecordTooLarge(() -> putRecord(created, "k", new byte[3 * MIB]));
        kinesis.deleteStream(b -> b.streamName(name));
        kinesis.deleteStream(b -> b.streamName(created));
    }

    private static void assertRecordTooLarge(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(400);
            assertThat(e.awsErrorDetails().errorMessage()).contains("maximum record size");
        });
    }

    @Test
    void enhancedMonitoringReportsMetricsBeforeAndAfter(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 1);
        String arn = arn(name);
        assertThat(shardLevelMetrics(name)).isEmpty();

        EnableEnhancedMonitoringResponse one = kinesis.enableEnhancedMonitoring(b -> b.streamName(name)
                .shardLevelMetrics(MetricsName.INCOMING_BYTES));
        assertThat(one.streamName()).isEqualTo(name);
        assertThat(one.streamARN()).isEqualTo(arn);
        assertThat(one.currentShardLevelMetrics()).isEmpty();
        assertThat(one.desiredShardLevelMetrics()).containsExactly(MetricsName.INCOMING_BYTES);
        assertThat(shardLevelMetrics(name)).containsExactly(MetricsName.INCOMING_BYTES);

        // ALL stands for the seven metrics; it is never reported itself
        EnableEnhancedMonitoringResponse all = kinesis.enableEnhancedMonitoring(b -> b.streamARN(arn)
                .shardLevelMetrics(MetricsName.ALL));
        assertThat(all.streamName()).isEqualTo(name);
        assertThat(all.currentShardLevelMetrics()).containsExactly(MetricsName.INCOMING_BYTES);
        assertThat(all.desiredShardLevelMetrics()).containsExactlyInAnyOrderElementsOf(EVERY_METRIC);
        assertThat(shardLevelMetrics(name)).containsExactlyInAnyOrderElementsOf(EVERY_METRIC);
        assertThat(summary(name).enhancedMonitoring()).flatExtracting(EnhancedMetrics::shardLevelMetrics)
                .containsExactlyInAnyOrderElementsOf(EVERY_METRIC);
        // enabling what is enabled changes nothing
        EnableEnhancedMonitoringResponse again = kinesis.enableEnhancedMonitoring(b -> b.streamName(name)
                .shardLevelMetrics(MetricsName.OUTGOING_BYTES));
        assertThat(again.currentShardLevelMetrics()).containsExactlyInAnyOrderElementsOf(EVERY_METRIC);
        assertThat(again.desiredShardLevelMetrics()).containsExactlyInAnyOrderElementsOf(EVERY_METRIC);

        DisableEnhancedMonitoringResponse two = kinesis.disableEnhancedMonitoring(b -> b.streamARN(arn)
                .shardLevelMetrics(MetricsName.INCOMING_BYTES, MetricsName.ITERATOR_AGE_MILLISECONDS));
        assertThat(two.streamARN()).isEqualTo(arn);
        assertThat(two.currentShardLevelMetrics()).containsExactlyInAnyOrderElementsOf(EVERY_METRIC);
        List<MetricsName> five = EVERY_METRIC.stream().filter(m -> m != MetricsName.INCOMING_BYTES
                && m != MetricsName.ITERATOR_AGE_MILLISECONDS).toList();
        assertThat(two.desiredShardLevelMetrics()).containsExactlyInAnyOrderElementsOf(five);
        assertThat(shardLevelMetrics(name)).containsExactlyInAnyOrderElementsOf(five);

        DisableEnhancedMonitoringResponse none = kinesis.disableEnhancedMonitoring(b -> b.streamName(name)
                .shardLevelMetrics(MetricsName.ALL));
        assertThat(none.currentShardLevelMetrics()).containsExactlyInAnyOrderElementsOf(five);
        assertThat(none.desiredShardLevelMetrics()).isEmpty();
        assertThat(shardLevelMetrics(name)).isEmpty();

        assertThatThrownBy(() -> kinesis.enableEnhancedMonitoring(b -> b.streamName(name)
                .shardLevelMetricsWithStrings("IncomingPigeons")))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.awsErrorDetails().errorMessage())
                        .contains("Member must satisfy enum value set"));
        assertThatThrownBy(() -> kinesis.enableEnhancedMonitoring(b -> b.streamName(name)
                .shardLevelMetrics(List.<MetricsName>of()))).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> kinesis.enableEnhancedMonitoring(b -> b.streamName(name + "-missing")
                .shardLevelMetrics(MetricsName.ALL))).isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> kinesis.disableEnhancedMonitoring(b -> b.streamARN(arn(name + "-missing"))
                .shardLevelMetrics(MetricsName.ALL))).isInstanceOf(ResourceNotFoundException.class);
        assertThat(shardLevelMetrics(name)).isEmpty();
        kinesis.deleteStream(b -> b.streamName(name));
    }

    /** The shard-level metrics DescribeStream reports. */
    private List<MetricsName> shardLevelMetrics(String name) {
        return kinesis.describeStream(b -> b.streamName(name)).streamDescription().enhancedMonitoring().stream()
                .flatMap(m -> m.shardLevelMetrics().stream()).toList();
    }

    @Test
    void encryptionIsReportedOnTheStreamAndOnRecordsWrittenSince(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 1);
        String arn = arn(name);
        String key = "alias/aws/kinesis";
        String otherKey = "arn:aws:kms:us-east-1:" + ACCOUNT + ":key/12345678-1234-1234-1234-123456789012";
        StreamDescriptionSummary plain = summary(name);
        assertThat(plain.encryptionType()).isEqualTo(EncryptionType.NONE);
        assertThat(plain.keyId()).isNull();
        PutRecordResponse before = kinesis.putRecord(b -> b.streamName(name).partitionKey("k")
                .data(SdkBytes.fromUtf8String("before")));
        assertThat(before.encryptionType()).isNotEqualTo(EncryptionType.KMS);

        kinesis.startStreamEncryption(b -> b.streamName(name).encryptionType(EncryptionType.KMS).keyId(key));
        Streams.awaitActive(kinesis, name);
        StreamDescriptionSummary encrypted = summary(name);
        assertThat(encrypted.encryptionType()).isEqualTo(EncryptionType.KMS);
        assertThat(encrypted.keyId()).isEqualTo(key);
        StreamDescription described = kinesis.describeStream(b -> b.streamName(name)).streamDescription();
        assertThat(described.encryptionType()).isEqualTo(EncryptionType.KMS);
        assertThat(described.keyId()).isEqualTo(key);
        PutRecordResponse one = kinesis.putRecord(b -> b.streamARN(arn).partitionKey("k")
                .data(SdkBytes.fromUtf8String("encrypted-1")));
        assertThat(one.encryptionType()).isEqualTo(EncryptionType.KMS);
        PutRecordsResponse batch = kinesis.putRecords(b -> b.streamName(name).records(
                entry("k", Streams.utf8("encrypted-2")), entry("k", Streams.utf8("encrypted-3"))));
        assertThat(batch.failedRecordCount()).isZero();
        assertThat(batch.encryptionType()).isEqualTo(EncryptionType.KMS);
        List<Record> since = Streams.readFrom(kinesis, iteratorAt(name, one.sequenceNumber()), 100);
        assertThat(since).extracting(r -> r.data().asUtf8String())
                .containsExactly("encrypted-1", "encrypted-2", "encrypted-3");
        assertThat(since).extracting(Record::encryptionType).containsOnly(EncryptionType.KMS);

        // StartStreamEncryption also changes the key of an encrypted stream
        kinesis.startStreamEncryption(b -> b.streamARN(arn).encryptionType(EncryptionType.KMS).keyId(otherKey));
        Streams.awaitActive(kinesis, name);
        assertThat(summary(name).keyId()).isEqualTo(otherKey);
        // KMS is the only encryption type there is to start or stop
        assertThatThrownBy(() -> kinesis.startStreamEncryption(b -> b.streamName(name)
                .encryptionType(EncryptionType.NONE).keyId(key))).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> kinesis.stopStreamEncryption(b -> b.streamName(name)
                .encryptionType(EncryptionType.NONE).keyId(otherKey))).isInstanceOf(InvalidArgumentException.class);
        assertThat(summary(name).encryptionType()).isEqualTo(EncryptionType.KMS);

        kinesis.stopStreamEncryption(b -> b.streamARN(arn).encryptionType(EncryptionType.KMS).keyId(otherKey));
        Streams.awaitActive(kinesis, name);
        StreamDescriptionSummary stopped = summary(name);
        assertThat(stopped.encryptionType()).isEqualTo(EncryptionType.NONE);
        assertThat(stopped.keyId()).isNull();
        PutRecordResponse after = kinesis.putRecord(b -> b.streamName(name).partitionKey("k")
                .data(SdkBytes.fromUtf8String("after")));
        assertThat(after.encryptionType()).isNotEqualTo(EncryptionType.KMS);
        List<Record> last = Streams.readFrom(kinesis, iteratorAt(name, after.sequenceNumber()), 100);
        assertThat(last).extracting(r -> r.data().asUtf8String()).containsExactly("after");
        assertThat(last.get(0).encryptionType()).isNotEqualTo(EncryptionType.KMS);

        assertThatThrownBy(() -> kinesis.startStreamEncryption(b -> b.streamName(name + "-missing")
                .encryptionType(EncryptionType.KMS).keyId(key))).isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> kinesis.stopStreamEncryption(b -> b.streamARN(arn(name + "-missing"))
                .encryptionType(EncryptionType.KMS).keyId(key))).isInstanceOf(ResourceNotFoundException.class);
        kinesis.deleteStream(b -> b.streamName(name));
    }

    private String iteratorAt(String stream, String sequenceNumber) {
        return iterator(stream, "shardId-000000000000", ShardIteratorType.AT_SEQUENCE_NUMBER, sequenceNumber, null);
    }

    @Test
    void warmThroughputIsForOnDemandStreamsOnly(TestInfo test) {
        String onDemand = streamName(test, "od");
        int onDemandBefore = kinesis.describeLimits().onDemandStreamCount();
        kinesis.createStream(b -> b.streamName(onDemand).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND)));
        Streams.awaitActive(kinesis, onDemand);
        String arn = arn(onDemand);
        StreamDescriptionSummary created = summary(onDemand);
        assertThat(created.streamModeDetails().streamMode()).isEqualTo(StreamMode.ON_DEMAND);
        assertThat(created.openShardCount()).as("an on-demand stream starts with 4 shards").isEqualTo(4);
        assertThat(created.warmThroughput()).isNull();
        List<Shard> shards = Streams.shards(kinesis, onDemand);
        assertThat(shards).hasSize(4);
        assertCoversHashSpace(shards);
        assertThat(kinesis.describeLimits().onDemandStreamCount()).isEqualTo(onDemandBefore + 1);

        UpdateStreamWarmThroughputResponse first = kinesis.updateStreamWarmThroughput(b -> b.streamARN(arn)
                .warmThroughputMiBps(40));
        assertThat(first.streamName()).isEqualTo(onDemand);
        assertThat(first.streamARN()).isEqualTo(arn);
        assertThat(first.warmThroughput().targetMiBps()).isEqualTo(40);
        Streams.awaitActive(kinesis, onDemand);
        // scaled to take the target: a shard takes 1 MiB/s of writes, so at least 40 shards, covering every hash key
        StreamDescriptionSummary warmed = summary(onDemand);
        assertThat(warmed.openShardCount()).isGreaterThanOrEqualTo(40);
        assertThat(first.warmThroughput().currentMiBps()).as("what the open shards take")
                .isEqualTo(warmed.openShardCount());
        assertThat(warmed.warmThroughput().targetMiBps()).isEqualTo(40);
        assertThat(warmed.warmThroughput().currentMiBps()).isGreaterThanOrEqualTo(40);
        List<Shard> open = Streams.shards(kinesis, onDemand).stream()
                .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null)
                .sorted(Comparator.comparing(s -> new BigInteger(s.hashKeyRange().startingHashKey()))).toList();
        assertThat(open).hasSize(warmed.openShardCount());
        assertCoversHashSpace(open);

        // a lower target is taken at once; the capacity already there stays
        UpdateStreamWarmThroughputResponse lower = kinesis.updateStreamWarmThroughput(b -> b.streamName(onDemand)
                .warmThroughputMiBps(10));
        assertThat(lower.warmThroughput().targetMiBps()).isEqualTo(10);
        assertThat(lower.warmThroughput().currentMiBps()).isEqualTo(warmed.openShardCount());
        Streams.awaitActive(kinesis, onDemand);
        assertThat(summary(onDemand).warmThroughput().targetMiBps()).isEqualTo(10);
        // switched to provisioned capacity, a stream has no warm throughput any more
        kinesis.updateStreamMode(b -> b.streamARN(arn).streamModeDetails(m -> m.streamMode(StreamMode.PROVISIONED)));
        Streams.awaitActive(kinesis, onDemand);
        assertThat(summary(onDemand).streamModeDetails().streamMode()).isEqualTo(StreamMode.PROVISIONED);
        assertThat(summary(onDemand).warmThroughput()).isNull();
        assertThatThrownBy(() -> kinesis.updateStreamWarmThroughput(b -> b.streamARN(arn).warmThroughputMiBps(100)))
                .isInstanceOf(InvalidArgumentException.class);

        // CreateStream takes it too
        String createdWarm = streamName(test, "warm");
        kinesis.createStream(b -> b.streamName(createdWarm).streamModeDetails(m -> m.streamMode(StreamMode.ON_DEMAND))
                .warmThroughputMiBps(50));
        Streams.awaitActive(kinesis, createdWarm);
        assertThat(summary(createdWarm).warmThroughput().targetMiBps()).isEqualTo(50);

        // provisioned streams have no warm throughput
        String provisioned = streamName(test, "p");
        Streams.createActive(kinesis, provisioned, 1);
        assertThatThrownBy(() -> kinesis.updateStreamWarmThroughput(b -> b.streamName(provisioned)
                .warmThroughputMiBps(100)))
                .isInstanceOfSatisfying(InvalidArgumentException.class, e -> assertThat(e.statusCode()).isEqualTo(400));
        assertThat(summary(provisioned).warmThroughput()).isNull();
        assertThatThrownBy(() -> kinesis.updateStreamWarmThroughput(b -> b.streamARN(arn(onDemand + "-missing"))
                .warmThroughputMiBps(100))).isInstanceOf(ResourceNotFoundException.class);
        List.of(onDemand, createdWarm, provisioned).forEach(n -> kinesis.deleteStream(b -> b.streamName(n)));
    }

    // ---- Account settings ----

    @Test
    void billingCommitmentCanEndNoEarlierThanAYearAfterItStarted() {
        MinimumThroughputBillingCommitmentOutput initial = kinesis.describeAccountSettings(b -> { })
                .minimumThroughputBillingCommitment();
        assertThat(initial.status()).isEqualTo(MinimumThroughputBillingCommitmentOutputStatus.DISABLED);
        assertThat(initial.startedAt()).isNull();
        assertThat(initial.earliestAllowedEndAt()).isNull();

        Instant before = Instant.now();
        MinimumThroughputBillingCommitmentOutput enabled =
                commitment(MinimumThroughputBillingCommitmentInputStatus.ENABLED);
        Instant after = Instant.now();
        assertThat(enabled.status()).isEqualTo(MinimumThroughputBillingCommitmentOutputStatus.ENABLED);
        assertThat(enabled.startedAt()).isBetween(before.minusSeconds(5), after.plusSeconds(5));
        assertThat(Duration.between(enabled.startedAt(), enabled.earliestAllowedEndAt()))
                .isBetween(Duration.ofDays(365), Duration.ofDays(366));
        assertThat(enabled.endedAt()).isNull();
        assertThat(kinesis.describeAccountSettings(b -> { }).minimumThroughputBillingCommitment()).isEqualTo(enabled);

        // disabled before the earliest end, it runs on until then
        MinimumThroughputBillingCommitmentOutput ending =
                commitment(MinimumThroughputBillingCommitmentInputStatus.DISABLED);
        assertThat(ending.status())
                .isEqualTo(MinimumThroughputBillingCommitmentOutputStatus.ENABLED_UNTIL_EARLIEST_ALLOWED_END);
        assertThat(ending.startedAt()).isEqualTo(enabled.startedAt());
        assertThat(ending.earliestAllowedEndAt()).isEqualTo(enabled.earliestAllowedEndAt());
        assertThat(ending.endedAt()).isEqualTo(enabled.earliestAllowedEndAt());
        assertThat(kinesis.describeAccountSettings(b -> { }).minimumThroughputBillingCommitment()).isEqualTo(ending);

        // enabled again, it is the same commitment
        MinimumThroughputBillingCommitmentOutput resumed =
                commitment(MinimumThroughputBillingCommitmentInputStatus.ENABLED);
        assertThat(resumed.status()).isEqualTo(MinimumThroughputBillingCommitmentOutputStatus.ENABLED);
        assertThat(resumed.startedAt()).isEqualTo(enabled.startedAt());
        assertThat(resumed.earliestAllowedEndAt()).isEqualTo(enabled.earliestAllowedEndAt());
        assertThat(resumed.endedAt()).isNull();

        assertThatThrownBy(() -> kinesis.updateAccountSettings(b -> b.minimumThroughputBillingCommitment(c ->
                c.status("ENABLED_UNTIL_EARLIEST_ALLOWED_END")))).isInstanceOf(ValidationException.class);
        assertThat(kinesis.describeAccountSettings(b -> { }).minimumThroughputBillingCommitment()).isEqualTo(resumed);
    }

    private MinimumThroughputBillingCommitmentOutput commitment(MinimumThroughputBillingCommitmentInputStatus status) {
        return kinesis.updateAccountSettings(b -> b.minimumThroughputBillingCommitment(c -> c.status(status)))
                .minimumThroughputBillingCommitment();
    }

    // ---- Resource policies and tags by ARN ----

    @Test
    void resourcePolicyBelongsToItsStreamAlone(TestInfo test) {
        String name = streamName(test, "s");
        String sibling = streamName(test, "s-2"); // its ARN starts with the first stream's ARN
        Streams.createActive(kinesis, name, 1);
        Streams.createActive(kinesis, sibling, 1);
        String arn = arn(name);
        String siblingArn = arn(sibling);
        assertThat(policyOf(arn)).as("a stream without a policy").isEqualTo("{}");
        assertThatThrownBy(() -> kinesis.deleteResourcePolicy(b -> b.resourceARN(arn)))
                .isInstanceOf(ResourceNotFoundException.class);

        String readers = policy(arn, "kinesis:GetRecords");
        kinesis.putResourcePolicy(b -> b.resourceARN(arn).policy(readers));
        assertThat(policyOf(arn)).isEqualTo(readers);
        String describers = policy(arn, "kinesis:DescribeStreamSummary");
        kinesis.putResourcePolicy(b -> b.resourceARN(arn).policy(describers));
        assertThat(policyOf(arn)).as("a second put replaces the policy").isEqualTo(describers);
        String siblings = policy(siblingArn, "kinesis:ListShards");
        kinesis.putResourcePolicy(b -> b.resourceARN(siblingArn).policy(siblings));
        assertThat(policyOf(arn)).isEqualTo(describers);
        assertThatThrownBy(() -> kinesis.putResourcePolicy(b -> b.resourceARN(arn).policy("not a policy")))
                .isInstanceOf(InvalidArgumentException.class);
        assertThat(policyOf(arn)).isEqualTo(describers);

        String missing = arn(name + "-missing");
        assertThatThrownBy(() -> kinesis.putResourcePolicy(b -> b.resourceARN(missing).policy(readers)))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> kinesis.getResourcePolicy(b -> b.resourceARN(missing)))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> kinesis.deleteResourcePolicy(b -> b.resourceARN(missing)))
                .isInstanceOf(ResourceNotFoundException.class);

        kinesis.deleteResourcePolicy(b -> b.resourceARN(arn));
        assertThat(policyOf(arn)).isEqualTo("{}");
        assertThatThrownBy(() -> kinesis.deleteResourcePolicy(b -> b.resourceARN(arn)))
                .isInstanceOf(ResourceNotFoundException.class);

        // deleting a stream drops its policy, and no other: a stream created again under the name starts without one
        kinesis.putResourcePolicy(b -> b.resourceARN(arn).policy(readers));
        kinesis.deleteStream(b -> b.streamName(name));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThatThrownBy(() -> kinesis.getResourcePolicy(b -> b.resourceARN(arn)))
                        .isInstanceOf(ResourceNotFoundException.class));
        Streams.createActive(kinesis, name, 1);
        assertThat(policyOf(arn)).isEqualTo("{}");
        assertThat(policyOf(siblingArn)).isEqualTo(siblings);
        List.of(name, sibling).forEach(n -> kinesis.deleteStream(b -> b.streamName(n)));
    }

    private String policyOf(String resourceArn) {
        return kinesis.getResourcePolicy(b -> b.resourceARN(resourceArn)).policy();
    }

    static String policy(String resourceArn, String action) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"s1\",\"Effect\":\"Allow\","
                + "\"Principal\":{\"AWS\":\"arn:aws:iam::" + ACCOUNT + ":root\"},\"Action\":\"" + action + "\","
                + "\"Resource\":\"" + resourceArn + "\"}]}";
    }

    @Test
    void tagsByResourceArnAreTheStreamsTags(TestInfo test) {
        String name = streamName(test, "s");
        kinesis.createStream(b -> b.streamName(name).shardCount(1).tags(Map.of("team", "data", "env", "test")));
        Streams.awaitActive(kinesis, name);
        String arn = arn(name);
        assertThat(tagsOfResource(arn)).isEqualTo(Map.of("team", "data", "env", "test"));
        assertThat(tagsOfStream(name)).isEqualTo(Map.of("team", "data", "env", "test"));

        kinesis.tagResource(b -> b.resourceARN(arn).tags(Map.of("env", "prod", "cost", "")));
        assertThat(tagsOfResource(arn)).isEqualTo(Map.of("team", "data", "env", "prod", "cost", ""));
        assertThat(tagsOfStream(name)).isEqualTo(Map.of("team", "data", "env", "prod", "cost", ""));
        kinesis.untagResource(b -> b.resourceARN(arn).tagKeys("team", "no-such-tag"));
        assertThat(tagsOfResource(arn)).isEqualTo(Map.of("env", "prod", "cost", ""));
        kinesis.removeTagsFromStream(b -> b.streamARN(arn).tagKeys("cost"));
        assertThat(tagsOfResource(arn)).isEqualTo(Map.of("env", "prod"));

        String missing = arn(name + "-missing");
        assertThatThrownBy(() -> kinesis.tagResource(b -> b.resourceARN(missing).tags(Map.of("a", "b"))))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> kinesis.untagResource(b -> b.resourceARN(missing).tagKeys("a")))
                .isInstanceOf(ResourceNotFoundException.class);
        assertThatThrownBy(() -> kinesis.listTagsForResource(b -> b.resourceARN(missing)))
                .isInstanceOf(ResourceNotFoundException.class);
        kinesis.deleteStream(b -> b.streamName(name));
    }

    @Test
    void aStreamHoldsAtMostFiftyTags(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 1);
        String arn = arn(name);
        Map<String, String> fifty = new TreeMap<>();
        IntStream.range(0, 50).forEach(i -> fifty.put(String.format("tag-%02d", i), "v" + i));
        kinesis.addTagsToStream(b -> b.streamName(name).tags(fifty));
        assertThat(tagsOfStream(name)).isEqualTo(fifty);
        assertThat(tagsOfResource(arn)).isEqualTo(fifty);

        // AWS's recorded answer: InvalidArgumentException, whose text still says 10 although the limit is 50.
        assertThatThrownBy(() -> kinesis.addTagsToStream(b -> b.streamName(name).tags(Map.of("one-more", "x"))))
                .isInstanceOfSatisfying(InvalidArgumentException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(400);
                    assertThat(e.awsErrorDetails().errorMessage()).contains("cannot have more than 10 tags");
                });
        assertThatThrownBy(() -> kinesis.tagResource(b -> b.resourceARN(arn).tags(Map.of("one-more", "x"))))
                .isInstanceOf(InvalidArgumentException.class);
        assertThat(tagsOfStream(name)).isEqualTo(fifty);
        // overwriting a tag does not add one
        kinesis.addTagsToStream(b -> b.streamARN(arn).tags(Map.of("tag-00", "changed")));
        kinesis.tagResource(b -> b.resourceARN(arn).tags(Map.of("tag-01", "changed")));
        assertThat(tagsOfStream(name)).hasSize(50).containsEntry("tag-00", "changed")
                .containsEntry("tag-01", "changed");
        // once there is room, there is room
        kinesis.untagResource(b -> b.resourceARN(arn).tagKeys("tag-49"));
        kinesis.tagResource(b -> b.resourceARN(arn).tags(Map.of("one-more", "x")));
        assertThat(tagsOfStream(name)).hasSize(50).containsEntry("one-more", "x").doesNotContainKey("tag-49");

        // 51 at once, on a stream without tags
        String other = streamName(test, "t");
        Streams.createActive(kinesis, other, 1);
        Map<String, String> fiftyOne = new TreeMap<>(fifty);
        fiftyOne.put("tag-50", "v50");
        assertThatThrownBy(() -> kinesis.addTagsToStream(b -> b.streamName(other).tags(fiftyOne)))
                .isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> kinesis.tagResource(b -> b.resourceARN(arn(other)).tags(fiftyOne)))
                .isInstanceOf(InvalidArgumentException.class);
        assertThat(tagsOfStream(other)).isEmpty();
        List.of(name, other).forEach(n -> kinesis.deleteStream(b -> b.streamName(n)));
    }

    private Map<String, String> tagsOfResource(String resourceArn) {
        Map<String, String> tags = new HashMap<>();
        kinesis.listTagsForResource(b -> b.resourceARN(resourceArn)).tags()
                .forEach(t -> assertThat(tags.put(t.key(), t.value())).as("tag %s once", t.key()).isNull());
        return tags;
    }

    /** Every tag, through ListTagsForStream's pages. */
    private Map<String, String> tagsOfStream(String name) {
        Map<String, String> tags = new HashMap<>();
        String after = null;
        for (int page = 0; page < 10; page++) {
            String start = after;
            ListTagsForStreamResponse r = kinesis.listTagsForStream(b -> b.streamName(name)
                    .exclusiveStartTagKey(start));
            r.tags().forEach(t -> assertThat(tags.put(t.key(), t.value())).as("tag %s once", t.key()).isNull());
            if (!r.hasMoreTags()) {
                return tags;
            }
            after = r.tags().get(r.tags().size() - 1).key();
        }
        throw new AssertionError("ListTagsForStream never ended");
    }

    // ---- Paging, and StreamARN in place of StreamName ----

    @Test
    void describeStreamGivesAtMostOneHundredShardsAPage(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 105);
        List<String> expected = IntStream.range(0, 105).mapToObj(i -> String.format("shardId-%012d", i)).toList();

        StreamDescription byDefault = kinesis.describeStream(b -> b.streamName(name)).streamDescription();
        assertThat(byDefault.shards()).extracting(Shard::shardId).containsExactlyElementsOf(expected.subList(0, 100));
        assertThat(byDefault.hasMoreShards()).isTrue();
        StreamDescription overLimit = kinesis.describeStream(b -> b.streamName(name).limit(1000)).streamDescription();
        assertThat(overLimit.shards()).as("a Limit over 100 still gives at most 100").hasSize(100);
        assertThat(overLimit.hasMoreShards()).isTrue();

        // the SDK has no DescribeStream paginator: pages follow ExclusiveStartShardId and HasMoreShards
        List<String> seen = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 100; page++) {
            String start = after;
            StreamDescription d = kinesis.describeStream(b -> b.streamARN(arn(name)).limit(30)
                    .exclusiveStartShardId(start)).streamDescription();
            sizes.add(d.shards().size());
            d.shards().forEach(s -> seen.add(s.shardId()));
            if (!d.hasMoreShards()) {
                break;
            }
            after = d.shards().get(d.shards().size() - 1).shardId();
        }
        assertThat(sizes).containsExactly(30, 30, 30, 15);
        assertThat(seen).containsExactlyElementsOf(expected);
        assertCoversHashSpace(kinesis.listShards(b -> b.streamName(name)).shards());
        StreamDescription end = kinesis.describeStream(b -> b.streamName(name).limit(5)
                .exclusiveStartShardId(expected.get(104))).streamDescription();
        assertThat(end.shards()).isEmpty();
        assertThat(end.hasMoreShards()).isFalse();
        StreamDescription exact = kinesis.describeStream(b -> b.streamName(name).limit(5)
                .exclusiveStartShardId(expected.get(99))).streamDescription();
        assertThat(exact.shards()).extracting(Shard::shardId).containsExactlyElementsOf(expected.subList(100, 105));
        assertThat(exact.hasMoreShards()).as("the page ends with the last shard").isFalse();
        kinesis.deleteStream(b -> b.streamName(name));
    }

    @Test
    void listStreamsPagesWithTheSdkPaginatorAndByName(TestInfo test) {
        List<String> mine = IntStream.range(0, 101).mapToObj(i -> streamName(test, String.format("%03d", i))).toList();
        mine.forEach(n -> kinesis.createStream(b -> b.streamName(n).shardCount(1)));
        try {
            assertListStreamsPagesCover(mine);
        } finally {
            // more than 100 streams left behind would push other tests' streams off ListStreams' first page
            mine.forEach(n -> kinesis.deleteStream(b -> b.streamName(n)));
        }
    }

    private void assertListStreamsPagesCover(List<String> mine) {
        ListStreamsResponse overLimit = kinesis.listStreams(b -> b.limit(1000));
        assertThat(overLimit.streamNames()).as("a Limit over 100 still gives at most 100").hasSize(100);
        assertThat(overLimit.hasMoreStreams()).isTrue();
        assertThat(overLimit.nextToken()).isNotNull();
        assertThat(kinesis.listStreams().streamNames()).as("100 by default").hasSize(100);

        // the SDK's paginator follows NextToken while HasMoreStreams
        List<ListStreamsResponse> pages = kinesis.listStreamsPaginator(b -> b.limit(7)).stream().toList();
        assertThat(pages).hasSizeGreaterThanOrEqualTo(15);
        for (int i = 0; i < pages.size(); i++) {
            ListStreamsResponse page = pages.get(i);
            boolean last = i == pages.size() - 1;
            assertThat(page.hasMoreStreams()).as("HasMoreStreams of page %d", i).isEqualTo(!last);
            if (!last) {
                assertThat(page.streamNames()).hasSize(7);
            }
            assertThat(page.streamSummaries()).extracting(s -> s.streamName())
                    .containsExactlyElementsOf(page.streamNames());
        }
        List<String> all = pages.stream().flatMap(p -> p.streamNames().stream()).toList();
        assertThat(all).doesNotHaveDuplicates().isSorted().containsAll(mine);
        assertThat(kinesis.listStreamsPaginator(b -> b.limit(7)).streamNames()).containsExactlyElementsOf(all);

        // the way the API reference pages: the last name returned as ExclusiveStartStreamName
        List<String> byName = new ArrayList<>();
        String after = null;
        for (int page = 0; page < 1000; page++) {
            String start = after;
            ListStreamsResponse r = kinesis.listStreams(b -> b.limit(40).exclusiveStartStreamName(start));
            assertThat(r.streamNames()).hasSizeLessThanOrEqualTo(40);
            byName.addAll(r.streamNames());
            if (!r.hasMoreStreams()) {
                break;
            }
            after = r.streamNames().get(r.streamNames().size() - 1);
        }
        assertThat(byName).isEqualTo(all);
        assertThatThrownBy(() -> kinesis.listStreams(b -> b.nextToken("not-a-token")))
                .isInstanceOf(InvalidArgumentException.class);
    }

    @Test
    void streamArnStandsInForStreamName(TestInfo test) {
        String name = streamName(test, "s");
        Streams.createActive(kinesis, name, 2);
        String arn = arn(name);
        StreamDescriptionSummary summary = kinesis.describeStreamSummary(b -> b.streamARN(arn))
                .streamDescriptionSummary();
        assertThat(summary.streamName()).isEqualTo(name);
        assertThat(summary.streamARN()).isEqualTo(arn);
        assertThat(summary.openShardCount()).isEqualTo(2);
        assertThat(kinesis.describeStreamSummary(b -> b.streamName(name).streamARN(arn)).streamDescriptionSummary()
                .streamName()).as("both, when they agree").isEqualTo(name);
        assertThat(kinesis.describeStream(b -> b.streamARN(arn)).streamDescription().streamName()).isEqualTo(name);
        List<Shard> shards = kinesis.listShards(b -> b.streamARN(arn)).shards();
        assertThat(shards).hasSize(2);

        Map<String, List<Written>> written = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            String key = "key-" + i;
            PutRecordResponse r = kinesis.putRecord(b -> b.streamARN(arn).partitionKey(key)
                    .data(SdkBytes.fromUtf8String("single-" + key)));
            assertThat(r.shardId()).isEqualTo(Streams.owner(shards, Streams.md5(key)));
            written.computeIfAbsent(r.shardId(), k -> new ArrayList<>())
                    .add(new Written(r.sequenceNumber(), key, Streams.utf8("single-" + key)));
        }
        List<PutRecordsRequestEntry> entries = IntStream.range(0, 10)
                .mapToObj(i -> entry("batch-" + i, Streams.utf8("batch-" + i))).toList();
        PutRecordsResponse batch = kinesis.putRecords(b -> b.streamARN(arn).records(entries));
        assertThat(batch.failedRecordCount()).isZero();
        for (int i = 0; i < entries.size(); i++) {
            PutRecordsResultEntry r = batch.records().get(i);
            written.computeIfAbsent(r.shardId(), k -> new ArrayList<>()).add(new Written(r.sequenceNumber(),
                    entries.get(i).partitionKey(), entries.get(i).data().asByteArray()));
        }
        for (Shard shard : shards) {
            String iterator = kinesis.getShardIterator(b -> b.streamARN(arn).shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            assertThat(Streams.readFrom(kinesis, iterator, 100)).extracting(Written::of)
                    .containsExactlyElementsOf(written.getOrDefault(shard.shardId(), List.of()));
        }

        // a stream that does not exist, an ARN of another account, a name and an ARN that disagree
        for (String wrong : List.of(arn(name + "-missing"),
                "arn:aws:kinesis:us-east-1:111111111111:stream/" + name)) {
            assertThatThrownBy(() -> kinesis.describeStreamSummary(b -> b.streamARN(wrong)))
                    .isInstanceOf(ResourceNotFoundException.class);
            assertThatThrownBy(() -> kinesis.putRecord(b -> b.streamARN(wrong).partitionKey("k")
                    .data(SdkBytes.fromUtf8String("x")))).isInstanceOf(ResourceNotFoundException.class);
            assertThatThrownBy(() -> kinesis.getShardIterator(b -> b.streamARN(wrong)
                    .shardId("shardId-000000000000").shardIteratorType(ShardIteratorType.TRIM_HORIZON)))
                    .isInstanceOf(ResourceNotFoundException.class);
        }
        assertThatThrownBy(() -> kinesis.describeStreamSummary(b -> b.streamName(name).streamARN(arn(name + "-2"))))
                .isInstanceOf(InvalidArgumentException.class);
        kinesis.deleteStream(b -> b.streamARN(arn));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThatThrownBy(() -> kinesis.describeStreamSummary(b -> b.streamARN(arn)))
                        .isInstanceOf(ResourceNotFoundException.class));
    }

    static String arn(String streamName) {
        return "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/" + streamName;
    }

    private StreamDescriptionSummary summary(String name) {
        return kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary();
    }

    private Written putRecord(String stream, String partitionKey, byte[] data) {
        PutRecordResponse r = kinesis.putRecord(b -> b.streamName(stream).partitionKey(partitionKey)
                .data(SdkBytes.fromByteArray(data)));
        return new Written(r.sequenceNumber(), partitionKey, data);
    }

    static PutRecordsRequestEntry entry(String partitionKey, byte[] data) {
        return PutRecordsRequestEntry.builder().partitionKey(partitionKey).data(SdkBytes.fromByteArray(data)).build();
    }

    static byte[] randomBytes(Random random, int length) {
        byte[] data = new byte[length];
        random.nextBytes(data);
        return data;
    }
}
