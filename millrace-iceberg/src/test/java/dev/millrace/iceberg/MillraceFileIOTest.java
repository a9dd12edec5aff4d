package dev.millrace.iceberg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.millrace.channels.s3.S3ProxyServer;
import dev.millrace.channels.s3.S3Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.iceberg.aws.s3.VendedCredentialsProvider;
import org.apache.iceberg.io.BulkDeletionFailureException;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.StorageCredential;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** Locations by scheme: S3 ones on s3proxy with the properties' client, local ones through LocalFileIO. */
class MillraceFileIOTest {

    private static final String BUCKET = "files";

    @TempDir
    Path dir;
    private S3ProxyServer s3;
    private S3Client plain;
    private MillraceFileIO io;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3ProxyServer();
        plain = s3.client();
        plain.createBucket(b -> b.bucket(BUCKET));
        io = new MillraceFileIO();
    }

    @AfterEach
    void stop() {
        io.close();
        plain.close();
        s3.close();
    }

    private Map<String, String> storeProperties(String secret) {
        Map<String, String> properties = new HashMap<>();
        properties.put("s3.endpoint", s3.endpoint.toString());
        properties.put("s3.path-style-access", "true");
        properties.put("client.region", "us-east-1");
        properties.put("s3.access-key-id", S3ProxyServer.ACCESS_KEY);
        properties.put("s3.secret-access-key", secret);
        return properties;
    }

    private void write(String location, String text) throws IOException {
        try (OutputStream out = io.newOutputFile(location).create()) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private String read(String location) throws IOException {
        try (InputStream in = io.newInputFile(location).newStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void s3LocationsOfEverySchemeAreObjectsAndPathsAreLocalFiles() throws IOException {
        io.initialize(storeProperties(S3ProxyServer.SECRET_KEY));
        write("s3://files/t/a.parquet", "a");
        write("s3a://files/t/b.parquet", "b");
        write("s3n://files/u/c.parquet", "c");
        write(dir.resolve("d.parquet").toString(), "d");
        write(dir.toUri() + "e.parquet", "e");

        assertThat(S3ProxyServer.get(plain, BUCKET, "t/a.parquet")).asString().isEqualTo("a");
        assertThat(read("s3://files/t/b.parquet")).isEqualTo("b");
        assertThat(io.newInputFile("s3://files/u/c.parquet", 1).getLength()).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("d.parquet"))).isEqualTo("d");
        assertThat(read("file:" + dir.resolve("e.parquet"))).isEqualTo("e");

        TreeSet<String> listed = new TreeSet<>();
        for (FileInfo file : io.listPrefix("s3://files/t/")) {
            listed.add(file.location() + " " + file.size());
        }
        assertThat(listed).containsExactly("s3://files/t/a.parquet 1", "s3://files/t/b.parquet 1");

        io.deleteFile("s3://files/t/a.parquet");
        assertThat(io.newInputFile("s3://files/t/a.parquet").exists()).isFalse();
        // Bulk deletes of S3 locations go to S3FileIO's batches, whose DeleteObjects carries a checksum header
        // s3proxy refuses; local ones are deleted one by one.
        Path notAFile = Files.createDirectories(dir.resolve("full"));
        Files.writeString(notAFile.resolve("f"), "f");
        assertThatThrownBy(() -> io.deleteFiles(List.of(dir.resolve("d.parquet").toString(), notAFile.toString(),
                "file:" + dir.resolve("e.parquet"))))
                .isInstanceOfSatisfying(BulkDeletionFailureException.class,
                        e -> assertThat(e.numberFailedObjects()).as("a non-empty directory").isEqualTo(1));
        assertThat(dir.resolve("d.parquet")).as("every location is tried").doesNotExist();
        assertThat(dir.resolve("e.parquet")).doesNotExist();
    }

    @Test
    void aLocationWithoutAFileIoFailsOnlyItselfInABulkDelete() throws IOException {
        io.initialize(Map.of());
        Path file = Files.writeString(dir.resolve("a.parquet"), "a");
        assertThatThrownBy(() -> io.deleteFiles(List.of("gs://files/t/a.parquet", file.toString())))
                .isInstanceOfSatisfying(BulkDeletionFailureException.class,
                        e -> assertThat(e.numberFailedObjects()).isEqualTo(1));
        assertThat(file).as("tried although the location before it has no FileIO").doesNotExist();
    }

    @Test
    void anUnknownSchemeIsNamed() {
        io.initialize(Map.of());
        assertThatThrownBy(() -> io.newOutputFile("gs://files/t/a.parquet"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no FileIO for gs")
                .hasMessageContaining("gs://files/t/a.parquet");
    }

    @Test
    void aStorageCredentialServesTheLocationsUnderItsPrefixTheLongestWinning() throws IOException {
        io.setCredentials(List.of(
                StorageCredential.create("s3://files/", storeProperties("wrong-for-the-bucket")),
                StorageCredential.create("s3://files/vended/", storeProperties(S3ProxyServer.SECRET_KEY))));
        io.initialize(storeProperties("wrong-everywhere"));
        write("s3://files/vended/a.parquet", "a");
        assertThat(S3ProxyServer.get(plain, BUCKET, "vended/a.parquet")).asString().isEqualTo("a");
        assertThatThrownBy(() -> write("s3://files/other/b.parquet", "b")).hasMessageContaining("403");
        assertThat(io.credentials()).hasSize(2);
    }

    @Test
    void theServersStoreIsUsedWholeWhenTheCatalogNamesNone() throws IOException {
        S3Settings server = new S3Settings(s3.endpoint, true, "us-east-1", S3ProxyServer.ACCESS_KEY,
                S3ProxyServer.SECRET_KEY);
        Map<String, String> properties = new HashMap<>(MillraceFileIO.s3Properties(server));
        assertThat(properties).containsEntry("millrace.default.s3.endpoint", s3.endpoint.toString())
                .doesNotContainKey("s3.endpoint");
        io.initialize(properties);
        write("s3://files/a.parquet", "a");
        assertThat(S3ProxyServer.get(plain, BUCKET, "a.parquet")).asString().isEqualTo("a");
    }

    @Test
    void aCatalogNamingAStoreOrCredentialsGetsNoneOfTheServersSettings() {
        S3Settings server = new S3Settings(URI.create("http://127.0.0.1:9000"), true, "eu-west-1", "SERVER-KEY",
                "server-secret");
        Map<String, String> vendedKeys = new HashMap<>(MillraceFileIO.s3Properties(server));
        vendedKeys.putAll(Map.of("s3.access-key-id", "VENDED", "s3.secret-access-key", "vended-secret",
                "s3.session-token", "vended-token"));
        assertThat(clientSettings(vendedKeys, false)).as("vended keys do not go to the server's endpoint")
                .isEqualTo(new S3Settings(null, false, MillraceFileIO.DEFAULT_REGION, "VENDED", "vended-secret",
                        "vended-token"));

        Map<String, String> endpointOnly = new HashMap<>(MillraceFileIO.s3Properties(server));
        endpointOnly.put("s3.endpoint", "http://catalog.example:9000");
        assertThat(clientSettings(endpointOnly, false)).as("the server's keys do not go to the catalog's endpoint")
                .isEqualTo(new S3Settings(URI.create("http://catalog.example:9000"), false,
                        MillraceFileIO.DEFAULT_REGION, null, null));

        Map<String, String> refreshed = new HashMap<>(MillraceFileIO.s3Properties(server));
        refreshed.put("client.refresh-credentials-endpoint", "v1/credentials");
        assertThat(clientSettings(refreshed, false)).as("a refresh endpoint")
                .isEqualTo(new S3Settings(null, false, MillraceFileIO.DEFAULT_REGION, null, null));
        assertThat(clientSettings(MillraceFileIO.s3Properties(server), true)).as("storage credentials elsewhere")
                .isEqualTo(new S3Settings(null, false, MillraceFileIO.DEFAULT_REGION, null, null));
        Map<String, String> addressingOnly = new HashMap<>(MillraceFileIO.s3Properties(server));
        addressingOnly.putAll(Map.of("s3.path-style-access", "false", "client.region", "ap-south-1",
                "s3.access-key-id", " "));
        assertThat(clientSettings(addressingOnly, false)).as("nobody names a store (blank is nothing): the server's "
                + "whole, not split by the catalog's addressing").isEqualTo(server);

        Map<String, String> serversEndpoint = new HashMap<>(MillraceFileIO.s3Properties(server));
        serversEndpoint.putAll(Map.of("s3.endpoint", "http://127.0.0.1:9000/", "client.region", "ap-south-1"));
        assertThat(clientSettings(serversEndpoint, false)).as("the server's own endpoint named without keys: the "
                + "server's keys and path style, the catalog's region").isEqualTo(new S3Settings(
                URI.create("http://127.0.0.1:9000/"), true, "ap-south-1", "SERVER-KEY", "server-secret"));
        serversEndpoint.putAll(Map.of("s3.access-key-id", "CATALOG", "s3.secret-access-key", "catalog-secret"));
        assertThat(clientSettings(serversEndpoint, false)).as("with keys of its own: none of the server's")
                .isEqualTo(new S3Settings(URI.create("http://127.0.0.1:9000/"), false, "ap-south-1", "CATALOG",
                        "catalog-secret"));
    }

    private static S3Settings clientSettings(Map<String, String> properties, boolean storageCredentials) {
        return MillraceFileIO.s3Settings(MillraceFileIO.clientProperties(properties, storageCredentials, Map.of()));
    }

    @Test
    void propertiesBecomeTheStoresSettings() {
        S3Settings settings = MillraceFileIO.s3Settings(Map.of("s3.endpoint", "http://127.0.0.1:9000",
                "s3.path-style-access", "true", "client.region", "eu-west-1", "s3.access-key-id", "AKIA",
                "s3.secret-access-key", "secret-4711", "s3.session-token", "token-0815"));
        assertThat(settings).isEqualTo(new S3Settings(URI.create("http://127.0.0.1:9000"), true, "eu-west-1", "AKIA",
                "secret-4711", "token-0815"));
        assertThat(settings.toString()).doesNotContain("4711").doesNotContain("0815");
        assertThat(MillraceFileIO.s3Settings(Map.of())).as("AWS S3, the default chain")
                .isEqualTo(new S3Settings(null, false, MillraceFileIO.DEFAULT_REGION, null, null));
        assertThat(MillraceFileIO.s3Settings(Map.of("s3.access-key-id", " ", "s3.secret-access-key", "",
                "s3.session-token", " ", "client.region", " "))).as("blank is absent")
                .isEqualTo(new S3Settings(null, false, MillraceFileIO.DEFAULT_REGION, null, null));

        assertThatThrownBy(() -> MillraceFileIO.s3Settings(Map.of("s3.endpoint", "127.0.0.1:9000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> MillraceFileIO.s3Settings(Map.of("s3.access-key-id", "AKIA")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("go together");
        assertThatThrownBy(() -> MillraceFileIO.s3Settings(Map.of("s3.remote-signing-enabled", "true")))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("vend credentials");
    }

    @Test
    void aRefreshEndpointHasTheClientSignWithIcebergsVendedCredentialsProvider() {
        // Built, not called: the provider asks the endpoint only when it first needs credentials (RestCatalogOnS3Test
        // has it fetch them from a catalog).
        Map<String, String> properties = new HashMap<>(storeProperties(S3ProxyServer.SECRET_KEY));
        properties.put("uri", "http://127.0.0.1:9/");
        assertThat(MillraceFileIO.refreshingCredentials(properties)).as("no endpoint").isNull();
        properties.put("client.refresh-credentials-endpoint", "v1/credentials");
        try (VendedCredentialsProvider provider = MillraceFileIO.refreshingCredentials(properties)) {
            assertThat(provider).isNotNull();
        }
        properties.put("client.refresh-credentials-enabled", "false");
        assertThat(MillraceFileIO.refreshingCredentials(properties)).as("disabled").isNull();
    }
}
