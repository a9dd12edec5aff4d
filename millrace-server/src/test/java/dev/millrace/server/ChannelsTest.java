package dev.millrace.server;

import dev.millrace.auth.Identity;
import dev.millrace.auth.policy.PolicyDocument;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.Caller;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.security.PolicyGatekeeper;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The channel operations in-process: AWS's defaults, the state machine on a manual clock (CREATING, ACTIVE, UPDATING,
 * DELETING, FAILED), validation with the error types chosen, the per-stream and rate limits, tags, paging, and the
 * channels surviving a restart of the registry on the same metadata.
 */
class ChannelsTest {
    private static final String ACCOUNT = "000000000000";
    private static final String STREAM_ARN = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":stream/";
    private static final long DELAY_MS = 1_000;

    @TempDir
    Path dir;
    private ManualClock clock;
    private ApiHarness api;

    @BeforeEach
    void setUp() {
        clock = new ManualClock(1_700_000_000_000L);
        api = harness();
    }

    private ApiHarness harness() {
        return new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.OFF, DELAY_MS);
    }

    @AfterEach
    void tearDown() {
        api.close();
    }

    private void onDemandStream(String name) {
        api.call("CreateStream", "{\"StreamName\":\"" + name + "\",\"StreamModeDetails\":{\"StreamMode\":"
                + "\"ON_DEMAND\"}}");
        clock.advanceMs(DELAY_MS);
        api.call("DescribeStreamSummary", "{\"StreamName\":\"" + name + "\"}");
    }

    private static String s3Channel(String name, String stream, String extra) {
        return "{\"ChannelName\":\"" + name + "\",\"ServiceExecutionRoleARN\":\"arn:aws:iam::" + ACCOUNT
                + ":role/r\",\"StreamConfigurationList\":[{\"StreamARN\":\"" + STREAM_ARN + stream + "\","
                + "\"RecordConfiguration\":{\"RecordFormatType\":\"JSON\"}}],\"S3DestinationConfiguration\":{"
                + "\"StorageConfiguration\":{\"BucketARN\":\"arn:aws:s3:::my-bucket\",\"ExpectedBucketOwner\":\""
                + ACCOUNT + "\",\"CompressionType\":\"GZIP\"}}" + extra + "}";
    }

    /** An S3 channel "c" on "orders" whose dead letters go under {@code prefix}. */
    private static String withErrorOutputPrefix(String prefix) {
        return s3Channel("c", "orders", "").replace("\"StorageConfiguration\"",
                "\"DeadLetterQueueS3Configuration\":{\"BucketARN\":\"arn:aws:s3:::dlq\",\"ExpectedBucketOwner\":\""
                        + ACCOUNT + "\",\"ErrorOutputPrefix\":\"" + prefix + "\"},\"StorageConfiguration\"");
    }

    private static String tablesChannel(String name, String stream, String table, boolean withDlq) {
        return "{\"ChannelName\":\"" + name + "\",\"ServiceExecutionRoleARN\":\"arn:aws:iam::" + ACCOUNT
                + ":role/r\",\"StreamConfigurationList\":[{\"StreamARN\":\"" + STREAM_ARN + stream + "\","
                + "\"RecordConfiguration\":{\"RecordFormatType\":\"JSON\",\"GSRSchemaARN\":\"arn:aws:glue:us-east-1:"
                + ACCOUNT + ":schema/reg/orders\"}}],\"S3TablesDestinationConfiguration\":{"
                + (withDlq ? "\"DeadLetterQueueS3Configuration\":{\"BucketARN\":\"arn:aws:s3:::dlq\","
                + "\"ExpectedBucketOwner\":\"" + ACCOUNT + "\"}," : "")
                + "\"S3TablesConfigurationList\":[{\"TableBucketARN\":\"arn:aws:s3tables:us-east-1:" + ACCOUNT
                + ":bucket/tables\",\"Namespace\":\"analytics\",\"TableName\":\"" + table + "\","
                + "\"CompressionType\":\"ZSTD\",\"PartitionSpec\":{\"PartitionFields\":[{\"Transform\":\"TIME_HOUR\","
                + "\"SourceName\":\"ts\"}]}}]}}";
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> describe(String arn) {
        return (Map<String, Object>) api.call("DescribeChannel", "{\"ChannelARN\":\"" + arn + "\"}")
                .get("ChannelDescription");
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Map<String, Object> m, String... path) {
        Object o = m;
        for (String p : path) {
            o = o instanceof List<?> l ? l.get(Integer.parseInt(p)) : ((Map<String, Object>) o).get(p);
        }
        return (T) o;
    }

    private String errorOf(String operation, String body) {
        try {
            api.call(operation, body);
        } catch (ApiHarness.ApiError e) {
            return e.type + ": " + e.message;
        }
        throw new AssertionError(operation + " succeeded");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aChannelIsCreatedWithAwsDefaultsBecomesActiveUpdatesAndGoes() {
        onDemandStream("orders");
        Map<String, Object> created = (Map<String, Object>) api.call("CreateChannel",
                s3Channel("to-s3", "orders", "")).get("ChannelDescription");
        String id = (String) created.get("ChannelId");
        String arn = (String) created.get("ChannelARN");
        assertThat(id).matches("[a-z][a-z0-9]{19}");
        assertThat(arn).isEqualTo("arn:aws:kinesis:us-east-1:" + ACCOUNT + ":channel/" + id);
        assertThat(created).containsEntry("ChannelStatus", "CREATING").containsEntry("ChannelName", "to-s3");
        assertThat((Object) at(created, "S3DestinationConfiguration", "DataFreshnessInSeconds")).isEqualTo(300L);
        assertThat((Object) at(created, "S3DestinationConfiguration", "StorageConfiguration", "StorageClass"))
                .isEqualTo("STANDARD");
        assertThat((Object) at(created, "S3DestinationConfiguration", "StorageConfiguration", "OutputKeyTemplate"))
                .isEqualTo("kinesis-channel/!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/!{channel-name}-"
                        + "!{channel-id}-!{yyyy}-!{MM}-!{dd}-!{HH}-!{mm}!{extension}");
        assertThat((Map<String, Object>) at(created, "S3DestinationConfiguration", "DeadLetterQueueS3Configuration"))
                .containsEntry("BucketARN", "arn:aws:s3:::my-bucket").containsEntry("ExpectedBucketOwner", ACCOUNT)
                .containsEntry("ErrorOutputPrefix", "kinesis-channel/errors/to-s3/" + id + "/");
        assertThat((Object) at(created, "LoggingConfiguration", "CloudWatchLogs")).isEqualTo(Map.of("Enabled", false));
        assertThat((Object) at(created, "StreamConfigurationList", "0", "StreamARN")).isEqualTo(STREAM_ARN + "orders");
        assertThat(created).containsKey("ChannelCreationTimestamp");

        assertThat(describe(arn)).containsEntry("ChannelStatus", "CREATING");
        clock.advanceMs(DELAY_MS);
        assertThat(describe(arn)).containsEntry("ChannelStatus", "ACTIVE");
        assertThat(api.call("DescribeStreamSummary", "{\"StreamName\":\"orders\"}").get("StreamDescriptionSummary"))
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("ChannelCount", 1L);
        assertThat(api.call("DescribeLimits", "{}")).containsEntry("ChannelCount", 1L)
                .containsEntry("ChannelCountLimit", 100L);
        Map<String, Object> summary = at(api.call("ListChannels", "{}"), "ChannelSummaries", "0");
        assertThat(summary).containsEntry("ChannelARN", arn).containsEntry("ChannelDestinationType", "S3")
                .containsEntry("ChannelStatus", "ACTIVE");
        assertThat(errorOf("DeleteStream", "{\"StreamName\":\"orders\"}"))
                .startsWith("ResourceInUseException").contains("channel");

        Map<String, Object> updating = (Map<String, Object>) api.call("UpdateChannel", "{\"ChannelARN\":\"" + arn
                + "\",\"S3DestinationConfiguration\":{\"DataFreshnessInSeconds\":600}}").get("ChannelDescription");
        assertThat(updating).containsEntry("ChannelStatus", "UPDATING");
        assertThat((Object) at(updating, "S3DestinationConfiguration", "DataFreshnessInSeconds")).isEqualTo(600L);
        assertThat(errorOf("UpdateChannel", "{\"ChannelARN\":\"" + arn
                + "\",\"S3DestinationConfiguration\":{\"DataFreshnessInSeconds\":700}}"))
                .startsWith("ResourceInUseException").contains("UPDATING");
        clock.advanceMs(DELAY_MS);
        assertThat(describe(arn)).containsEntry("ChannelStatus", "ACTIVE");
        assertThat(errorOf("UpdateChannel", "{\"ChannelARN\":\"" + arn
                + "\",\"S3TablesDestinationConfiguration\":{\"DataFreshnessInSeconds\":600}}"))
                .startsWith("InvalidArgumentException").contains("S3TablesDestinationConfiguration");
        assertThat(errorOf("UpdateChannel", "{\"ChannelARN\":\"" + arn
                + "\",\"S3DestinationConfiguration\":{\"DataFreshnessInSeconds\":901}}"))
                .startsWith("InvalidArgumentException").contains("300").contains("900");
        api.call("UpdateChannel", "{\"ChannelARN\":\"" + arn + "\",\"LoggingConfiguration\":{\"CloudWatchLogs\":"
                + "{\"Enabled\":true}}}");
        assertThat((Object) at(describe(arn), "LoggingConfiguration", "CloudWatchLogs")).isEqualTo(Map.of("Enabled", true,
                "LogGroupName", "/aws/kinesis/to-s3/" + id, "LogStreamName", "DestinationDelivery"));
        clock.advanceMs(DELAY_MS);

        assertThat(api.body("DeleteChannel", "{\"ChannelARN\":\"" + arn + "\"}")).isEmpty();
        assertThat(describe(arn)).containsEntry("ChannelStatus", "DELETING");
        clock.advanceMs(DELAY_MS);
        assertThat(errorOf("DescribeChannel", "{\"ChannelARN\":\"" + arn + "\"}"))
                .startsWith("ResourceNotFoundException").contains(arn);
        assertThat(errorOf("DeleteChannel", "{\"ChannelARN\":\"" + arn + "\"}")).startsWith("ResourceNotFound");
        api.call("DeleteStream", "{\"StreamName\":\"orders\"}");
        assertThat(api.call("DescribeLimits", "{}")).containsEntry("ChannelCount", 0L);
    }

    @Test
    void requestsAgainstTheRulesAreRefusedWithClearErrors() {
        onDemandStream("orders");
        api.call("CreateStream", "{\"StreamName\":\"prov\",\"ShardCount\":1}");
        clock.advanceMs(DELAY_MS);
        assertThat(errorOf("CreateChannel", s3Channel("c", "prov", "")))
                .startsWith("InvalidArgumentException").contains("PROVISIONED");
        assertThat(errorOf("CreateChannel", s3Channel("c", "nope", "")))
                .startsWith("ResourceNotFoundException").contains("nope");
        assertThat(errorOf("CreateChannel", s3Channel("c", "orders", "").replace("us-east-1:" + ACCOUNT
                + ":stream", "us-east-1:111122223333:stream")))
                .startsWith("InvalidArgumentException").contains("account");
        String both = tablesChannel("c", "orders", "t", true).replace("\"S3TablesDestinationConfiguration\"",
                "\"S3DestinationConfiguration\":{\"StorageConfiguration\":{\"BucketARN\":\"arn:aws:s3:::b12\","
                        + "\"ExpectedBucketOwner\":\"" + ACCOUNT + "\",\"CompressionType\":\"NONE\"}},"
                        + "\"S3TablesDestinationConfiguration\"");
        assertThat(errorOf("CreateChannel", both)).startsWith("InvalidArgumentException").contains("Exactly one");
        String neither = s3Channel("c", "orders", "").replaceAll(",\"S3DestinationConfiguration\".*$", "}");
        assertThat(errorOf("CreateChannel", neither)).startsWith("InvalidArgumentException").contains("Exactly one");
        assertThat(errorOf("CreateChannel", s3Channel("c", "orders", "").replace("\"JSON\"", "\"GSR_JSON\"")))
                .startsWith("InvalidArgumentException").contains("GSR_JSON");
        assertThat(errorOf("CreateChannel", tablesChannel("c", "orders", "t", true).replace("\"JSON\"",
                "\"BYTE_ARRAY\""))).startsWith("InvalidArgumentException").contains("BYTE_ARRAY");
        assertThat(errorOf("CreateChannel", tablesChannel("c", "orders", "t", true).replaceAll(
                ",\"GSRSchemaARN\":\"[^\"]*\"", ""))).startsWith("InvalidArgumentException").contains("GSRSchemaARN");
        assertThat(errorOf("CreateChannel", tablesChannel("c", "orders", "t", false)))
                .startsWith("ValidationException").contains("deadLetterQueueS3Configuration");
        assertThat(errorOf("CreateChannel", tablesChannel("c", "orders", "Orders", true)))
                .startsWith("ValidationException").contains("Orders");
        assertThat(errorOf("CreateChannel", s3Channel("c", "orders", "").replace("\"StorageConfiguration\"",
                "\"DataFreshnessInSeconds\":299,\"StorageConfiguration\"")))
                .startsWith("InvalidArgumentException").contains("DataFreshnessInSeconds");
        assertThat(errorOf("CreateChannel", s3Channel("c", "orders", "").replace("\"CompressionType\"",
                "\"OutputKeyTemplate\":\"data/!{partition-id}/!{extension}\",\"CompressionType\"")))
                .startsWith("InvalidArgumentException").contains("partition-id");
        assertThat(errorOf("CreateChannel", s3Channel("c", "orders", "").replace("\"CompressionType\"",
                "\"OutputKeyTemplate\":\"data/!{yyyy}/x\",\"CompressionType\"")))
                .startsWith("InvalidArgumentException").contains("GZIP");
        assertThat(errorOf("CreateChannel", s3Channel("c", "orders", ",\"EncryptionConfiguration\":{"
                + "\"EncryptionType\":\"KMS\",\"KeyId\":\"alias/aws/kinesis\"}")))
                .startsWith("InvalidArgumentException").contains("customer managed");
        assertThat(errorOf("CreateChannel", s3Channel("bad name", "orders", ""))).startsWith("ValidationException");
        for (String prefix : List.of("../up/", "a//b/", "/abs/", "a/./b/")) {
            assertThat(errorOf("CreateChannel", withErrorOutputPrefix(prefix))).as(prefix)
                    .startsWith("InvalidArgumentException").contains("ErrorOutputPrefix");
        }
        assertThat(errorOf("CreateChannel", withErrorOutputPrefix("with space/")))
                .startsWith("ValidationException").contains("errorOutputPrefix");
        assertThat(errorOf("CreateChannel", withErrorOutputPrefix("x".repeat(513))))
                .startsWith("ValidationException").contains("errorOutputPrefix");
        assertThat(errorOf("DescribeChannel", "{\"ChannelARN\":\"arn:aws:kinesis:us-east-1:" + ACCOUNT
                + ":channel/nothere\"}")).startsWith("ResourceNotFoundException");

        api.call("CreateChannel", s3Channel("c", "orders", ""));
        assertThat(errorOf("CreateChannel", s3Channel("c", "orders", "")))
                .startsWith("ResourceInUseException").contains("already exists");
        api.call("StartStreamEncryption", "{\"StreamName\":\"orders\",\"EncryptionType\":\"KMS\","
                + "\"KeyId\":\"alias/aws/kinesis\"}");
        clock.advanceMs(DELAY_MS);
        assertThat(errorOf("CreateChannel", tablesChannel("t", "orders", "t", true)))
                .startsWith("InvalidArgumentException").contains("aws/kinesis");
    }

    @Test
    void aStreamHasOneChannelPerDestinationType() {
        onDemandStream("orders");
        api.call("CreateChannel", s3Channel("one", "orders", ""));
        assertThat(errorOf("CreateChannel", s3Channel("two", "orders", "")))
                .startsWith("LimitExceededException").contains("S3");
        api.call("CreateChannel", tablesChannel("three", "orders", "t", true));
        assertThat(errorOf("CreateChannel", tablesChannel("four", "orders", "u", true)))
                .startsWith("LimitExceededException").contains("S3_TABLES");
        assertThat(api.call("DescribeStreamSummary", "{\"StreamName\":\"orders\"}").get("StreamDescriptionSummary"))
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("ChannelCount", 2L);
    }

    @Test
    void aChannelWhoseDestinationCannotBeReachedFailsWithTheReason() {
        onDemandStream("orders");
        String tables = at(api.call("CreateChannel", tablesChannel("ice", "orders", "t", true)),
                "ChannelDescription", "ChannelARN");
        clock.advanceMs(DELAY_MS);
        assertThat(describe(tables)).containsEntry("ChannelStatus", "FAILED");
        assertThat((String) describe(tables).get("ChannelStatusReason")).contains("Iceberg");
        assertThat(errorOf("UpdateChannel", "{\"ChannelARN\":\"" + tables
                + "\",\"S3TablesDestinationConfiguration\":{\"DataFreshnessInSeconds\":600}}"))
                .startsWith("ResourceInUseException").contains("FAILED");

        api.channels.useCheck(c -> Optional.of("Bucket " + c.destination().s3().bucket() + " does not exist."));
        String s3 = at(api.call("CreateChannel", s3Channel("s3", "orders", "")), "ChannelDescription", "ChannelARN");
        clock.advanceMs(DELAY_MS);
        assertThat(describe(s3)).containsEntry("ChannelStatus", "FAILED")
                .containsEntry("ChannelStatusReason", "Bucket my-bucket does not exist.");
        api.call("DeleteChannel", "{\"ChannelARN\":\"" + s3 + "\"}");
        clock.advanceMs(DELAY_MS);
        assertThat(errorOf("DescribeChannel", "{\"ChannelARN\":\"" + s3 + "\"}")).startsWith("ResourceNotFound");
    }

    @Test
    void channelsSurviveARestartAndACreatingOneIsCheckedAgain() {
        onDemandStream("orders");
        api.channels.useCheck(c -> Optional.of("never settled before the restart"));
        String arn = at(api.call("CreateChannel", s3Channel("kept", "orders",
                ",\"Tags\":{\"team\":\"data\"}")), "ChannelDescription", "ChannelARN");
        api.close();
        api = harness();
        // A new registry: its check is the built-in one, which lets an S3 channel become ACTIVE.
        assertThat(describe(arn)).containsEntry("ChannelStatus", "CREATING");
        clock.advanceMs(DELAY_MS);
        Map<String, Object> d = describe(arn);
        assertThat(d).containsEntry("ChannelStatus", "ACTIVE").containsEntry("ChannelName", "kept");
        assertThat((Object) at(d, "S3DestinationConfiguration", "StorageConfiguration", "CompressionType"))
                .isEqualTo("GZIP");
        assertThat(api.call("ListTagsForResource", "{\"ResourceARN\":\"" + arn + "\"}").get("Tags"))
                .isEqualTo(List.of(Map.of("Key", "team", "Value", "data")));
        api.close();
        api = harness();
        assertThat(describe(arn)).containsEntry("ChannelStatus", "ACTIVE");
    }

    @Test
    void channelTagsAreSetListedAndRemovedByArn() {
        onDemandStream("orders");
        String arn = at(api.call("CreateChannel", s3Channel("tagged", "orders", ",\"Tags\":{\"a\":\"1\"}")),
                "ChannelDescription", "ChannelARN");
        api.call("TagResource", "{\"ResourceARN\":\"" + arn + "\",\"Tags\":{\"b\":\"2\"}}");
        api.call("UntagResource", "{\"ResourceARN\":\"" + arn + "\",\"TagKeys\":[\"a\"]}");
        assertThat(api.call("ListTagsForResource", "{\"ResourceARN\":\"" + arn + "\"}").get("Tags"))
                .isEqualTo(List.of(Map.of("Key", "b", "Value", "2")));
        assertThat(errorOf("TagResource", "{\"ResourceARN\":\"" + arn + "x\",\"Tags\":{\"b\":\"2\"}}"))
                .startsWith("ResourceNotFoundException");
        assertThat(errorOf("TagResource", "{\"ResourceARN\":\"" + arn + "\",\"Tags\":{\"%\":\"2\"}}"))
                .startsWith("InvalidArgumentException");
    }

    @Test
    @SuppressWarnings("unchecked")
    void listChannelsPagesFiltersAndItsTokensExpire() {
        for (String s : List.of("s1", "s2", "s3")) {
            onDemandStream(s);
            api.call("CreateChannel", s3Channel("c-" + s, s, ""));
        }
        Map<String, Object> first = api.call("ListChannels", "{\"MaxResults\":2}");
        assertThat((List<Map<String, Object>>) first.get("ChannelSummaries")).extracting(m -> m.get("ChannelName"))
                .containsExactly("c-s1", "c-s2");
        String token = (String) first.get("NextToken");
        Map<String, Object> second = api.call("ListChannels", "{\"MaxResults\":2,\"NextToken\":\"" + token + "\"}");
        assertThat((List<Map<String, Object>>) second.get("ChannelSummaries")).extracting(m -> m.get("ChannelName"))
                .containsExactly("c-s3");
        assertThat(second).doesNotContainKey("NextToken");
        Map<String, Object> filtered = api.call("ListChannels", "{\"StreamFilter\":[{\"StreamARN\":\"" + STREAM_ARN
                + "s2\"}]}");
        assertThat((List<Map<String, Object>>) filtered.get("ChannelSummaries"))
                .extracting(m -> m.get("ChannelName")).containsExactly("c-s2");
        Map<String, Object> wrongIncarnation = api.call("ListChannels", "{\"StreamFilter\":[{\"StreamARN\":\""
                + STREAM_ARN + "s2\",\"StreamCreationTimestamp\":1}]}");
        assertThat((List<Object>) wrongIncarnation.get("ChannelSummaries")).isEmpty();
        clock.advanceMs(301_000);
        assertThat(errorOf("ListChannels", "{\"NextToken\":\"" + token + "\"}"))
                .startsWith("ExpiredNextTokenException");
        assertThat(errorOf("ListChannels", "{\"NextToken\":\"garbage!\"}")).startsWith("InvalidArgumentException");
    }

    @Test
    void theFiveChannelOperationsShareFiveCallsPerSecond() {
        api.close();
        api = new ApiHarness(dir, clock, ScalingLimits.AWS, ThroughputLimits.AWS, 0);
        for (int i = 0; i < 5; i++) {
            api.call(i % 2 == 0 ? "ListChannels" : "DescribeLimits", "{}");
        }
        api.call("ListChannels", "{}");
        api.call("ListChannels", "{}");
        assertThat(errorOf("DescribeChannel", "{\"ChannelARN\":\"arn:aws:kinesis:us-east-1:" + ACCOUNT
                + ":channel/x\"}")).startsWith("LimitExceededException").contains("Rate exceeded");
        clock.advanceMs(1_000);
        assertThat(errorOf("DescribeChannel", "{\"ChannelARN\":\"arn:aws:kinesis:us-east-1:" + ACCOUNT
                + ":channel/x\"}")).startsWith("ResourceNotFoundException");
    }

    @Test
    void underSigV4CreateChannelAlsoNeedsAssociateStreamsWithChannelAndTagResourceForTags() {
        onDemandStream("orders");
        KinesisApi raw = api.rawApi();
        raw.secure(new PolicyGatekeeper(clock), id -> false);
        String channels = "arn:aws:kinesis:us-east-1:" + ACCOUNT + ":channel/*";
        Caller onlyCreate = caller("{\"Effect\":\"Allow\",\"Action\":\"kinesis:CreateChannel\",\"Resource\":\""
                + channels + "\"}");
        assertThat(call(raw, onlyCreate, "CreateChannel", s3Channel("c", "orders", "")))
                .startsWith("AccessDeniedException").contains("kinesis:AssociateStreamsWithChannel")
                .contains(STREAM_ARN + "orders");
        Caller creator = caller("{\"Effect\":\"Allow\",\"Action\":\"kinesis:CreateChannel\",\"Resource\":\""
                + channels + "\"},{\"Effect\":\"Allow\",\"Action\":\"kinesis:AssociateStreamsWithChannel\","
                + "\"Resource\":\"" + STREAM_ARN + "orders\"},{\"Effect\":\"Allow\",\"Action\":"
                + "\"kinesis:ListChannels\",\"Resource\":\"" + STREAM_ARN + "*\"}");
        assertThat(call(raw, creator, "CreateChannel", s3Channel("c", "orders", ",\"Tags\":{\"a\":\"b\"}")))
                .startsWith("AccessDeniedException").contains("kinesis:TagResource");
        assertThat(call(raw, creator, "CreateChannel", s3Channel("c", "orders", ""))).isEqualTo("OK");
        assertThat(call(raw, creator, "ListChannels", "{}")).isEqualTo("OK");
        String arn = api.channels.list().get(0).id();
        assertThat(call(raw, creator, "DescribeChannel", "{\"ChannelARN\":\"arn:aws:kinesis:us-east-1:" + ACCOUNT
                + ":channel/" + arn + "\"}")).startsWith("AccessDeniedException").contains("kinesis:DescribeChannel");
    }

    private static Caller caller(String statements) {
        return new Caller(new Identity("someone", ACCOUNT, "AKIASOMEONE00000001", "secret",
                PolicyDocument.parseIdentityPolicy("{\"Version\":\"2012-10-17\",\"Statement\":[" + statements
                        + "]}")), "127.0.0.1", false);
    }

    /** "OK", or the error type and message. */
    private static String call(KinesisApi raw, Caller caller, String operation, String body) {
        KinesisApi.Result r = raw.handle("Kinesis_20131202." + operation, WireFormat.JSON,
                body.getBytes(StandardCharsets.UTF_8), "test", caller, Account.DEFAULT, false);
        return r.httpStatus() == 200 ? "OK" : r.errorType() + ": " + new String(r.body(), StandardCharsets.UTF_8);
    }
}
