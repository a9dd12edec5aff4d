package dev.millrace.lambda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CreateEventSourceMapping: the whole answer with AWS's Kinesis defaults and with every setting, the function name
 * forms and their echoed ARNs, consumer sources, AT_TIMESTAMP, destinations, and Lambda's Kinesis rules with AWS's
 * texts (the model's bounds are in {@link MappingValidationTest}).
 */
class CreateEventSourceMappingHandlerTest extends ApiFixture {

    @Test
    void answersTheMappingWithAwsKinesisDefaultsInStateCreating() {
        Map<String, Object> m = createDefault("");
        String uuid = (String) m.get("UUID");
        assertThat(uuid).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(m).isEqualTo(expected(uuid, "Creating", ""));
    }

    @Test
    void theCollectionPathWithATrailingSlashIsCreateToo() {
        Map<String, Object> m = ok(202, call("POST", LambdaApi.BASE + "/", "{'FunctionName':'fn','EventSourceArn':'"
                + STREAM + "','StartingPosition':'TRIM_HORIZON'}"));
        assertThat(m).isEqualTo(expected((String) m.get("UUID"), "Creating", "{'StartingPosition':'TRIM_HORIZON'}"));
    }

    @Test
    void keepsEverySettingGiven() {
        String settings = "'BatchSize':500,'MaximumBatchingWindowInSeconds':5,'ParallelizationFactor':3,"
                + "'MaximumRecordAgeInSeconds':3600,'BisectBatchOnFunctionError':true,'MaximumRetryAttempts':2,"
                + "'TumblingWindowInSeconds':60,'FunctionResponseTypes':['ReportBatchItemFailures'],"
                + "'FilterCriteria':{'Filters':[{'Pattern':'{\\'data\\':{\\'n\\':[1]}}'}]},"
                + "'DestinationConfig':{'OnFailure':{'Destination':'arn:aws:s3:::failures'}},"
                + "'KMSKeyArn':'arn:aws:kms:eu-west-1:123456789012:key/k','MetricsConfig':{'Metrics':['EventCount']}";
        Map<String, Object> m = createDefault("," + settings + ",'Enabled':false,'Tags':{'team':'a'}");
        assertThat(m).isEqualTo(expected((String) m.get("UUID"), "Creating", "{" + settings + "}"));
        assertThat(api.mappings().get((String) m.get("UUID")).orElseThrow().tags()).isEqualTo(Map.of("team", "a"));
        assertThat(api.mappings().get((String) m.get("UUID")).orElseThrow().enabled()).isFalse();
    }

    @Test
    void emptyFiltersAreLeftOutOfTheAnswer() {
        Map<String, Object> m = createDefault(",'FilterCriteria':{'Filters':[]}");
        assertThat(m).doesNotContainKey("FilterCriteria");
    }

    @ParameterizedTest
    @CsvSource({
            "fn, " + FN_ARN,
            "fn:PROD, " + FN_ARN + ":PROD",
            "fn:$LATEST, " + FN_ARN + ":$LATEST",
            "123456789012:function:fn:$LATEST, " + FN_ARN + ":$LATEST",
            "123456789012:function:fn, " + FN_ARN,
            "eu-west-1:123456789012:function:fn:7, " + FN_ARN + ":7",
            FN_ARN + ", " + FN_ARN,
            FN_ARN + ":PROD, " + FN_ARN + ":PROD"})
    void echoesTheFunctionArnOfEveryNameForm(String given, String echoed) {
        Map<String, Object> m = create("{'FunctionName':'" + given + "','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'}");
        assertThat(m.get("FunctionArn")).isEqualTo(echoed);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nope", "arn:aws:lambda:eu-west-1:999999999999:function:fn",
            "arn:aws:lambda:us-east-1:123456789012:function:fn", "999999999999:function:fn",
            "arn:aws-cn:lambda:eu-west-1:123456789012:function:fn", "fn.dotted"})
    void aFunctionNotRegisteredHereDoesNotExist(String given) {
        String message = fails(call("POST", LambdaApi.BASE, "{'FunctionName':'" + given + "','EventSourceArn':'"
                + STREAM + "','StartingPosition':'LATEST'}"), 400, "InvalidParameterValueException");
        assertThat(message).isEqualTo("Function does not exist");
    }

    @Test
    void aConsumerArnIsASource() {
        Map<String, Object> m = create("{'FunctionName':'fn','EventSourceArn':'" + CONSUMER
                + "','StartingPosition':'LATEST'}");
        assertThat(m.get("EventSourceArn")).isEqualTo(CONSUMER);
    }

    @Test
    void anUnknownConsumerOrStreamIsNotFound() {
        String unknownConsumer = STREAM + "/consumer/other:1";
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + unknownConsumer
                + "','StartingPosition':'LATEST'}"), 400, "InvalidParameterValueException"))
                .isEqualTo("Stream consumer not found: " + unknownConsumer);
        String missing = "arn:aws:kinesis:eu-west-1:123456789012:stream/missing";
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + missing
                + "','StartingPosition':'LATEST'}"), 400, "InvalidParameterValueException"))
                .isEqualTo("Stream not found: " + missing);
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + missing
                + "/consumer/c:1','StartingPosition':'LATEST'}"), 400, "InvalidParameterValueException"))
                .isEqualTo("Stream not found: " + missing);
    }

    @Test
    void withoutEventSourceArnTheSourceIsUnrecognized() {
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','StartingPosition':'LATEST'}"), 400,
                "InvalidParameterValueException")).isEqualTo("Unrecognized event source.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"arn:aws:sqs:eu-west-1:123456789012:queue",
            "arn:aws:kinesis:eu-west-1:999999999999:stream/orders", "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
            "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2024-01-01T00:00:00.000"})
    void aSourceOtherThanAStreamOfThisAccountAndRegionIsUnrecognized(String arn) {
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + arn
                + "','StartingPosition':'LATEST'}"), 400, "InvalidParameterValueException"))
                .startsWith("Unrecognized event source. Millrace maps Kinesis streams").contains(arn);
    }

    @Test
    void startingPositionIsRequiredForKinesisInAwsWords() {
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM + "'}"),
                400, "InvalidParameterValueException")).isEqualTo("1 validation error detected: Value null at "
                + "'startingPosition' failed to satisfy constraint: Member must not be null.");
    }

    @Test
    void atTimestampNeedsAPastTimestamp() {
        Map<String, Object> m = createDefault(",'StartingPosition':'AT_TIMESTAMP','StartingPositionTimestamp':"
                + "1764000000.5");
        assertThat(m).containsEntry("StartingPosition", "AT_TIMESTAMP")
                .containsEntry("StartingPositionTimestamp", new java.math.BigDecimal("1764000000.500"));
        assertThat(create("{'FunctionName':'other','EventSourceArn':'" + STREAM + "','StartingPosition':"
                + "'AT_TIMESTAMP','StartingPositionTimestamp':" + LAST_MODIFIED + "}")).containsKey("UUID");
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + OTHER_STREAM
                + "','StartingPosition':'AT_TIMESTAMP','StartingPositionTimestamp':1765000000.124}"), 400,
                "InvalidParameterValueException")).isEqualTo("StartingPositionTimestamp cannot be in the future.");
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + OTHER_STREAM
                + "','StartingPosition':'AT_TIMESTAMP'}"), 400, "InvalidParameterValueException"))
                .isEqualTo("StartingPositionTimestamp is required when StartingPosition is AT_TIMESTAMP.");
    }

    @Test
    void aSecondMappingOfOnePairIsAConflictNamingTheFirst() {
        String uuid = (String) createDefault("").get("UUID");
        String message = fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'TRIM_HORIZON'}"), 409, "ResourceConflictException");
        assertThat(message).isEqualTo("The event source arn (\" " + STREAM + " \") and function (\" fn \") provided "
                + "mapping already exists. Please update or delete the existing mapping with UUID " + uuid);
        // the same function by its ARN is the same pair; another qualifier or source is another
        fails(call("POST", LambdaApi.BASE, "{'FunctionName':'" + FN_ARN + "','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'}"), 409, "ResourceConflictException");
        createDefault(",'FunctionName':'fn:PROD'");
        createDefault(",'EventSourceArn':'" + OTHER_STREAM + "'");
        assertThat(api.mappings().all()).hasSize(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"arn:aws:s3:::failures", "arn:aws:s3:::my.bucket-1", OTHER_STREAM})
    void anS3BucketOrAStreamOfThisAccountIsAnOnFailureDestination(String destination) {
        Map<String, Object> m = createDefault(",'DestinationConfig':{'OnFailure':{'Destination':'" + destination
                + "'}}");
        assertThat(m.get("DestinationConfig")).isEqualTo(Map.of("OnFailure", Map.of("Destination", destination)));
    }

    @Test
    void sqsSnsAndOtherDestinationsAreRefused() {
        assertThat(destinationFails("arn:aws:sqs:eu-west-1:123456789012:dlq")).contains("Millrace serves no SQS or"
                + " SNS").contains("S3 bucket").contains("Kinesis stream");
        assertThat(destinationFails("arn:aws:sns:eu-west-1:123456789012:topic")).contains("no SQS or SNS");
        assertThat(destinationFails("arn:aws:kinesis:eu-west-1:123456789012:stream/missing"))
                .isEqualTo("The OnFailure destination stream does not exist: "
                        + "arn:aws:kinesis:eu-west-1:123456789012:stream/missing");
        assertThat(destinationFails("arn:aws:kinesis:eu-west-1:999999999999:stream/orders")).contains("is invalid");
        assertThat(destinationFails("arn:aws:s3:::Bad_Bucket")).contains("is invalid");
        // The source stream itself would feed the mapping its own failure records.
        assertThat(destinationFails(STREAM)).contains("is the mapping's own source stream");
    }

    private String destinationFails(String destination) {
        return fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST','DestinationConfig':{'OnFailure':{'Destination':'" + destination
                + "'}}}"), 400, "InvalidParameterValueException");
    }

    @Test
    void onSuccessIsRefusedInAwsWords() {
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST','DestinationConfig':{'OnSuccess':{'Destination':"
                + "'arn:aws:s3:::b'}}}"), 400, "InvalidParameterValueException"))
                .isEqualTo("Unsupported DestinationConfig parameter for given event source mapping type.");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "'Queues':['q']|queues",
            "'Topics':['t']|topics",
            "'ScalingConfig':{'MaximumConcurrency':2}|scalingConfig",
            "'SourceAccessConfigurations':[]|sourceAccessConfigurations",
            "'SelfManagedEventSource':{}|selfManagedEventSource",
            "'AmazonManagedKafkaEventSourceConfig':{}|amazonManagedKafkaEventSourceConfig",
            "'SelfManagedKafkaEventSourceConfig':{}|selfManagedKafkaEventSourceConfig",
            "'DocumentDBEventSourceConfig':{}|documentDBEventSourceConfig",
            "'ProvisionedPollerConfig':{'MinimumPollers':1}|provisionedPollerConfig",
            "'LoggingConfig':{'SystemLogLevel':'INFO'}|loggingConfig"})
    void membersOfOtherSourceTypesAreUnsupported(String member, String lowerCamel) {
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'," + member + "}"), 400, "InvalidParameterValueException"))
                .isEqualTo("Unsupported '" + lowerCamel + "' parameter for given event source mapping type.");
    }

    @Test
    void maximumRecordAgeBelowAMinuteIsRefusedInAwsWords() {
        for (int age : new int[] {0, 59}) {
            assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                    + "','StartingPosition':'LATEST','MaximumRecordAgeInSeconds':" + age + "}"), 400,
                    "InvalidParameterValueException")).isEqualTo("MaximumRecordAgeInSeconds must be either -1 "
                    + "(forever) or between 60 and 604800 (inclusive)");
        }
        assertThat(createDefault(",'MaximumRecordAgeInSeconds':60")).containsEntry("MaximumRecordAgeInSeconds", 60L);
    }

    @Test
    void filtersAreAtMostFiveJsonObjects() {
        String five = "{'Pattern':'{\\'data\\':[\\'a\\']}'},".repeat(4) + "{'Pattern':'{\\'data\\':[\\'b\\']}'}";
        assertThat(createDefault(",'FilterCriteria':{'Filters':[" + five + "]}").get("FilterCriteria"))
                .isEqualTo(decode("{'Filters':[" + five + "]}"));
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + OTHER_STREAM
                + "','StartingPosition':'LATEST','FilterCriteria':{'Filters':[" + five + ",{'Pattern':'{\\'data\\':[1]}'}]}}"),
                400, "InvalidParameterValueException")).contains("at most 5");
        for (String pattern : new String[] {"", "[1]", "{", "{} {}", "1", "{\\'partitionKey\\':[\\'a\\']}",
                "{\\'data\\':{\\'a\\':[{\\'wildcard\\':\\'x*y\\'}]}}"}) {
            assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + OTHER_STREAM
                    + "','StartingPosition':'LATEST','FilterCriteria':{'Filters':[{'Pattern':'" + pattern + "'}]}}"),
                    400, "InvalidParameterValueException")).as(pattern).isEqualTo("Invalid filter pattern definition.");
        }
    }

    @Test
    void onlyEventCountMetricsAndFiftyTags() {
        fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM + "','StartingPosition':"
                + "'LATEST','MetricsConfig':{'Metrics':['ErrorCount']}}"), 400, "InvalidParameterValueException");
        StringBuilder tags = new StringBuilder();
        for (int i = 0; i < 51; i++) {
            tags.append(i == 0 ? "" : ",").append("'k").append(i).append("':'v'");
        }
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'fn','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST','Tags':{" + tags + "}}"), 400, "InvalidParameterValueException"))
                .contains("at most 50 tags");
    }

    @Test
    void theRegionHoldsAtMostItsBoundOfMappings() {
        api = new LambdaApi(store, clock, ACCOUNT, functions, streams, 2);
        createDefault("");
        createDefault(",'EventSourceArn':'" + OTHER_STREAM + "'");
        assertThat(fails(call("POST", LambdaApi.BASE, "{'FunctionName':'other','EventSourceArn':'" + STREAM
                + "','StartingPosition':'LATEST'}"), 400, "InvalidParameterValueException"))
                .contains("2 event source mappings");
    }
}
