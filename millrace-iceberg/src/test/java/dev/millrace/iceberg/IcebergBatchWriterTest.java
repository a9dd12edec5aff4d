package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.filesInTable;
import static dev.millrace.iceberg.TestBatches.filesOnDisk;
import static dev.millrace.iceberg.TestBatches.ids;
import static dev.millrace.iceberg.TestBatches.range;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.iceberg.IcebergBatchWriter.AlreadyCommitted;
import dev.millrace.iceberg.IcebergBatchWriter.Committed;
import dev.millrace.iceberg.IcebergBatchWriter.WriteResult;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg.TableSchema;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The embedded catalog (JDBC on SQLite, local warehouse): round trip, codecs, retries, table ownership. */
class IcebergBatchWriterTest {

    private static final String SHARD0 = "shardId-000000000000";
    private static final String SHARD1 = "shardId-000000000001";
    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("streams", "events");

    @TempDir
    Path dir;
    private IcebergCatalogs catalogs;

    @BeforeEach
    void open() {
        catalogs = newCatalogs();
    }

    @AfterEach
    void close() throws Exception {
        catalogs.close();
    }

    private IcebergCatalogs newCatalogs() {
        return new IcebergCatalogs(new IcebergCatalogs.Embedded(dir.resolve("iceberg/catalog.db"),
                dir.resolve("iceberg/warehouse")));
    }

    private IcebergBatchWriter writer(IcebergCatalogs from, TableCompression compression) throws Exception {
        return new IcebergBatchWriter(from.catalog(BUCKET), TABLE, TestBatches.tableSchema(), compression, "ch-1");
    }

    @Test
    void batchesOfTwoShardsAreReadBackOnceEachPartitionedByHourWithTheMappedSchema() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        assertThat(writer.checkpoint(SHARD0)).as("no table yet").isEmpty();

        WriteResult first = writer.write(SHARD0, 0, 100, rows(0, 100));
        writer.write(SHARD1, 0, 50, rows(1000, 50));
        writer.write(SHARD0, 100, 230, rows(100, 130));

