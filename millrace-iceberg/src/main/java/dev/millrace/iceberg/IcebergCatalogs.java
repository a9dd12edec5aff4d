package dev.millrace.iceberg;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import dev.millrace.channels.s3.S3Settings;
import dev.millrace.storage.log.FileModes;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.aws.s3.S3FileIO;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.RESTCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the Iceberg catalog a table bucket ARN stands for, one per bucket, and closes them all.
 *
 * <p>Mapping of {@code arn:aws:s3tables:REGION:ACCOUNT:bucket/NAME} (Millrace's decision; AWS's table buckets are
 * catalogs of their own):
 * <ul>
 *   <li>Embedded: a {@link JdbcCatalog} named {@code ACCOUNT/REGION/NAME} in the one SQLite file (the JDBC catalog
 *   keeps several catalogs apart by its {@code catalog_name} column; a bucket name is unique only within an account's
 *   region), warehouse {@code WAREHOUSE_DIR/ACCOUNT/REGION/NAME}, data written with {@link LocalFileIO}, or, with an
 *   {@link S3Warehouse}, {@code s3://BUCKET/PREFIX/ACCOUNT/REGION/NAME} written with {@link S3FileIO}. The catalog
 *   is single-node: each node of a cluster would have its own file.</li>
 *   <li>REST: a {@link RESTCatalog} on the configured URI with {@code warehouse} = the table bucket ARN, which is what
 *   the S3 Tables Iceberg REST endpoint expects, unless a warehouse is configured (Polaris, Lakekeeper, Nessie name
 *   theirs): then that one warehouse serves every table bucket ARN of every account and region, and tables of two
 *   channels are told apart by namespace and name only. Further properties (credential, token, oauth2-server-uri,
 *   scope, io-impl, s3.*) are passed through.</li>
 * </ul>
 *
 * <p>A REST catalog is asked to vend credentials: every request carries {@code X-Iceberg-Access-Delegation:
 * vended-credentials} unless the properties give that header ({@code header.X-Iceberg-Access-Delegation}).
 *
 * <p>A REST catalog's tables are read and written with {@link MillraceFileIO} ({@code io-impl}; a property naming
 * another wins), which reaches {@code s3://} locations with a client built from Iceberg's standard properties
 * ({@code s3.endpoint}, {@code s3.path-style-access}, {@code client.region}, {@code s3.access-key-id},
 * {@code s3.secret-access-key}, {@code s3.session-token}) and local ones with {@link LocalFileIO}. Where each
 * property comes from, the first that has it winning (the last is all or nothing):
 * <ol>
 *   <li>the table's {@code storage-credentials} in LoadTable, for locations under their prefix;</li>
 *   <li>the table's {@code config} in LoadTable (vended credentials);</li>
 *   <li>the catalog's {@code overrides} ({@code GET /v1/config});</li>
 *   <li>{@link Rest#properties()} ({@code --iceberg-property});</li>
 *   <li>the catalog's {@code defaults} ({@code GET /v1/config});</li>
 *   <li>{@link Rest#store()}, the server's own S3 settings ({@code --s3-endpoint}, {@code --s3-path-style},
 *   {@code --s3-region}, the key pair), so that a catalog that vends nothing reaches the server's store. They are
 *   passed under their own prefix ({@link MillraceFileIO#SERVER_DEFAULT_PREFIX}): as standard keys they would be
 *   client properties, which Iceberg lets beat the catalog's defaults. They are used whole, only when nobody above
 *   names a store or credentials ({@link MillraceFileIO#STORE_KEYS}, storage credentials): a catalog's vended keys
 *   never go to the server's endpoint, nor the server's keys to the catalog's.</li>
 * </ol>
 * The channel's Kinesis {@code Namespace} and {@code TableName} are the Iceberg namespace (one level) and table name.
 *
 * <p>Embedded files are the owner's only, like the rest of the data directory: directories {@code 0700}, the SQLite
 * file {@code 0600} (its journal takes its mode), data and metadata files through {@link LocalFileIO}.
 *
 * <p>JdbcCatalog on SQLite: schema version V1 (V0 lacks the {@code iceberg_type} column), the file's directory
 * created first, a busy timeout so that two catalogs sharing the file wait for each other instead of failing with
 * SQLITE_BUSY. SQLite's default journal syncs each commit, so a commit survives a kill -9. Warehouse paths are
 * stored absolute in the metadata: the data directory cannot be moved while tables exist.
 *
 * <p>Thread-safe: catalogs are opened under a lock, and Iceberg's catalogs are themselves thread-safe.
 */
public final class IcebergCatalogs implements Closeable {

    /** The catalog property whose value RESTCatalog sends as the REST spec's access delegation request header. */
    static final String ACCESS_DELEGATION_PROPERTY = "header.X-Iceberg-Access-Delegation";

    private static final Logger LOG = LoggerFactory.getLogger(IcebergCatalogs.class);
    /** Milliseconds SQLite waits on a locked database file before it fails a statement. */
    private static final int SQLITE_BUSY_TIMEOUT_MS = 10_000;

    private final Settings settings;
    private final Map<String, Catalog> catalogs = new LinkedHashMap<>();
    /** Whether a catalog's overriding io-impl was logged. Guarded by this. */
    private boolean ioImplWarned;

    /** Where tables live: the embedded catalog or a REST catalog. */
    public sealed interface Settings permits Embedded, Rest {
    }

    /**
     * The embedded JDBC catalog.
     *
     * @param catalogFile  the SQLite database file (its directory is created)
     * @param warehouseDir where tables' data and metadata go, one subdirectory per table bucket
     */
    public record Embedded(Path catalogFile, Path warehouseDir, Optional<S3Warehouse> s3Warehouse)
            implements Settings {
        public Embedded {
            Objects.requireNonNull(catalogFile, "catalogFile");
            Objects.requireNonNull(warehouseDir, "warehouseDir");
            Objects.requireNonNull(s3Warehouse, "s3Warehouse");
        }

        /** Tables' files under {@code warehouseDir}, on this node's disk. */
        public Embedded(Path catalogFile, Path warehouseDir) {
            this(catalogFile, warehouseDir, Optional.empty());
        }
    }

    /**
     * The embedded catalog's warehouse on an S3 store instead of the data directory: the catalog (the SQLite file)
     * stays on this node, tables' data and metadata files go to {@code s3://BUCKET/PREFIX/ACCOUNT/REGION/NAME/...}
     * through Iceberg's {@link S3FileIO}, with a client built from the same settings as channels' objects.
     *
     * @param location {@code s3://BUCKET} or {@code s3://BUCKET/PREFIX}, without a trailing slash
     * @param store    the S3 endpoint, addressing, region and credentials
     */
    public record S3Warehouse(String location, S3Settings store) {
        public S3Warehouse {
            Objects.requireNonNull(location, "location");
            Objects.requireNonNull(store, "store");
            if (!location.startsWith("s3://") || location.length() == "s3://".length() || location.endsWith("/")) {
                throw new IllegalArgumentException("an S3 warehouse is s3://BUCKET or s3://BUCKET/PREFIX, not "
                        + location);
            }
        }
    }

    /**
     * An Iceberg REST catalog.
     *
     * @param uri        the catalog's base URI
     * @param warehouse  the {@code warehouse} to ask for; empty = the table bucket ARN
     * @param properties further catalog properties (credential, token, io-impl, ...)
     * @param store      the server's S3 store, used for a table's files only if neither the catalog, the table nor
     *                   {@code properties} name a store or credentials; empty = none
     */
    public record Rest(String uri, Optional<String> warehouse, Map<String, String> properties,
                       Optional<S3Settings> store) implements Settings {
        public Rest {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(warehouse, "warehouse");
            properties = Map.copyOf(properties);
            Objects.requireNonNull(store, "store");
        }

        /** The properties' keys only: their values may be a credential or token. */
        @Override
        public String toString() {
            return "Rest[uri=" + uri + ", warehouse=" + warehouse + ", properties=" + new TreeSet<>(properties.keySet())
                    + ", store=" + store + "]";
        }

        /** Without the server's S3 store: table files are reached with what the catalog and properties say. */
        public Rest(String uri, Optional<String> warehouse, Map<String, String> properties) {
            this(uri, warehouse, properties, Optional.empty());
        }
    }

    public IcebergCatalogs(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** Whether the catalogs are the embedded one's (single-node, and nobody maintains its tables but us). */
    public boolean embedded() {
        return settings instanceof Embedded;
    }

    /** The catalog of {@code bucket}, opened on first use. */
    public synchronized Catalog catalog(TableBucketArn bucket) throws IOException {
        Catalog catalog = catalogs.get(bucket.arn());
        if (catalog == null) {
            try {
                catalog = settings instanceof Embedded embedded ? openEmbedded(embedded, bucket)
                        : openRest((Rest) settings, bucket);
                warnOfAnotherIoImpl(catalog);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (RuntimeException e) {
                throw new IOException("cannot open the Iceberg catalog of " + bucket.arn() + ": " + e.getMessage(), e);
            } catch (LinkageError e) {
                throw missingClass("cannot open the Iceberg catalog of " + bucket.arn(), e);
            }
            catalogs.put(bucket.arn(), catalog);
        }
        return catalog;
    }

    /**
     * Once: a REST catalog whose {@code overrides} name another {@code io-impl} than the properties (ours or the
     * user's) replaces MillraceFileIO; its FileIO may need classes or credentials the server does not have, and the
     * failures that follow name that class, not the catalog's config. Under the lock.
     */
    private void warnOfAnotherIoImpl(Catalog catalog) {
        if (ioImplWarned || !(settings instanceof Rest rest) || !(catalog instanceof RESTCatalog restCatalog)) {
            return;
        }
        String expected = rest.properties().getOrDefault(CatalogProperties.FILE_IO_IMPL,
                MillraceFileIO.class.getName());
        String used = restCatalog.properties().get(CatalogProperties.FILE_IO_IMPL);
        if (used != null && !used.equals(expected)) {
            ioImplWarned = true;
            LOG.warn("the Iceberg REST catalog at {} overrides io-impl with {}: tables are read and written with it, "
                    + "not {}", rest.uri(), used, expected);
        }
    }

    /**
     * A FileIO or client factory a catalog's properties name reaching for a class the server does not bundle
     * (Iceberg's S3FileIO building its own clients wants the SDK's KMS, STS and Apache HTTP modules): an IOException,
     * so the delivery fails and is retried with the reason like any other, instead of an Error no layer above
     * handles.
     *
     * @param subject what failed, e.g. {@code "Iceberg table NS.TABLE of ARN"}
     */
    static IOException missingClass(String subject, LinkageError e) {
        return new IOException(subject + ": a class Iceberg needs is missing (" + e + "); the catalog's io-impl or "
                + "client properties need a library Millrace does not bundle", e);
    }

    /** The table a channel's {@code Namespace} and {@code TableName} name. */
    public static TableIdentifier tableId(String namespace, String tableName) {
        return TableIdentifier.of(Namespace.of(namespace), tableName);
    }

    private static Catalog openEmbedded(Embedded embedded, TableBucketArn bucket) throws IOException {
        Path file = embedded.catalogFile().toAbsolutePath();
        // The data directory's rule: the owner's only. SQLite gives its journal the database file's mode.
        FileModes.createPrivateDirectories(file.getParent());
        try {
            Files.createFile(file, FileModes.privateFileAttributes(file)); // an empty file is an empty database
        } catch (FileAlreadyExistsException e) {
            // opened before
        }
        // Bucket names are unique per account and region only: two accounts' "lake" buckets are two catalogs.
        String catalogName = bucket.accountId() + "/" + bucket.region() + "/" + bucket.name();
        Map<String, String> properties = new HashMap<>();
        properties.put(CatalogProperties.URI, "jdbc:sqlite:" + file);
        properties.put("jdbc.schema-version", "V1");
        properties.put("jdbc.busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MS));
        JdbcCatalog catalog;
        if (embedded.s3Warehouse().isPresent()) {
            S3Warehouse s3 = embedded.s3Warehouse().get();
            properties.put(CatalogProperties.WAREHOUSE_LOCATION, s3.location() + "/" + catalogName);
            // Our client, not one S3FileIO would build from s3.* properties: one place turns the server's S3
            // settings into a client (checksums and addressing an S3-compatible store accepts), and the build
            // carries no HTTP client but the SDK's url-connection one. The catalog closes the FileIO, which closes
            // the client.
            S3Settings store = s3.store();
            catalog = new JdbcCatalog(catalogProperties -> {
                S3FileIO io = MillraceFileIO.s3FileIO(store);
                io.initialize(catalogProperties);
                return io;
            }, null, true);
        } else {
            Path warehouse = embedded.warehouseDir().toAbsolutePath().resolve(catalogName);
            FileModes.createPrivateDirectories(warehouse);
            properties.put(CatalogProperties.WAREHOUSE_LOCATION, warehouse.toString());
            properties.put(CatalogProperties.FILE_IO_IMPL, LocalFileIO.class.getName());
            catalog = new JdbcCatalog();
        }
        catalog.initialize(catalogName, properties);
        return catalog;
    }

    private static Catalog openRest(Rest rest, TableBucketArn bucket) {
        // RESTSessionCatalog lays the catalog's and the table's config over these (the class Javadoc has the
        // order); the server's S3 settings are prefixed, beneath even the catalog's defaults.
        Map<String, String> properties = new HashMap<>();
        properties.put(CatalogProperties.FILE_IO_IMPL, MillraceFileIO.class.getName());
        rest.store().ifPresent(store -> properties.putAll(MillraceFileIO.s3Properties(store)));
        // Polaris, Lakekeeper and S3 Tables vend credentials only to requests that ask for them (RESTCatalog sends
        // header.* properties as headers). Header names are case-insensitive: a user's spelling replaces ours.
        if (rest.properties().keySet().stream().noneMatch(ACCESS_DELEGATION_PROPERTY::equalsIgnoreCase)) {
            properties.put(ACCESS_DELEGATION_PROPERTY, "vended-credentials");
        }
        properties.putAll(rest.properties());
        properties.put(CatalogProperties.URI, rest.uri());
        properties.put(CatalogProperties.WAREHOUSE_LOCATION, rest.warehouse().orElse(bucket.arn()));
        if ((properties.containsKey("token") || properties.containsKey("credential"))
                && !properties.containsKey("rest.auth.type")) {
            properties.put("rest.auth.type", "oauth2"); // what Iceberg infers anyway, without its warning
        }
        RESTCatalog catalog = new RESTCatalog();
        catalog.initialize(bucket.name(), properties);
        return catalog;
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (Catalog catalog : catalogs.values()) {
            if (catalog instanceof Closeable closeable) {
                try {
                    closeable.close();
                } catch (IOException e) {
                    if (first == null) {
                        first = e;
                    }
                }
            }
        }
        catalogs.clear();
        if (first != null) {
            throw first;
        }
    }
}
