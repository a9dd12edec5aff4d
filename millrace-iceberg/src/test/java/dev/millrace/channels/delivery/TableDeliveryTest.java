package dev.millrace.channels.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.channels.s3.LocalFilesDestination;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.iceberg.IcebergCatalogs;
import dev.millrace.iceberg.IcebergTableSink;
import dev.millrace.iceberg.TableBucketArn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery engine with a real table sink (Iceberg, the embedded catalog): a table channel's batches become rows
 * once each, its invalid records dead letters; a crash between the table's commit and the engine's checkpoint
 * neither duplicates rows nor loses the dead letters; an engine whose checkpoint was lost continues from the table's.
 * In millrace-channels' delivery package for its TestStream and crash proxy.
 */
class TableDeliveryTest {
    private static final long T0 = Instant.parse("2026-12-06T10:00:00Z").toEpochMilli();
    private static final String CHANNEL_ID = "ch00000000iceberg";
    private static final long DUE_MS = 300_000 + 3_000;
    private static final String SCHEMA = "{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{"
            + "\"id\":{\"type\":\"integer\"},\"ts\":{\"type\":\"string\",\"format\":\"date-time\"}}}";
    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("shop", "orders");
    private static final String BUCKET = "arn:aws:s3tables:us-east-1:123456789012:bucket/lake";

    @TempDir
    Path dir;
    private TestStream stream;
    private Checkpoints checkpoints;
    private LocalFilesDestination files;
    private IcebergCatalogs catalogs;
    private IcebergTableSink sink;
    private final List<DeliveryEngine> engines = new ArrayList<>();
    private final List<String> told = new ArrayList<>();
    /** Closed after the test only: until then they stand for a process that died. */
    private final List<TestStream> crashedStreams = new ArrayList<>();

    @BeforeEach
    void setUp() {
        stream = new TestStream(dir, T0, 2);
        checkpoints = new Checkpoints(stream.storage.metadata());
        files = new LocalFilesDestination(dir.resolve("channels"));
        catalogs = new IcebergCatalogs(new IcebergCatalogs.Embedded(dir.resolve("iceberg/catalog.db"),
                dir.resolve("iceberg/warehouse")));
        sink = new IcebergTableSink(catalogs, 1024, stream.clock);
    }

    @AfterEach
    void tearDown() throws IOException {
        engines.forEach(DeliveryEngine::close);
        sink.close();
        stream.close();
        crashedStreams.forEach(TestStream::close);
    }

    private static DeliverySpec spec() {
        TableTarget target = new TableTarget(CHANNEL_ID, "orders-to-lake", BUCKET, "shop", "orders", "ZSTD", "ts",
                "JSON", "arn:aws:glue:us-east-1:123456789012:schema/reg/orders",
                "0f0e0d0c-0b0a-4908-8706-050403020100", SCHEMA);
        return DeliverySpec.forTable(CHANNEL_ID, "orders-to-lake", "123456789012", "us-east-1", "orders",
                TestStream.STREAM_ARN, TestStream.CREATED_MS, target, "arn:aws:s3:::dlq", null, "errors/", 300, T0);
    }

    private DeliveryEngine engine(Checkpoints engineCheckpoints) {
        return engine(engineCheckpoints, DeliveryOptions.defaults().withMaxRecordBytes(200));
    }

    private DeliveryEngine engine(Checkpoints engineCheckpoints, DeliveryOptions options) {
        DeliveryEngine engine = new DeliveryEngine(stream, engineCheckpoints, files, sink, dir.resolve("staging"),
                options, stream.clock);
        engine.listen(new DeliveryListener() {
            @Override
            public void delivered(DeliverySpec spec, int rows, int deadLetters, long bytesIn, long objectBytes) {
                told.add(rows + " rows, " + deadLetters + " dead letters, " + (objectBytes > 0 ? "files" : "none"));
            }

            @Override
            public void failed(DeliverySpec spec) {
                told.add("failed");
            }
        });
        engine.setChannels(List.of(spec()));
        engines.add(engine);
        return engine;
    }

