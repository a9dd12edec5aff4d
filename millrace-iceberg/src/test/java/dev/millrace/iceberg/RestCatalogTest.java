package dev.millrace.iceberg;

import static dev.millrace.iceberg.TestBatches.BUCKET;
import static dev.millrace.iceberg.TestBatches.filesInTable;
import static dev.millrace.iceberg.TestBatches.filesOnDisk;
import static dev.millrace.iceberg.TestBatches.ids;
import static dev.millrace.iceberg.TestBatches.range;
import static dev.millrace.iceberg.TestBatches.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.PartitionField;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.RESTCatalogAdapter;
import org.apache.iceberg.rest.RESTCatalogServlet;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same round trip through an Iceberg REST catalog: Iceberg's own server side (RESTCatalogAdapter and its
 * servlet, from iceberg-core's tests jar) behind Jetty 11 (s3proxy's line) on 127.0.0.1, backed by a JDBC catalog of its own. Client and
 * server share the local warehouse, as they would share an S3 bucket.
 */
class RestCatalogTest {

    private static final String SHARD = "shardId-000000000000";
    private static final TableIdentifier TABLE = IcebergCatalogs.tableId("streams", "events");

    @TempDir
    Path dir;
    private JdbcCatalog backend;
    private Server server;
    private String uri;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startServer() throws Exception {
        backend = new JdbcCatalog();
        backend.initialize("rest_backend", Map.of(
                CatalogProperties.URI, "jdbc:sqlite:" + dir.resolve("rest-backend.db"),
                CatalogProperties.WAREHOUSE_LOCATION, dir.resolve("warehouse").toString(),
                CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName(),
                "jdbc.schema-version", "V1"));
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        context.addServlet(new ServletHolder(new RecordingServlet(new RESTCatalogAdapter(backend), requests)), "/*");
        server.setHandler(context);
        server.start();
        uri = "http://127.0.0.1:" + connector.getLocalPort() + "/";
    }

    @AfterEach
    void stopServer() throws Exception {
        server.stop();
        backend.close();
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
            assertThatThrownBy(() -> zombie.write(SHARD, 10, 20, rows(10, 10)))
                    .isInstanceOf(CheckpointConflictException.class);
        }
        Table table = backend.loadTable(TABLE);
        assertThat(ids(table)).isEqualTo(range(0, 20));
        assertThat(filesOnDisk(dir)).isEqualTo(filesInTable(table));
    }

    /** Iceberg's servlet, noting each request's method, path, query and Authorization header. */
    private static final class RecordingServlet extends RESTCatalogServlet {
        private final transient List<String> requests;

        RecordingServlet(RESTCatalogAdapter adapter, List<String> requests) {
            super(adapter);
            this.requests = requests;
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response)
                throws ServletException, IOException {
            String query = request.getQueryString();
            requests.add(request.getMethod() + " " + request.getRequestURI() + (query == null ? "" : "?" + query)
                    + " " + request.getHeader("Authorization"));
            super.service(request, response);
        }
    }
}
