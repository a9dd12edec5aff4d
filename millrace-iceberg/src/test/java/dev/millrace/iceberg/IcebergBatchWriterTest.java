package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.filesInTable;
import static dev.millrace.iceberg.TestBatches.filesOnDisk;
import static dev.millrace.iceberg.TestBatches.ids;
import static dev.millrace.iceberg.TestBatches.range;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.table.TableCheckpointConflictException;
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
                .isInstanceOf(TableCheckpointConflictException.class)
                .hasMessageContaining("is at 10 in the table; the batch starts at 5")
                .satisfies(e -> assertThat(((TableCheckpointConflictException) e).tableCheckpoint()).hasValue(10));
        assertThatThrownBy(() -> writer.write(SHARD0, 12, 20, rows(12, 8)))
                .as("a gap is refused too").isInstanceOf(TableCheckpointConflictException.class);
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
        assertThat(catalogs.catalog(other).loadTable(TABLE).location())
                .contains("/warehouse/123456789012/us-east-1/other-lake/");
    }

    @Test
    void aBatchSpreadOverMoreHoursThanOpenFilesIsWrittenInPassesWithOneFilePerHourAndLosesNoRow() throws Exception {
        int hours = 24;
        List<Record> rows = new java.util.ArrayList<>();
        List<Record> source = rows(0, 3 * hours);
        for (int i = 0; i < source.size(); i++) {
            Record row = source.get(i).copy();
            // Round robin over the hours: with at most 16 files open, hour h would be closed before it comes again.
            row.setField("ts", TestBatches.BASE.plusHours(i % hours));
            rows.add(row);
        }
        int[] reads = {0};
        Iterable<Record> counted = () -> {
            reads[0]++;
            return rows.iterator();
        };
        Committed committed = (Committed) writer(catalogs, TableCompression.ZSTD).write(SHARD0, 0, rows.size(), counted);
        assertThat(committed.dataFiles()).as("one file per hour").hasSize(hours).doesNotHaveDuplicates();
        assertThat(committed.rowCount()).isEqualTo(rows.size());
        assertThat(reads[0]).as("24 hours, 16 at a time").isEqualTo(2);
        Table table = catalogs.catalog(BUCKET).loadTable(TABLE);
        assertThat(ids(table)).isEqualTo(range(0, rows.size()));
    }

    @Test
    void everyShardsCheckpointSurvivesTheExpiryOfTheSnapshotsThatWroteIt() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        writer.write(SHARD0, 0, 10, rows(0, 10));
        writer.write(SHARD1, 0, 5, rows(100, 5));
        writer.write(SHARD1, 5, 8, rows(105, 3));
        Table table = catalogs.catalog(BUCKET).loadTable(TABLE);
        // What S3 Tables' maintenance may do: keep only the current snapshot.
        table.expireSnapshots().expireOlderThan(table.currentSnapshot().timestampMillis() + 1).retainLast(1).commit();
        assertThat(catalogs.catalog(BUCKET).loadTable(TABLE).snapshots()).hasSize(1);

        IcebergBatchWriter restarted = writer(newCatalogs(), TableCompression.ZSTD);
        assertThat(restarted.checkpoint(SHARD0)).hasValue(10);
        assertThat(restarted.checkpoint(SHARD1)).hasValue(8);
        assertThat(restarted.write(SHARD0, 0, 10, rows(0, 10))).isEqualTo(new AlreadyCommitted(10));
        restarted.write(SHARD0, 10, 12, rows(10, 2));
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE)))
                .containsExactlyInAnyOrderElementsOf(concat(range(0, 12), range(100, 8)));
    }

    @Test
    void theEmbeddedWriterExpiresSnapshotsSoTheirNumberStaysBounded() throws Exception {
        IcebergBatchWriter writer = new IcebergBatchWriter(catalogs.catalog(BUCKET), TABLE, TestBatches.tableSchema(),
                TableCompression.ZSTD, "ch-1", java.util.Map.of(), 5);
        for (int batch = 0; batch < 30; batch++) {
            String shard = batch % 2 == 0 ? SHARD0 : SHARD1;
            long start = batch / 2 * 2L;
            writer.write(shard, start, start + 2, rows(batch * 2L + (batch % 2) * 1000, 2));
            assertThat(catalogs.catalog(BUCKET).loadTable(TABLE).snapshots()).as("after batch %d", batch)
                    .hasSizeLessThanOrEqualTo(5 + 1);
        }
        assertThat(writer.checkpoint(SHARD0)).hasValue(30);
        assertThat(writer.checkpoint(SHARD1)).hasValue(30);
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE))).hasSize(60).doesNotHaveDuplicates();
    }

    @Test
    void aShardWritesItsFilesWhileAnotherShardOfTheTableWaitsForItsCommit() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        writer.write(SHARD0, 0, 1, rows(0, 1)); // the table exists
        java.util.concurrent.CountDownLatch inHook = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch otherDone = new java.util.concurrent.CountDownLatch(1);
        boolean[] otherFinishedFirst = {false};
        writer.beforeCommit(() -> {
            if (Thread.currentThread().getName().equals("slow-shard")) {
                inHook.countDown();
                try {
                    // A slow catalog, say: the other shard's whole write must not wait for this one.
                    otherFinishedFirst[0] = otherDone.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Thread slow = new Thread(() -> {
            try {
                writer.write(SHARD0, 1, 11, rows(1, 10));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "slow-shard");
        slow.start();
        // Until it is in the hook, its files written (a thread state would also match a wait elsewhere).
        assertThat(inHook.await(30, java.util.concurrent.TimeUnit.SECONDS)).as("shard 0 reached its commit").isTrue();
        writer.write(SHARD1, 0, 5, rows(100, 5));
        otherDone.countDown();
        slow.join(30_000);
        assertThat(slow.isAlive()).as("shard 0's write ended").isFalse();
        assertThat(otherFinishedFirst[0]).as("shard 1 committed while shard 0 was between its files and its commit")
                .isTrue();
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE)))
                .containsExactlyInAnyOrderElementsOf(concat(range(0, 11), range(100, 5)));
    }

    @Test
    void aTableDroppedAfterTheChannelCreatedItFailsEveryWriteWithThatReasonAndIsNotRecreated() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        writer.write(SHARD0, 0, 10, rows(0, 10));
        catalogs.catalog(BUCKET).dropTable(TABLE, false);
        for (int attempt = 0; attempt < 2; attempt++) {
            assertThatThrownBy(() -> writer.write(SHARD0, 10, 20, rows(10, 10)))
                    .isInstanceOf(TableNotOwnedException.class)
                    .hasMessageContaining("table streams.events was dropped from its catalog after channel ch-1 created it");
        }
        assertThat(catalogs.catalog(BUCKET).tableExists(TABLE)).isFalse();
    }

    @Test
    void aTableReplacedByAnotherChannelsAfterTheFirstLoadIsNotWritten() throws Exception {
        IcebergBatchWriter writer = writer(catalogs, TableCompression.ZSTD);
        writer.write(SHARD0, 0, 10, rows(0, 10));
        Table table = catalogs.catalog(BUCKET).loadTable(TABLE);
        table.updateProperties().set(IcebergBatchWriter.CHANNEL_ID_PROPERTY, "ch-other").commit();
        assertThatThrownBy(() -> writer.write(SHARD0, 10, 20, rows(10, 10)))
                .isInstanceOf(TableNotOwnedException.class).hasMessageContaining("belongs to channel ch-other");
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE))).isEqualTo(range(0, 10));
    }

    @Test
    void tableBucketsOfTheSameNameInTwoAccountsOrRegionsAreSeparateTables() throws Exception {
        TableBucketArn otherAccount = TableBucketArn.parse("arn:aws:s3tables:us-east-1:210987654321:bucket/lake");
        TableBucketArn otherRegion = TableBucketArn.parse("arn:aws:s3tables:eu-west-1:123456789012:bucket/lake");
        writer(catalogs, TableCompression.ZSTD).write(SHARD0, 0, 10, rows(0, 10));
        for (TableBucketArn other : List.of(otherAccount, otherRegion)) {
            IcebergBatchWriter second = new IcebergBatchWriter(catalogs.catalog(other), TABLE,
                    TestBatches.tableSchema(), TableCompression.ZSTD, "ch-" + other.accountId() + other.region());
            assertThat(second.checkpoint(SHARD0)).as(other.arn()).isEmpty();
            second.write(SHARD0, 0, 3, rows(500, 3));
            assertThat(ids(catalogs.catalog(other).loadTable(TABLE))).isEqualTo(range(500, 3));
            assertThat(catalogs.catalog(other).loadTable(TABLE).location())
                    .contains("/warehouse/" + other.accountId() + "/" + other.region() + "/lake/");
        }
        assertThat(ids(catalogs.catalog(BUCKET).loadTable(TABLE))).isEqualTo(range(0, 10));
    }

    private static List<Long> concat(List<Long> a, List<Long> b) {
        List<Long> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
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