    private static String row(long id) {
        return "{\"id\":" + id + ",\"ts\":\"2026-12-06T0" + (id % 3) + ":30:00Z\"}";
    }

    private List<Long> ids() throws IOException {
        Table table = catalogs.catalog(TableBucketArn.parse(BUCKET)).loadTable(TABLE);
        table.refresh();
        List<Long> ids = new ArrayList<>();
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table).build()) {
            rows.forEach(r -> ids.add((Long) r.getField("id")));
        }
        ids.sort(null);
        return ids;
    }

    private Map<String, String> deadLetters() throws IOException {
        Map<String, String> out = new TreeMap<>();
        Path root = dir.resolve("channels/dlq");
        if (!Files.exists(root)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path file : walk.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(file).toString(), Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void batchesBecomeRowsOnceAndInvalidRecordsDeadLettersWithTheirReasons() throws IOException {
        stream.put(0, row(1), "{\"id\":", row(2), "{\"id\":3}");
        stream.put(1, row(4), "{\"id\":5,\"ts\":\"" + "x".repeat(300) + "\"}");
        DeliveryEngine engine = engine(checkpoints);
        assertThat(engine.runOnce()).as("not due yet").isZero();
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(2);

        assertThat(ids()).containsExactly(1L, 2L, 4L);
        assertThat(told).containsExactlyInAnyOrder("2 rows, 2 dead letters, files", "1 rows, 1 dead letters, files");
        Map<String, String> dead = deadLetters();
        assertThat(dead).hasSize(2).allSatisfy((key, text) -> assertThat(key).startsWith("errors/2026/12/06/10/"));
        String all = String.join("", dead.values());
        assertThat(all).contains("\"errorCode\":\"DESERIALIZATION_ERROR\"")
                .contains("\"errorCode\":\"MISSING_PARTITION_FIELD\"").contains("\"errorCode\":\"RECORD_TOO_LARGE\"")
                .contains("\"sequenceNumber\":\"" + TestStream.sequenceNumber(0, 1) + "\"")
                .doesNotContain("xxxx");
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(4);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000001")).hasValue(2);

        stream.put(0, row(6));
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(ids()).containsExactly(1L, 2L, 4L, 6L);
    }

    @Test
    void aBatchOverMoreHoursThanOpenFilesIsReadAgainPerPassAndCountsAndDeadLettersEachRecordOnce() throws IOException {
        List<String> records = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            // 24 hours round robin (two passes of at most 16 hours); every eleventh record is too large.
            records.add(i % 11 == 10 ? "{\"id\":" + i + ",\"ts\":\"" + "x".repeat(300) + "\"}"
                    : "{\"id\":" + i + ",\"ts\":\"2026-12-06T" + String.format("%02d", i % 24) + ":30:00Z\"}");
        }
        stream.put(0, records.toArray(String[]::new));
        DeliveryEngine engine = engine(checkpoints);
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine.runOnce()).isEqualTo(1);

        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 48; i++) {
            if (i % 11 != 10) {
                expected.add(i);
            }
        }
        assertThat(ids()).isEqualTo(expected);
        assertThat(told).containsExactly("44 rows, 4 dead letters, files");
        String all = String.join("", deadLetters().values());
        assertThat(all.split("RECORD_TOO_LARGE", -1)).as("each too large record once").hasSize(5);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(48);
    }

    @Test
    void aBatchAfterAGapInTheLogsPositionsContinuesTheTablesCheckpoint() throws IOException {
        stream.put(0, row(1), row(2));
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine(checkpoints).runOnce()).isOne();
        engines.forEach(DeliveryEngine::close);
        engines.clear();
        // Reopened after a crash (the old storage abandoned, not closed), the log goes on past the positions it had
        // reserved: the next position is far past 2.
        TestStream crashed = stream;
        stream = new TestStream(dir, T0 + DUE_MS, 2);
        crashedStreams.add(crashed);
        checkpoints = new Checkpoints(stream.storage.metadata());
        stream.put(0, row(3));
        assertThat(stream.log(0).endPosition()).isGreaterThan(3);
        stream.clock.advanceMs(DUE_MS);
        assertThat(engine(checkpoints).runOnce()).isOne();
        assertThat(ids()).containsExactly(1L, 2L, 3L);
        assertThat(told).containsExactly("2 rows, 0 dead letters, files", "1 rows, 0 dead letters, files");
    }

    @Test
    void aCrashAfterTheTablesCommitNeitherDuplicatesRowsNorLosesTheDeadLetters() throws IOException {
        stream.put(0, row(1), "not json", row(2));
        stream.clock.advanceMs(DUE_MS);
        DeliveryEngine dying = engine(new Checkpoints(DeliveryEngineTest.dyingAfterUpload(stream.storage.metadata())));
        assertThat(dying.runOnce()).as("killed before its checkpoint").isZero();
        assertThat(ids()).containsExactly(1L, 2L);
        Map<String, String> afterCrash = deadLetters();
        assertThat(afterCrash).hasSize(1);
        assertThat(checkpoints.read(CHANNEL_ID, "shardId-000000000000")).hasValueSatisfying(
                c -> assertThat(c.pending()).isTrue());
        dying.close();

        DeliveryEngine restarted = engine(checkpoints);
        assertThat(restarted.runOnce()).isEqualTo(1);
        assertThat(ids()).as("the table already held the batch").containsExactly(1L, 2L);
        assertThat(deadLetters()).as("the same dead-letter object, written again").isEqualTo(afterCrash);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(3);
        assertThat(told).containsExactly("failed", "2 rows, 1 dead letters, none");
    }

    @Test
    void aRetryAfterTheBatchsFirstRecordsExpiredKeepsTheDeadLettersTheCrashedAttemptWrote() throws IOException {
        stream.log(0).retentionMs(600_000);
        stream.put(0, "not json, expires");
        stream.clock.advanceMs(100_000);
        stream.put(0, row(2), "not json, stays");
        stream.clock.setMs(T0 + DUE_MS);
        DeliveryEngine dying = engine(new Checkpoints(DeliveryEngineTest.dyingAfterUpload(stream.storage.metadata())));
        assertThat(dying.runOnce()).isZero();
        Map<String, String> afterCrash = deadLetters();
        assertThat(afterCrash.values()).singleElement().satisfies(text -> assertThat(text.lines()).hasSize(2));
        dying.close();

        stream.clock.setMs(T0 + 650_000); // the first record expires before the retry
        assertThat(engine(checkpoints).runOnce()).isOne();
        assertThat(ids()).containsExactly(2L);
        assertThat(deadLetters()).as("not overwritten with the one dead letter left").isEqualTo(afterCrash);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(3);
    }

    @Test
    void anEngineWhoseCheckpointWasLostContinuesFromTheTablesInsteadOfWritingRowsAgain() throws IOException {
        stream.put(0, row(1), row(2), row(3));
        DeliveryEngine twoAtATime = engine(checkpoints, DeliveryOptions.defaults().withMaxRecordsPerObject(2));
        assertThat(twoAtATime.runOnce()).as("[0, 2) is closed by the record after it; [2, 3) is not due").isOne();
        twoAtATime.close();
        checkpoints.forget(CHANNEL_ID); // a metadata store restored from an old backup, say
        stream.clock.advanceMs(DUE_MS);

        DeliveryEngine engine = engine(checkpoints);
        assertThat(engine.runOnce()).as("[0, 3) conflicts with the table's 2").isZero();
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).as("the table's").hasValue(2);
        stream.clock.advanceMs(600_000); // past the backoff
        assertThat(engine.runOnce()).isEqualTo(1);
        assertThat(ids()).containsExactly(1L, 2L, 3L);
        assertThat(checkpoints.next(CHANNEL_ID, "shardId-000000000000")).hasValue(3);
    }
}
