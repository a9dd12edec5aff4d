package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.SCHEMA;
import static dev.millrace.iceberg.TestBatches.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.channels.s3.S3Settings;
import dev.millrace.channels.table.TableRecord;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.channels.table.TableWriteResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.HasTableOperations;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A REST catalog whose tables live on an S3 store (s3proxy, in-process): {@link RestCatalogServer} keeps its tables
 * under {@code s3://lake-files/tables}, the client writes data files and manifests there through
 * {@link MillraceFileIO}, reaching the store with what the table's LoadTable config vends, or with the server's own S3
 * settings when the catalog vends nothing. Before MillraceFileIO, Iceberg's default FileIO failed on {@code s3://}
 * with a NoClassDefFoundError (its S3 client factories need SDK modules that are not bundled).
 */
class RestCatalogOnS3Test {

    private static final String SHARD = "shardId-000000000000";
    private static final String STORE_BUCKET = "lake-files";
    private static final String WAREHOUSE = "s3://" + STORE_BUCKET + "/tables";
    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("streams", "orders");

    @TempDir
    Path dir;
    private S3ProxyServer s3;
    private S3Client plain;
    private RestCatalogServer rest;

    @BeforeEach
    void startStore() throws Exception {
        s3 = new S3ProxyServer();
        plain = s3.client();
        plain.createBucket(b -> b.bucket(STORE_BUCKET));
    }

    @AfterEach
    void stop() throws Exception {
        if (rest != null) {
            rest.close();
        }
        plain.close();
        s3.close();
    }

    private S3Settings store(String secret) {
        return new S3Settings(s3.endpoint, true, "us-east-1", S3ProxyServer.ACCESS_KEY, secret);
    }

    /** What a catalog vending credentials for the store sends in LoadTable's config. */
    private Map<String, String> vended(String secret) {
        return Map.of("s3.endpoint", s3.endpoint.toString(), "s3.path-style-access", "true",
                "client.region", "us-east-1", "s3.access-key-id", S3ProxyServer.ACCESS_KEY,
                "s3.secret-access-key", secret, "s3.session-token", "vended-session-token");
    }

    private void startCatalog(Map<String, String> tableConfig) throws Exception {
        rest = RestCatalogServer.onS3(dir.resolve("rest"), WAREHOUSE, store(S3ProxyServer.SECRET_KEY), tableConfig);
    }

    private static TableTarget target() {
        return new TableTarget("ch-s3", "orders-to-lake", BUCKET.arn(), "streams", "orders", "ZSTD", "ts", "JSON",
                "arn:aws:glue:us-east-1:123456789012:schema/reg/orders", "6f0c2b9e-3d41-4c8a-9a57-0d1e2f3a4b5c",
                SCHEMA);
    }

    private static List<TableRecord> batch(int first, int count) {
        List<TableRecord> records = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            String json = "{\"id\":" + i + ",\"ts\":\"2026-12-06T1" + (i % 3) + ":15:00Z\",\"device\":\"d\"}";
            records.add(new TableRecord(i, 1_000 + i, json.getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    private TableWriteResult deliver(IcebergCatalogs.Rest settings, int first, int count) throws IOException {
        try (IcebergTableSink sink = new IcebergTableSink(new IcebergCatalogs(settings), 1024, Clock.systemUTC())) {
            return deliver(sink, first, count);
        }
    }

    private static TableWriteResult deliver(IcebergTableSink sink, int first, int count) throws IOException {
        return sink.write(target(), SHARD, first, first + count, batch(first, count),
                (r, code, message) -> {
                    throw new AssertionError("rejected " + r.position() + ": " + code + " " + message);
                });
    }

    /** {@code vended(secret)} with an expiry and, if not null, a refresh endpoint. */
    private Map<String, String> vended(String secret, Instant expiresAt, String refreshEndpoint) {
        Map<String, String> config = new HashMap<>(vended(secret));
        config.put("s3.session-token-expires-at-ms", Long.toString(expiresAt.toEpochMilli()));
        if (refreshEndpoint != null) {
            config.put("client.refresh-credentials-endpoint", refreshEndpoint);
        }
        return config;
    }

    /** The rows, the checkpoint and where the files are, as the catalog's own side sees the table. */
    private void assertTableOnTheStore(int rows) throws IOException {
        Table table = rest.backend().loadTable(TABLE);
        assertThat(table.location()).startsWith(WAREHOUSE + "/");
        assertThat(ids(table)).isEqualTo(TestBatches.range(0, rows));
        assertThat(table.currentSnapshot().summary())
                .containsEntry(IcebergBatchWriter.CHECKPOINT_PREFIX + SHARD, Integer.toString(rows));

        Set<String> objects = new TreeSet<>();
        for (S3Object object : plain.listObjectsV2Paginator(b -> b.bucket(STORE_BUCKET)).contents()) {
            objects.add("s3://" + STORE_BUCKET + "/" + object.key());
        }
        Set<String> dataFiles = new TreeSet<>();
        try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
            tasks.forEach(task -> dataFiles.add(task.file().location()));
        }
        assertThat(dataFiles).isNotEmpty().allSatisfy(file -> assertThat(file).startsWith(WAREHOUSE + "/"));
        assertThat(objects).as("data files are objects of the bucket").containsAll(dataFiles);
        assertThat(objects).as("and so are the manifest list and metadata").contains(
                table.currentSnapshot().manifestListLocation(),
                ((HasTableOperations) table).operations().current().metadataFileLocation());
    }

    @Test
    void credentialsTheCatalogVendsInTheTableConfigReachTheStore() throws Exception {
        startCatalog(vended(S3ProxyServer.SECRET_KEY));
        IcebergCatalogs.Rest settings = new IcebergCatalogs.Rest(rest.uri(), Optional.empty(), Map.of());

        assertThat(deliver(settings, 0, 12)).isInstanceOf(TableWriteResult.Committed.class);
        assertThat(deliver(settings, 0, 12)).as("a retried batch").isEqualTo(new TableWriteResult.AlreadyCommitted(12));
        assertThat(deliver(settings, 12, 6)).isInstanceOf(TableWriteResult.Committed.class);
        assertTableOnTheStore(18);
    }

    @Test
    void theServersS3SettingsReachTheStoreWhenTheCatalogVendsNothing() throws Exception {
        startCatalog(Map.of());
        IcebergCatalogs.Rest settings = new IcebergCatalogs.Rest(rest.uri(), Optional.empty(), Map.of(),
                Optional.of(store(S3ProxyServer.SECRET_KEY)));

        assertThat(deliver(settings, 0, 12)).isInstanceOf(TableWriteResult.Committed.class);
        assertThat(deliver(settings, 12, 6)).isInstanceOf(TableWriteResult.Committed.class);
        assertTableOnTheStore(18);
    }

    @Test
    void vendedCredentialsWinOverTheServersS3Settings() throws Exception {
        startCatalog(vended(S3ProxyServer.SECRET_KEY));
        IcebergCatalogs.Rest settings = new IcebergCatalogs.Rest(rest.uri(), Optional.empty(), Map.of(),
                Optional.of(store("not-the-secret")));

        assertThat(deliver(settings, 0, 12)).isInstanceOf(TableWriteResult.Committed.class);
        assertTableOnTheStore(12);
    }

    @Test
    void wrongVendedCredentialsFailTheWriteWithTheStoresAnswer() throws Exception {
        startCatalog(vended("not-the-secret"));
        IcebergCatalogs.Rest settings = new IcebergCatalogs.Rest(rest.uri(), Optional.empty(), Map.of(),
                Optional.of(store(S3ProxyServer.SECRET_KEY)));

        assertThatThrownBy(() -> deliver(settings, 0, 12)).isInstanceOf(IOException.class)
                .hasMessageContaining("Status Code: 403");
    }

    @Test
    void expiredVendedCredentialsAreRefreshedFromTheCatalogsEndpoint() throws Exception {
        Map<String, String> refreshed = new HashMap<>(vended(S3ProxyServer.SECRET_KEY,
                Instant.parse("2100-01-01T00:00:00Z"), null));
        refreshed.keySet().retainAll(Set.of("s3.access-key-id", "s3.secret-access-key", "s3.session-token",
                "s3.session-token-expires-at-ms"));
        rest = RestCatalogServer.onS3(dir.resolve("rest"), WAREHOUSE, store(S3ProxyServer.SECRET_KEY),
                vended("expired-secret", Instant.EPOCH, "v1/credentials"), refreshed);
        IcebergCatalogs.Rest settings = new IcebergCatalogs.Rest(rest.uri(), Optional.empty(), Map.of());

        assertThat(deliver(settings, 0, 12)).isInstanceOf(TableWriteResult.Committed.class);
        assertTableOnTheStore(12);
        assertThat(rest.requests()).anySatisfy(request -> assertThat(request).startsWith("GET /v1/credentials"));
    }

    @Test
    void aTableWhoseVendedCredentialsExpireSoonIsLoadedAgainForNewOnes() throws Exception {
        Instant now = Instant.parse("2026-12-07T00:00:00Z");
        startCatalog(vended(S3ProxyServer.SECRET_KEY, now.plus(Duration.ofMinutes(4)), null));

        assertThat(loadsOfThreeBatches(now)).as("a load for each use of the table").isGreaterThanOrEqualTo(6);
        assertTableOnTheStore(18);
    }

    @Test
    void aTableWhoseVendedCredentialsLastIsLoadedOnceAndRefreshed() throws Exception {
        Instant now = Instant.parse("2026-12-07T00:00:00Z");
        startCatalog(vended(S3ProxyServer.SECRET_KEY, now.plus(Duration.ofMinutes(6)), null));

        assertThat(loadsOfThreeBatches(now)).isEqualTo(1);
        assertTableOnTheStore(18);
    }

    /** Creates the table with a first batch, then counts the {@code loadTable} calls of three more by one sink. */
    private int loadsOfThreeBatches(Instant now) throws IOException {
        IcebergCatalogs.Rest settings = new IcebergCatalogs.Rest(rest.uri(), Optional.empty(), Map.of());
        assertThat(deliver(settings, 0, 6)).isInstanceOf(TableWriteResult.Committed.class);
        AtomicInteger loads = new AtomicInteger();
        try (IcebergTableSink sink = new IcebergTableSink(new IcebergCatalogs(settings),
                catalog -> new CountingCatalog(catalog, loads, false), 1024, Clock.fixed(now, ZoneOffset.UTC))) {
            for (int first = 6; first < 18; first += 4) {
                assertThat(deliver(sink, first, 4)).isInstanceOf(TableWriteResult.Committed.class);
            }
        }
        return loads.get();
    }
}
