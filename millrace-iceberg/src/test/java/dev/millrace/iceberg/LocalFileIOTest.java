package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.iceberg.IcebergBatchWriter.Committed;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
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
                assertThat(atReturn).contains("file " + file + " " + Files.size(file), "dir " + file.getParent());
            }
            Path manifestList = Path.of(table.currentSnapshot().manifestListLocation().replaceFirst("^file:", ""));
            assertThat(atReturn).contains("file " + manifestList + " " + Files.size(manifestList));
        }
    }
}
