package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.filesInTable;
import static dev.millrace.iceberg.TestBatches.filesOnDisk;
import static dev.millrace.iceberg.TestBatches.ids;
import static dev.millrace.iceberg.TestBatches.range;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The same round trip through an Iceberg REST catalog ({@link RestCatalogServer}: Iceberg's own server side behind
 * Jetty, backed by a JDBC catalog of its own). Client and server share the local warehouse, as they would share an S3
 * bucket.
 */
class RestCatalogTest {

    private static final String SHARD = "shardId-000000000000";
    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("streams", "events");

    @TempDir
    Path dir;
    private RestCatalogServer rest;
    private JdbcCatalog backend;
    private String uri;
    private List<String> requests;

    @BeforeEach
    void startServer() throws Exception {
        rest = new RestCatalogServer(dir);
        backend = rest.backend();
        uri = rest.uri();
        requests = rest.requests();
    }

    @AfterEach
    void stopServer() throws Exception {
        rest.close();
    }

    private IcebergCatalogs client(Optional<String> warehouse) {
        return new IcebergCatalogs(new IcebergCatalogs.Rest(uri, warehouse, Map.of(
                CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName(), "token", "secret-token")));
    }

    private static IcebergBatchWriter writer(IcebergCatalogs catalogs) throws IOException {
        return new IcebergBatchWriter(catalogs.catalog(BUCKET), TABLE, TestBatches.tableSchema(),
                TableCompression.SNAPPY, "ch-rest");
    }

    @Test
    void batchesAreCommittedThroughTheRestCatalogAndReadBackOnce() throws Exception {
        try (IcebergCatalogs catalogs = client(Optional.empty())) {
            IcebergBatchWriter writer = writer(catalogs);
            assertThat(writer.checkpoint(SHARD)).isEmpty();
            writer.write(SHARD, 0, 60, rows(0, 60));
            writer.write(SHARD, 60, 100, rows(60, 40));
            assertThat(writer.write(SHARD, 60, 100, rows(60, 40)))
                    .isEqualTo(new IcebergBatchWriter.AlreadyCommitted(100));
        }
        assertThat(requests).as("the table bucket ARN is the warehouse, the token is sent")
                .anyMatch(r -> r.startsWith("GET /v1/config?warehouse=arn%3Aaws%3As3tables%3Aus-east-1%3A"
                        + "123456789012%3Abucket%2Flake"))
                .anyMatch(r -> r.startsWith("POST /v1/namespaces ") && r.endsWith("Bearer secret-token"));

        Table table = backend.loadTable(TABLE);
        assertThat(ids(table)).isEqualTo(range(0, 100));
        assertThat(table.schema().asStruct()).isEqualTo(TestBatches.tableSchema().schema().asStruct());
        PartitionField partition = table.spec().fields().get(0);
        assertThat(partition.transform().toString()).isEqualTo("hour");
        assertThat(table.schema().findColumnName(partition.sourceId())).isEqualTo("ts");
        assertThat(table.properties()).containsEntry(IcebergBatchWriter.CHANNEL_ID_PROPERTY, "ch-rest")
                .containsEntry("write.parquet.compression-codec", "snappy");
        for (String file : filesInTable(table)) {
            assertThat(TestBatches.codecOf(file)).hasToString("SNAPPY");
        }
        try (IcebergCatalogs other = client(Optional.of("my-warehouse"))) {
            assertThat(writer(other).checkpoint(SHARD)).hasValue(100);
        }
        assertThat(requests).anyMatch(r -> r.startsWith("GET /v1/config?warehouse=my-warehouse"));
    }

