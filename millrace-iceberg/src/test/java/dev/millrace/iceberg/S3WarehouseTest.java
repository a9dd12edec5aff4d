package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.ids;
import static dev.millrace.iceberg.TestBatches.range;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.channels.s3.S3Settings;
import dev.millrace.iceberg.IcebergBatchWriter.AlreadyCommitted;
import dev.millrace.iceberg.IcebergBatchWriter.Committed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.aws.s3.S3FileIO;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The embedded catalog with its warehouse on an S3 store (s3proxy, in-process): the catalog file stays in the data
 * directory, every table file is an object in the bucket, written and read back by Iceberg through S3FileIO.
 */
class S3WarehouseTest {

    private static final String SHARD0 = "shardId-000000000000";
    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("streams", "events");
    private static final String WAREHOUSE_BUCKET = "warehouse";

    @TempDir
    Path dir;
    private S3ProxyServer s3;
    private S3Client plain;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3ProxyServer();
        plain = s3.client();
        plain.createBucket(b -> b.bucket(WAREHOUSE_BUCKET));
    }

    @AfterEach
    void stop() {
        plain.close();
        s3.close();
    }

    private IcebergCatalogs catalogs(String location) {
        S3Settings store = new S3Settings(s3.endpoint, true, "us-east-1", S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY);
        return new IcebergCatalogs(new IcebergCatalogs.Embedded(dir.resolve("iceberg/catalog.db"),
                dir.resolve("iceberg/warehouse"), Optional.of(new IcebergCatalogs.S3Warehouse(location, store))));
    }

    private static IcebergBatchWriter writer(IcebergCatalogs from) throws Exception {
        return new IcebergBatchWriter(from.catalog(BUCKET), TABLE, TestBatches.tableSchema(), TableCompression.ZSTD,
                "ch-1");
    }

    @Test
    void batchesAreObjectsInTheBucketReadBackOnceThroughS3FileIo() throws Exception {
        try (IcebergCatalogs catalogs = catalogs("s3://" + WAREHOUSE_BUCKET + "/lake/tables")) {
            IcebergBatchWriter writer = writer(catalogs);
            assertThat(writer.write(SHARD0, 0, 100, rows(0, 100))).isInstanceOf(Committed.class);
            assertThat(writer.write(SHARD0, 0, 100, rows(0, 100))).as("a retried batch")
                    .isEqualTo(new AlreadyCommitted(100));
            assertThat(writer.write(SHARD0, 100, 130, rows(100, 30))).isInstanceOf(Committed.class);
        }
        try (IcebergCatalogs reopened = catalogs("s3://" + WAREHOUSE_BUCKET + "/lake/tables")) {
            Table table = reopened.catalog(BUCKET).loadTable(TABLE);
            assertThat(table.io()).isInstanceOf(S3FileIO.class);
            assertThat(table.location())
                    .isEqualTo("s3://warehouse/lake/tables/123456789012/us-east-1/lake/streams/events");
            assertThat(ids(table)).containsExactlyElementsOf(range(0, 130));
            assertThat(writer(reopened).checkpoint(SHARD0)).hasValue(130);

            Set<String> objects = new TreeSet<>();
            for (S3Object object : plain.listObjectsV2Paginator(b -> b.bucket(WAREHOUSE_BUCKET)).contents()) {
                objects.add("s3://" + WAREHOUSE_BUCKET + "/" + object.key());
            }
            Set<String> dataFiles = new TreeSet<>();
            try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
                tasks.forEach(task -> dataFiles.add(task.file().location()));
            }
            assertThat(dataFiles).as("100 rows over 5 hours, then 30 over 1 more hour").hasSize(7);
            assertThat(objects).as("data files are objects of the bucket").containsAll(dataFiles);
            assertThat(objects).as("and so is the table's metadata")
                    .contains(((org.apache.iceberg.HasTableOperations) table).operations().current()
                            .metadataFileLocation());
        }
        assertThat(dir.resolve("iceberg/warehouse")).as("nothing of the tables on local disk").doesNotExist();
        assertThat(dir.resolve("iceberg/catalog.db")).as("the catalog stays on this node").exists();
        assertThat(Files.size(dir.resolve("iceberg/catalog.db"))).isPositive();
    }

    @Test
    void aMissingWarehouseBucketFailsTheWriteWithTheStoresAnswer() throws Exception {
        try (IcebergCatalogs catalogs = catalogs("s3://no-such-bucket/tables")) {
            IcebergBatchWriter writer = writer(catalogs);
            assertThatThrownBy(() -> writer.write(SHARD0, 0, 10, rows(0, 10)))
                    .hasStackTraceContaining("NoSuchBucket");
        }
    }
}
