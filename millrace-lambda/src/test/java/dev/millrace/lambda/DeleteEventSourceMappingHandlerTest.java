package dev.millrace.lambda;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DeleteEventSourceMapping: 202 with the mapping Deleting, idempotent, refused while updating; the engine's settle
 * removes it and frees its (source, function) pair.
 */
class DeleteEventSourceMappingHandlerTest extends ApiFixture {

    @Test
    void answersTheMappingDeletingUntilTheEngineRemovesIt() {
        String uuid = (String) createDefault("").get("UUID");
        clock.advanceMs(500);
        Map<String, Object> m = ok(202, call("DELETE", LambdaApi.BASE + "/" + uuid, null));
        assertThat(m).isEqualTo(expected(uuid, "Deleting", "{'LastModified':1765000000.623}"));
        assertThat(ok(202, call("DELETE", LambdaApi.BASE + "/" + uuid, null))).isEqualTo(m);
        assertThat(ok(200, call("GET", LambdaApi.BASE + "/" + uuid, null))).isEqualTo(m);
        fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'}"), 409, "ResourceConflictException");

        assertThat(api.mappings().settle(uuid)).isEmpty();
        fails(call("GET", LambdaApi.BASE + "/" + uuid, null), 404, "ResourceNotFoundException");
        fails(call("DELETE", LambdaApi.BASE + "/" + uuid, null), 404, "ResourceNotFoundException");
        assertThat(store.scan("lambda/")).isEmpty();
        createDefault("");
    }

    @Test
    void anUpdatingMappingIsInUse() {
        String uuid = (String) createDefault("").get("UUID");
        api.mappings().settle(uuid);
        ok(202, call("PUT", LambdaApi.BASE + "/" + uuid, "{'Enabled':false}"));
        assertThat(fails(call("DELETE", LambdaApi.BASE + "/" + uuid, null), 400, "ResourceInUseException"))
                .contains("Disabling");
        api.mappings().settle(uuid);
        assertThat(ok(202, call("DELETE", LambdaApi.BASE + "/" + uuid, null)).get("State")).isEqualTo("Deleting");
    }

    @Test
    void aCreatingMappingCanBeDeleted() {
        String uuid = (String) createDefault("").get("UUID");
        assertThat(ok(202, call("DELETE", LambdaApi.BASE + "/" + uuid, null)).get("State")).isEqualTo("Deleting");
    }
}
