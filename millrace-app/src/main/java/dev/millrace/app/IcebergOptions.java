package dev.millrace.app;

import dev.millrace.channels.s3.S3Settings;
import dev.millrace.channels.table.TableRecord;
import dev.millrace.channels.table.TableSink;
import dev.millrace.channels.table.TableSinkFactory;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.channels.table.TableWriteResult;
import dev.millrace.iceberg.IcebergCatalogs;
import dev.millrace.iceberg.IcebergTableSink;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The options of {@code millrace server} that say where channels with an S3 Tables destination keep their Apache
 * Iceberg tables (a picocli mixin): an Iceberg REST catalog ({@code --iceberg-rest-uri}, which S3 Tables, Apache
 * Polaris, Lakekeeper and Nessie serve) or, by default, the embedded JDBC catalog in one SQLite file,
 * {@code DATA_DIR/iceberg/catalog.db}, with the tables' files under {@code DATA_DIR/iceberg/warehouse} or, with
 * {@code --iceberg-warehouse s3://BUCKET/PREFIX}, in a bucket of the {@code --s3-endpoint}. Catalog
 * properties such as credentials go in {@code --iceberg-property}, better from a {@code MILLRACE_*} variable or the
 * config file than on a command line others can list. A REST catalog's tables on S3 are reached with what the catalog
 * and its tables say (vended credentials), over the {@code --s3-*} settings (IcebergCatalogs has the precedence).
 *
 * <p>Not thread-safe; picocli fills it in once and {@link ServerCommand} reads it once.
 */
final class IcebergOptions {
    static final String NO_SHARED_CATALOG = "On Kafka storage, S3 Tables channels need a catalog every node shares: "
            + "start the servers with --iceberg-rest-uri (the embedded catalog is one node's file).";

    @Option(names = "--iceberg-rest-uri", paramLabel = "URL",
            description = "An Iceberg REST catalog for channels' tables (S3 Tables, Polaris, Lakekeeper, Nessie...), "
                    + "e.g. http://127.0.0.1:8181/catalog. Without it, tables are in an embedded catalog, "
                    + "DATA_DIR/iceberg/catalog.db (SQLite), their files under DATA_DIR/iceberg/warehouse or "
                    + "--iceberg-warehouse.")
    String restUri;

    @Option(names = "--iceberg-rest-warehouse", paramLabel = "NAME",
            description = "The warehouse to ask the REST catalog for (default: the channel's TableBucketARN, what "
                    + "the S3 Tables endpoint expects). Given, it serves every table bucket ARN, of every account "
                    + "and region: tables are told apart by namespace and name only.")
    String restWarehouse;

    @Option(names = "--iceberg-warehouse", paramLabel = "s3://BUCKET/PREFIX",
            description = "Where the embedded catalog keeps tables' data and metadata files: a bucket (and prefix) "
                    + "on the --s3-endpoint, with its addressing, region and credentials. Default: "
                    + "DATA_DIR/iceberg/warehouse. The catalog itself stays in DATA_DIR/iceberg/catalog.db.")
    String warehouse;

    @Option(names = "--iceberg-property", paramLabel = "KEY=VALUE",
            description = "A property of the REST catalog (repeatable): credential, token, oauth2-server-uri, scope, "
                    + "io-impl, ...")
    Map<String, String> properties;

    /**
     * Where tables are kept; {@code s3} is the server's S3 endpoint (null without {@code --s3-endpoint}), {@code usage}
     * builds the usage error (exit 2) for a bad value.
     */
    IcebergCatalogs.Settings settings(Path dataDir, S3Settings s3,
                                      Function<String, CommandLine.ParameterException> usage) {
        if (restUri == null) {
            if (restWarehouse != null || properties != null) {
                throw usage.apply("--iceberg-rest-warehouse and --iceberg-property are for --iceberg-rest-uri, "
                        + "which is not given");
            }
            Path dir = dataDir.resolve("iceberg");
            return new IcebergCatalogs.Embedded(dir.resolve("catalog.db"), dir.resolve("warehouse"),
                    warehouse == null ? Optional.empty() : Optional.of(s3Warehouse(s3, usage)));
        }
        if (warehouse != null) {
            throw usage.apply("--iceberg-warehouse is the embedded catalog's; a REST catalog keeps its own "
                    + "(--iceberg-rest-warehouse names it)");
        }
        try {
            URI uri = new URI(restUri);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw usage.apply("--iceberg-rest-uri must be an http:// or https:// URL, not " + restUri);
            }
        } catch (URISyntaxException e) {
            throw usage.apply("--iceberg-rest-uri must be an http:// or https:// URL, not " + restUri + " ("
                    + e.getReason() + ")");
        }
        if (restWarehouse != null && restWarehouse.isBlank()) {
            throw usage.apply("--iceberg-rest-warehouse must not be empty");
        }
        Map<String, String> catalogProperties = new LinkedHashMap<>(properties == null ? Map.of() : properties);
        for (String key : catalogProperties.keySet()) {
            if (key.isBlank() || "uri".equals(key) || "warehouse".equals(key)) {
                throw usage.apply("--iceberg-property " + key + "=...: give uri and warehouse with "
                        + "--iceberg-rest-uri and --iceberg-rest-warehouse");
            }
        }
        // The server's S3 store, if any, is where a REST catalog's s3:// tables are reached when the catalog, its
        // tables and --iceberg-property say nothing of it.
        return new IcebergCatalogs.Rest(restUri, Optional.ofNullable(restWarehouse), catalogProperties,
                Optional.ofNullable(s3));
    }

    /** {@code --iceberg-warehouse s3://BUCKET[/PREFIX]} on the {@code --s3-endpoint}, a trailing slash dropped. */
    private IcebergCatalogs.S3Warehouse s3Warehouse(S3Settings s3,
                                                    Function<String, CommandLine.ParameterException> usage) {
        String expected = "--iceberg-warehouse must be s3://BUCKET or s3://BUCKET/PREFIX, not " + warehouse;
        URI uri;
        try {
            uri = new URI(warehouse);
        } catch (URISyntaxException e) {
            throw usage.apply(expected + " (" + e.getReason() + ")");
        }
        // A bucket name is a host name's letters, digits, dots and dashes: URI's host holds it or is null.
        if (!"s3".equals(uri.getScheme()) || uri.getHost() == null || uri.getQuery() != null
                || uri.getFragment() != null || uri.getUserInfo() != null || uri.getPort() != -1) {
            throw usage.apply(expected);
        }
        String prefix = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
        if (prefix.contains("//")) {
            throw usage.apply(expected + " (an empty path segment)");
        }
        if (s3 == null) {
            throw usage.apply("--iceberg-warehouse " + warehouse + " is a bucket on the S3 endpoint: give "
                    + "--s3-endpoint (a URL, or aws)");
        }
        return new IcebergCatalogs.S3Warehouse("s3://" + uri.getHost() + prefix, s3);
    }

    /**
     * Opens an {@link IcebergTableSink} on {@link #settings}' catalogs when the server starts delivering. On Kafka
     * storage ({@code clustered}) the embedded catalog is refused: it is one node's file, and the node that delivers
     * a channel changes with the metadata writer, so a table's rows and checkpoints would be split between nodes. The
     * server still starts (most clusters have no S3 Tables channel); such channels fail with the reason.
     */
    TableSinkFactory tables(Path dataDir, S3Settings s3, boolean clustered,
                            Function<String, CommandLine.ParameterException> usage) {
        IcebergCatalogs.Settings settings = settings(dataDir, s3, usage);
        if (clustered && settings instanceof IcebergCatalogs.Embedded) {
            return (maxRecordBytes, clock) -> new RefusedTables(NO_SHARED_CATALOG);
        }
        return (maxRecordBytes, clock) -> new IcebergTableSink(new IcebergCatalogs(settings), maxRecordBytes, clock);
    }

    /** The tables of a server that cannot have them: every channel is told why. Stateless, thread-safe. */
    private record RefusedTables(String reason) implements TableSink {
        @Override
        public Optional<String> problem(TableTarget target) {
            return Optional.of(reason);
        }

        @Override
        public TableWriteResult write(TableTarget target, String shardId, long startPosition, long nextPosition,
                                      Iterable<TableRecord> records, RejectedRecords rejected) throws IOException {
            throw new IOException(reason);
        }

        @Override
        public void close() {
        }
    }
}
