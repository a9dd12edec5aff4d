package dev.millrace.lambda;

import dev.millrace.storage.meta.FileMetadataStore;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API as the server sees it: which paths are Lambda's, the dispatch table (both collection paths, methods),
 * operations and resources for IAM, unknown routes, Get's answer, persistence across a new API on a reopened store,
 * and a store failure as Lambda's fault.
 */
class LambdaApiTest extends ApiFixture {
    static final String ID = "0d1f2e3c-4b5a-6978-8796-a5b4c3d2e1f0";

    @Test
    void recognisesTheMappingPathsOnly() {
        assertThat(LambdaApi.isLambdaPath("/2015-03-31/event-source-mappings")).isTrue();
        assertThat(LambdaApi.isLambdaPath("/2015-03-31/event-source-mappings/")).isTrue();
        assertThat(LambdaApi.isLambdaPath("/2015-03-31/event-source-mappings/" + ID)).isTrue();
        assertThat(LambdaApi.isLambdaPath("/2015-03-31/event-source-mappings?FunctionName=fn")).isTrue();
        assertThat(LambdaApi.isLambdaPath("/2015-03-31/event-source-mappingsX")).isFalse();
        assertThat(LambdaApi.isLambdaPath("/2015-03-31/functions/fn/invocations")).isFalse();
        assertThat(LambdaApi.isLambdaPath("/")).isFalse();
        assertThat(LambdaApi.isLambdaPath(null)).isFalse();
    }

    @Test
    void namesEachOperationForIam() {
        String base = LambdaApi.BASE;
        assertThat(LambdaApi.operationOf("POST", base)).isEqualTo("CreateEventSourceMapping");
        assertThat(LambdaApi.operationOf("POST", base + "/")).isEqualTo("CreateEventSourceMapping");
        assertThat(LambdaApi.operationOf("GET", base)).isEqualTo("ListEventSourceMappings");
        assertThat(LambdaApi.operationOf("GET", base + "/?MaxItems=1")).isEqualTo("ListEventSourceMappings");
        assertThat(LambdaApi.operationOf("GET", base + "/" + ID)).isEqualTo("GetEventSourceMapping");
        assertThat(LambdaApi.operationOf("PUT", base + "/" + ID)).isEqualTo("UpdateEventSourceMapping");
        assertThat(LambdaApi.operationOf("DELETE", base + "/" + ID)).isEqualTo("DeleteEventSourceMapping");
        assertThat(LambdaApi.operationOf("PATCH", base + "/" + ID)).isNull();
        assertThat(LambdaApi.operationOf("PUT", base)).isNull();
        assertThat(LambdaApi.operationOf("GET", base + "/" + ID + "/x")).isNull();
        assertThat(LambdaApi.changes("POST", base)).isTrue();
        assertThat(LambdaApi.changes("GET", base + "/" + ID)).isFalse();
        assertThat(LambdaApi.changes("DELETE", base + "/" + ID)).isTrue();
    }

    @Test
    void resourcesAreTheMappingOrStar() {
        assertThat(LambdaApi.resourcesOf("GET", LambdaApi.BASE + "/" + ID, "eu-west-1", "123456789012"))
                .containsExactly(ESM_ARN_PREFIX + ID);
        assertThat(LambdaApi.resourcesOf("DELETE", LambdaApi.BASE + "/" + ID, "cn-north-1", "123456789012"))
                .containsExactly("arn:aws-cn:lambda:cn-north-1:123456789012:event-source-mapping:" + ID);
        assertThat(LambdaApi.resourcesOf("POST", LambdaApi.BASE, "eu-west-1", "123456789012")).containsExactly("*");
        assertThat(LambdaApi.resourcesOf("GET", LambdaApi.BASE + "/", "eu-west-1", "123456789012"))
                .containsExactly("*");
        assertThat(LambdaApi.resourcesOf("PATCH", LambdaApi.BASE + "/" + ID, "eu-west-1", "123456789012"))
                .containsExactly("*");
        assertThat(LambdaApi.resourcesOf("GET", LambdaApi.BASE + "/" + ID, "nowhere", "123456789012"))
                .containsExactly("*");
    }

    @Test
    void anotherMethodOrPathIsAnUnknownOperation() {
        assertThat(fails(call("PATCH", LambdaApi.BASE + "/" + ID, "{}"), 404, "UnknownOperationException"))
                .contains("not PATCH " + LambdaApi.BASE + "/" + ID);
        fails(call("PUT", LambdaApi.BASE, "{}"), 404, "UnknownOperationException");
        fails(call("GET", LambdaApi.BASE + "/" + ID + "/more", null), 404, "UnknownOperationException");
        fails(call("GET", "/2015-03-31/functions", null), 404, "UnknownOperationException");
    }

    @Test
    void getAnswersTheStoredMapping() {
        String uuid = (String) createDefault("").get("UUID");
        assertThat(ok(200, call("GET", LambdaApi.BASE + "/" + uuid, "not json"))).isEqualTo(expected(uuid, "Creating",
                ""));
        assertThat(api.mappings().settle(uuid)).isPresent();
        assertThat(ok(200, call("GET", LambdaApi.BASE + "/" + uuid, null))).isEqualTo(expected(uuid, "Enabled", ""));
        assertThat(fails(call("GET", LambdaApi.BASE + "/" + ID, null), 404, "ResourceNotFoundException"))
                .isEqualTo("The resource you requested does not exist.");
    }

    @Test
    void mappingsOutliveTheApiAndTheStore() {
        String uuid = (String) createDefault(",'BatchSize':9,'Tags':{'t':'v'}").get("UUID");
        store.close();
        store = FileMetadataStore.open(dir);
        api = newApi();
        assertThat(ok(200, call("GET", LambdaApi.BASE + "/" + uuid, null)))
                .isEqualTo(expected(uuid, "Creating", "{'BatchSize':9}"));
        assertThat(api.mappings().get(uuid).orElseThrow().tags()).isEqualTo(Map.of("t", "v"));
        fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'}"), 409, "ResourceConflictException");
    }

    @Test
    void aDamagedStoredMappingIsAServiceFaultForItAndLeftOutOfLists() {
        String uuid = (String) createDefault("").get("UUID");
        store.commit(Map.of("lambda/esm/" + ID, "{not json".getBytes()));
        assertThat(fails(call("GET", LambdaApi.BASE + "/" + ID, null), 500, "ServiceException"))
                .isEqualTo("Internal service error");
        assertThat((List<?>) ok(200, list(Map.of())).get("EventSourceMappings")).hasSize(1);
        assertThat(ok(200, call("GET", LambdaApi.BASE + "/" + uuid, null))).containsEntry("UUID", uuid);
    }
}
