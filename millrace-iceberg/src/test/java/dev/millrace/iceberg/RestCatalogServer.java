package dev.millrace.iceberg;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import dev.millrace.channels.s3.S3Settings;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.aws.s3.S3FileIO;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.HTTPRequest;
import org.apache.iceberg.rest.RESTCatalogAdapter;
import org.apache.iceberg.rest.RESTCatalogServlet;
import org.apache.iceberg.rest.RESTResponse;
import org.apache.iceberg.rest.credentials.ImmutableCredential;
import org.apache.iceberg.rest.responses.ConfigResponse;
import org.apache.iceberg.rest.responses.ImmutableLoadCredentialsResponse;
import org.apache.iceberg.rest.responses.LoadCredentialsResponseParser;
import org.apache.iceberg.rest.responses.ErrorResponse;
import org.apache.iceberg.rest.responses.LoadTableResponse;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

/**
 * An Iceberg REST catalog server for tests: Iceberg's own server side (RESTCatalogAdapter and its servlet, from
 * iceberg-core's tests jar) behind Jetty 11 (s3proxy's line) on 127.0.0.1 and a free port, backed by a JDBC catalog
 * of its own (SQLite) whose warehouse is a local directory that clients write to with {@link LocalFileIO}, as they
 * would share an S3 bucket, or ({@link #onS3}) an S3 warehouse, whose tables' LoadTable responses may carry a
 * {@code config} (vended credentials). Notes each request's method, path, query, Authorization and
 * X-Iceberg-Access-Delegation headers. Shared with
 * millrace-it through this module's test-jar.
 *
 * <p>Thread-safe (Jetty's threads serve requests; the request list is concurrent).
 */
public final class RestCatalogServer implements AutoCloseable {

    private final JdbcCatalog backend;
    private final VendingAdapter adapter;
    private final Server server;
    private final String uri;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> accessDelegations = new CopyOnWriteArrayList<>();

    /**
     * Starts a server keeping its catalog in {@code dir/rest-backend.db} (the directory is created) and tables under
     * {@code dir/warehouse}.
     */
    public RestCatalogServer(Path dir) throws Exception {
        this(dir, null, null, Map.of(), Map.of());
    }

    /**
     * Starts a server keeping its catalog in {@code dir/rest-backend.db} and tables under {@code warehouse}
     * ({@code s3://BUCKET/PREFIX}), which it writes to through {@code store}; every LoadTable response (load, create,
     * commit's reload) carries {@code tableConfig}, as a catalog vending credentials does.
     */
    public static RestCatalogServer onS3(Path dir, String warehouse, S3Settings store,
                                         Map<String, String> tableConfig) throws Exception {
        return new RestCatalogServer(dir, warehouse, store, tableConfig, Map.of());
    }

    /**
     * {@link #onS3(Path, String, S3Settings, Map)}, also answering {@code GET .../credentials} (any path ending so:
     * the refresh endpoint a table's config names) with one {@code s3://} storage credential of
     * {@code refreshedCredentials}.
     */
    public static RestCatalogServer onS3(Path dir, String warehouse, S3Settings store, Map<String, String> tableConfig,
                                         Map<String, String> refreshedCredentials) throws Exception {
        return new RestCatalogServer(dir, warehouse, store, tableConfig, refreshedCredentials);
    }

    private RestCatalogServer(Path dir, String s3Warehouse, S3Settings store, Map<String, String> tableConfig,
                              Map<String, String> refreshedCredentials) throws Exception {
        Files.createDirectories(dir);
        if (store == null) {
            backend = new JdbcCatalog();
            backend.initialize("rest_backend", Map.of(
                    CatalogProperties.URI, "jdbc:sqlite:" + dir.resolve("rest-backend.db"),
                    CatalogProperties.WAREHOUSE_LOCATION, dir.resolve("warehouse").toString(),
                    CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName(),
                    "jdbc.schema-version", "V1"));
        } else {
            backend = new JdbcCatalog(properties -> {
                S3FileIO io = MillraceFileIO.s3FileIO(store);
                io.initialize(properties);
                return io;
            }, null, true);
            backend.initialize("rest_backend", Map.of(
                    CatalogProperties.URI, "jdbc:sqlite:" + dir.resolve("rest-backend.db"),
                    CatalogProperties.WAREHOUSE_LOCATION, s3Warehouse,
                    "jdbc.schema-version", "V1"));
        }
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler(ServletContextHandler.NO_SESSIONS);
        adapter = new VendingAdapter(backend, tableConfig);
        context.addServlet(new ServletHolder(new RecordingServlet(adapter,
                requests, accessDelegations, refreshedCredentials)), "/*");
        server.setHandler(context);
        server.start();
        uri = "http://127.0.0.1:" + connector.getLocalPort() + "/";
    }

