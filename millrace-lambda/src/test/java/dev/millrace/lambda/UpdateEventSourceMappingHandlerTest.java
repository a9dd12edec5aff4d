package dev.millrace.lambda;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * UpdateEventSourceMapping: the whole answer after a change, Enabling/Disabling when Enabled flips, Updating
 * otherwise, clearing filters and the destination, moving to another function (and the pair check that brings), the
 * members Update's shape lacks ignored, and the states in which Lambda refuses an update.
 */
class UpdateEventSourceMappingHandlerTest extends ApiFixture {
    String uuid;

    @BeforeEach
    void created() {
        uuid = (String) createDefault(",'FilterCriteria':{'Filters':[{'Pattern':'{\\'data\\':{\\'kind\\':[\\'a\\']}}'}]},"
                + "'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:s3:::failures'}}").get("UUID");
        api.mappings().settle(uuid);
        clock.advanceMs(1_000);
    }

    private LambdaApi.Result update(String body) {
        return call("PUT", LambdaApi.BASE + "/" + uuid, body);
    }

    @Test
    void answersTheChangedMappingUpdating() {
        Map<String, Object> m = ok(202, update("{'BatchSize':7,'MaximumRetryAttempts':3,'BisectBatchOnFunctionError':"
                + "true,'FunctionResponseTypes':['ReportBatchItemFailures'],'TumblingWindowInSeconds':30}"));
        assertThat(m).isEqualTo(expected(uuid, "Updating", "{'BatchSize':7,'MaximumRetryAttempts':3,"
                + "'BisectBatchOnFunctionError':true,'FunctionResponseTypes':['ReportBatchItemFailures'],"
                + "'TumblingWindowInSeconds':30,'LastModified':1765000001.123,'FilterCriteria':{'Filters':"
                + "[{'Pattern':'{\\'data\\':{\\'kind\\':[\\'a\\']}}'}]},'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:s3:::failures'}}}"));
        assertThat(ok(200, call("GET", LambdaApi.BASE + "/" + uuid, null))).isEqualTo(m);
    }

    @Test
    void enabledFlippingIsDisablingThenEnabling() {
        assertThat(ok(202, update("{'Enabled':false}")).get("State")).isEqualTo("Disabling");
        assertThat(api.mappings().settle(uuid).orElseThrow().state().text()).isEqualTo("Disabled");
        assertThat(ok(202, update("{'Enabled':false}")).get("State")).isEqualTo("Updating");
        api.mappings().settle(uuid);
        assertThat(ok(200, call("GET", LambdaApi.BASE + "/" + uuid, null)).get("State")).isEqualTo("Disabled");
        assertThat(ok(202, update("{'Enabled':true}")).get("State")).isEqualTo("Enabling");
        assertThat(api.mappings().settle(uuid).orElseThrow().state().text()).isEqualTo("Enabled");
    }

    @Test
    void emptyFilterCriteriaAndDestinationClearThem() {
        Map<String, Object> m = ok(202, update("{'FilterCriteria':{},'DestinationConfig':{'OnFailure':{}}}"));
        assertThat(m).doesNotContainKey("FilterCriteria");
        assertThat(m.get("DestinationConfig")).isEqualTo(Map.of("OnFailure", Map.of()));
        api.mappings().settle(uuid);
        m = ok(202, update("{'DestinationConfig':{'OnFailure':{'Destination':''}}}"));
        assertThat(m.get("DestinationConfig")).isEqualTo(Map.of("OnFailure", Map.of()));
    }

    @Test
    void membersUpdateDoesNotHaveAreIgnored() {
        Map<String, Object> m = ok(202, update("{'EventSourceArn':'" + OTHER_STREAM + "','StartingPosition':"
                + "'TRIM_HORIZON','Tags':{'a':'b'},'Queues':['q']}"));
        assertThat(m).containsEntry("EventSourceArn", STREAM).containsEntry("StartingPosition", "LATEST");
        assertThat(api.mappings().get(uuid).orElseThrow().tags()).isEmpty();
    }

    @Test
    void anotherFunctionMovesThePair() {
        String second = (String) create("{'FunctionName':'other','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'}").get("UUID");
        api.mappings().settle(second);
        assertThat(fails(call("PUT", LambdaApi.BASE + "/" + second, "{'FunctionName':'fn'}"), 409,
                "ResourceConflictException")).endsWith("existing mapping with UUID " + uuid);
        assertThat(ok(202, update("{'FunctionName':'fn:PROD'}")).get("FunctionArn")).isEqualTo(FN_ARN + ":PROD");
        api.mappings().settle(uuid);
        // the old pair is free again
        assertThat(ok(202, call("PUT", LambdaApi.BASE + "/" + second, "{'FunctionName':'fn'}")).get("FunctionArn"))
                .isEqualTo(FN_ARN);
        fails(update("{'FunctionName':'missing'}"), 400, "InvalidParameterValueException");
    }

    @Test
    void lambdasRulesApplyToUpdatesToo() {
        assertThat(fails(update("{'MaximumRecordAgeInSeconds':30}"), 400, "InvalidParameterValueException"))
                .startsWith("MaximumRecordAgeInSeconds must be either -1");
        fails(update("{'BatchSize':10001}"), 400, "ValidationException");
        fails(update("{'ScalingConfig':{}}"), 400, "InvalidParameterValueException");
        fails(update("{'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:sqs:eu-west-1:123456789012:q'}}}"),
                400, "InvalidParameterValueException");
    }

    @Test
    void aCreatingOrDeletingMappingIsInUse() {
        String creating = (String) createDefault(",'EventSourceArn':'" + OTHER_STREAM + "'").get("UUID");
        assertThat(fails(call("PUT", LambdaApi.BASE + "/" + creating, "{'BatchSize':5}"), 400,
                "ResourceInUseException")).contains("Creating");
        ok(202, call("DELETE", LambdaApi.BASE + "/" + uuid, null));
        assertThat(fails(update("{'BatchSize':5}"), 400, "ResourceInUseException")).contains("Deleting");
    }

    @Test
    void anUnknownUuidIsNotFound() {
        assertThat(fails(call("PUT", LambdaApi.BASE + "/00000000-0000-0000-0000-000000000000", "{'BatchSize':5}"),
                404, "ResourceNotFoundException")).isEqualTo("The resource you requested does not exist.");
    }
}
