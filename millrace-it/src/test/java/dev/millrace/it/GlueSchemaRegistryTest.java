package dev.millrace.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryPolicy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.glue.GlueClient;
import software.amazon.awssdk.services.glue.model.AccessDeniedException;
import software.amazon.awssdk.services.glue.model.AlreadyExistsException;
import software.amazon.awssdk.services.glue.model.CreateSchemaResponse;
import software.amazon.awssdk.services.glue.model.DataFormat;
import software.amazon.awssdk.services.glue.model.EntityNotFoundException;
import software.amazon.awssdk.services.glue.model.GetSchemaVersionResponse;
import software.amazon.awssdk.services.glue.model.InvalidInputException;
import software.amazon.awssdk.services.glue.model.SchemaListItem;
import software.amazon.awssdk.services.glue.model.SchemaVersionListItem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Glue Schema Registry subset as real clients use it against a server run as a child process with
 * {@code --auth sigv4}: the AWS SDK for Java v2's GlueClient and the AWS CLI (signing service {@code glue}) create
 * registries, schemas and versions; bad input gets Glue's errors; an identity allowed only glue:Get* and glue:List*
 * is refused CreateSchema; and everything is still there after the server restarts on its data directory.
 *
 * <p>Not thread-safe; JUnit runs the tests of a class one at a time, in their order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GlueSchemaRegistryTest {
    private static final String ACCOUNT = "111122223333";
    private static final String SCHEMA = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\","
            + "\"type\":\"object\",\"properties\":{\"ts\":{\"type\":\"string\",\"format\":\"date-time\"},"
            + "\"device\":{\"type\":\"string\"}},\"required\":[\"ts\"]}";
    private static final String SCHEMA_V2 = SCHEMA.replace("\"required\"",
            "\"additionalProperties\":false,\"required\"");

    private Path work;
    private MillraceProcess server;
    private GlueClient admin;

    @BeforeAll
    void startServer() throws IOException {
        work = Files.createTempDirectory("millrace-it-glue-");
        Path identities = work.resolve("identities.json");
        Files.writeString(identities, "{\"identities\": [\n"
                + SecurityTest.identity("admin", ACCOUNT, "AKIAGLUEADMIN000001",
                "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}") + ",\n"
                + SecurityTest.identity("reader", ACCOUNT, "AKIAGLUEREADER00001",
                "{\"Effect\":\"Allow\",\"Action\":[\"glue:Get*\",\"glue:List*\"],\"Resource\":"
                        + "\"arn:aws:glue:eu-west-1:" + ACCOUNT + ":*\"}") + "\n]}");
        start();
        admin = glue("admin", "AKIAGLUEADMIN000001");
    }

    private void start() {
        server = MillraceProcess.start(work.resolve("data"), "--auth", "sigv4", "--identities",
                work.resolve("identities.json").toString());
        server.awaitReady();
    }

    @AfterAll
    void stopServer() throws IOException {
        admin.close();
        server.close();
        KinesisApiContract.deleteTree(work);
    }

    private GlueClient glue(String name, String keyId) {
        return GlueClient.builder().endpointOverride(server.endpoint()).region(Region.EU_WEST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(keyId,
                        name + "-secret")))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none()))
                .httpClient(UrlConnectionHttpClient.builder().build()).build();
    }

    @Test
    @Order(1)
    void sdkCreatesRegistriesSchemasAndVersions() {
        String registryArn = admin.createRegistry(b -> b.registryName("telemetry").description("devices"))
                .registryArn();
        assertThat(registryArn).isEqualTo("arn:aws:glue:eu-west-1:" + ACCOUNT + ":registry/telemetry");

        CreateSchemaResponse created = admin.createSchema(b -> b.registryId(r -> r.registryName("telemetry"))
                .schemaName("reading").dataFormat(DataFormat.JSON).compatibility("NONE").schemaDefinition(SCHEMA));
        String schemaArn = "arn:aws:glue:eu-west-1:" + ACCOUNT + ":schema/telemetry/reading";
        assertThat(created.schemaArn()).isEqualTo(schemaArn);
        assertThat(created.latestSchemaVersion()).isEqualTo(1L);
        assertThat(created.schemaVersionId()).matches("[a-f0-9-]{36}");

        var v2 = admin.registerSchemaVersion(b -> b.schemaId(s -> s.schemaArn(schemaArn))
                .schemaDefinition(SCHEMA_V2));
        assertThat(v2.versionNumber()).isEqualTo(2L);
        assertThat(v2.statusAsString()).isEqualTo("AVAILABLE");
        // The same definition again is the version it already is.
        assertThat(admin.registerSchemaVersion(b -> b.schemaId(s -> s.schemaArn(schemaArn))
                .schemaDefinition(SCHEMA)).schemaVersionId()).isEqualTo(created.schemaVersionId());

        var schema = admin.getSchema(b -> b.schemaId(s -> s.schemaName("reading").registryName("telemetry")));
        assertThat(schema.latestSchemaVersion()).isEqualTo(2L);
        assertThat(schema.nextSchemaVersion()).isEqualTo(3L);
        assertThat(schema.dataFormat()).isEqualTo(DataFormat.JSON);
        assertThat(schema.createdTime()).endsWith("Z");

        GetSchemaVersionResponse latest = admin.getSchemaVersion(b -> b.schemaId(s -> s.schemaArn(schemaArn))
                .schemaVersionNumber(n -> n.latestVersion(true)));
        assertThat(latest.schemaDefinition()).isEqualTo(SCHEMA_V2);
        assertThat(latest.versionNumber()).isEqualTo(2L);
        assertThat(admin.getSchemaVersion(b -> b.schemaVersionId(created.schemaVersionId())).schemaDefinition())
                .isEqualTo(SCHEMA);

        admin.createSchema(b -> b.schemaName("in-default").dataFormat(DataFormat.JSON).schemaDefinition(SCHEMA));
        List<String> all = new ArrayList<>();
        admin.listSchemasPaginator(b -> b.maxResults(1)).schemas().forEach(s -> all.add(s.schemaArn()));
        assertThat(all).containsExactly("arn:aws:glue:eu-west-1:" + ACCOUNT + ":schema/default-registry/in-default",
                schemaArn);
        assertThat(admin.listSchemas(b -> b.registryId(r -> r.registryName("telemetry"))).schemas())
                .extracting(SchemaListItem::schemaName).containsExactly("reading");
        assertThat(admin.listSchemaVersions(b -> b.schemaId(s -> s.schemaArn(schemaArn))).schemas())
                .extracting(SchemaVersionListItem::versionNumber).containsExactly(1L, 2L);
    }

    @Test
    @Order(2)
    void badInputGetsGluesErrors() {
        assertThatThrownBy(() -> admin.createRegistry(b -> b.registryName("telemetry")))
                .isInstanceOf(AlreadyExistsException.class);
        assertThatThrownBy(() -> admin.getSchema(b -> b.schemaId(s -> s.schemaName("nope")
                .registryName("telemetry")))).isInstanceOf(EntityNotFoundException.class);
        assertThatThrownBy(() -> admin.createSchema(b -> b.registryId(r -> r.registryName("telemetry"))
                .schemaName("avro").dataFormat(DataFormat.AVRO).schemaDefinition("{\"type\":\"record\"}")))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("JSON Schemas only");
        assertThatThrownBy(() -> admin.createSchema(b -> b.registryId(r -> r.registryName("telemetry"))
                .schemaName("broken").dataFormat(DataFormat.JSON).schemaDefinition("{\"type\":")))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("Schema definition of JSON data format is invalid");
        assertThatThrownBy(() -> admin.createRegistry(b -> b.registryName("no spaces")))
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> admin.getSchemaVersion(b -> b.schemaVersionId(
                "00000000-0000-0000-0000-000000000000"))).isInstanceOf(EntityNotFoundException.class);
    }

    @Test
    @Order(3)
    void policiesApplyToGlueActions() {
        try (GlueClient reader = glue("reader", "AKIAGLUEREADER00001")) {
            assertThat(reader.getSchema(b -> b.schemaId(s -> s.schemaName("reading").registryName("telemetry")))
                    .latestSchemaVersion()).isEqualTo(2L);
            assertThatThrownBy(() -> reader.createSchema(b -> b.registryId(r -> r.registryName("telemetry"))
                    .schemaName("sneaky").dataFormat(DataFormat.JSON).schemaDefinition(SCHEMA)))
                    .isInstanceOf(AccessDeniedException.class).hasMessageContaining("glue:CreateSchema");
        }
        // Registries are kept per account and region: a name that is no region names none.
        try (GlueClient nowhere = GlueClient.builder().endpointOverride(server.endpoint())
                .region(Region.of("nowhere")).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("AKIAGLUEADMIN000001", "admin-secret")))
                .overrideConfiguration(o -> o.retryPolicy(RetryPolicy.none()))
                .httpClient(UrlConnectionHttpClient.builder().build()).build()) {
            assertThatThrownBy(() -> nowhere.listSchemas(b -> { }))
                    .isInstanceOfSatisfying(software.amazon.awssdk.services.glue.model.GlueException.class,
                            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSignatureException"));
        }
        try (GlueClient stranger = glue("stranger", "AKIAGLUESTRANGER001")) {
            assertThatThrownBy(() -> stranger.listSchemas(b -> { }))
                    .isInstanceOfSatisfying(software.amazon.awssdk.services.glue.model.GlueException.class,
                            e -> assertThat(e.statusCode()).isBetween(400, 403));
        }
    }

    @Test
    @Order(4)
    void awsCliCreatesAndReadsSchemas() throws Exception {
        Path home = Files.createDirectories(work.resolve("cli-home"));
        ok(home, "glue", "create-registry", "--registry-name", "cli");
        String created = ok(home, "glue", "create-schema", "--registry-id", "RegistryName=cli", "--schema-name",
                "events", "--data-format", "JSON", "--schema-definition", SCHEMA);
        assertThat(created).contains("\"SchemaArn\": \"arn:aws:glue:eu-west-1:" + ACCOUNT + ":schema/cli/events\"");
        String registered = ok(home, "glue", "register-schema-version", "--schema-id",
                "SchemaName=events,RegistryName=cli", "--schema-definition", SCHEMA_V2);
        assertThat(registered).contains("\"VersionNumber\": 2");
        String got = ok(home, "glue", "get-schema-version", "--schema-id", "SchemaName=events,RegistryName=cli",
                "--schema-version-number", "LatestVersion=true");
        assertThat(got).contains("\"VersionNumber\": 2").contains("additionalProperties");
        assertThat(ok(home, "glue", "list-schemas", "--registry-id", "RegistryName=cli")).contains("\"events\"");
        ExternalCommand.Result missing = cli(home, "glue", "get-schema", "--schema-id",
                "SchemaName=none,RegistryName=cli");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.stderr()).contains("EntityNotFoundException");
    }

    @Test
    @Order(5)
    void schemasSurviveARestart() {
        String before = admin.getSchemaVersion(b -> b.schemaId(s -> s.schemaName("reading")
                .registryName("telemetry")).schemaVersionNumber(n -> n.versionNumber(2L))).schemaVersionId();
        admin.close();
        server.close();
        start();
        admin = glue("admin", "AKIAGLUEADMIN000001");
        GetSchemaVersionResponse after = admin.getSchemaVersion(b -> b.schemaVersionId(before));
        assertThat(after.versionNumber()).isEqualTo(2L);
        assertThat(after.schemaDefinition()).isEqualTo(SCHEMA_V2);
        // Numbering goes on where it stopped.
        assertThat(admin.registerSchemaVersion(b -> b.schemaId(s -> s.schemaName("reading")
                .registryName("telemetry")).schemaDefinition("{\"type\":\"object\"}")).versionNumber())
                .isEqualTo(3L);
    }

    private String ok(Path home, String... args) throws Exception {
        ExternalCommand.Result r = cli(home, args);
        assertThat(r.exitCode()).as("aws %s: %s", String.join(" ", args), r.stderr()).isZero();
        return r.stdout();
    }

    /** Debian's AWS CLI (v2) with a HOME of the test's own, signing as the admin identity for eu-west-1. */
    private ExternalCommand.Result cli(Path home, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/aws", "--endpoint-url",
                server.endpoint().toString(), "--output", "json"));
        command.addAll(List.of(args));
        return ExternalCommand.run(command, home, Map.of("HOME", home.toString(), "AWS_ACCESS_KEY_ID",
                "AKIAGLUEADMIN000001", "AWS_SECRET_ACCESS_KEY", "admin-secret", "AWS_DEFAULT_REGION", "eu-west-1",
                "AWS_PAGER", "", "AWS_CONFIG_FILE", home.resolve("config").toString(),
                "AWS_SHARED_CREDENTIALS_FILE", home.resolve("credentials").toString()), 120);
    }
}
