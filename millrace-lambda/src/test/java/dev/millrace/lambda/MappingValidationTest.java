package dev.millrace.lambda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The model's constraints on both sides of each bound, answered as AWS's validation layer answers them
 * (ValidationException, {@code 1 validation error detected: Value '0' at 'batchSize' failed to satisfy constraint:
 * ...}), several at once; and bodies that are not JSON or have members of another type
 * (InvalidRequestContentException), never a 500.
 */
class MappingValidationTest extends ApiFixture {

    private LambdaApi.Result createWith(String members) {
        return call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'," + members + "}");
    }

    @ParameterizedTest
    @CsvSource({
            "BatchSize, batchSize, 1, 10000",
            "MaximumBatchingWindowInSeconds, maximumBatchingWindowInSeconds, 0, 300",
            "ParallelizationFactor, parallelizationFactor, 1, 10",
            "MaximumRecordAgeInSeconds, maximumRecordAgeInSeconds, -1, 604800",
            "MaximumRetryAttempts, maximumRetryAttempts, -1, 10000",
            "TumblingWindowInSeconds, tumblingWindowInSeconds, 0, 900"})
    void integerBoundsAreInclusiveAndTheirNeighboursRefused(String member, String lowerCamel, int min, int max) {
        assertThat(fails(createWith("'" + member + "':" + (min - 1)), 400, "ValidationException"))
                .isEqualTo("1 validation error detected: Value '" + (min - 1) + "' at '" + lowerCamel
                        + "' failed to satisfy constraint: Member must have value greater than or equal to " + min);
        assertThat(fails(createWith("'" + member + "':" + (max + 1)), 400, "ValidationException"))
                .isEqualTo("1 validation error detected: Value '" + (max + 1) + "' at '" + lowerCamel
                        + "' failed to satisfy constraint: Member must have value less than or equal to " + max);
        assertThat(ok(202, createWith("'" + member + "':" + max)).get(member)).isEqualTo((long) max);
        // a second mapping of the pair would conflict: the minimum goes to the other function (the later name wins)
        assertThat(ok(202, createWith("'FunctionName':'other','" + member + "':" + min)).get(member))
                .isEqualTo((long) min);
    }

    @Test
    void severalViolationsAreOneAnswer() {
        assertThat(fails(createWith("'BatchSize':0,'ParallelizationFactor':11"), 400, "ValidationException"))
                .isEqualTo("2 validation errors detected: Value '0' at 'batchSize' failed to satisfy constraint: "
                        + "Member must have value greater than or equal to 1; Value '11' at 'parallelizationFactor' "
                        + "failed to satisfy constraint: Member must have value less than or equal to 10");
    }

