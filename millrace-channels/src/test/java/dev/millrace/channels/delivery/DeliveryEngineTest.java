package dev.millrace.channels.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.millrace.channels.s3.Destination;
import dev.millrace.channels.s3.Destination.ObjectTarget;
import dev.millrace.channels.s3.DestinationException;
import dev.millrace.channels.s3.LocalFilesDestination;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.ShardLog;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The delivery engine against local files: batches, keys, contents, the DLQ, checkpoints, retries. */
class DeliveryEngineTest {

    static final long T0 = Instant.parse("2026-07-20T14:30:00Z").toEpochMilli();
    static final String CHANNEL_ID = "ch0123456789abcdef";
    static final int FRESHNESS_S = 300;
    static final long DUE_MS = FRESHNESS_S * 1000L + 3_000;

    @TempDir
    Path dir;
    TestStream stream;
    Checkpoints checkpoints;
    LocalFilesDestination files;
    Path bucketRoot;
    final List<DeliveryEngine> engines = new ArrayList<>();

    @BeforeEach
    void setUp() {
        stream = new TestStream(dir, T0, 2);
        checkpoints = new Checkpoints(stream.storage.metadata());
        bucketRoot = dir.resolve("channels");
        files = new LocalFilesDestination(bucketRoot);
    }

    @AfterEach
    void tearDown() {
        engines.forEach(DeliveryEngine::close);
        stream.close();
    }

    static DeliverySpec spec(RecordFormat format, Compression compression, String template, long activatedAtMs) {
        return new DeliverySpec(CHANNEL_ID, "orders-to-s3", "123456789012", "us-east-1", "orders",
                TestStream.STREAM_ARN, TestStream.CREATED_MS, format, "lake", null, compression, "STANDARD",
                KeyTemplate.parse(template, compression.name()), "lake", null,
                DeliverySpec.defaultDlqPrefix("orders-to-s3", CHANNEL_ID), FRESHNESS_S, activatedAtMs);
    }

    DeliveryEngine engine(Destination destination, DeliveryOptions options, DeliverySpec... specs) {
        return engine(stream, checkpoints, destination, options, specs);
    }

    /** An engine reading {@code source}, keeping its checkpoints in {@code store}, closed after the test. */
    DeliveryEngine engine(ShardSource source, Checkpoints store, Destination destination, DeliveryOptions options,
            DeliverySpec... specs) {
        DeliveryEngine engine = new DeliveryEngine(source, store, destination, dir.resolve("staging"), options,
                stream.clock);
        engine.setChannels(List.of(specs));
        engines.add(engine);
        return engine;
    }

    /** An engine to local files that "crashes" on every commit after an upload ({@link #dyingAfterUpload}). */
    DeliveryEngine crashingAfterUpload(DeliverySpec spec) {
        return engine(stream, new Checkpoints(dyingAfterUpload(stream.storage.metadata())), files,
                DeliveryOptions.defaults(), spec);
    }

    Map<String, byte[]> objects() throws IOException {
        Map<String, byte[]> objects = new java.util.TreeMap<>();
        if (!Files.exists(bucketRoot)) {
            return objects;
        }
        List<Path> buckets;
        try (Stream<Path> list = Files.list(bucketRoot)) {
            // Not the destination's own temporary directory, whose files come and go while an engine runs.
            buckets = list.filter(p -> !p.getFileName().toString().equals("TMP")).toList();
        }
        for (Path bucket : buckets) {
            try (Stream<Path> walk = Files.walk(bucket)) {
                for (Path file : walk.filter(Files::isRegularFile).toList()) {
                    objects.put(bucketRoot.relativize(file).toString(), Files.readAllBytes(file));
                }
            }
        }
        return objects;
    }

    static String suffix(int shard, long position) {
        return KeyTemplate.suffix(CHANNEL_ID, shard, position);
    }

