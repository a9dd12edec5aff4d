package dev.millrace.glue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;
import dev.millrace.storage.ManualClock;
import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every operation of the subset on a real metadata store: happy paths, AWS's errors (AlreadyExists, EntityNotFound,
 * InvalidInput for names, definitions, formats and ids), DISABLED compatibility, a repeated definition, pagination,
 * limits, persistence across a reopened store, and the SchemaLookup channels use.
 */
class GlueApiTest {
    private static final String ACCOUNT = "123456789012";
    private static final String SCHEMA = "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
            + "\"properties\":{\"ts\":{\"type\":\"string\",\"format\":\"date-time\"},\"n\":{\"type\":\"integer\"}},"
            + "\"required\":[\"ts\"]}";
    private static final JsonFactory JSON = new JsonFactory();

    @TempDir
    Path dir;
    FileMetadataStore store;
    ManualClock clock = new ManualClock(1_765_000_000_000L);
    GlueApi api;

    @BeforeEach
    void open() {
        store = FileMetadataStore.open(dir);
        api = new GlueApi(store, clock, "eu-west-1", ACCOUNT);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private GlueApi.Result call(String op, String body) {
        return api.handle(GlueApi.TARGET_PREFIX + op, body.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> decode(byte[] body) {
        try (JsonParser p = JSON.createParser(body)) {
            p.nextToken();
            return (Map<String, Object>) JsonTree.read(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private Map<String, Object> ok(String op, String body) {
        GlueApi.Result r = call(op, body);
        assertThat(r.httpStatus()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return decode(r.body());
    }

    private String fails(String op, String body, String type) {
        GlueApi.Result r = call(op, body);
        assertThat(r.httpStatus()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(400);
        assertThat(r.errorType()).isEqualTo(type);
        Map<String, Object> error = decode(r.body());
        assertThat(error).containsEntry("__type", type).containsKey("Message");
        return (String) error.get("Message");
    }

    private static String quoted(String json) {
        return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Test
    void createsARegistryASchemaAndVersions() {
        Map<String, Object> reg = ok("CreateRegistry", "{'RegistryName':'orders','Description':'d','Tags':{'k':'v'}}");
        assertThat(reg).containsEntry("RegistryArn", "arn:aws:glue:eu-west-1:" + ACCOUNT + ":registry/orders")
                .containsEntry("RegistryName", "orders").containsEntry("Tags", Map.of("k", "v"));

        Map<String, Object> schema = ok("CreateSchema", "{'RegistryId':{'RegistryName':'orders'},"
                + "'SchemaName':'order','DataFormat':'JSON','SchemaDefinition':" + quoted(SCHEMA) + "}");
        String arn = "arn:aws:glue:eu-west-1:" + ACCOUNT + ":schema/orders/order";
        assertThat(schema).containsEntry("SchemaArn", arn).containsEntry("SchemaCheckpoint", 1L)
                .containsEntry("LatestSchemaVersion", 1L).containsEntry("NextSchemaVersion", 2L)
                .containsEntry("Compatibility", "BACKWARD").containsEntry("SchemaStatus", "AVAILABLE")
                .containsEntry("SchemaVersionStatus", "AVAILABLE");
        String v1 = (String) schema.get("SchemaVersionId");
        assertThat(v1).matches("[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}");

        String second = SCHEMA.replace("\"n\":{\"type\":\"integer\"}", "\"n\":{\"type\":\"number\"}");
        Map<String, Object> v2 = ok("RegisterSchemaVersion", "{'SchemaId':{'SchemaArn':'" + arn + "'},"
                + "'SchemaDefinition':" + quoted(second) + "}");
        assertThat(v2).containsEntry("VersionNumber", 2L).containsEntry("Status", "AVAILABLE");
        assertThat(v2.get("SchemaVersionId")).isNotEqualTo(v1);

        // The same definition again (spaced differently) is the version it already is, as on AWS.
        Map<String, Object> again = ok("RegisterSchemaVersion", "{'SchemaId':{'SchemaName':'order',"
                + "'RegistryName':'orders'},'SchemaDefinition':" + quoted(SCHEMA.replace(",", " ,  ")) + "}");
        assertThat(again).containsEntry("VersionNumber", 1L).containsEntry("SchemaVersionId", v1);

        Map<String, Object> got = ok("GetSchema", "{'SchemaId':{'SchemaArn':'" + arn + "'}}");
        assertThat(got).containsEntry("LatestSchemaVersion", 2L).containsEntry("NextSchemaVersion", 3L)
                .containsEntry("SchemaCheckpoint", 1L).containsEntry("CreatedTime", "2025-12-06T05:46:40Z");

        Map<String, Object> latest = ok("GetSchemaVersion", "{'SchemaId':{'SchemaArn':'" + arn + "'},"
                + "'SchemaVersionNumber':{'LatestVersion':true}}");
        assertThat(latest).containsEntry("SchemaDefinition", second).containsEntry("VersionNumber", 2L)
                .containsEntry("DataFormat", "JSON").containsEntry("SchemaArn", arn);
        Map<String, Object> byId = ok("GetSchemaVersion", "{'SchemaVersionId':'" + v1 + "'}");
        assertThat(byId).containsEntry("SchemaDefinition", SCHEMA).containsEntry("VersionNumber", 1L);

        assertThat(api.latest(arn)).get().satisfies(v -> {
            assertThat(v.versionNumber()).isEqualTo(2);
            assertThat(v.definition()).isEqualTo(second);
            assertThat(v.schemaArn()).isEqualTo(arn);
        });
        assertThat(api.byVersionId(v1)).get().extracting(SchemaLookup.SchemaVersion::definition).isEqualTo(SCHEMA);
        assertThat(api.latest(arn.replace("eu-west-1", "us-east-1"))).isEmpty();
        assertThat(api.latest("arn:aws:glue:eu-west-1:" + ACCOUNT + ":schema/orders/none")).isEmpty();
        assertThat(api.byVersionId("00000000-0000-0000-0000-000000000000")).isEmpty();
    }

    @Test
    void survivesAReopenedStore() {
        ok("CreateSchema", "{'SchemaName':'s','DataFormat':'JSON','SchemaDefinition':" + quoted(SCHEMA) + "}");
        store.close();
        store = FileMetadataStore.open(dir);
        api = new GlueApi(store, clock, "eu-west-1", ACCOUNT);
        assertThat(ok("GetSchema", "{'SchemaId':{'SchemaName':'s','RegistryName':'default-registry'}}"))
                .containsEntry("LatestSchemaVersion", 1L);
        assertThat(api.latest("arn:aws:glue:eu-west-1:" + ACCOUNT + ":schema/default-registry/s")).isPresent();
    }

    @Test
    void createSchemaWithoutRegistryUsesTheDefaultRegistry() {
        Map<String, Object> s = ok("CreateSchema", "{'SchemaName':'s','DataFormat':'JSON','SchemaDefinition':"
                + quoted(SCHEMA) + "}");
        assertThat(s).containsEntry("RegistryName", "default-registry");
        ok("CreateSchema", "{'SchemaName':'t','DataFormat':'JSON','SchemaDefinition':" + quoted(SCHEMA) + "}");
        fails("CreateRegistry", "{'RegistryName':'default-registry'}", "AlreadyExistsException");
    }

    @Test
    void answersGluesErrors() {
        ok("CreateRegistry", "{'RegistryName':'r'}");
        fails("CreateRegistry", "{'RegistryName':'r'}", "AlreadyExistsException");
        assertThat(fails("CreateRegistry", "{'RegistryName':'bad/name'}", "InvalidInputException"))
                .contains("RegistryName");
        fails("CreateRegistry", "{'RegistryName':'" + "x".repeat(256) + "'}", "InvalidInputException");
        fails("CreateRegistry", "{}", "InvalidInputException");
        fails("CreateRegistry", "{'RegistryName':'d','Description':'" + "x".repeat(2049) + "'}",
                "InvalidInputException");
        fails("CreateRegistry", "{'RegistryName':5}", "InvalidInputException");
        fails("CreateRegistry", "not json", "SerializationException");

        assertThat(fails("CreateSchema", "{'RegistryId':{'RegistryName':'r'},'SchemaName':'a','DataFormat':'AVRO',"
                + "'SchemaDefinition':'{}'}", "InvalidInputException")).contains("JSON Schemas only");
        fails("CreateSchema", "{'RegistryId':{'RegistryName':'r'},'SchemaName':'a','DataFormat':'XML'}",
                "InvalidInputException");
        fails("CreateSchema", "{'RegistryId':{'RegistryName':'nope'},'SchemaName':'a','DataFormat':'JSON',"
                + "'SchemaDefinition':" + quoted(SCHEMA) + "}", "EntityNotFoundException");
        fails("CreateSchema", "{'RegistryId':{'RegistryName':'r','RegistryArn':'x'},'SchemaName':'a',"
                + "'DataFormat':'JSON'}", "InvalidInputException");
        fails("CreateSchema", "{'RegistryId':{'RegistryName':'r'},'SchemaName':'a','DataFormat':'JSON',"
                + "'Compatibility':'SOMETIMES'}", "InvalidInputException");
        for (String bad : List.of("not json", "[1]", "{\"type\":\"strin\"}", "{\"properties\":[]}",
                "{\"$ref\":\"http://127.0.0.1:9/x.json\"}", "{} {}", "{\"required\":[1]}", "   ",
                "{\"properties\":{\"a\":{\"items\":{\"$ref\":\"other.json#/x\"}}}}",
                "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"minimum\":\"x\"}",
                "{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"required\":[]}",
                "{\"$schema\":\"http://example.com/my-dialect\"}", "{\"a\":" + "[".repeat(100)
                        + "]".repeat(100) + "}")) {
            assertThat(fails("CreateSchema", "{'RegistryId':{'RegistryName':'r'},'SchemaName':'a',"
                    + "'DataFormat':'JSON','SchemaDefinition':" + quoted(bad) + "}", "InvalidInputException"))
                    .as(bad).containsAnyOf("Schema definition of JSON data format is invalid", "SchemaDefinition");
        }
        // Nothing of the refused calls was kept.
        fails("GetSchema", "{'SchemaId':{'SchemaName':'a','RegistryName':'r'}}", "EntityNotFoundException");

        ok("CreateSchema", "{'RegistryId':{'RegistryArn':'arn:aws:glue:eu-west-1:" + ACCOUNT + ":registry/r'},"
                + "'SchemaName':'a','DataFormat':'JSON','SchemaDefinition':" + quoted(SCHEMA) + "}");
        fails("CreateSchema", "{'RegistryId':{'RegistryName':'r'},'SchemaName':'a','DataFormat':'JSON',"
                + "'SchemaDefinition':" + quoted(SCHEMA) + "}", "AlreadyExistsException");
        fails("RegisterSchemaVersion", "{'SchemaId':{'SchemaName':'b','RegistryName':'r'},'SchemaDefinition':"
                + quoted(SCHEMA) + "}", "EntityNotFoundException");
        fails("GetSchema", "{'SchemaId':{'SchemaArn':'arn:aws:glue:us-east-1:" + ACCOUNT + ":schema/r/a'}}",
                "EntityNotFoundException");
        fails("GetSchema", "{}", "InvalidInputException");
        fails("GetSchema", "{'SchemaId':{'SchemaArn':'arn:aws:s3:::bucket'}}", "InvalidInputException");
        fails("ListSchemas", "{'RegistryId':{'RegistryArn':'not-an-arn'}}", "InvalidInputException");
        fails("GetSchema", "{'SchemaId':{'SchemaArn':'a','SchemaName':'a'}}", "InvalidInputException");

        fails("GetSchemaVersion", "{}", "InvalidInputException");
        fails("GetSchemaVersion", "{'SchemaVersionId':'12345678-1234-1234-1234-123456789012',"
                + "'SchemaId':{'SchemaName':'a','RegistryName':'r'}}", "InvalidInputException");
        fails("GetSchemaVersion", "{'SchemaVersionId':'NOT-A-UUID'}", "InvalidInputException");
        fails("GetSchemaVersion", "{'SchemaVersionId':'12345678-1234-1234-1234-123456789012'}",
                "EntityNotFoundException");
        fails("GetSchemaVersion", "{'SchemaId':{'SchemaName':'a','RegistryName':'r'}}", "InvalidInputException");
        fails("GetSchemaVersion", "{'SchemaId':{'SchemaName':'a','RegistryName':'r'},"
                + "'SchemaVersionNumber':{'LatestVersion':true,'VersionNumber':1}}", "InvalidInputException");
        fails("GetSchemaVersion", "{'SchemaId':{'SchemaName':'a','RegistryName':'r'},"
                + "'SchemaVersionNumber':{'VersionNumber':0}}", "InvalidInputException");
        fails("GetSchemaVersion", "{'SchemaId':{'SchemaName':'a','RegistryName':'r'},"
                + "'SchemaVersionNumber':{'VersionNumber':7}}", "EntityNotFoundException");

        fails("ListSchemas", "{'RegistryId':{'RegistryName':'nope'}}", "EntityNotFoundException");
        fails("ListSchemas", "{'MaxResults':0}", "InvalidInputException");
        fails("ListSchemas", "{'MaxResults':101}", "InvalidInputException");
        fails("ListSchemas", "{'NextToken':'!!!'}", "InvalidInputException");

        GlueApi.Result unknown = api.handle("AWSGlue.DeleteSchema", "{}".getBytes(StandardCharsets.UTF_8));
        assertThat(unknown.httpStatus()).isEqualTo(400);
        assertThat(unknown.errorType()).isEqualTo("UnknownOperationException");
    }

    @Test
    void acceptsEveryDraftTheValidatorKnows() {
        int i = 0;
        for (String dialect : List.of("http://json-schema.org/draft-04/schema#",
                "http://json-schema.org/draft-06/schema#", "http://json-schema.org/draft-07/schema#",
                "https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema")) {
            String definition = "{\"$schema\":\"" + dialect + "\",\"type\":\"object\",\"properties\":{\"id\":"
                    + "{\"$ref\":\"#/definitions/id\"}},\"definitions\":{\"id\":{\"type\":\"string\"}}}";
            ok("CreateSchema", "{'SchemaName':'d" + i++ + "','DataFormat':'JSON','SchemaDefinition':"
                    + quoted(definition) + "}");
        }
    }

    @Test
    void disabledCompatibilityRefusesNewVersions() {
        ok("CreateSchema", "{'SchemaName':'d','DataFormat':'JSON','Compatibility':'DISABLED','SchemaDefinition':"
                + quoted(SCHEMA) + "}");
        String id = "{'SchemaName':'d','RegistryName':'default-registry'}";
        assertThat(fails("RegisterSchemaVersion", "{'SchemaId':" + id + ",'SchemaDefinition':"
                + quoted("{\"type\":\"object\"}") + "}", "InvalidInputException")).contains("DISABLED");
        // The existing definition is still its version 1.
        assertThat(ok("RegisterSchemaVersion", "{'SchemaId':" + id + ",'SchemaDefinition':" + quoted(SCHEMA) + "}"))
                .containsEntry("VersionNumber", 1L);
    }

    @Test
    @SuppressWarnings("unchecked")
    void listsPageByPage() {
        ok("CreateRegistry", "{'RegistryName':'p'}");
        for (int i = 0; i < 7; i++) {
            ok("CreateSchema", "{'RegistryId':{'RegistryName':'p'},'SchemaName':'s" + i + "','DataFormat':'JSON',"
                    + "'SchemaDefinition':" + quoted(SCHEMA) + "}");
        }
        ok("CreateSchema", "{'SchemaName':'elsewhere','DataFormat':'JSON','SchemaDefinition':" + quoted(SCHEMA)
                + "}");
        List<String> names = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            Map<String, Object> page = ok("ListSchemas", "{'RegistryId':{'RegistryName':'p'},'MaxResults':3"
                    + (token == null ? "" : ",'NextToken':'" + token + "'") + "}");
            for (Object o : (List<Object>) page.get("Schemas")) {
                names.add((String) ((Map<String, Object>) o).get("SchemaName"));
            }
            token = (String) page.get("NextToken");
            pages++;
        } while (token != null);
        assertThat(names).containsExactly("s0", "s1", "s2", "s3", "s4", "s5", "s6");
        assertThat(pages).isEqualTo(3);
        assertThat((List<Object>) ok("ListSchemas", "{}").get("Schemas")).hasSize(8);

        String id = "{'SchemaName':'s0','RegistryName':'p'}";
        for (int i = 0; i < 4; i++) {
            ok("RegisterSchemaVersion", "{'SchemaId':" + id + ",'SchemaDefinition':"
                    + quoted("{\"type\":\"object\",\"title\":\"v" + i + "\"}") + "}");
        }
        Map<String, Object> first = ok("ListSchemaVersions", "{'SchemaId':" + id + ",'MaxResults':2}");
        List<Object> versions = (List<Object>) first.get("Schemas");
        assertThat(versions).extracting(v -> ((Map<String, Object>) v).get("VersionNumber"))
                .containsExactly(1L, 2L);
        Map<String, Object> rest = ok("ListSchemaVersions", "{'SchemaId':" + id + ",'NextToken':'"
                + first.get("NextToken") + "'}");
        assertThat((List<Object>) rest.get("Schemas")).extracting(v -> ((Map<String, Object>) v)
                .get("VersionNumber")).containsExactly(3L, 4L, 5L);
        assertThat(rest).doesNotContainKey("NextToken");
        // A token of another list is refused, not followed.
        fails("ListSchemaVersions", "{'SchemaId':" + id + ",'NextToken':'" + first.get("NextToken").toString()
                .substring(0, 4) + "'}", "InvalidInputException");
    }

    @Test
    void namesTheResourcesIamChecks() {
        String prefix = "arn:aws:glue:eu-west-1:" + ACCOUNT + ":";
        assertThat(resources("CreateRegistry", "{'RegistryName':'r'}")).containsExactly(prefix + "registry/r");
        assertThat(resources("CreateSchema", "{'SchemaName':'s','DataFormat':'JSON'}"))
                .containsExactly(prefix + "registry/default-registry", prefix + "schema/default-registry/s");
        assertThat(resources("GetSchema", "{'SchemaId':{'SchemaArn':'" + prefix + "schema/r/s'}}"))
                .containsExactly(prefix + "registry/r", prefix + "schema/r/s");
        assertThat(resources("ListSchemas", "{'RegistryId':{'RegistryName':'r'}}")).containsExactly(prefix
                + "registry/r");
        assertThat(resources("ListSchemas", "{}")).containsExactly("*");
        assertThat(resources("GetSchemaVersion", "{'SchemaVersionId':'12345678-1234-1234-1234-123456789012'}"))
                .containsExactly("*");
        assertThat(resources("GetSchemaVersion", "{'SchemaId':{'SchemaName':'s','RegistryName':'r'}}"))
                .containsExactly(prefix + "registry/r", prefix + "schema/r/s");
        assertThat(resources("CreateRegistry", "not json")).containsExactly("*");
    }

    private static List<String> resources(String op, String body) {
        return GlueApi.resourcesOf(GlueApi.TARGET_PREFIX + op, body.replace('\'', '"')
                .getBytes(StandardCharsets.UTF_8), "eu-west-1", ACCOUNT);
    }

    @Test
    void boundsTheCharactersOfAllDefinitions() {
        // Each definition is about 169,000 characters (under the 170,000 of one), all different; 3 fit.
        api = new GlueApi(store, clock, "eu-west-1", ACCOUNT, 3 * 169_040);
        String padding = "x".repeat(169_000);
        ok("CreateSchema", "{'SchemaName':'big','DataFormat':'JSON','Compatibility':'NONE','SchemaDefinition':"
                + quoted("{\"description\":\"" + padding + "\"}") + "}");
        for (int i = 1; i < 3; i++) {
            ok("RegisterSchemaVersion", "{'SchemaId':{'SchemaName':'big'},'SchemaDefinition':"
                    + quoted("{\"title\":\"" + i + "\",\"description\":\"" + padding + "\"}") + "}");
        }
        fails("RegisterSchemaVersion", "{'SchemaId':{'SchemaName':'big'},'SchemaDefinition':"
                + quoted("{\"title\":\"last\",\"description\":\"" + padding + "\"}") + "}",
                "ResourceNumberLimitExceededException");
        // A definition already kept is still its version: it takes nothing more.
        assertThat(ok("RegisterSchemaVersion", "{'SchemaId':{'SchemaName':'big'},'SchemaDefinition':"
                + quoted("{\"description\":\"" + padding + "\"}") + "}")).containsEntry("VersionNumber", 1L);
    }

    @Test
    void boundsRegistries() {
        for (int i = 0; i < GlueServices.MAX_REGISTRIES; i++) {
            ok("CreateRegistry", "{'RegistryName':'r" + i + "'}");
        }
        fails("CreateRegistry", "{'RegistryName':'one-more'}", "ResourceNumberLimitExceededException");
    }
}