    /** The catalog's base URI, {@code http://127.0.0.1:PORT/}. */
    public String uri() {
        return uri;
    }

    /** The server's side of the catalog, to read tables back as the catalog has them. */
    public JdbcCatalog backend() {
        return backend;
    }

    /** The requests so far: {@code METHOD PATH[?QUERY] AUTHORIZATION}. */
    public List<String> requests() {
        return requests;
    }

    /** The {@code X-Iceberg-Access-Delegation} header of each request so far, {@code "none"} where it had none. */
    public List<String> accessDelegations() {
        return accessDelegations;
    }

    @Override
    public void close() throws Exception {
        server.stop();
        backend.close();
    }

    /** From now on, {@code GET /v1/config} answers also carry {@code overrides}. */
    public void configOverrides(Map<String, String> overrides) {
        adapter.configOverrides = Map.copyOf(overrides);
    }

    /** Iceberg's server side, adding {@code tableConfig} to each LoadTable response. */
    private static final class VendingAdapter extends RESTCatalogAdapter {
        private final Map<String, String> tableConfig;
        private volatile Map<String, String> configOverrides = Map.of();

        VendingAdapter(JdbcCatalog backend, Map<String, String> tableConfig) {
            super(backend);
            this.tableConfig = Map.copyOf(tableConfig);
        }

        @Override
        protected <T extends RESTResponse> T execute(HTTPRequest request, Class<T> responseType,
                                                     Consumer<ErrorResponse> errorHandler,
                                                     Consumer<Map<String, String>> responseHeaders) {
            T response = super.execute(request, responseType, errorHandler, responseHeaders);
            Map<String, String> overrides = configOverrides;
            if (response instanceof ConfigResponse config && !overrides.isEmpty()) {
                Map<String, String> merged = new HashMap<>();
                if (config.overrides() != null) {
                    merged.putAll(config.overrides());
                }
                merged.putAll(overrides);
                ConfigResponse.Builder builder = ConfigResponse.builder().withOverrides(merged);
                if (config.defaults() != null) {
                    builder.withDefaults(config.defaults());
                }
                if (config.endpoints() != null) {
                    builder.withEndpoints(config.endpoints());
                }
                if (config.idempotencyKeyLifetime() != null) {
                    builder.withIdempotencyKeyLifetime(config.idempotencyKeyLifetime());
                }
                return responseType.cast(builder.build());
            }
            if (response instanceof LoadTableResponse load && !tableConfig.isEmpty()) {
                return responseType.cast(LoadTableResponse.builder().withTableMetadata(load.tableMetadata())
                        .addAllConfig(load.config()).addAllConfig(tableConfig)
                        .addAllCredentials(load.credentials() == null ? List.of() : load.credentials()).build());
            }
            return response;
        }
    }

    /** Iceberg's servlet, noting each request. */
    private static final class RecordingServlet extends RESTCatalogServlet {
        private final transient List<String> requests;
        private final transient List<String> accessDelegations;
        private final transient Map<String, String> refreshedCredentials;

        RecordingServlet(RESTCatalogAdapter adapter, List<String> requests, List<String> accessDelegations,
                         Map<String, String> refreshedCredentials) {
            super(adapter);
            this.requests = requests;
            this.accessDelegations = accessDelegations;
            this.refreshedCredentials = Map.copyOf(refreshedCredentials);
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response)
                throws ServletException, IOException {
            String query = request.getQueryString();
            requests.add(request.getMethod() + " " + request.getRequestURI() + (query == null ? "" : "?" + query)
                    + " " + request.getHeader("Authorization"));
            String delegation = request.getHeader("X-Iceberg-Access-Delegation");
            accessDelegations.add(delegation == null ? "none" : delegation);
            if (!refreshedCredentials.isEmpty() && "GET".equals(request.getMethod())
                    && request.getRequestURI().endsWith("/credentials")) {
                // Iceberg's adapter has no route for it (the credentials endpoint of the REST spec).
                response.setContentType("application/json");
                response.getWriter().write(LoadCredentialsResponseParser.toJson(ImmutableLoadCredentialsResponse
                        .builder().addCredentials(ImmutableCredential.builder().prefix("s3://")
                                .config(refreshedCredentials).build()).build()));
                return;
            }
            super.service(request, response);
        }
    }
}
