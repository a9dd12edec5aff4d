package dev.millrace.iceberg;

import dev.millrace.channels.s3.S3Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.aws.AwsClientProperties;
import org.apache.iceberg.aws.s3.S3FileIO;
import org.apache.iceberg.aws.s3.S3FileIOProperties;
import org.apache.iceberg.aws.s3.VendedCredentialsProvider;
import org.apache.iceberg.io.BulkDeletionFailureException;
import org.apache.iceberg.io.DelegateFileIO;
import org.apache.iceberg.io.FileIO;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.InputFile;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.io.StorageCredential;
import org.apache.iceberg.io.SupportsPrefixOperations;
import org.apache.iceberg.io.SupportsStorageCredentials;
import org.apache.iceberg.rest.RESTUtil;
import org.apache.iceberg.util.SerializableSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The FileIO of REST catalogs' tables ({@code io-impl}, unless the catalog's properties name another): a table's
 * files are wherever its catalog puts them, nearly always {@code s3://} locations, sometimes a directory shared with the
 * catalog. Each location goes to the FileIO of its scheme:
 * <ul>
 *   <li>{@code s3://}, {@code s3a://}, {@code s3n://}: Iceberg's {@link S3FileIO}, with a client built the way the
 *   server's own S3 client is ({@link S3Settings#client()}) from Iceberg's standard properties: {@code s3.endpoint},
 *   {@code s3.path-style-access}, {@code client.region}, {@code s3.access-key-id}, {@code s3.secret-access-key},
 *   {@code s3.session-token}. Iceberg's default, ResolvingFileIO, would have S3FileIO build its clients with its own
 *   factories, which need the AWS SDK's KMS, STS and Apache HTTP modules, not bundled.</li>
 *   <li>a plain path or {@code file:}: {@link LocalFileIO}.</li>
 * </ul>
 * Any other scheme fails the call with the scheme named.
 *
 * <p>The properties are the ones {@link #initialize} is given: for the catalog's own FileIO, the catalog's (the REST
 * server's defaults, then the client's, then the REST server's overrides); for a table's, Iceberg's RESTSessionCatalog
 * merges the table's {@code config} from LoadTable (vended credentials) over the catalog's first, so a table's config
 * wins. A table's {@code storage-credentials} ({@link #setCredentials}) win over both for locations under their
 * prefix (the longest prefix that matches). The Millrace server's own S3 store ({@link #s3Properties}, under
 * {@link #SERVER_DEFAULT_PREFIX}) is used as a whole (endpoint, addressing, region, keys) when none of those names a
 * store ({@link #STORE_KEYS}, storage credentials), and not at all otherwise ({@link #clientProperties}): a catalog
 * vending keys without an endpoint means AWS S3, not the server's endpoint, and one naming another endpoint without
 * keys gets the SDK's default chain, not the server's keys. One naming the server's own endpoint without keys (a MinIO
 * both use) gets the server's keys, and its addressing and region where the catalog says none.
 *
 * <p>Vended credentials are temporary. When the properties name a refresh endpoint
 * ({@code client.refresh-credentials-endpoint}, unless {@code client.refresh-credentials-enabled} is {@code false}),
 * the client signs with Iceberg's {@link VendedCredentialsProvider}, which starts from the vended keys and fetches new
 * ones from that endpoint (relative to the catalog's {@code uri}) before they expire: Iceberg keeps a table's FileIO
 * for the table's life, so fixed keys would stop working after about an hour. Without an endpoint the keys are fixed;
 * the batch writer then loads the table again, with new credentials, before {@code s3.session-token-expires-at-ms}.
 *
 * <p>Clients are created on first use of a scheme (a catalog whose tables are all local never builds one) and closed
 * with this FileIO. Remote signing ({@code s3.remote-signing-enabled}) is not supported: such a catalog must vend
 * credentials.
 *
 * <p>Thread-safe: delegates are created under this object's lock; S3FileIO and LocalFileIO are thread-safe. Iceberg
 * creates it by class name, hence the public no-arg constructor. Not for serialization (Iceberg serializes FileIOs for
 * Spark and Flink tasks, which Millrace does not run): the S3 clients' settings are not serializable.
 */
public final class MillraceFileIO implements DelegateFileIO, SupportsStorageCredentials {

    /**
     * The region requests are signed for when neither the catalog nor the table says ({@code client.region}):
     * S3-compatible stores accept any, and AWS S3 names the bucket's region in its error.
     */
    static final String DEFAULT_REGION = "us-east-1";

    /**
     * The prefix under which {@link #s3Properties} carries the server's S3 settings: Iceberg lays the catalog's
     * defaults beneath client properties, so the standard keys would beat what the catalog says; under their own
     * prefix they fill only what nobody else sets.
     */
    public static final String SERVER_DEFAULT_PREFIX = "millrace.default.";

    private static final Set<String> S3_SCHEMES = Set.of("s3", "s3a", "s3n");
    private static final Logger LOG = LoggerFactory.getLogger(MillraceFileIO.class);

    /** Properties naming a store or its credentials: from anyone but the server, the server's store is not used. */
    static final List<String> STORE_KEYS = List.of(S3FileIOProperties.ENDPOINT, S3FileIOProperties.ACCESS_KEY_ID,
            S3FileIOProperties.SECRET_ACCESS_KEY, S3FileIOProperties.SESSION_TOKEN,
            AwsClientProperties.REFRESH_CREDENTIALS_ENDPOINT);

    private final LocalFileIO local = new LocalFileIO();
    private volatile Map<String, String> properties = Map.of();
    private volatile List<StorageCredential> credentials = List.of();
    /** By credential prefix ("" = the properties alone). Guarded by this. */
    private final Map<String, S3FileIO> s3ByPrefix = new HashMap<>();
    /** Delegates of credentials since replaced: a stream may still be reading through them. Guarded by this. */
    private final List<S3FileIO> retired = new ArrayList<>();
    /** The refreshing credentials of delegates, current or retired, each holding an HTTP client. Guarded by this. */
    private final List<VendedCredentialsProvider> refreshing = new ArrayList<>();
    private boolean closed;

    public MillraceFileIO() {
    }

    /** Keeps {@code properties}; S3 clients already built are retired (Iceberg initializes once, before use). */
    @Override
    public synchronized void initialize(Map<String, String> properties) {
        this.properties = Map.copyOf(properties);
        retired.addAll(s3ByPrefix.values());
        s3ByPrefix.clear();
    }

    @Override
    public Map<String, String> properties() {
        return properties;
    }

    @Override
    public synchronized void setCredentials(List<StorageCredential> credentials) {
        this.credentials = List.copyOf(credentials);
        retired.addAll(s3ByPrefix.values());
        s3ByPrefix.clear();
    }

    @Override
    public List<StorageCredential> credentials() {
        return credentials;
    }

    @Override
    public InputFile newInputFile(String location) {
        return io(location).newInputFile(location);
    }

    @Override
    public InputFile newInputFile(String location, long length) {
        return io(location).newInputFile(location, length);
    }

    @Override
    public OutputFile newOutputFile(String location) {
        return io(location).newOutputFile(location);
    }

    @Override
    public void deleteFile(String location) {
        io(location).deleteFile(location);
    }

    @Override
    public Iterable<FileInfo> listPrefix(String prefix) {
        return prefixOperations(prefix).listPrefix(prefix);
    }

    @Override
    public void deletePrefix(String prefix) {
        prefixOperations(prefix).deletePrefix(prefix);
    }

    /**
     * Deletes through each location's FileIO: S3 locations in S3FileIO's batches (a request per batch), local ones
     * one by one. Every location is tried, also when another has no FileIO; the failures are logged and counted in
     * one exception at the end.
     */
    @Override
    public void deleteFiles(Iterable<String> locations) throws BulkDeletionFailureException {
        Map<FileIO, List<String>> byIo = new IdentityHashMap<>();
        int failed = 0;
        for (String location : locations) {
            FileIO io;
            try {
                io = io(location);
            } catch (RuntimeException e) {
                // One unknown scheme or unbuildable client must not keep the other locations from being deleted.
                LOG.warn("cannot delete {}: {}", location, e.toString());
                failed++;
                continue;
            }
            byIo.computeIfAbsent(io, unused -> new ArrayList<>()).add(location);
        }
        for (Map.Entry<FileIO, List<String>> group : byIo.entrySet()) {
            if (group.getKey() instanceof S3FileIO s3) {
                try {
                    s3.deleteFiles(group.getValue());
                } catch (BulkDeletionFailureException e) {
                    failed += e.numberFailedObjects();
                }
            } else {
                for (String location : group.getValue()) {
                    try {
                        group.getKey().deleteFile(location);
                    } catch (RuntimeException e) {
                        LOG.warn("cannot delete {}: {}", location, e.toString()); // as S3FileIO logs its failures
                        failed++;
                    }
                }
            }
        }
        if (failed > 0) {
            throw new BulkDeletionFailureException(failed);
        }
    }

    private SupportsPrefixOperations prefixOperations(String prefix) {
        FileIO io = io(prefix);
        // Both delegates support prefixes; the check keeps that true if one is ever added that does not.
        if (io instanceof SupportsPrefixOperations operations) {
            return operations;
        }
        throw new UnsupportedOperationException(io.getClass().getSimpleName() + " has no prefix operations: "
                + prefix);
    }

    private FileIO io(String location) {
        String scheme = scheme(location);
        if (scheme == null || "file".equals(scheme)) {
            return local;
        }
        if (S3_SCHEMES.contains(scheme)) {
            return s3(location);
        }
        throw new IllegalArgumentException("no FileIO for " + scheme + ": locations (" + location + ") of a REST "
                + "catalog's tables must be s3://, s3a://, s3n://, file: or a path");
    }

    /** The scheme, lower case, or null for a path (no colon before the first slash). */
    static String scheme(String location) {
        int colon = location.indexOf(':');
        int slash = location.indexOf('/');
        if (colon <= 0 || (slash >= 0 && slash < colon)) {
            return null;
        }
        return location.substring(0, colon).toLowerCase(Locale.ROOT);
    }

    private synchronized S3FileIO s3(String location) {
        if (closed) {
            throw new IllegalStateException("this FileIO is closed: " + location);
        }
        StorageCredential credential = null;
        for (StorageCredential candidate : credentials) {
            if (location.startsWith(candidate.prefix())
                    && (credential == null || candidate.prefix().length() > credential.prefix().length())) {
                credential = candidate;
            }
        }
        String key = credential == null ? "" : credential.prefix();
        S3FileIO io = s3ByPrefix.get(key);
        if (io == null) {
            Map<String, String> merged = clientProperties(properties, !credentials.isEmpty(),
                    credential == null ? Map.of() : credential.config());
            S3Settings store = s3Settings(merged);
            VendedCredentialsProvider provider = refreshingCredentials(merged);
            if (provider == null) {
                io = s3FileIO(store);
            } else {
                refreshing.add(provider);
                io = s3FileIO(() -> store.client(provider));
            }
            io.initialize(merged);
            s3ByPrefix.put(key, io);
        }
        return io;
    }

    /**
     * What a client is built from: {@code properties} without the server's ({@link #SERVER_DEFAULT_PREFIX}), then
     * {@code credentialConfig} (a storage credential's) over them. The server's store comes in as a whole, over
     * those, only if nobody else names a store: no {@link #STORE_KEYS} (blank counts as absent) and no storage
     * credentials. Mixing would send a catalog's vended keys and token to the server's endpoint, or the server's
     * long-term keys to the catalog's.
     */
    static Map<String, String> clientProperties(Map<String, String> properties, boolean storageCredentials,
                                                Map<String, String> credentialConfig) {
        Map<String, String> merged = new HashMap<>();
        Map<String, String> server = new HashMap<>();
        properties.forEach((name, value) -> {
            if (name.startsWith(SERVER_DEFAULT_PREFIX)) {
                server.put(name.substring(SERVER_DEFAULT_PREFIX.length()), value);
            } else {
                merged.put(name, value);
            }
        });
        merged.putAll(credentialConfig);
        boolean noCredentials = !storageCredentials && STORE_KEYS.stream()
                .filter(key -> !key.equals(S3FileIOProperties.ENDPOINT)).allMatch(key -> blank(merged.get(key)));
        String endpoint = merged.get(S3FileIOProperties.ENDPOINT);
        if (noCredentials && blank(endpoint)) {
            merged.putAll(server);
        } else if (noCredentials && sameEndpoint(endpoint, server.get(S3FileIOProperties.ENDPOINT))) {
            // The catalog names the server's own store (MinIO shared by both) and vends nothing: the server's keys
            // are for that store; its path style and region fill only what the catalog does not say.
            server.forEach(merged::putIfAbsent);
        }
        return merged;
    }

    private static boolean sameEndpoint(String a, String b) {
        return !blank(a) && !blank(b) && strip(a).equalsIgnoreCase(strip(b));
    }

    private static String strip(String endpoint) {
        String s = endpoint.strip();
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }

    private static String nonBlank(String value) {
        return blank(value) ? null : value;
    }

    /**
     * An S3FileIO whose client is {@code store}'s. Both suppliers given, S3FileIO never loads its client factories
     * (they reach for KMS, STS and Apache HTTP classes that are not bundled). The asynchronous client serves only the
     * analytics accelerator, which is off. Closing the FileIO closes the client.
     */
    static S3FileIO s3FileIO(S3Settings store) {
        return s3FileIO(store::client);
    }

    private static S3FileIO s3FileIO(SerializableSupplier<S3Client> client) {
        return new S3FileIO(client, () -> {
            throw new UnsupportedOperationException("no asynchronous S3 client: "
                    + "s3.analytics-accelerator.enabled is not supported");
        });
    }

    /**
     * Iceberg's provider of credentials refreshed from the catalog's endpoint, if {@code properties} name one and do
     * not disable it; null otherwise. It needs only iceberg-core's HTTP client (RESTCatalog's own) and the SDK's auth
     * classes, not the SDK's STS or Apache HTTP modules. Its first credentials are the vended ones in {@code properties} while they are fresh.
     */
    static VendedCredentialsProvider refreshingCredentials(Map<String, String> properties) {
        if (!refreshesCredentials(properties)) {
            return null;
        }
        String endpoint = properties.get(AwsClientProperties.REFRESH_CREDENTIALS_ENDPOINT);
        Map<String, String> withEndpoint = new HashMap<>(properties);
        withEndpoint.put(VendedCredentialsProvider.URI,
                RESTUtil.resolveEndpoint(properties.get(CatalogProperties.URI), endpoint.strip()));
        return VendedCredentialsProvider.create(withEndpoint);
    }

    /** Whether {@code properties} name a refresh endpoint for vended credentials and do not disable it. */
    static boolean refreshesCredentials(Map<String, String> properties) {
        String endpoint = properties.get(AwsClientProperties.REFRESH_CREDENTIALS_ENDPOINT);
        String enabled = properties.get(AwsClientProperties.REFRESH_CREDENTIALS_ENABLED);
        return !blank(endpoint) && (enabled == null || !"false".equalsIgnoreCase(enabled.strip()));
    }

    /** The S3 store Iceberg's standard properties describe; {@link IllegalArgumentException} for bad values. */
    static S3Settings s3Settings(Map<String, String> properties) {
        if (Boolean.parseBoolean(properties.get(S3FileIOProperties.REMOTE_SIGNING_ENABLED))) {
            throw new UnsupportedOperationException(S3FileIOProperties.REMOTE_SIGNING_ENABLED + "=true: remote "
                    + "signing of S3 requests is not supported; the catalog must vend credentials (s3.access-key-id, "
                    + "s3.secret-access-key, s3.session-token) or the server's --s3-* settings reach the bucket");
        }
        URI endpoint = null;
        String value = properties.get(S3FileIOProperties.ENDPOINT);
        if (value != null && !value.isBlank()) {
            String expected = S3FileIOProperties.ENDPOINT + " must be an http:// or https:// URL, not " + value;
            try {
                endpoint = new URI(value.strip());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException(expected + " (" + e.getReason() + ")", e);
            }
            if (!("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))
                    || endpoint.getHost() == null) {
                throw new IllegalArgumentException(expected);
            }
        }
        String region = properties.get(AwsClientProperties.CLIENT_REGION);
        // Blank credentials (an unset variable in a catalog's config) are no credentials, not an empty key.
        return new S3Settings(endpoint, Boolean.parseBoolean(properties.get(S3FileIOProperties.PATH_STYLE_ACCESS)),
                blank(region) ? DEFAULT_REGION : region.strip(),
                nonBlank(properties.get(S3FileIOProperties.ACCESS_KEY_ID)),
                nonBlank(properties.get(S3FileIOProperties.SECRET_ACCESS_KEY)),
                nonBlank(properties.get(S3FileIOProperties.SESSION_TOKEN)));
    }

    /**
     * {@code store} as the server's defaults: Iceberg's standard properties ({@link #s3Settings}' inverse) under
     * {@link #SERVER_DEFAULT_PREFIX}, beneath whatever the catalog, its tables and the catalog properties say.
     */
    static Map<String, String> s3Properties(S3Settings store) {
        Map<String, String> standard = new LinkedHashMap<>();
        standardProperties(store, standard);
        Map<String, String> prefixed = new LinkedHashMap<>();
        standard.forEach((name, value) -> prefixed.put(SERVER_DEFAULT_PREFIX + name, value));
        return prefixed;
    }

    private static void standardProperties(S3Settings store, Map<String, String> properties) {
        if (store.endpoint() != null) {
            properties.put(S3FileIOProperties.ENDPOINT, store.endpoint().toString());
        }
        properties.put(S3FileIOProperties.PATH_STYLE_ACCESS, Boolean.toString(store.pathStyle()));
        properties.put(AwsClientProperties.CLIENT_REGION, store.region());
        if (store.accessKeyId() != null) {
            properties.put(S3FileIOProperties.ACCESS_KEY_ID, store.accessKeyId());
            properties.put(S3FileIOProperties.SECRET_ACCESS_KEY, store.secretAccessKey());
        }
        if (store.sessionToken() != null) {
            properties.put(S3FileIOProperties.SESSION_TOKEN, store.sessionToken());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<AutoCloseable> all = new ArrayList<>(s3ByPrefix.values());
        all.addAll(retired);
        all.addAll(refreshing); // after the clients that sign with them
        s3ByPrefix.clear();
        retired.clear();
        refreshing.clear();
        RuntimeException first = null;
        for (AutoCloseable io : all) {
            try {
                io.close();
            } catch (Exception e) {
                // Neither S3FileIO nor the provider declares a checked exception.
                RuntimeException unchecked = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                if (first == null) {
                    first = unchecked;
                } else {
                    first.addSuppressed(unchecked);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
