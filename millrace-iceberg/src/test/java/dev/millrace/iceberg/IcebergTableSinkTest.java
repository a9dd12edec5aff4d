package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.SCHEMA;
import static dev.millrace.iceberg.TestBatches.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.table.GsrRecords;
import dev.millrace.channels.table.TableCheckpointConflictException;
import dev.millrace.channels.table.TableRecord;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.channels.table.TableWriteResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IcebergTableSinkTest {
    private static final String SHARD = "shardId-000000000003";
    private static final String VERSION = "6f0c2b9e-3d41-4c8a-9a57-0d1e2f3a4b5c";

    @TempDir
    Path dir;
    private IcebergTableSink sink;

    @BeforeEach
    void open() {
        sink = new IcebergTableSink(new IcebergCatalogs(new IcebergCatalogs.Embedded(dir.resolve("catalog.db"),
                dir.resolve("warehouse"))), 1024, Clock.systemUTC());
    }

    @AfterEach
    void close() throws Exception {
        sink.close();
    }

    private static TableTarget target(String format, String partitionColumn, String definition) {
        return new TableTarget("ch-1", "orders-to-lake", BUCKET.arn(), "streams", "orders", "ZSTD", partitionColumn,
                format, "arn:aws:glue:us-east-1:123456789012:schema/reg/orders", definition == null ? null : VERSION,
                definition);
    }

    private static TableRecord json(long position, String text) {
        return new TableRecord(position, 1_000 + position, text.getBytes(StandardCharsets.UTF_8));
    }

    private static String valid(long id) {
        return "{\"id\":" + id + ",\"ts\":\"2026-12-06T1" + (id % 3) + ":15:00Z\",\"device\":\"d\",\"extra\":1}";
    }

    private Table table() throws Exception {
        Catalog catalog = new IcebergCatalogs(new IcebergCatalogs.Embedded(dir.resolve("catalog.db"),
                dir.resolve("warehouse"))).catalog(BUCKET);
        return catalog.loadTable(IcebergCatalogs.tableId("streams", "orders"));
    }

    @Test
    void validRecordsBecomeRowsAndTheOthersAreHandedBackWithTheirReasonAgainWhenTheBatchWasAlreadyCommitted()
            throws Exception {
        List<TableRecord> batch = List.of(json(10, valid(1)), json(11, "{\"id\":"), json(12, valid(2)),
                json(13, "{\"id\":3}"), json(14, "{\"id\":\"four\",\"ts\":\"2026-12-06T10:00:00Z\"}"),
                json(15, valid(5)));
        List<String> rejected = new ArrayList<>();
        TableWriteResult result = sink.write(target("JSON", "ts", SCHEMA), SHARD, 10, 16, batch,
                (r, code, message) -> rejected.add(r.position() + " " + code + " " + message));

        assertThat(result).isInstanceOfSatisfying(TableWriteResult.Committed.class, c -> {
            assertThat(c.rows()).isEqualTo(3);
            assertThat(c.dataFiles()).isEqualTo(2); // hours 11 (id 1) and 12 (ids 2, 5)
            assertThat(c.dataFileBytes()).isPositive();
        });
        assertThat(rejected).containsExactly("11 DESERIALIZATION_ERROR not JSON: syntax error at line 1, column 7",
                "13 MISSING_PARTITION_FIELD /ts: partition field missing",
                "14 SCHEMA_VALIDATION_FAILED /id: number expected, string found");
        Table table = table();
        assertThat(ids(table)).containsExactly(1L, 2L, 5L);
        assertThat(table.properties()).containsEntry(IcebergTableSink.SCHEMA_VERSION_PROPERTY, VERSION)
                .containsEntry(IcebergBatchWriter.CHANNEL_ID_PROPERTY, "ch-1");
        assertThat(table.spec().fields()).singleElement()
                .satisfies(f -> assertThat(f.transform().toString()).isEqualTo("hour"));

        // After a crash between the table's commit and the engine's checkpoint: nothing written, same dead letters.
        List<String> again = new ArrayList<>();
        assertThat(sink.write(target("JSON", "ts", SCHEMA), SHARD, 10, 16, batch,
                (r, code, message) -> again.add(r.position() + " " + code + " " + message)))
                .isEqualTo(new TableWriteResult.AlreadyCommitted(16));
        assertThat(again).isEqualTo(rejected);
        assertThat(ids(table)).containsExactly(1L, 2L, 5L);
    }

    @Test
    void gsrRecordsLoseTheirHeaderAndRecordsWithoutItOrOfAnotherSchemaVersionAreRejected() throws Exception {
        UUID version = UUID.fromString(VERSION);
        UUID later = UUID.randomUUID();
        List<TableRecord> batch = List.of(
                new TableRecord(0, 0, GsrRecords.encode(version, valid(1).getBytes(StandardCharsets.UTF_8), false)),
                new TableRecord(1, 0, GsrRecords.encode(version, valid(2).getBytes(StandardCharsets.UTF_8), true)),
                json(2, valid(3)),
                new TableRecord(3, 0, GsrRecords.encode(later, valid(4).getBytes(StandardCharsets.UTF_8), false)),
                new TableRecord(4, 0, GsrRecords.encode(version, new byte[4096], true)));
        List<String> rejected = new ArrayList<>();
        sink.write(target("GSR_JSON", "ts", SCHEMA), SHARD, 0, 5, batch,
                (r, code, message) -> rejected.add(r.position() + " " + code));
        assertThat(ids(table())).containsExactly(1L, 2L);
        assertThat(rejected).containsExactly("2 INVALID_SCHEMA", "3 INVALID_SCHEMA", "4 RECORD_TOO_LARGE");
    }

    @Test
    void aBatchWrittenInPassesHandsEachRejectedRecordBackOnce() throws Exception {
        List<TableRecord> batch = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            // 24 hours, round robin: two passes of at most 16 hours; every seventh record is not JSON.
            String ts = java.time.OffsetDateTime.parse("2026-12-06T00:15:00Z").plusHours(i % 24).toString();
            batch.add(json(i, i % 7 == 6 ? "{\"id\":" : "{\"id\":" + i + ",\"ts\":\"" + ts + "\"}"));
        }
        List<Long> rejected = new ArrayList<>();
        TableWriteResult result = sink.write(target("JSON", "ts", SCHEMA), SHARD, 0, 48, batch,
                (r, code, message) -> rejected.add(r.position()));
        assertThat(result).isInstanceOfSatisfying(TableWriteResult.Committed.class, c -> {
            assertThat(c.rows()).isEqualTo(42);
            assertThat(c.dataFiles()).isEqualTo(24);
        });
        assertThat(rejected).containsExactly(6L, 13L, 20L, 27L, 34L, 41L);
        assertThat(ids(table())).hasSize(42).doesNotHaveDuplicates();
    }

    @Test
    void theWritersOfChannelsNoLongerDeliveredAreReleased() throws Exception {
        sink.write(target("JSON", "ts", SCHEMA), SHARD, 0, 1, List.of(json(0, valid(1))), (r, code, message) -> { });
        assertThat(sink.channelCount()).isEqualTo(1);
        sink.retain(Set.of("ch-1", "ch-2"));
        assertThat(sink.channelCount()).isEqualTo(1);
        sink.retain(Set.of("ch-2"));
        assertThat(sink.channelCount()).isZero();
        // Delivered again (recreated with another id it would be another table): it is opened again.
        sink.write(target("JSON", "ts", SCHEMA), SHARD, 1, 2, List.of(json(1, valid(2))), (r, code, message) -> { });
        assertThat(sink.channelCount()).isEqualTo(1);
        assertThat(ids(table())).containsExactly(1L, 2L);
    }

    @Test
    void theEmbeddedCatalogsTablesKeepABoundedNumberOfSnapshots() throws Exception {
        int batches = IcebergTableSink.EMBEDDED_RETAINED_SNAPSHOTS + IcebergTableSink.EMBEDDED_RETAINED_SNAPSHOTS / 5
                + 1; // the commit after which the expiry runs

        for (int i = 0; i < batches; i++) {
            sink.write(target("JSON", "ts", SCHEMA), SHARD, i, i + 1, List.of(json(i, "{\"id\":")),
                    (r, code, message) -> { });
        }
        assertThat(table().snapshots()).hasSize(IcebergTableSink.EMBEDDED_RETAINED_SNAPSHOTS);
    }

    @Test
    void aLaterSchemaVersionThatCannotBeATableDoesNotStopTheChannelItsRecordsAreDeadLettered() throws Exception {
        UUID version = UUID.fromString(VERSION);
        sink.write(target("GSR_JSON", "ts", SCHEMA), SHARD, 0, 1,
                List.of(new TableRecord(0, 0, GsrRecords.encode(version, valid(1).getBytes(StandardCharsets.UTF_8),
                        false))), (r, code, message) -> { });
        // The channel's target now names version 2, registered later, whose schema has no partition column.
        UUID v2 = UUID.randomUUID();
        TableTarget later = new TableTarget("ch-1", "orders-to-lake", BUCKET.arn(), "streams", "orders", "ZSTD", "ts",
                "GSR_JSON", "arn:aws:glue:us-east-1:123456789012:schema/reg/orders", v2.toString(),
                "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"}}}");
        List<String> rejected = new ArrayList<>();
        TableWriteResult result = sink.write(later, SHARD, 1, 3, List.of(
                new TableRecord(1, 0, GsrRecords.encode(version, valid(2).getBytes(StandardCharsets.UTF_8), false)),
                new TableRecord(2, 0, GsrRecords.encode(v2, "{\"id\":3}".getBytes(StandardCharsets.UTF_8), false))),
                (r, code, message) -> rejected.add(r.position() + " " + code));
        assertThat(result).isInstanceOf(TableWriteResult.Committed.class);
        assertThat(rejected).containsExactly("2 INVALID_SCHEMA");
        assertThat(ids(table())).containsExactly(1L, 2L);
        assertThat(table().properties()).containsEntry(IcebergTableSink.SCHEMA_VERSION_PROPERTY, VERSION);
    }

    @Test
    void aBatchThatDoesNotStartAtTheTablesCheckpointIsAConflictCarryingTheTablesCheckpoint() throws Exception {
        sink.write(target("JSON", "ts", SCHEMA), SHARD, 0, 2, List.of(json(0, valid(1)), json(1, valid(2))),
                (r, c, m) -> { });
        assertThatThrownBy(() -> sink.write(target("JSON", "ts", SCHEMA), SHARD, 1, 3,
                List.of(json(1, valid(2)), json(2, valid(3))), (r, c, m) -> { }))
                .isInstanceOfSatisfying(TableCheckpointConflictException.class,
                        e -> assertThat(e.tableCheckpoint()).hasValue(2));
        assertThat(ids(table())).containsExactly(1L, 2L);
    }

    @Test
    void everythingTheEmbeddedCatalogWritesIsTheOwnersOnlyLikeTheRestOfTheDataDirectory() throws Exception {
        sink.write(target("JSON", "ts", SCHEMA), SHARD, 0, 2, List.of(json(0, valid(1)), json(1, valid(2))),
                (r, c, m) -> { });
        List<Path> written;
        try (Stream<Path> walk = Files.walk(dir)) {
            written = walk.filter(p -> !p.equals(dir)).toList();
        }
        assertThat(written).anyMatch(p -> p.toString().endsWith(".parquet"))
                .anyMatch(p -> p.toString().endsWith(".metadata.json")).anyMatch(p -> p.endsWith("catalog.db"));
        for (Path p : written) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            assertThat(mode).as("%s %s", p, PosixFilePermissions.toString(mode)).noneMatch(m ->
                    m.name().startsWith("GROUP") || m.name().startsWith("OTHERS"));
        }
    }

    @Test
    void theDestinationCheckNamesWhatCannotWork() throws Exception {
        assertThat(sink.problem(target("JSON", "ts", SCHEMA))).isEmpty();
        assertThat(sink.problem(target("JSON", null, SCHEMA))).hasValueSatisfying(
                p -> assertThat(p).contains("PartitionSpec is required"));
        assertThat(sink.problem(target("JSON", "ts", null))).hasValueSatisfying(
                p -> assertThat(p).contains("names no schema version"));
        assertThat(sink.problem(target("JSON", "device", SCHEMA))).hasValueSatisfying(
                p -> assertThat(p).contains("cannot be a table").contains("date-time"));

        sink.write(target("JSON", "ts", SCHEMA), SHARD, 0, 1, List.of(json(0, valid(1))), (r, c, m) -> { });
        assertThat(sink.problem(target("JSON", "ts", SCHEMA))).as("its own table").isEmpty();
        TableTarget other = new TableTarget("ch-2", "another", BUCKET.arn(), "streams", "orders", "NONE", "ts", "JSON",
                "arn:aws:glue:us-east-1:123456789012:schema/reg/orders", VERSION, SCHEMA);
        assertThat(sink.problem(other)).hasValueSatisfying(p -> assertThat(p).contains("already exists"));
    }

    @Test
    void aBatchLoadsItsTableOnceBeforeWritingAndOnceBeforeCommitting() throws Exception {
        sink.write(target("JSON", "ts", SCHEMA), SHARD, 0, 1, List.of(json(0, valid(1))), (r, c, m) -> { });
        AtomicInteger loads = new AtomicInteger();
        try (IcebergTableSink counted = new IcebergTableSink(new IcebergCatalogs(new IcebergCatalogs.Embedded(
                dir.resolve("catalog.db"), dir.resolve("warehouse"))), catalog -> new CountingCatalog(catalog, loads, true),
                1024, Clock.systemUTC())) {
            counted.write(target("JSON", "ts", SCHEMA), SHARD, 1, 2, List.of(json(1, valid(2))), (r, c, m) -> { });
            for (int i = 2; i < 5; i++) {
                int before = loads.get();
                List<String> rejected = new ArrayList<>();
                counted.write(target("JSON", "ts", SCHEMA), SHARD, i, i + 1, List.of(json(i, "{\"id\":")),
                        (r, c, m) -> rejected.add(c));
                // The rows are converted against the table the write loaded: no load of their own.
                assertThat(loads.get() - before).as("loads of batch %d", i).isEqualTo(2);
                assertThat(rejected).containsExactly("DESERIALIZATION_ERROR");
            }
        }
        assertThat(ids(table())).containsExactly(1L, 2L);
    }
}
