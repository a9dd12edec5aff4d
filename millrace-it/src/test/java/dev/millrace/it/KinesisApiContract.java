package dev.millrace.it;

import dev.millrace.it.Streams.Written;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.DescribeLimitsResponse;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamResponse;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.InvalidArgumentException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.ListStreamsResponse;
import software.amazon.awssdk.services.kinesis.model.ListTagsForStreamResponse;
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
import software.amazon.awssdk.services.kinesis.model.ValidationException;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The Kinesis API as a real AWS SDK client sees it, against one Millrace server (a child process) per test class.
 * Subclasses choose the client: sync CBOR, sync JSON, async HTTP/2. Every test uses streams of its own.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KinesisApiContract {
    static final String ACCOUNT = "000000000000";
    static final BigInteger MAX_HASH = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

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
}