        assertThat(first).isInstanceOf(Committed.class);
        assertThat(((Committed) first).rowCount()).isEqualTo(100);
        assertThat(((Committed) first).dataFiles()).as("100 rows 2 min apart from 10:50 to 14:08 touch 5 hours").hasSize(5);
        try (IcebergCatalogs reopened = newCatalogs()) {
            Table table = reopened.catalog(BUCKET).loadTable(TABLE);
            List<Long> expected = new java.util.ArrayList<>(range(0, 230));
            expected.addAll(range(1000, 50));
            assertThat(ids(table)).containsExactlyElementsOf(expected.stream().sorted().toList());

            TableSchema mapped = TestBatches.tableSchema();
            assertThat(table.schema().asStruct()).isEqualTo(mapped.schema().asStruct());
            assertThat(table.schema().findField("ts").isRequired()).isTrue();
            PartitionField partition = table.spec().fields().get(0);
            assertThat(partition.transform().toString()).isEqualTo("hour");
            assertThat(table.schema().findColumnName(partition.sourceId())).isEqualTo("ts");
            assertThat(table.properties()).containsEntry(IcebergBatchWriter.CHANNEL_ID_PROPERTY, "ch-1");
            assertThat(((HasTableOperations) table).operations().current().formatVersion()).isEqualTo(2);
            assertEveryRowIsInItsHourPartition(table);
            for (String file : filesInTable(table)) {
                assertThat(TestBatches.codecOf(file)).isEqualTo(CompressionCodecName.ZSTD);
            }

            IcebergBatchWriter again = writer(reopened, TableCompression.ZSTD);
            assertThat(again.checkpoint(SHARD0)).hasValue(230);
            assertThat(again.checkpoint(SHARD1)).hasValue(50);
            assertThat(again.checkpoint("shardId-000000000002")).isEmpty();
        }
    }

    /** Reads each data file by itself: all its rows fall in the hour its partition value names. */
    private static void assertEveryRowIsInItsHourPartition(Table table) throws Exception {
        Set<Integer> partitions = new TreeSet<>();
        long rows = 0;
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            for (FileScanTask task : tasks) {
                int hour = task.file().partition().get(0, Integer.class);
                partitions.add(hour);
                assertThat(task.file().location()).contains("/data/ts_hour=");
                try (CloseableIterable<Record> fileRows = Parquet.read(table.io().newInputFile(task.file().location()))
                        .project(table.schema())
                        .createReaderFunc(type -> GenericParquetReaders.buildReader(table.schema(), type))
                        .build()) {
                    for (Record row : fileRows) {
                        assertThat(epochHour((OffsetDateTime) row.getField("ts"))).isEqualTo(hour);
                        rows++;
                    }
                }
            }
        }
        assertThat(rows).isEqualTo(TestBatches.readAll(table).size());
        assertThat(partitions).as("10:50 + 2 min x 130 rows reaches 15:08").hasSize(6);
    }

    private static int epochHour(OffsetDateTime ts) {
        return (int) ChronoUnit.HOURS.between(OffsetDateTime.of(1970, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC), ts);
    }

    @ParameterizedTest
    @CsvSource({"NONE, UNCOMPRESSED", "ZSTD, ZSTD", "SNAPPY, SNAPPY"})
    void theChannelsCompressionIsTheParquetCodec(TableCompression compression, CompressionCodecName codec)
            throws Exception {
        Committed committed = (Committed) writer(catalogs, compression).write(SHARD0, 0, 40, rows(0, 40));
        assertThat(committed.dataFiles()).isNotEmpty();
        for (String file : committed.dataFiles()) {
            assertThat(TestBatches.codecOf(file.replaceFirst("^file:", ""))).isEqualTo(codec);
        }
    }

    @Test
    void aBatchRetriedAfterItsCommitWritesNothing() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        writer.write(SHARD0, 0, 10, rows(0, 10));
        Set<String> files = filesOnDisk(dir);

        WriteResult retry = writer(newCatalogs(), TableCompression.ZSTD).write(SHARD0, 0, 10, rows(0, 10));
        assertThat(retry).isEqualTo(new AlreadyCommitted(10));
        assertThat(filesOnDisk(dir)).isEqualTo(files);
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE))).isEqualTo(range(0, 10));
    }

    @Test
    void aBatchWhoseRecordsAllWentToTheDlqStillMovesTheCheckpoint() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        writer.write(SHARD0, 0, 10, rows(0, 10));
        WriteResult empty = writer.write(SHARD0, 10, 25, List.of());
        assertThat(((Committed) empty).dataFiles()).isEmpty();
        assertThat(writer.checkpoint(SHARD0)).hasValue(25);
        writer.write(SHARD0, 25, 30, rows(10, 5));
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE))).isEqualTo(range(0, 15));
    }

    @Test
    void aBatchThatDoesNotStartAtTheCheckpointIsRefusedBeforeWritingAnything() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        writer.write(SHARD0, 0, 10, rows(0, 10));
        Set<String> files = filesOnDisk(dir);

        assertThatThrownBy(() -> writer.write(SHARD0, 5, 15, rows(5, 10)))
                .isInstanceOf(CheckpointConflictException.class)
                .hasMessageContaining("is at 10 in the table; the batch starts at 5")
                .satisfies(e -> assertThat(((CheckpointConflictException) e).tableCheckpoint()).hasValue(10));
        assertThatThrownBy(() -> writer.write(SHARD0, 12, 20, rows(12, 8)))
                .as("a gap is refused too").isInstanceOf(CheckpointConflictException.class);
        assertThat(filesOnDisk(dir)).isEqualTo(files);
        assertThat(writer.checkpoint(SHARD0)).isEqualTo(OptionalLong.of(10));
    }

    @Test
    void aTableTheChannelDidNotCreateIsNotWritten() throws Exception {
        Catalog catalog = catalogs.catalog(BUCKET);
        ((SupportsNamespaces) catalog).createNamespace(TABLE.namespace());
        catalog.createTable(TABLE, TestBatches.tableSchema().schema());
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        assertThatThrownBy(() -> writer.write(SHARD0, 0, 10, rows(0, 10)))
                .isInstanceOf(TableNotOwnedException.class)
                .hasMessageContaining("table streams.events already exists");
        assertThat(filesOnDisk(dir)).isEmpty();
    }

    @Test
    void twoTableBucketsInOneSqliteFileAreSeparateCatalogs() throws Exception {
        TableBucketArn other = TableBucketArn.parse("arn:aws:s3tables:us-east-1:123456789012:bucket/other-lake");
        writer(catalogs, TableCompression.ZSTD).write(SHARD0, 0, 10, rows(0, 10));
        IcebergBatchWriter second = new IcebergBatchWriter(catalogs.catalog(other), TABLE,
                TestBatches.tableSchema(), TableCompression.ZSTD, "ch-2");
        assertThat(second.checkpoint(SHARD0)).isEmpty();
        second.write(SHARD0, 0, 3, rows(500, 3));
        assertThat(ids(catalogs.catalog(other).loadTable(TABLE))).isEqualTo(range(500, 3));
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE))).isEqualTo(range(0, 10));
        assertThat(catalogs.catalog(other).loadTable(TABLE).location()).contains("/warehouse/other-lake/");
    }

    @Test
    void aBatchSpreadOverMoreHoursThanOpenFilesClosesTheLeastRecentFileAndLosesNoRow() throws Exception {
        int hours = IcebergBatchWriter.MAX_OPEN_FILES + 4;
        List<Record> rows = new java.util.ArrayList<>();
        List<Record> source = rows(0, 3 * hours);
        for (int i = 0; i < source.size(); i++) {
            Record row = source.get(i).copy();
            // Round robin over the hours: with at most 16 files open, hour h is closed before it comes round again.
            row.setField("ts", TestBatches.BASE.plusHours(i % hours));
            rows.add(row);
        }
        Committed committed = (Committed) writer(catalogs, TableCompression.ZSTD).write(SHARD0, 0, rows.size(), rows);
        assertThat(committed.dataFiles()).as("reopened hours get another file").hasSizeGreaterThan(hours);
        assertThat(committed.dataFiles()).doesNotHaveDuplicates();
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE))).isEqualTo(range(0, rows.size()));
    }

    @Test
    void everyMappedTypeIsWrittenToParquetAndReadBackEqual() throws Exception {
        String schemaText = """
                {"type": "object", "required": ["id"],
                 "properties": {
                   "ts": {"type": "string", "format": "date-time"}, "id": {"type": "integer", "maximum": 1000},
                   "price": {"type": "number", "multipleOf": 0.001}, "ok": {"type": "boolean"},
                   "day": {"type": "string", "format": "date"}, "at": {"type": "string", "format": "time"},
                   "ref": {"type": "string", "format": "uuid"}, "blob": {"type": "string", "format": "byte"},
                   "kind": {"enum": ["a", "b"]},
                   "tags": {"type": "array", "items": {"type": "object", "properties": {"k": {"type": "string"}}}},
                   "attrs": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "number"}}},
                   "deep": %s}}
                """.formatted(deep(JsonSchemaToIceberg.MAX_DEPTH));
        dev.millrace.iceberg.schema.JsonSchemaToIceberg.TableSchema mapped =
                dev.millrace.iceberg.schema.JsonSchemaToIceberg.map(schemaText, "ts");
        String json = """
                {"ts": "2026-12-06T23:59:59.999999Z", "id": 42, "price": 19.995, "ok": false, "day": "2026-02-28",
                 "at": "23:59:59.5", "ref": "00000000-0000-0000-0000-00000000002a", "blob": "3q2+7w==", "kind": "b",
                 "tags": [{"k": "x"}, {"k": null}], "attrs": {"m": [1, 2.5]}, "deep": %s, "extra": 1}
                """.formatted(deepValue(JsonSchemaToIceberg.MAX_DEPTH));
        Record row = ((dev.millrace.iceberg.schema.JsonRecords.Row) new dev.millrace.iceberg.schema.JsonRecords(
                mapped.schema(), "ts").convert(json.getBytes(java.nio.charset.StandardCharsets.UTF_8))).record();
        IcebergBatchWriter writer = new IcebergBatchWriter(catalogs.catalog(BUCKET), TABLE, mapped,
                TableCompression.SNAPPY, "ch-types");
        writer.write(SHARD0, 0, 1, List.of(row));

        List<Record> back = TestBatches.readAll(catalogs.catalog(BUCKET).loadTable(TABLE));
        assertThat(back).hasSize(1);
        assertThat(back.get(0)).isEqualTo(row);
        assertThat(back.get(0).getField("price")).isEqualTo(new java.math.BigDecimal("19.995"));
    }

    private static String deep(int levels) {
        String schema = "{\"type\": \"string\"}";
        for (int i = 0; i < levels; i++) {
            schema = "{\"type\": \"object\", \"properties\": {\"f\": " + schema + "}}";
        }
        return schema;
    }

    private static String deepValue(int levels) {
        String value = "\"bottom\"";
        for (int i = 0; i < levels; i++) {
            value = "{\"f\": " + value + "}";
        }
        return value;
    }

    @Test
    void filesAreNamedAfterChannelShardAndStartPosition() throws Exception {
        Committed committed = (Committed) writer(catalogs, TableCompression.ZSTD)
                .write("shardId-000000000003", 123_456_789, 123_456_800, rows(0, 2));
        String expectedPrefix = String.format("%08x", "ch-1".hashCode()) + "-000000000003-"
                + IcebergBatchWriter.base36(123_456_789) + "-";
        assertThat(IcebergBatchWriter.base36(123_456_789)).hasSize(13).isEqualTo("000000021i3v9");
        assertThat(committed.dataFiles()).allSatisfy(f ->
                assertThat(Path.of(f).getFileName().toString()).startsWith(expectedPrefix).endsWith(".parquet"));
        assertThat(filesInTable(catalogs.catalog(BUCKET).loadTable(TABLE))).hasSize(committed.dataFiles().size());
    }
}