    @Test
    void aStaleWritersCommitIsRejectedByTheRestCatalogToo() throws Exception {
        try (IcebergCatalogs zombieNode = client(Optional.empty()); IcebergCatalogs rivalNode = client(Optional.empty())) {
            IcebergBatchWriter zombie = writer(zombieNode);
            IcebergBatchWriter rival = writer(rivalNode);
            zombie.write(SHARD, 0, 10, rows(0, 10));
            zombie.beforeCommit(() -> {
                try {
                    rival.write(SHARD, 10, 20, rows(10, 10));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertThat(zombie.write(SHARD, 10, 20, rows(10, 10)))
                    .as("the rival committed the batch: validation failed, the table is at its end")
                    .isEqualTo(new IcebergBatchWriter.AlreadyCommitted(20));
        }
        Table table = backend.loadTable(TABLE);
        assertThat(ids(table)).isEqualTo(range(0, 20));
        assertThat(filesOnDisk(dir)).isEqualTo(filesInTable(table));
    }

    @Test
    void everyRequestAsksForVendedCredentialsUnlessThePropertiesSayOtherwise() throws Exception {
        try (IcebergCatalogs catalogs = client(Optional.empty())) {
            writer(catalogs).write(SHARD, 0, 10, rows(0, 10));
        }
        assertThat(rest.accessDelegations()).hasSize(requests.size()).containsOnly("vended-credentials");

        // A request of the first client may still arrive after it closed (ci23 saw one land after the clear below,
        // counted against the second client): wait until the catalog has been quiet for 500 ms first.
        awaitQuiet();
        assertThat(rest.accessDelegations()).containsOnly("vended-credentials");
        rest.accessDelegations().clear();
        try (IcebergCatalogs catalogs = new IcebergCatalogs(new IcebergCatalogs.Rest(uri, Optional.empty(), Map.of(
                CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName(),
                "header.x-iceberg-access-delegation", "remote-signing")))) {
            assertThat(writer(catalogs).checkpoint(SHARD)).hasValue(10);
        }
        assertThat(rest.accessDelegations()).isNotEmpty().containsOnly("remote-signing");
    }

    /** Returns once no request reached the catalog for 500 ms (at most 10 s). */
    private void awaitQuiet() throws InterruptedException {
        long deadlineMs = System.currentTimeMillis() + 10_000;
        int seen = -1;
        while (seen != requests.size() && System.currentTimeMillis() < deadlineMs) {
            seen = requests.size();
            Thread.sleep(500);
        }
    }

    @Test
    void aCatalogOverridingTheIoImplIsLoggedOnce() throws Exception {
        rest.configOverrides(Map.of(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName()));
        Logger logger = (Logger) LoggerFactory.getLogger(IcebergCatalogs.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try (IcebergCatalogs catalogs = new IcebergCatalogs(new IcebergCatalogs.Rest(uri, Optional.empty(),
                Map.of()))) {
            catalogs.catalog(BUCKET);
            catalogs.catalog(TableBucketArn.parse("arn:aws:s3tables:us-east-1:123456789012:bucket/other"));
        } finally {
            logger.detachAppender(logged);
        }
        assertThat(logged.list).singleElement().satisfies(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).contains(LocalFileIO.class.getName())
                    .contains(MillraceFileIO.class.getName());
        });
    }

    @Test
    void theSettingsShowThePropertiesKeysNotTheirValues() {
        String shown = new IcebergCatalogs.Rest(uri, Optional.empty(), Map.of("credential", "client:secret-4711",
                "token", "token-0815")).toString();
        assertThat(shown).contains("credential").contains("token").contains(uri).doesNotContain("4711")
                .doesNotContain("0815");
    }

    /**
     * A REST catalog whose properties name Iceberg's S3FileIO without a client: its client factories need AWS SDK
     * modules that are not bundled (KMS first). The write fails with an IOException that says so, not with the
     * NoClassDefFoundError, which no layer above would turn into a failed delivery.
     */
    @Test
    void s3FileIoWithoutTheSdkModulesItsFactoriesNeedFailsTheWriteWithAnIoException() throws Exception {
        IcebergCatalogs catalogs = new IcebergCatalogs(new IcebergCatalogs.Rest(uri, Optional.empty(), Map.of(
                CatalogProperties.FILE_IO_IMPL, "org.apache.iceberg.aws.s3.S3FileIO", "s3.endpoint",
                "http://127.0.0.1:9", "token", "secret-token")));
        try (IcebergTableSink sink = new IcebergTableSink(catalogs, 1024, java.time.Clock.systemUTC())) {
            dev.millrace.channels.table.TableTarget target = new dev.millrace.channels.table.TableTarget("ch-s3",
                    "orders-to-lake", BUCKET.arn(), "streams", "orders", "ZSTD", "ts", "JSON",
                    "arn:aws:glue:us-east-1:123456789012:schema/reg/orders", "6f0c2b9e-3d41-4c8a-9a57-0d1e2f3a4b5c",
                    TestBatches.SCHEMA);
            List<dev.millrace.channels.table.TableRecord> batch = List.of(new dev.millrace.channels.table.TableRecord(
                    0, 1_000, "{\"id\":1,\"ts\":\"2026-12-06T10:15:00Z\"}".getBytes(
                    java.nio.charset.StandardCharsets.UTF_8)));
            for (int attempt = 0; attempt < 2; attempt++) { // the class's static init fails once, then NoClassDef
                assertThatThrownBy(() -> sink.write(target, "shardId-000000000000", 0, 1, batch,
                        (r, code, message) -> { }))
                        .isInstanceOf(IOException.class).hasMessageContaining("a class Iceberg needs is missing");
            }
        }
    }
}