    @Test
    void deliversABatchOnceFreshnessAndGracePassWithTheExactKeyAndBytes() throws IOException {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, null, T0));
        stream.put(0, "alpha", "beta");
        stream.clock.advanceMs(10_000);
        stream.put(0, "gamma");

        stream.clock.setMs(T0 + DUE_MS - 1);
        assertThat(engine.runOnce()).isZero();
        assertThat(objects()).isEmpty();
        assertThat(engine.dataFreshnessMs(CHANNEL_ID)).hasValue(DUE_MS - 1);

        stream.clock.setMs(T0 + DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        String key = "lake/kinesis-channel/orders-to-s3/" + CHANNEL_ID + "/2026/07/20/14/orders-to-s3-" + CHANNEL_ID
                + "-2026-07-20-14-30" + suffix(0, 0);
        assertThat(objects()).containsOnlyKeys(key);
        assertThat(new String(objects().get(key), StandardCharsets.UTF_8)).isEqualTo("alphabetagamma");
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(3);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000001")).isEmpty();
        ChannelStats stats = engine.stats(CHANNEL_ID).orElseThrow();
        assertThat(stats.recordsDelivered()).isEqualTo(3);
        assertThat(stats.bytesRead()).isEqualTo(14);
        assertThat(stats.objectsDelivered()).isEqualTo(1);
        assertThat(stats.objectBytesWritten()).isEqualTo(14);
        assertThat(engine.dataFreshnessMs(CHANNEL_ID)).hasValue(0);

        assertThat(engine.runOnce()).isZero();
        assertThat(objects()).hasSize(1);
    }

    @Test
    void recordsFromBeforeActivationAreNotDelivered() throws IOException {
        stream.put(0, "old");
        stream.clock.advanceMs(1_000);
        long activatedAt = stream.clock.millis();
        stream.put(0, "new");
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "out/!{channel-name}", activatedAt));
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects()).containsOnlyKeys("lake/out/orders-to-s3" + suffix(0, 1));
        assertThat(objects().values()).singleElement().satisfies(b -> assertThat(new String(b)).isEqualTo("new"));
    }

    @Test
    void aRecordBeyondTheFreshnessWindowClosesTheBatchAtOnceAndStartsTheNext() throws IOException {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(),
                spec(RecordFormat.STRING, Compression.NONE, "s/!{HH}!{mm}", T0));
        stream.put(1, "a");
        stream.clock.advanceMs(FRESHNESS_S * 1000L - 1);
        stream.put(1, "b");
        stream.clock.advanceMs(1);
        stream.put(1, "c");
        // The batch [a, b] is complete: "c" arrived at first + freshness. No need to wait for the grace.
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects()).containsOnlyKeys("lake/s/1430" + suffix(1, 0));
        assertThat(objects().get("lake/s/1430" + suffix(1, 0))).asString().isEqualTo("a\nb\n");
        assertThat(engine.dataFreshnessMs(CHANNEL_ID)).hasValue(0);

        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects()).containsKey("lake/s/1435" + suffix(1, 2));
        assertThat(objects().get("lake/s/1435" + suffix(1, 2))).asString().isEqualTo("c\n");
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000001")).hasValue(3);
    }

    @Test
    void theSizeBoundCutsBatchesBeforeFreshnessEnds() throws IOException {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults().withObjectTargetBytes(10),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "k/!{channel-id}", T0));
        stream.put(0, "1234", "5678", "90", "abcdefghijklmnop", "x");
        // [1234 5678 90] = 10 bytes; the 16-byte record alone (over the target, but a batch takes at least one); then
        // "x" waits for its freshness since nothing follows it.
        assertThat(engine.runOnce()).isEqualTo(2);
        assertThat(objects()).containsOnlyKeys("lake/k/" + CHANNEL_ID + suffix(0, 0),
                "lake/k/" + CHANNEL_ID + suffix(0, 3));
        assertThat(objects().get("lake/k/" + CHANNEL_ID + suffix(0, 0))).asString().isEqualTo("1234567890");
        assertThat(objects().get("lake/k/" + CHANNEL_ID + suffix(0, 3))).asString().isEqualTo("abcdefghijklmnop");
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects().get("lake/k/" + CHANNEL_ID + suffix(0, 4))).asString().isEqualTo("x");
    }

    @Test
    void theRecordCountBoundCutsBatchesToo() throws IOException {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults().withMaxRecordsPerObject(2),
                spec(RecordFormat.STRING, Compression.NONE, "k/", T0));
        stream.put(0, "a", "b", "c", "d\n");
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(2);
        assertThat(objects()).containsOnlyKeys("lake/k/" + suffix(0, 0), "lake/k/" + suffix(0, 2));
        assertThat(objects().get("lake/k/" + suffix(0, 2))).asString().isEqualTo("c\nd\n");
    }

    @Test
    void invalidRecordsGoToTheDeadLetterObjectWithTheirIdentifiersAndNoPayload() throws IOException {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults().withMaxRecordBytes(20),
                spec(RecordFormat.JSON, Compression.NONE, "json/", T0));
        stream.put(0, "{\"a\":1}", "not json", "[1,2]\n", "{\"big\":\"SECRET-PAYLOAD\"}", "{\"b\":2} {\"c\":3}",
                "  \"str\"  ");
        stream.put(0, new byte[] {'"', (byte) 0xC3, (byte) 0x28, '"'});
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);

        String dataKey = "lake/json/" + suffix(0, 0);
        String dlqKey = "lake/kinesis-channel/errors/orders-to-s3/" + CHANNEL_ID + "/2026/07/20/14/orders-to-s3-"
                + CHANNEL_ID + "-2026-07-20-14-30" + suffix(0, 0) + ".jsonl";
        assertThat(objects()).containsOnlyKeys(dataKey, dlqKey);
        assertThat(objects().get(dataKey)).asString().isEqualTo("{\"a\":1}\n[1,2]\n  \"str\"  \n");
        String[] lines = new String(objects().get(dlqKey), StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(4);
        assertThat(lines[0]).isEqualTo("{\"channelARN\":\"arn:aws:kinesis:us-east-1:123456789012:channel/"
                + CHANNEL_ID + "\",\"channelName\":\"orders-to-s3\",\"streamARN\":\"" + TestStream.STREAM_ARN
                + "\",\"shardId\":\"shardId-000000000000\",\"sequenceNumber\":\"" + TestStream.sequenceNumber(0, 1)
                + "\",\"approximateArrivalTimestamp\":\"2026-07-20T14:30:00Z\",\"dataSizeBytes\":8,"
                + "\"errorCode\":\"DESERIALIZATION_ERROR\",\"errorMessage\":\"The record is not valid JSON: "
                + "syntax error at line 1, column 1.\"}");
        assertThat(lines[1]).contains(TestStream.sequenceNumber(0, 3)).contains("\"errorCode\":\"RECORD_TOO_LARGE\"")
                .contains("\"dataSizeBytes\":24");
        assertThat(lines[2]).contains(TestStream.sequenceNumber(0, 4)).contains("more than one JSON value");
        assertThat(lines[3]).contains(TestStream.sequenceNumber(0, 6)).contains("not valid UTF-8");
        assertThat(String.join("\n", lines)).doesNotContain("not json").doesNotContain("SECRET");
        ChannelStats stats = engine.stats(CHANNEL_ID).orElseThrow();
        assertThat(stats.recordsRead()).isEqualTo(7);
        assertThat(stats.recordsDelivered()).isEqualTo(3);
        assertThat(stats.recordsDeadLettered()).isEqualTo(4);
        assertThat(stats.deadLetterObjectsDelivered()).isEqualTo(1);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(7);
    }

    @Test
    void aBatchOfOnlyInvalidRecordsWritesOnlyTheDeadLetterObjectAndMovesOn() throws IOException {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(),
                spec(RecordFormat.STRING, Compression.GZIP, null, T0));
        stream.put(0, new byte[] {(byte) 0xFF}, new byte[] {(byte) 0xC0, (byte) 0x80});
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects()).hasSize(1);
        assertThat(objects().keySet()).singleElement().satisfies(k -> assertThat(k).endsWith(".jsonl"));
        assertThat(engine.stats(CHANNEL_ID).orElseThrow().objectsDelivered()).isZero();
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(2);
    }

    @Test
    void gzipAndZstdObjectsDecompressToTheRecordsAndAreDeterministic() throws IOException {
        byte[] big = new byte[300_000];
        new java.util.Random(7).nextBytes(big);
        for (Compression compression : List.of(Compression.GZIP, Compression.ZSTD)) {
            Path root = dir.resolve("c-" + compression);
            LocalFilesDestination destination = new LocalFilesDestination(root);
            DeliverySpec spec = new DeliverySpec("id-" + compression, "c", "123456789012", "us-east-1", "orders",
                    TestStream.STREAM_ARN, TestStream.CREATED_MS, RecordFormat.BYTE_ARRAY,
                    "b-" + compression.name().toLowerCase(), null, compression, "STANDARD",
                    KeyTemplate.parse("x/!{extension}", compression.name()), "dlq", null, "",
                    FRESHNESS_S, T0);
            Checkpoints separate = new Checkpoints(stream.storage.metadata());
            DeliveryEngine engine = engine(stream, separate, destination, DeliveryOptions.defaults(), spec);
            if (compression == Compression.GZIP) {
                stream.put(0, big, "tail".getBytes(StandardCharsets.UTF_8));
            }
            stream.clock.setMs(T0 + DUE_MS);
            assertThat(engine.runOnce()).isEqualTo(1);
            Path object = root.resolve("b-" + compression.name().toLowerCase())
                    .resolve("x/" + KeyTemplate.suffix("id-" + compression, 0, 0) + compression.extension());
            byte[] stored = Files.readAllBytes(object);
            assertThat(stored.length).isGreaterThan(300_000 - 1);
            assertThat(decompress(compression, stored)).isEqualTo(concat(big, "tail".getBytes()));

            // Deliver again from scratch ("the checkpoint was lost"): the same bytes.
            stream.storage.metadata().commit(Map.of(Checkpoints.key("id-" + compression, "shardId-000000000000"),
                    "0".getBytes()));
            Files.delete(object);
            assertThat(engine.runOnce()).isEqualTo(1);
            assertThat(Files.readAllBytes(object)).isEqualTo(stored);
        }
    }

    /** The listener (the server's metrics) hears each failed attempt, and each batch once its checkpoint is in. */
    @Test
    void theListenerIsToldEachFailedAttemptAndEachBatchDeliveredWithItsCounts() throws IOException {
        DeliverySpec spec = spec(RecordFormat.JSON, Compression.ZSTD, null, T0);
        stream.put(0, "{\"n\":1}", "{\"n\":2}", "bad");
        stream.put(1, "{\"n\":3}");
        stream.clock.advanceMs(DUE_MS);
        List<String> heard = new ArrayList<>();
        DeliveryListener listener = new DeliveryListener() {
            @Override
            public void delivered(DeliverySpec s, int deliveredRecords, int deadLetteredRecords, long bytesIn,
                                  long objectBytes) {
                heard.add(s.channelId() + " delivered " + deliveredRecords + "/" + deadLetteredRecords + "/"
                        + bytesIn + "/" + objectBytes);
            }

            @Override
            public void failed(DeliverySpec s) {
                heard.add(s.channelId() + " failed");
            }
        };
        DeliveryEngine crashing = crashingAfterUpload(spec);
        crashing.listen(listener);
        assertThat(crashing.runOnce()).isZero();
        assertThat(heard).containsExactly(CHANNEL_ID + " failed", CHANNEL_ID + " failed");

        heard.clear();
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(), spec);
        engine.listen(listener);
        assertThat(engine.runOnce()).isEqualTo(2);
        Map<String, byte[]> objects = objects();
        long shard0Bytes = objects.get("lake/kinesis-channel/orders-to-s3/" + CHANNEL_ID
                + "/2026/07/20/14/orders-to-s3-" + CHANNEL_ID + "-2026-07-20-14-30" + suffix(0, 0) + ".zst").length;
        long shard1Bytes = objects.get("lake/kinesis-channel/orders-to-s3/" + CHANNEL_ID
                + "/2026/07/20/14/orders-to-s3-" + CHANNEL_ID + "-2026-07-20-14-30" + suffix(1, 0) + ".zst").length;
        assertThat(heard).containsExactlyInAnyOrder(CHANNEL_ID + " delivered 2/1/17/" + shard0Bytes,
                CHANNEL_ID + " delivered 1/0/7/" + shard1Bytes);
    }

    @Test
    void aCrashBeforeTheCheckpointRewritesTheSameKeyWithTheSameBytes() throws IOException {
        DeliverySpec spec = spec(RecordFormat.JSON, Compression.ZSTD, null, T0);
        stream.put(0, "{\"n\":1}", "{\"n\":2}", "bad");
        stream.put(1, "{\"n\":3}");
        stream.clock.advanceMs(DUE_MS);
        // The first run writes the objects, then "crashes" as it commits the checkpoint.
        DeliveryEngine first = crashingAfterUpload(spec);
        assertThat(first.runOnce()).isZero();
        Map<String, byte[]> afterCrash = objects();
        assertThat(afterCrash).hasSize(3);
        assertThat(first.stats(CHANNEL_ID).orElseThrow().failedDeliveries()).isEqualTo(2);
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000"))
                .hasValue(new Checkpoints.Checkpoint(0, 3, T0));

        stream.put(0, "{\"n\":4}");
        DeliveryEngine second = engine(files, DeliveryOptions.defaults(), spec);
        assertThat(second.runOnce()).isEqualTo(2);
        Map<String, byte[]> afterRetry = objects();
        assertThat(afterRetry.keySet()).isEqualTo(afterCrash.keySet());
        afterCrash.forEach((key, bytes) -> assertThat(afterRetry.get(key)).as(key).isEqualTo(bytes));
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(3);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000001")).hasValue(1);

        // The record that arrived after the crash (past freshness + grace of the first batch) is the next batch.
        stream.clock.advanceMs(DUE_MS);
        assertThat(second.runOnce()).isEqualTo(1);
        assertThat(objects()).hasSize(4);
    }

    /** A metadata store on which every commit but a pending checkpoint's fails: "killed" right after the upload. */
    static MetadataStore dyingAfterUpload(MetadataStore real) {
        return (MetadataStore) Proxy.newProxyInstance(DeliveryEngineTest.class.getClassLoader(),
                new Class<?>[] {MetadataStore.class}, (proxy, method, args) -> {
                    if (method.getName().startsWith("commit") && ((Map<?, ?>) args[args.length - 1]).values().stream()
                            .noneMatch(v -> new String((byte[]) v, StandardCharsets.US_ASCII).contains(":"))) {
                        throw new IllegalStateException("kill -9");
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aBatchRetriedAfterACrashIsCutAsBeforeEvenIfFreshnessAndBoundsChanged() throws IOException {
        DeliverySpec spec = spec(RecordFormat.JSON, Compression.NONE, "p/", T0);
        stream.put(0, "{\"n\":1}", "bad");
        stream.clock.advanceMs(200_000);
        stream.put(0, "{\"n\":2}", "{\"n\":3}");
        stream.clock.advanceMs(200_000);
        stream.put(0, "{\"n\":4}");
        DeliveryEngine first = crashingAfterUpload(spec);
        assertThat(first.runOnce()).isZero();
        Map<String, byte[]> afterCrash = objects();
        assertThat(afterCrash).hasSize(2);
        assertThat(afterCrash.get("lake/p/" + suffix(0, 0))).asString()
                .isEqualTo("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");

        // Restarted with a shorter freshness and a 1-record bound: without the pending range it would cut [n1] alone.
        DeliverySpec shorter = spec.withDataFreshnessSeconds(100);
        DeliveryEngine second = engine(files, DeliveryOptions.defaults().withMaxRecordsPerObject(1), shorter);
        assertThat(second.runOnce()).isEqualTo(1);
        Map<String, byte[]> afterRetry = objects();
        afterCrash.forEach((key, bytes) -> assertThat(afterRetry.get(key)).as(key).isEqualTo(bytes));
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(4);
        stream.clock.advanceMs(DUE_MS);
        second.runOnce();
        assertThat(objects()).containsOnlyKeys("lake/p/" + suffix(0, 0), "lake/p/" + suffix(0, 4),
                DeliveryEngine.deadLetterKey(spec, Instant.ofEpochMilli(T0), suffix(0, 0)).replaceFirst("^", "lake/"));
        assertThat(objects().get("lake/p/" + suffix(0, 4))).asString().isEqualTo("{\"n\":4}\n");
    }

    @Test
    void aFailingDestinationIsRetriedWithBackoffAndNeverAdvancesTheCheckpoint() throws IOException {
        AtomicInteger failuresLeft = new AtomicInteger(3);
        Map<String, Integer> puts = new ConcurrentHashMap<>();
        Destination flaky = new HookedDestination(files, target -> {
            puts.merge(target.key(), 1, Integer::sum);
            if (failuresLeft.getAndDecrement() > 0) {
                throw new DestinationException("503 Slow Down");
            }
        });
        DeliveryEngine engine = engine(flaky, DeliveryOptions.defaults().withBackoff(1_000, 4_000),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "r/", T0));
        stream.put(0, "x");
        stream.clock.advanceMs(DUE_MS);

        assertThat(engine.runOnce()).isZero();
        assertThat(engine.runOnce()).as("backing off").isZero();
        assertThat(puts.values()).containsExactly(1);
        stream.clock.advanceMs(1_000);
        assertThat(engine.runOnce()).isZero();
        stream.clock.advanceMs(1_999);
        assertThat(engine.runOnce()).as("second backoff is 2 s").isZero();
        assertThat(puts.values()).containsExactly(2);
        stream.clock.advanceMs(1);
        assertThat(engine.runOnce()).isZero();
        assertThat(puts.values()).containsExactly(3);
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000"))
                .as("still pending, not advanced").hasValue(new Checkpoints.Checkpoint(0, 1, T0));
        assertThat(engine.stats(CHANNEL_ID).orElseThrow().failedDeliveries()).isEqualTo(3);
        assertThat(engine.dataFreshnessMs(CHANNEL_ID).getAsLong()).isGreaterThanOrEqualTo(DUE_MS);

        stream.clock.advanceMs(4_000);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(puts.values()).containsExactly(4);
        assertThat(objects()).containsOnlyKeys("lake/r/" + suffix(0, 0));
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(1);
    }

    @Test
    void recordsThatExpireWhileTheDestinationIsDownAreSkippedNotRetriedForever() throws IOException {
        AtomicInteger down = new AtomicInteger(1);
        Destination recovering = new HookedDestination(files, target -> {
            if (down.get() == 1) {
                throw new DestinationException("connection refused");
            }
        });
        DeliveryEngine engine = engine(recovering, DeliveryOptions.defaults().withBackoff(1_000, 1_000),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "x/", T0));
        stream.log(0).retentionMs(600_000);
        stream.put(0, "lost");
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isZero();
        stream.clock.advanceMs(600_000);
        stream.put(0, "kept");
        down.set(0);
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects()).containsOnlyKeys("lake/x/" + suffix(0, 1));
        assertThat(objects().get("lake/x/" + suffix(0, 1))).asString().isEqualTo("kept");
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(2);
    }

    @Test
    void aFreshnessChangeAppliesToTheNextBatch() throws IOException {
        DeliverySpec spec = spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "f/", T0);
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(), spec);
        stream.put(0, "a");
        stream.clock.advanceMs(400_000);
        stream.put(0, "b");
        DeliverySpec longer = spec.withDataFreshnessSeconds(900);
        engine.setChannels(List.of(longer));
        assertThat(engine.runOnce()).as("a and b now share a 900 s window").isZero();
        stream.clock.setMs(T0 + 903_000);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects()).containsOnlyKeys("lake/f/" + suffix(0, 0));
        assertThat(objects().get("lake/f/" + suffix(0, 0))).asString().isEqualTo("ab");
    }

    @Test
    void aClosedShardIsDeliveredToItsEndAtOnce() throws IOException {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "e/", T0));
        stream.put(1, "last");
        assertThat(engine.runOnce()).isZero();
        stream.log(1).seal();
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects()).containsOnlyKeys("lake/e/" + suffix(1, 0));
        assertThat(engine.runOnce()).isZero();
    }

    @Test
    void theEngineDeliversOnItsOwnThreads() throws Exception {
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults().withPollIntervalMs(20),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "t/", T0));
        stream.put(0, "a");
        stream.put(1, "b");
        engine.start();
        Thread.sleep(200);
        assertThat(objects()).isEmpty();
        stream.clock.advanceMs(DUE_MS);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> objects().size() == 2);
        assertThat(objects()).containsOnlyKeys("lake/t/" + suffix(0, 0), "lake/t/" + suffix(1, 0));
        engine.setChannels(List.of());
        assertThat(engine.stats(CHANNEL_ID)).isEmpty();
    }

    @Test
    void aPendingBatchWhoseFirstRecordsExpiredIsRedeliveredUnderTheInterruptedAttemptsKey() throws IOException {
        AtomicInteger down = new AtomicInteger(1);
        Destination recovering = new HookedDestination(files, target -> {
            if (down.get() == 1) {
                throw new DestinationException("connection refused");
            }
        });
        DeliveryEngine engine = engine(recovering, DeliveryOptions.defaults().withBackoff(1_000, 1_000),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, null, T0));
        stream.log(0).retentionMs(600_000);
        stream.put(0, "expires");
        stream.clock.advanceMs(100_000);
        stream.put(0, "stays");
        stream.clock.setMs(T0 + DUE_MS);
        assertThat(engine.runOnce()).isZero();
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000"))
                .hasValue(new Checkpoints.Checkpoint(0, 2, T0));

        // The first record expires, the second (14:31:40) does not; the key stays the first one's (14:30, position 0).
        stream.clock.setMs(T0 + 650_000);
        down.set(0);
        assertThat(engine.runOnce()).isEqualTo(1);
        String key = "lake/kinesis-channel/orders-to-s3/" + CHANNEL_ID + "/2026/07/20/14/orders-to-s3-" + CHANNEL_ID
                + "-2026-07-20-14-30" + suffix(0, 0);
        assertThat(objects()).containsOnlyKeys(key);
        assertThat(objects().get(key)).asString().isEqualTo("stays");
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000")).hasValue(new Checkpoints.Checkpoint(2, -1));
    }

    @Test
    void aRetryWhoseFirstRecordsExpiredKeepsTheFullerObjectTheLostAttemptWrote() throws IOException {
        AtomicInteger responsesLost = new AtomicInteger(1);
        // Writes, then fails as if the response were lost, while responsesLost is set: the object is in place.
        Destination losing = HookedDestination.around(files, (target, put) -> {
            put.run();
            if (responsesLost.get() == 1) {
                throw new DestinationException("response lost");
            }
        });
        DeliveryEngine engine = engine(losing, DeliveryOptions.defaults().withBackoff(1_000, 1_000),
                spec(RecordFormat.STRING, Compression.NONE, "k/", T0));
        stream.log(0).retentionMs(600_000);
        stream.put(0, "expires");
        stream.clock.advanceMs(100_000);
        stream.put(0, "stays");
        stream.put(0, new byte[] {(byte) 0xFF});
        stream.clock.setMs(T0 + DUE_MS);
        assertThat(engine.runOnce()).isZero();
        String key = "lake/k/" + suffix(0, 0);
        assertThat(objects()).containsOnlyKeys(key);
        byte[] written = objects().get(key);
        assertThat(written).asString().contains("expires", "stays");

        // The head expires before the retry, which rebuilds positions 1..2 only.
        stream.clock.setMs(T0 + 650_000);
        responsesLost.set(0);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(objects().get(key)).as("the object with the expired record is kept").isEqualTo(written);
        assertThat(objects().keySet()).as("the dead-letter object, never written, is").hasSize(2)
                .anyMatch(k -> k.endsWith(suffix(0, 0) + ".jsonl"));
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000")).hasValue(new Checkpoints.Checkpoint(3, -1));
    }

    @Test
    void aChannelDroppedAndAddedAgainWhileAShardIsBeingDeliveredStillHasOneTaskOnIt() throws Exception {
        CountDownLatch uploading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger puts = new AtomicInteger();
        Destination slow = new HookedDestination(files, target -> {
            if (puts.incrementAndGet() == 1) {
                uploading.countDown();
                release.await();
            }
        });
        DeliverySpec spec = spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "w/", T0);
        DeliveryEngine engine = engine(slow, DeliveryOptions.defaults(), spec);
        stream.put(0, "once");
        stream.clock.advanceMs(DUE_MS);
        AtomicInteger firstDelivered = new AtomicInteger(-1);
        Thread first = new Thread(() -> firstDelivered.set(engine.runOnce()));
        first.start();
        assertThat(uploading.await(10, TimeUnit.SECONDS)).isTrue();

        // The writer flaps: the channel goes and comes back while the upload still runs.
        engine.setChannels(List.of());
        engine.setChannels(List.of(spec));
        int second = engine.runOnce();
        release.countDown();
        first.join(10_000);

        assertThat(second).as("a second task on the same shard").isZero();
        assertThat(firstDelivered).hasValue(1);
        assertThat(puts).hasValue(1);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(1);
    }

    @Test
    void aTaskOfADeletedChannelStopsAfterItsBatchAndKeepsTheChannelBusyUntilThen() throws Exception {
        CountDownLatch uploading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger puts = new AtomicInteger();
        Destination slow = new HookedDestination(files, target -> {
            if (puts.incrementAndGet() == 1) {
                uploading.countDown();
                release.await();
            }
        });
        DeliverySpec spec = spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "d/", T0);
        DeliveryEngine engine = engine(slow, DeliveryOptions.defaults().withMaxRecordsPerObject(1), spec);
        stream.put(0, "a", "b", "c");
        stream.clock.advanceMs(DUE_MS);
        Thread task = new Thread(engine::runOnce);
        task.start();
        assertThat(uploading.await(10, TimeUnit.SECONDS)).isTrue();

        // DeleteChannel: the channel goes while its first batch uploads; the sweep must wait for the task.
        engine.setChannels(List.of());
        assertThat(engine.busy(CHANNEL_ID)).isTrue();
        release.countDown();
        task.join(10_000);
        assertThat(engine.busy(CHANNEL_ID)).isFalse();
        checkpoints.forget(CHANNEL_ID);

        assertThat(puts).as("the batches after the one under way are not delivered").hasValue(1);
        assertThat(engine.runOnce()).isZero();
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000")).isEmpty();
    }

    @Test
    void aTaskThatLostItsShardCannotMoveTheCheckpointBack() throws Exception {
        CountDownLatch uploading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Destination slow = new HookedDestination(files, target -> {
            uploading.countDown();
            release.await();
        });
        DeliverySpec spec = spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "z/", T0);
        // The old writer's engine (a zombie once it is no longer the writer) and the new writer's.
        DeliveryEngine zombie = engine(slow, DeliveryOptions.defaults(), spec);
        DeliveryEngine current = engine(files, DeliveryOptions.defaults(), spec);
        stream.put(0, "a");
        stream.clock.advanceMs(DUE_MS);
        AtomicInteger zombieDelivered = new AtomicInteger(-1);
        Thread old = new Thread(() -> zombieDelivered.set(zombie.runOnce()));
        old.start();
        assertThat(uploading.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(current.runOnce()).isEqualTo(1);
        stream.put(0, "b");
        stream.clock.advanceMs(DUE_MS);
        assertThat(current.runOnce()).isEqualTo(1);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(2);

        release.countDown();
        old.join(10_000);
        assertThat(zombieDelivered).hasValue(0);
        assertThat(zombie.stats(CHANNEL_ID).orElseThrow().failedDeliveries()).isEqualTo(1);
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000")).hasValue(new Checkpoints.Checkpoint(2, -1));
    }

    @Test
    void deadLettersGoToTheDeadLetterBucketWithItsOwnExpectedOwner() throws IOException {
        List<ObjectTarget> targets = new CopyOnWriteArrayList<>();
        Destination recording = new HookedDestination(files, targets::add);
        DeliverySpec base = spec(RecordFormat.JSON, Compression.NONE, "d/", T0);
        DeliverySpec spec = new DeliverySpec(base.channelId(), base.channelName(), base.accountId(), base.region(),
                base.streamName(), base.streamArn(), base.streamCreatedMs(), base.recordFormat(), "lake",
                "111111111111", base.compression(), base.storageClass(), base.keyTemplate(), "errors",
                "222222222222", "e/", FRESHNESS_S, T0);
        DeliveryEngine engine = engine(recording, DeliveryOptions.defaults(), spec);
        stream.put(0, "{\"ok\":1}", "not json");
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(targets).extracting(ObjectTarget::bucket, ObjectTarget::expectedBucketOwner)
                .containsExactlyInAnyOrder(tuple("lake", "111111111111"), tuple("errors", "222222222222"));
    }

    @Test
    void aShardWithNothingNewIsNotReadAgainUntilItsLogMovesOrItsBatchIsDue() throws IOException {
        AtomicInteger reads = new AtomicInteger();
        ShardSource counting = (arn, createdMs) -> stream.shards(arn, createdMs).stream()
                .map(s -> new ShardSource.Shard(s.shardId(), s.parentShardId(), s.adjacentParentShardId(), s.ended(),
                        countingReads(s.log(), reads), s.sequenceNumber()))
                .toList();
        DeliveryEngine engine = engine(counting, checkpoints, files, DeliveryOptions.defaults(),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "i/", T0));
        Executor direct = Runnable::run;

        engine.poll(direct);
        int afterFirst = reads.get();
        assertThat(afterFirst).as("both shards looked at").isPositive();
        stream.clock.advanceMs(1_000);
        engine.poll(direct);
        assertThat(reads).as("idle shards are not read again").hasValue(afterFirst);

        stream.put(0, "a");
        engine.poll(direct);
        int afterAppend = reads.get();
        assertThat(afterAppend).as("the shard whose log moved is read").isGreaterThan(afterFirst);
        stream.clock.advanceMs(1_000);
        engine.poll(direct);
        assertThat(reads).as("its batch is not due yet").hasValue(afterAppend);

        stream.clock.setMs(T0 + 1_000 + DUE_MS);
        engine.poll(direct);
        assertThat(objects()).as("read again once due").containsOnlyKeys("lake/i/" + suffix(0, 0));

        int afterDelivery = reads.get();
        stream.clock.advanceMs(FRESHNESS_S * 1000L / 10);
        engine.poll(direct);
        assertThat(reads.get()).as("looked at again after freshness / 10 all the same").isGreaterThan(afterDelivery);
    }

    @Test
    void aShardAnotherNodeAppendsToIsDeliveredThoughItsLogKeepsAStaleEnd() throws IOException {
        // The metadata writer on Kafka, for shards another node owns: with no listener on the log, endPosition() and
        // reads at or past it answer from the end this node last learned; only freshEndPosition() asks Kafka.
        AtomicInteger refreshes = new AtomicInteger();
        Map<String, ShardLog> logs = new ConcurrentHashMap<>();
        ShardSource remote = (arn, createdMs) -> stream.shards(arn, createdMs).stream()
                .map(s -> new ShardSource.Shard(s.shardId(), s.parentShardId(), s.adjacentParentShardId(), s.ended(),
                        logs.computeIfAbsent(s.shardId(), id -> staleEnd(s.log(),
                                id.endsWith("0") ? refreshes : new AtomicInteger())), s.sequenceNumber()))
                .toList();
        DeliveryEngine engine = engine(remote, checkpoints, files, DeliveryOptions.defaults(),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "o/", T0));
        Executor direct = Runnable::run;
        stream.put(0, "a");
        engine.poll(direct);
        stream.clock.advanceMs(DUE_MS);
        engine.poll(direct);
        assertThat(objects()).containsOnlyKeys("lake/o/" + suffix(0, 0));

        // Caught up in a quiet spell; then the owner appends. This node's end stays where it was.
        engine.poll(direct);
        stream.clock.advanceMs(1_000);
        stream.put(0, "b", "c");
        long appendedMs = stream.clock.millis();
        assertThat(logs.get("shardId-000000000000").endPosition()).as("the log's end as this node knows it")
                .isEqualTo(1);
        for (long t = appendedMs; t <= appendedMs + DUE_MS + 1_000; t += 1_000) {
            stream.clock.setMs(t);
            engine.poll(direct);
        }
        assertThat(objects()).as("the other node's appends are delivered")
                .containsOnlyKeys("lake/o/" + suffix(0, 0), "lake/o/" + suffix(0, 1));
        assertThat(new String(objects().get("lake/o/" + suffix(0, 1)), StandardCharsets.UTF_8)).isEqualTo("bc");

        // Asking costs a lookup per idle poll of a caught-up shard, no more: none while it idles (freshness / 10).
        engine.poll(direct);
        int afterIdle = refreshes.get();
        for (int i = 0; i < 3; i++) {
            stream.clock.advanceMs(1_000);
            engine.poll(direct);
        }
        assertThat(refreshes).as("no lookups while the shard idles").hasValue(afterIdle);
        stream.clock.advanceMs(FRESHNESS_S * 1000L / 10);
        engine.poll(direct);
        assertThat(refreshes).as("one lookup at its next poll").hasValue(afterIdle + 1);
    }

    /**
     * The log as a Kafka log is on a node that does not append to it and has no listener on it: its end is the one it
     * last learned (from a read below it, or {@code freshEndPosition}, counted in {@code refreshes}), and a read at or
     * past that end finds nothing without looking.
     */
    static ShardLog staleEnd(ShardLog log, AtomicInteger refreshes) {
        AtomicLong known = new AtomicLong(log.endPosition());
        return (ShardLog) Proxy.newProxyInstance(DeliveryEngineTest.class.getClassLoader(),
                new Class<?>[] {ShardLog.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "endPosition":
                            return known.get();
                        case "freshEndPosition":
                            refreshes.incrementAndGet();
                            return known.accumulateAndGet(log.endPosition(), Math::max);
                        case "read":
                            long from = (long) args[0];
                            if (from >= known.get()) {
                                return new ReadResult(List.of(), from, known.get());
                            }
                            ReadResult result = log.read(from, (int) args[1], (long) args[2]);
                            known.accumulateAndGet(result.endPosition(), Math::max);
                            return result;
                        default:
                            try {
                                return method.invoke(log, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                    }
                });
    }

    @Test
    void aShardWhoseLogCannotTellItsEndIsPolledAndTheOthersStillAre() throws IOException {
        AtomicInteger failing = new AtomicInteger();
        ShardSource flaky = (arn, createdMs) -> stream.shards(arn, createdMs).stream()
                .map(s -> s.shardId().endsWith("0") ? new ShardSource.Shard(s.shardId(), s.parentShardId(),
                        s.adjacentParentShardId(), s.ended(), failingEnd(s.log(), failing), s.sequenceNumber()) : s)
                .toList();
        DeliveryEngine engine = engine(flaky, checkpoints, files, DeliveryOptions.defaults(),
                spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "p/", T0));
        Executor direct = Runnable::run;
        engine.poll(direct);

        // Shard 0's backend fails (Kafka's listOffsets); shard 1, listed after it, closes with a record to deliver.
        failing.set(1);
        stream.put(1, "last");
        stream.log(1).seal();
        engine.poll(direct);
        assertThat(objects()).containsOnlyKeys("lake/p/" + suffix(1, 0));
        assertThat(engine.stats(CHANNEL_ID).orElseThrow().failedDeliveries()).as("shard 0's task failed").isEqualTo(1);
    }

    /** The log, whose endPosition and freshEndPosition (Kafka's listOffsets) fail while {@code failing} is 1. */
    static ShardLog failingEnd(ShardLog log, AtomicInteger failing) {
        return (ShardLog) Proxy.newProxyInstance(DeliveryEngineTest.class.getClassLoader(),
                new Class<?>[] {ShardLog.class}, (proxy, method, args) -> {
                    if ((method.getName().equals("endPosition") || method.getName().equals("freshEndPosition"))
                            && failing.get() == 1) {
                        throw new IllegalStateException("listOffsets timed out");
                    }
                    try {
                        return method.invoke(log, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aLowerFreshnessWakesIdleShardsForTheEarlierDueTime() throws IOException {
        DeliverySpec spec = spec(RecordFormat.BYTE_ARRAY, Compression.NONE, "u/", T0).withDataFreshnessSeconds(900);
        DeliveryEngine engine = engine(files, DeliveryOptions.defaults(), spec);
        Executor direct = Runnable::run;
        stream.put(0, "a");
        engine.poll(direct);
        assertThat(objects()).isEmpty();

        // UpdateChannel: 5 s. The shard idled until 90 s later (a tenth of 900 s); its batch is due at 8 s now.
        engine.setChannels(List.of(spec.withDataFreshnessSeconds(5)));
        stream.clock.advanceMs(10_000);
        engine.poll(direct);
        assertThat(objects()).containsOnlyKeys("lake/u/" + suffix(0, 0));
    }

    /** The log, counting its reads in {@code reads}. */
    static ShardLog countingReads(ShardLog log, AtomicInteger reads) {
        return (ShardLog) Proxy.newProxyInstance(DeliveryEngineTest.class.getClassLoader(),
                new Class<?>[] {ShardLog.class}, (proxy, method, args) -> {
                    if (method.getName().equals("read")) {
                        reads.incrementAndGet();
                    }
                    try {
                        return method.invoke(log, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    static byte[] decompress(Compression compression, byte[] bytes) throws IOException {
        try (InputStream in = compression == Compression.GZIP
                ? new GZIPInputStream(new ByteArrayInputStream(bytes))
                : new com.github.luben.zstd.ZstdInputStream(new ByteArrayInputStream(bytes))) {
            return in.readAllBytes();
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
