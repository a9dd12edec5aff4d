package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.millrace.iceberg.IcebergBatchWriter.Committed;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.FileInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LocalFileIO's durability: what a commit names is on the disk before the commit returns. */
class LocalFileIOTest {

    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("streams", "events");

    @TempDir
    Path dir;

    /** Forced files and directories, in order, with the file's size when it was forced. */
    private final List<String> forced = new ArrayList<>();

    @AfterEach
    void restore() {
        LocalFileIO.durability = LocalFileIO.FSYNC;
    }

    @Test
    void theMetadataFileACommitPointsToAndTheDataFilesItNamesAreForcedBeforeTheCommitReturns() throws Exception {
        LocalFileIO.durability = new LocalFileIO.Durability() {
            @Override
            public void forceFile(FileChannel channel, Path file) throws IOException {
                forced.add("file " + file.toAbsolutePath() + " " + channel.size());
                LocalFileIO.FSYNC.forceFile(channel, file);
            }

            @Override
            public void forceDirectory(Path directory) throws IOException {
                forced.add("dir " + directory.toAbsolutePath());
                LocalFileIO.FSYNC.forceDirectory(directory);
            }
        };
        try (IcebergCatalogs catalogs = new IcebergCatalogs(new IcebergCatalogs.Embedded(
                dir.resolve("catalog.db"), dir.resolve("warehouse")))) {
            IcebergBatchWriter writer = new IcebergBatchWriter(catalogs.catalog(BUCKET), TABLE,
                    TestBatches.tableSchema(), TableCompression.ZSTD, "ch-1");
            Committed committed = (Committed) writer.write("shardId-000000000000", 0, 20, rows(0, 20));
            List<String> atReturn = List.copyOf(forced);

            Table table = catalogs.catalog(BUCKET).loadTable(TABLE);
            Path metadata = Path.of(((HasTableOperations) table).operations().current().metadataFileLocation()
                    .replaceFirst("^file:", ""));
            assertThat(atReturn).as("the metadata.json SQLite points to, whole")
                    .contains("file " + metadata + " " + Files.size(metadata))
                    .contains("dir " + metadata.getParent());
            for (String data : committed.dataFiles()) {
                Path file = Path.of(data.replaceFirst("^file:", ""));
                String bytes = "file " + file + " " + Files.size(file);
                assertThat(atReturn).contains(bytes, "dir " + file.getParent())
                        .as("the new partition directory's entry").contains("dir " + file.getParent().getParent());
                assertThat(atReturn.lastIndexOf("dir " + file.getParent())).as("its entry after its bytes")
                        .isGreaterThan(atReturn.indexOf(bytes));
            }
            Path manifestList = Path.of(table.currentSnapshot().manifestListLocation().replaceFirst("^file:", ""));
            assertThat(atReturn).contains("file " + manifestList + " " + Files.size(manifestList));
        }
    }

    @Test
    void listPrefixFindsTheFilesUnderANestedPrefixAndThoseWhoseNameStartsWithAPrefix() throws Exception {
        LocalFileIO io = new LocalFileIO();
        Path data = dir.resolve("table/data");
        Path a = write(data.resolve("ts_hour=1/abc-0.parquet"), 3);
        Path b = write(data.resolve("ts_hour=1/abd-0.parquet"), 5);
        Path c = write(data.resolve("ts_hour=1/ab/deeper/x.parquet"), 7);
        Path d = write(data.resolve("ts_hour=12/abc-1.parquet"), 11);
        write(data.resolve("ts_hour=1/b-0.parquet"), 1);
        write(dir.resolve("table/data2/ts_hour=1/abc-0.parquet"), 1);
        Files.setLastModifiedTime(a, FileTime.fromMillis(1_700_000_000_000L));

        assertThat(io.listPrefix(data + "/")).extracting(FileInfo::location).hasSize(5)
                .doesNotContain(dir.resolve("table/data2/ts_hour=1/abc-0.parquet").toString());
        assertThat(io.listPrefix("file:" + data.resolve("ts_hour=1") + "/")).extracting(FileInfo::location)
                .containsExactlyInAnyOrder(a.toString(), b.toString(), c.toString(),
                        data.resolve("ts_hour=1/b-0.parquet").toString());
        assertThat(io.listPrefix(data.resolve("ts_hour=1/ab").toString())).as("a file-name prefix")
                .extracting(FileInfo::location, FileInfo::size)
                .containsExactlyInAnyOrder(tuple(a.toString(), 3L), tuple(b.toString(), 5L), tuple(c.toString(), 7L));
        assertThat(io.listPrefix(data.resolve("ts_hour=1").toString())).as("ts_hour=1 and ts_hour=12")
                .extracting(FileInfo::location).hasSize(5).contains(d.toString());
        assertThat(io.listPrefix(data.resolve("ts_hour=1/abc").toString())).singleElement()
                .satisfies(f -> assertThat(f.createdAtMillis()).isEqualTo(1_700_000_000_000L));
        assertThat(io.listPrefix(data.resolve("ts_hour=3/").toString() + "/")).isEmpty();
        assertThat(io.listPrefix(dir.resolve("nowhere/at/all").toString())).isEmpty();
    }

    private static Path write(Path file, int sizeBytes) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, new byte[sizeBytes]);
    }
}
