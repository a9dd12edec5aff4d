package dev.millrace.channels.delivery;

import static dev.millrace.channels.delivery.DeliveryEngineTest.CHANNEL_ID;
import static dev.millrace.channels.delivery.DeliveryEngineTest.DUE_MS;
import static dev.millrace.channels.delivery.DeliveryEngineTest.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.channels.s3.Destination;
import dev.millrace.channels.s3.S3Destination;
import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.storage.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Channels delivered to a real S3 API server, read back with the SDK's S3 client. */
class S3DeliveryTest {

    static S3ProxyServer server;
    static S3Client reader;
    static S3Destination s3;

    @TempDir
    Path dir;
    TestStream stream;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer();
        reader = server.client();
        s3 = S3Destination.create(server.endpoint, true, Region.US_EAST_1, server.credentials(),
                S3Destination.DEFAULT_PART_BYTES, S3Destination.DEFAULT_ATTEMPT_TIMEOUT,
                S3Destination.DEFAULT_CALL_TIMEOUT);
    }

    @AfterAll
    static void stopServer() throws Exception {
        s3.close();
        reader.close();
        server.close();
    }

    @BeforeEach
    void setUp() {
        for (String bucket : List.of("lake", "dead-letters", "later")) {
            if (s3.checkBucket(bucket) == Destination.BucketCheck.EXISTS) {
                for (String key : keys(bucket)) {
                    reader.deleteObject(b -> b.bucket(bucket).key(key));
                }
                reader.deleteBucket(b -> b.bucket(bucket));
            }
        }
        reader.createBucket(b -> b.bucket("lake"));
        reader.createBucket(b -> b.bucket("dead-letters"));
        stream = new TestStream(dir, T0, 2);
    }

    @AfterEach
    void tearDown() {
        stream.close();
    }

    DeliverySpec spec(String template, Compression compression) {
        return new DeliverySpec(CHANNEL_ID, "orders-to-s3", "123456789012", "us-east-1", "orders",
                TestStream.STREAM_ARN, TestStream.CREATED_MS, RecordFormat.JSON, "lake", "123456789012", compression,
                "STANDARD", KeyTemplate.parse(template, compression.name()), "dead-letters", "123456789012", "errors/",
                300, T0);
    }

    List<String> keys(String bucket) {
        return reader.listObjectsV2(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).toList();
    }

    @Test
    void recordsArriveAsGzipObjectsUnderTheTemplatesKeysAndInvalidOnesInTheDeadLetterBucket() throws Exception {
        DeliveryEngine engine = new DeliveryEngine(stream, new Checkpoints(stream.storage.metadata()), s3,
                dir.resolve("staging"), DeliveryOptions.defaults(), stream.clock);
        engine.setChannels(List.of(spec("year=!{yyyy}/!{stream-name}/!{extension:.json.gz}", Compression.GZIP)));
        stream.put(0, "{\"order\":1}", "{\"order\":2");
        stream.put(1, "{\"order\":3}\n");
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(2);

        String key0 = "year=2026/orders/" + KeyTemplate.suffix(CHANNEL_ID, 0, 0) + ".json.gz";
        String key1 = "year=2026/orders/" + KeyTemplate.suffix(CHANNEL_ID, 1, 0) + ".json.gz";
        assertThat(keys("lake")).containsExactlyInAnyOrder(key0, key1);
        assertThat(new String(DeliveryEngineTest.decompress(Compression.GZIP,
                S3ProxyServer.get(reader, "lake", key0)), StandardCharsets.UTF_8)).isEqualTo("{\"order\":1}\n");
        assertThat(new String(DeliveryEngineTest.decompress(Compression.GZIP,
                S3ProxyServer.get(reader, "lake", key1)), StandardCharsets.UTF_8)).isEqualTo("{\"order\":3}\n");

        String dlqKey = "errors/2026/07/20/14/orders-to-s3-" + CHANNEL_ID + "-2026-07-20-14-30"
                + KeyTemplate.suffix(CHANNEL_ID, 0, 0) + ".jsonl";
        assertThat(keys("dead-letters")).containsExactly(dlqKey);
        String deadLetters = new String(S3ProxyServer.get(reader, "dead-letters", dlqKey), StandardCharsets.UTF_8);
        assertThat(deadLetters).endsWith("\n").contains("\"sequenceNumber\":\"" + TestStream.sequenceNumber(0, 1))
                .contains("\"errorCode\":\"DESERIALIZATION_ERROR\"").doesNotContain("\"order\"");
        assertThat(deadLetters.split("\n")).hasSize(1);
        engine.close();
    }

    @Test
    void aCrashBeforeTheCheckpointOverwritesTheSameObjectsOnS3() throws Exception {
        DeliverySpec spec = spec(null, Compression.ZSTD);
        for (int i = 0; i < 50; i++) {
            stream.put(i % 2, "{\"i\":" + i + "}", "{broken " + i);
        }
        stream.clock.advanceMs(DUE_MS);
        MetadataStore real = stream.storage.metadata();
        MetadataStore dying = DeliveryEngineTest.dyingAfterUpload(real);
        DeliveryEngine crashing = new DeliveryEngine(stream, new Checkpoints(dying), s3, dir.resolve("staging"),
                DeliveryOptions.defaults(), stream.clock);
        crashing.setChannels(List.of(spec));
        assertThat(crashing.runOnce()).isZero();
        List<String> dataKeys = keys("lake");
        List<String> dlqKeys = keys("dead-letters");
        assertThat(dataKeys).hasSize(2).allSatisfy(k -> assertThat(k).endsWith(".zst"));
        assertThat(dlqKeys).hasSize(2);
        List<byte[]> firstBytes = dataKeys.stream().map(k -> S3ProxyServer.get(reader, "lake", k)).toList();

        DeliveryEngine restarted = new DeliveryEngine(stream, new Checkpoints(real), s3, dir.resolve("staging"),
                DeliveryOptions.defaults(), stream.clock);
        restarted.setChannels(List.of(spec));
        assertThat(restarted.runOnce()).isEqualTo(2);
        assertThat(keys("lake")).isEqualTo(dataKeys);
        assertThat(keys("dead-letters")).isEqualTo(dlqKeys);
        for (int i = 0; i < dataKeys.size(); i++) {
            assertThat(S3ProxyServer.get(reader, "lake", dataKeys.get(i))).isEqualTo(firstBytes.get(i));
        }
        String shard0 = new String(DeliveryEngineTest.decompress(Compression.ZSTD,
                S3ProxyServer.get(reader, "lake", dataKeys.get(0))), StandardCharsets.UTF_8);
        assertThat(shard0.split("\n")).hasSize(25).allSatisfy(line -> assertThat(line).startsWith("{\"i\":"));
        assertThat(restarted.stats(CHANNEL_ID).orElseThrow().recordsDelivered()).isEqualTo(50);
        assertThat(restarted.stats(CHANNEL_ID).orElseThrow().recordsDeadLettered()).isEqualTo(50);
        crashing.close();
        restarted.close();
    }

    @Test
    void aMissingBucketFailsDeliveryUntilItExists() throws Exception {
        DeliverySpec spec = new DeliverySpec(CHANNEL_ID, "c", "123456789012", "us-east-1", "orders",
                TestStream.STREAM_ARN, TestStream.CREATED_MS, RecordFormat.BYTE_ARRAY, "later", null,
                Compression.NONE, "STANDARD", KeyTemplate.parse("k/", "NONE"), "later", null, "", 300, T0);
        DeliveryEngine engine = new DeliveryEngine(stream, new Checkpoints(stream.storage.metadata()), s3,
                dir.resolve("staging"), DeliveryOptions.defaults().withBackoff(1_000, 1_000), stream.clock);
        engine.setChannels(List.of(spec));
        stream.put(0, "payload");
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isZero();
        assertThat(engine.stats(CHANNEL_ID).orElseThrow().failedDeliveries()).isEqualTo(1);
        assertThat(s3.checkBucket("later")).isEqualTo(Destination.BucketCheck.MISSING);
        reader.createBucket(b -> b.bucket("later"));
        assertThat(s3.checkBucket("later")).isEqualTo(Destination.BucketCheck.EXISTS);
        stream.clock.advanceMs(1_000);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(keys("later")).containsExactly("k/" + KeyTemplate.suffix(CHANNEL_ID, 0, 0));
        assertThat(S3ProxyServer.get(reader, "later", keys("later").get(0))).asString().isEqualTo("payload");
        engine.close();
    }
}
