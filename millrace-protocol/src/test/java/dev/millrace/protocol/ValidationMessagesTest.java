package dev.millrace.protocol;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ValidationException texts as recorded against AWS (kinesalite's conformance tests): the ten-error cap, how values
 * are printed (structures, lists, maps, byte buffers, nulls) and how collections of scalars are reported.
 */
class ValidationMessagesTest {
    private static final String ENTRY = "com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@";
    private static final String TAG_KEY = "[Member must have length less than or equal to 128, "
            + "Member must have length greater than or equal to 1]";

    private final ApiModel model = ApiModel.kinesis();
    private final RequestReader reader = new RequestReader(model);
    private final Validator validator = new Validator(model);

    private String message(String shape, String body) {
        Struct s = reader.read(WireFormat.JSON, shape, body.getBytes(StandardCharsets.UTF_8));
        try {
            validator.validate(s);
        } catch (KinesisException e) {
            assertThat(e.errorType()).isEqualTo("ValidationException");
            assertThat(e.httpStatus()).isEqualTo(400);
            assertThat(e.messageMember()).isEqualTo("message");
            return e.getMessage();
        }
        return null;
    }

    private static String repeat(String item, int times, String separator) {
        return String.join(separator, java.util.Collections.nCopies(times, item));
    }

    @Test
    void tooManyRecordsStopsAtTenErrorsAndPrintsEntriesAsAwsDoes() {
        String records = repeat("{\"PartitionKey\":\"\",\"Data\":\"\"}", 501, ",");
        String message = message("PutRecordsInput", "{\"StreamName\":\"\",\"Records\":[" + records + "]}");
        // AWS's answer, recorded: the list, then the first nine entries' keys; the tenth entry and the stream name
        // are past the cap
        StringBuilder expected = new StringBuilder("10 validation errors detected: Value '[")
                .append(repeat(ENTRY + "c965e310", 501, ", "))
                .append("]' at 'records' failed to satisfy constraint: ")
                .append("Member must have length less than or equal to 500");
        for (int i = 1; i <= 9; i++) {
            expected.append("; Value '' at 'records.").append(i).append(".member.partitionKey' failed to satisfy ")
                    .append("constraint: Member must have length greater than or equal to 1");
        }
        assertThat(message).isEqualTo(expected.toString());
    }

    @Test
    void fewerThanTenErrorsAreAllListedAndCounted() {
        String message = message("PutRecordsInput", "{\"StreamName\":\"\",\"Records\":["
                + repeat("{\"PartitionKey\":\"\",\"Data\":\"\"}", 3, ",") + "]}");
        assertThat(message).startsWith("5 validation errors detected: Value '' at 'records.1.member.partitionKey'")
                .contains("records.3.member.partitionKey")
                .endsWith("Value '' at 'streamName' failed to satisfy constraint: "
                        + "Member must have length greater than or equal to 1");
    }

    @Test
    void aStructureIsPrintedWithTheHashOfItsContent() {
        byte[] data = {1, 2, 3};
        String records = repeat("{\"PartitionKey\":\"key\",\"ExplicitHashKey\":\"7\",\"Data\":\""
                + Base64.getEncoder().encodeToString(data) + "\"}", 501, ",");
        String message = message("PutRecordsInput", "{\"StreamName\":\"s\",\"Records\":[" + records + "]}");
        // the generated model classes' hash: Arrays.hashCode of the class name's hash and the members in order
        int classHash = Arrays.hashCode(new Object[]{"com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry"});
        int hash = Arrays.hashCode(new Object[]{classHash, ByteBuffer.wrap(data), "7", "key"});
        assertThat(message).startsWith("1 validation error detected: Value '[" + ENTRY
                + Integer.toHexString(hash) + ", " + ENTRY + Integer.toHexString(hash) + ", ");
        assertThat(Integer.toHexString(hash)).isNotEqualTo("c965e310");
    }

    @Test
    void mapsArePrintedAsJavaMapsWithTheirKeyOrValueConstraints() {
        String longKey = "a".repeat(129);
        assertThat(message("AddTagsToStreamInput", "{\"StreamName\":\"s\",\"Tags\":{\"a\":\"1\",\"" + longKey
                + "\":\"3\",\"b\":\"2\"}}")).isEqualTo("1 validation error detected: Value '{a=1, " + longKey
                + "=3, b=2}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: " + TAG_KEY);
        String longValue = "v".repeat(257);
        assertThat(message("AddTagsToStreamInput", "{\"StreamName\":\"s\",\"Tags\":{\"a\":\"1\",\"c\":\""
                + longValue + "\"}}")).isEqualTo("1 validation error detected: Value '{a=1, c=" + longValue
                + "}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: "
                + "[Member must have length less than or equal to 256, "
                + "Member must have length greater than or equal to 0]");
        assertThat(message("AddTagsToStreamInput", "{\"StreamName\":\"s\",\"Tags\":{}}")).isEqualTo(
                "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: "
                        + "Member must have length greater than or equal to 1");
    }

    @Test
    void tooManyTagsPrintsTheWholeMap() {
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < 201; i++) {
            tags.add("\"k" + i + "\":\"" + i + "\"");
        }
        assertThat(message("AddTagsToStreamInput", "{\"StreamName\":\"s\",\"Tags\":{" + String.join(",", tags) + "}}"))
                .startsWith("1 validation error detected: Value '{k0=0, k1=1, k2=2, ")
                .endsWith(", k200=200}' at 'tags' failed to satisfy constraint: "
                        + "Member must have length less than or equal to 200");
    }

    @Test
    void aListOfStringsIsReportedOnceWithEveryConstraintOfItsMembers() {
        String longKey = "a".repeat(129);
        assertThat(message("RemoveTagsFromStreamInput", "{\"StreamName\":\"s\",\"TagKeys\":[\"a\",\"" + longKey
                + "\",\"b\",\"\"]}")).isEqualTo("1 validation error detected: Value '[a, " + longKey
                + ", b, ]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: " + TAG_KEY);
        assertThat(message("RemoveTagsFromStreamInput", "{\"StreamName\":\"s\",\"TagKeys\":[]}")).isEqualTo(
                "1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: "
                        + "Member must have length greater than or equal to 1");
        assertThat(message("EnableEnhancedMonitoringInput", "{\"StreamName\":\"s\",\"ShardLevelMetrics\":[\"ALL\","
                + "\"Nope\"]}")).isEqualTo("1 validation error detected: Value '[ALL, Nope]' at 'shardLevelMetrics' "
                + "failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: "
                + "[IncomingBytes, IncomingRecords, OutgoingBytes, OutgoingRecords, "
                + "WriteProvisionedThroughputExceeded, "
                + "ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]]");
        assertThat(message("RemoveTagsFromStreamInput", "{\"StreamName\":\"s\",\"TagKeys\":[\"a\",null]}")).isEqualTo(
                "1 validation error detected: Value null at 'tagKeys.2.member' failed to satisfy constraint: "
                        + "Member must not be null");
    }

    @Test
    void shardIteratorTypesArePrintedInAwsOrder() {
        assertThat(message("GetShardIteratorInput", "{\"StreamName\":\"s\",\"ShardId\":\"shardId-0\","
                + "\"ShardIteratorType\":\"\"}")).isEqualTo("1 validation error detected: Value '' at "
                + "'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: "
                + "[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
        // enums nobody recorded keep the model's order; nested members get dotted paths
        assertThat(message("ListShardsInput", "{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"NOPE\"}}"))
                .isEqualTo("1 validation error detected: Value 'NOPE' at 'shardFilter.type' failed to satisfy "
                        + "constraint: Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, "
                        + "FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]");
    }

    @Test
    void anchoredPatternsArePrintedBareAndSaturatedNumbersAsRead() {
        assertThat(message("GetShardIteratorInput", "{\"StreamName\":\"\",\"ShardIteratorType\":\"LATEST\","
                + "\"ShardId\":\"\",\"StartingSequenceNumber\":\"\"}")).isEqualTo("5 validation errors detected: "
                + "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression "
                + "pattern: [a-zA-Z0-9_.-]+; "
                + "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or "
                + "equal to 1; "
                + "Value '' at 'shardId' failed to satisfy constraint: Member must satisfy regular expression "
                + "pattern: [a-zA-Z0-9_.-]+; "
                + "Value '' at 'shardId' failed to satisfy constraint: Member must have length greater than or "
                + "equal to 1; "
                + "Value '' at 'startingSequenceNumber' failed to satisfy constraint: Member must satisfy regular "
                + "expression pattern: 0|([1-9]\\d{0,128})");
        assertThat(message("GetRecordsInput", "{\"ShardIterator\":\"x\",\"Limit\":100000000000}")).isEqualTo(
                "1 validation error detected: Value '2147483647' at 'limit' failed to satisfy constraint: "
                        + "Member must have value less than or equal to 10000");
    }

    @Test
    void blobsArePrintedAsByteBuffersAndMissingValuesAsNull() {
        byte[] big = new byte[10 * 1024 * 1024 + 1];
        String body = "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\""
                + Base64.getEncoder().encodeToString(big) + "\"}";
        assertThat(message("PutRecordInput", body)).isEqualTo("1 validation error detected: "
                + "Value 'java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]' at 'data' failed to satisfy "
                + "constraint: Member must have length less than or equal to 10485760");
        assertThat(message("PutRecordsInput", "{\"Records\":[null,{}]}")).isEqualTo("2 validation errors detected: "
                + "Value null at 'records.1.member' failed to satisfy constraint: Member must not be null; "
                + "Value null at 'records.2.member.data' failed to satisfy constraint: Member must not be null");
        assertThat(message("PutRecordsInput", "{\"Records\":[{\"Data\":\"AA==\"}]}")).isNull();
    }
}