    @Test
    void startingPositionOutsideItsEnumIsAValidationErrorInAwsWords() {
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'invalid'}"), 400, "ValidationException"))
                .isEqualTo("1 validation error detected: Value 'invalid' at 'startingPosition' failed to satisfy "
                        + "constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]");
    }

    @Test
    void functionResponseTypesIsReportBatchItemFailuresAtMostOnce() {
        assertThat(fails(createWith("'FunctionResponseTypes':['Other']"), 400, "ValidationException"))
                .isEqualTo("1 validation error detected: Value '[Other]' at 'functionResponseTypes' failed to "
                        + "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
                        + "[ReportBatchItemFailures], Member must not be null]");
        assertThat(fails(createWith("'FunctionResponseTypes':['ReportBatchItemFailures','ReportBatchItemFailures']"),
                400, "ValidationException")).contains("Member must have length less than or equal to 1");
    }

    @Test
    void aPatternIsAtMost4096Characters() {
        String at = "{\\'data\\':[\\'" + "x".repeat(4096 - 13) + "\\']}";
        assertThat(ok(202, createWith("'FilterCriteria':{'Filters':[{'Pattern':'" + at + "'}]}"))).containsKey("UUID");
        String over = "{\\'data\\':[\\'" + "x".repeat(4096 - 12) + "\\']}";
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'other','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST','FilterCriteria':{'Filters':[{'Pattern':'" + over + "'}]}}"), 400,
                "ValidationException")).contains("at 'filterCriteria.filters.1.member.pattern' failed to satisfy "
                + "constraint: Member must have length less than or equal to 4096");
    }

    @Test
    void functionNameAndArnsFollowTheModelsPatterns() {
        assertThat(fails(call("POST", LambdaApi.BASE, "{'EventSourceArn':'" + STREAM + "','StartingPosition':'LATEST'}"),
                400, "ValidationException")).isEqualTo("1 validation error detected: Value null at 'functionName' "
                + "failed to satisfy constraint: Member must not be null");
        assertThat(fails(createWith("'FunctionName':'bad name'"), 400, "ValidationException"))
                .startsWith("1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy "
                        + "constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:");
        assertThat(fails(createWith("'FunctionName':'" + "f".repeat(257) + "'"), 400, "ValidationException"))
                .contains("Member must have length less than or equal to 256");
        assertThat(fails(createWith("'EventSourceArn':'orders'"), 400, "ValidationException"))
                .contains("at 'eventSourceArn' failed to satisfy constraint: Member must satisfy regular expression");
        assertThat(fails(createWith("'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:s3:::" + "b".repeat(340)
                + "'}}"), 400, "ValidationException")).contains("at 'destinationConfig.onFailure.destination'");
        assertThat(fails(createWith("'KMSKeyArn':'key'"), 400, "ValidationException")).contains("at 'kMSKeyArn'");
        assertThat(fails(createWith("'MetricsConfig':{'Metrics':['Nope']}"), 400, "ValidationException"))
                .contains("at 'metricsConfig.metrics'");
        assertThat(fails(createWith("'Tags':{'':'v'}"), 400, "ValidationException")).contains("at 'tags'");
    }

    @Test
    void theUuidIs36Characters() {
        assertThat(fails(call("GET", LambdaApi.BASE + "/abc", null), 400, "ValidationException"))
                .isEqualTo("1 validation error detected: Value 'abc' at 'uUID' failed to satisfy constraint: Member "
                        + "must have length greater than or equal to 36");
        assertThat(fails(call("DELETE", LambdaApi.BASE + "/" + "a".repeat(37), null), 400, "ValidationException"))
                .contains("Member must have length less than or equal to 36");
        assertThat(fails(call("GET", LambdaApi.BASE + "/" + "a".repeat(36), null), 404, "ResourceNotFoundException"))
                .isEqualTo("The resource you requested does not exist.");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "not json|",
            "[1,2]|the body is not a JSON object.",
            "{'BatchSize':'10'}|BatchSize must be an integer of 32 bits, not a string.",
            "{'BatchSize':1.5}|BatchSize must be an integer of 32 bits, not the number 1.5.",
            "{'BatchSize':4294967296}|BatchSize must be an integer of 32 bits, not the number 4294967296.",
            "{'Enabled':'yes'}|Enabled must be a boolean, not a string.",
            "{'FilterCriteria':{'Filters':{}}}|FilterCriteria.Filters must be a list, not an object.",
            "{'FilterCriteria':{'Filters':[{'Pattern':{}}]}}|FilterCriteria.Filters[0].Pattern must be a string, not an object.",
            "{'DestinationConfig':[]}|DestinationConfig must be an object, not a list.",
            "{'Tags':{'a':1}}|Tags.a must be a string, not the number 1.",
            "{'StartingPositionTimestamp':'2024-01-01'}|StartingPositionTimestamp must be a timestamp in epoch seconds, not a string.",
            "{'StartingPositionTimestamp':1e-999999999}|StartingPositionTimestamp must be a timestamp in epoch seconds, with at most 12 digits before the point and 9 after it.",
            "{'StartingPositionTimestamp':1e300}|StartingPositionTimestamp must be a timestamp in epoch seconds, with at most 12 digits before the point and 9 after it.",
            "{'StartingPositionTimestamp':1765000000.1234567891}|StartingPositionTimestamp must be a timestamp in epoch seconds, with at most 12 digits before the point and 9 after it.",
            "{} {}|the body holds more than one JSON value."})
    void anUnreadableBodyIsInvalidRequestContent(String body, String detail) {
        String message = fails(call("POST", LambdaApi.BASE, body), 400, "InvalidRequestContentException");
        assertThat(message).startsWith("Could not parse request body into json: ");
        if (detail != null) {
            assertThat(message).isEqualTo("Could not parse request body into json: " + detail);
        }
    }

    @Test
    void aDeeplyNestedBodyIsInvalidRequestContentNotAStackOverflow() {
        String deep = "{'Tags':" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        fails(call("POST", LambdaApi.BASE, deep), 400, "InvalidRequestContentException");
    }

    @Test
    void aBodyPastTheBoundIsTooLarge() {
        String big = "{'Tags':{'k':'" + "v".repeat(LambdaApi.MAX_BODY_BYTES) + "'}}";
        assertThat(fails(call("POST", LambdaApi.BASE, big), 413, "RequestTooLargeException")).contains("at most");
    }
}
