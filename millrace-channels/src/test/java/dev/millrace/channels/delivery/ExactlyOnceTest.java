package dev.millrace.channels.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.channels.s3.Destination;
import dev.millrace.channels.s3.DestinationException;
import dev.millrace.channels.s3.LocalFilesDestination;
import dev.millrace.storage.MetadataStore;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once under failures at every step: uploads that fail before or after writing, checkpoint commits that fail
 * (a crash between the object and its checkpoint), engines restarted at random, batches of every shape (time windows,
 * size and count bounds, dead letters). Afterwards every record is in exactly one object (or one dead-letter line).
 */
class ExactlyOnceTest {

    @TempDir
    Path dir;

    @Test
    void concurrentAppendsWhileTheEngineRunsAreEachDeliveredOnce() throws Exception {
        long t0 = Instant.parse("2026-07-20T10:00:00Z").toEpochMilli();
        Path root = dir.resolve("channels");
        try (TestStream stream = new TestStream(dir, t0, 4)) {
            DeliverySpec spec = new DeliverySpec("live", "live", "123456789012", "us-east-1", "orders",
                    TestStream.STREAM_ARN, TestStream.CREATED_MS, RecordFormat.STRING, "lake", null, Compression.NONE,
                    "STANDARD", KeyTemplate.parse("o/", "NONE"), "lake", null, "dlq/", 300, t0);
            DeliveryEngine engine = new DeliveryEngine(stream, new Checkpoints(stream.storage.metadata()),
                    new LocalFilesDestination(root), dir.resolve("staging"),
                    DeliveryOptions.defaults().withPollIntervalMs(2).withMaxRecordsPerObject(50), stream.clock);
            engine.setChannels(List.of(spec));
            engine.start();
            int total = 4_000;
            Thread ticker = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    stream.clock.advanceMs(2_000);
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            ticker.start();
            for (int i = 0; i < total; i++) {
                stream.put(i % 4, "rec" + i);
            }
            ticker.interrupt();
            ticker.join();
            stream.clock.advanceMs(400_000);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                    engine.stats("live").orElseThrow().recordsDelivered() == total);
            engine.close();
            Map<String, Integer> seen = new HashMap<>();
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path object : walk.filter(Files::isRegularFile).toList()) {
                    for (String record : Files.readString(object).split("\n")) {
                        seen.merge(record, 1, Integer::sum);
                    }
                }
            }
            assertThat(seen).hasSize(total);
            assertThat(seen.values()).containsOnly(1);
            assertThat(engine.stats("live").orElseThrow().objectsDelivered()).isGreaterThan(4);
        }
    }

    @Test
    void everyRecordIsDeliveredExactlyOnceWhateverFails() throws IOException {
        long seed = Long.getLong("exactlyOnce.seed", System.nanoTime());
        Random random = new Random(seed);
        long t0 = Instant.parse("2026-07-20T23:58:00Z").toEpochMilli();
        Path root = dir.resolve("channels");
        LocalFilesDestination files = new LocalFilesDestination(root);
        DeliveryOptions options = DeliveryOptions.defaults().withObjectTargetBytes(200).withMaxRecordsPerObject(7)
                .withBackoff(1, 1);
        Map<String, Integer> expected = new HashMap<>();
        try (TestStream stream = new TestStream(dir, t0, 3)) {
            DeliverySpec spec = new DeliverySpec("c-" + seed, "eo", "123456789012", "us-east-1", "orders",
                    TestStream.STREAM_ARN, TestStream.CREATED_MS, RecordFormat.STRING, "lake", null, Compression.GZIP,
                    "STANDARD", KeyTemplate.parse(null, "GZIP"), "lake", null, "dlq/", 300, t0);
            MetadataStore real = stream.storage.metadata();
            // Fails before writing, or after writing (the response lost), now and then.
            Destination flaky = HookedDestination.around(files, (target, put) -> {
                int roll = random.nextInt(10);
                if (roll == 0) {
                    throw new DestinationException("failed before writing");
                }
                put.run();
                if (roll == 1) {
                    throw new DestinationException("failed after writing (response lost)");
                }
            });
            MetadataStore dying = (MetadataStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {MetadataStore.class}, (proxy, method, args) -> {
                        if (method.getName().startsWith("commit") && random.nextInt(5) == 0) {
                            throw new IllegalStateException("crashed before the checkpoint");
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            DeliveryEngine engine = null;
            int next = 0;
            for (int round = 0; round < 300; round++) {
                if (engine == null || random.nextInt(20) == 0) {
                    if (engine != null) {
                        engine.close();
                    }
                    // Each restart may bring another freshness (UpdateChannel) and other bounds (configuration).
                    DeliverySpec now = spec.withDataFreshnessSeconds(300 + 100 * random.nextInt(7));
                    engine = new DeliveryEngine(stream, new Checkpoints(dying), flaky, dir.resolve("staging"),
                            options.withMaxRecordsPerObject(2 + random.nextInt(8))
                                    .withObjectTargetBytes(100 + random.nextInt(300)), stream.clock);
                    engine.setChannels(List.of(now));
                }
                int records = random.nextInt(6);
                for (int i = 0; i < records; i++) {
                    String record = "r" + next++ + "-" + "x".repeat(random.nextInt(60));
                    boolean invalid = random.nextInt(15) == 0;
                    if (invalid) {
                        stream.put(random.nextInt(3), new byte[] {(byte) 0xFF});
                    } else {
                        stream.put(random.nextInt(3), record);
                        expected.put(record, 0);
                    }
                }
                stream.clock.advanceMs(random.nextInt(60_000));
                engine.runOnce();
            }
            // Let everything become due and fail no more.
            stream.clock.advanceMs(400_000);
            DeliveryEngine last = new DeliveryEngine(stream, new Checkpoints(real), files, dir.resolve("staging"),
                    options, stream.clock);
            last.setChannels(List.of(spec));
            while (last.runOnce() > 0) {
                stream.clock.advanceMs(1);
            }
            engine.close();
            last.close();

            int deadLetters = 0;
            List<Path> objects;
            try (Stream<Path> walk = Files.walk(root)) {
                objects = walk.filter(Files::isRegularFile).toList();
            }
            for (Path object : objects) {
                String name = root.relativize(object).toString();
                if (name.startsWith("lake/dlq/")) {
                    deadLetters += Files.readString(object).split("\n").length;
                    continue;
                }
                assertThat(name).endsWith(".gz").startsWith("lake/kinesis-channel/eo/c-" + seed + "/");
                String content = new String(DeliveryEngineTest.decompress(Compression.GZIP,
                        Files.readAllBytes(object)), StandardCharsets.UTF_8);
                for (String record : content.split("\n")) {
                    assertThat(expected).as("seed %d: unexpected record %s in %s", seed, record, name)
                            .containsKey(record);
                    expected.merge(record, 1, Integer::sum);
                }
            }
            List<String> wrong = new ArrayList<>();
            expected.forEach((record, count) -> {
                if (count != 1) {
                    wrong.add(record + " x" + count);
                }
            });
            assertThat(wrong).as("seed %d: records not delivered exactly once", seed).isEmpty();
            assertThat(deadLetters).as("seed %d", seed).isEqualTo(next - expected.size());
            assertThat(expected).isNotEmpty();
        }
    }
}
