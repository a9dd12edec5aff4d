package dev.millrace.protocol;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProtocolTest {
    private final ApiModel model = ApiModel.kinesis();
    private final RequestReader reader = new RequestReader(model);
    private final Validator validator = new Validator(model);

    private Struct json(String shape, String body) {
        return reader.read(WireFormat.JSON, shape, body.getBytes(StandardCharsets.UTF_8));
    }

    private String validationMessage(String shape, String body) {
        Struct s = json(shape, body);
        try {
            validator.validate(s);
        } catch (KinesisException e) {
            assertThat(e.errorType()).isEqualTo("ValidationException");
            assertThat(e.httpStatus()).isEqualTo(400);
            return e.getMessage();
        }
        return null;
    }

    @Test
    void modelHasEveryOperation() {
        assertThat(model.operations()).hasSize(45).containsKeys("PutRecords", "SubscribeToShard", "UpdateMaxRecordSize",
                "UpdateStreamRecordDistributionStrategy", "ListChannels");
        assertThat(model.targetPrefix()).isEqualTo("Kinesis_20131202");
    }

    @Test
    void patternViolationUsesAwsWording() {
        assertThat(validationMessage("DescribeStreamInput", "{\"StreamName\":\"a b\"}")).isEqualTo(
                "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: "
                        + "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    }

    @Test
    void severalViolationsAreCountedAndJoined() {
        String message = validationMessage("PutRecordsInput",
                "{\"StreamName\":\"s\",\"Records\":[{\"Data\":\"AA==\",\"PartitionKey\":\"\"},{\"PartitionKey\":\"k\"}]}");
        assertThat(message).isEqualTo("2 validation errors detected: "
                + "Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: "
                + "Member must have length greater than or equal to 1; "
                + "Value null at 'records.2.member.data' failed to satisfy constraint: Member must not be null");
    }

    @Test
    void rangesEnumsAndRequiredMembers() {
        assertThat(validationMessage("GetRecordsInput", "{\"ShardIterator\":\"x\",\"Limit\":0}")).isEqualTo(
                "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                        + "Member must have value greater than or equal to 1");
        assertThat(validationMessage("GetShardIteratorInput",
                "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"NOPE\"}"))
                .isEqualTo("1 validation error detected: Value 'NOPE' at 'shardIteratorType' failed to satisfy "
                        + "constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, "
                        + "AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]");
        assertThat(validationMessage("GetRecordsInput", "{}")).isEqualTo(
                "1 validation error detected: Value null at 'shardIterator' failed to satisfy constraint: "
                        + "Member must not be null");
        assertThat(validationMessage("DescribeStreamInput", "{\"StreamName\":\"ok\"}")).isNull();
    }

    @Test
    void wrongTypesAndMalformedBodiesAreSerializationErrors() {
        // the texts themselves: SerializationErrorsTest
        assertThatThrownBy(() -> json("DescribeStreamInput", "{\"StreamName\":5}"))
                .isInstanceOfSatisfying(KinesisException.class,
                        e -> assertThat(e.errorType()).isEqualTo("SerializationException"));
        assertThatThrownBy(() -> json("DescribeStreamInput", "{\"StreamName\":"))
                .isInstanceOfSatisfying(KinesisException.class,
                        e -> assertThat(e.errorType()).isEqualTo("SerializationException"));
        assertThatThrownBy(() -> json("PutRecordInput", "{\"Data\":\"!!!\"}"))
                .isInstanceOfSatisfying(KinesisException.class,
                        e -> assertThat(e.errorType()).isEqualTo("SerializationException"));
        assertThat(json("DescribeStreamInput", "{\"Unknown\":{\"a\":[1,2]},\"StreamName\":\"s\"}").string("StreamName"))
                .isEqualTo("s");
    }

    @Test
    void jsonBlobsAreBase64AndTimestampsAreSeconds() {
        Struct s = json("GetShardIteratorInput", "{\"Timestamp\":1787036486.712}");
        assertThat(s.timestamp("Timestamp")).isEqualTo(Instant.ofEpochMilli(1787036486712L));
        Struct put = json("PutRecordInput", "{\"Data\":\"AAEC/w==\",\"PartitionKey\":\"k\"}");
        assertThat(put.blob("Data")).containsExactly(0, 1, 2, 255);

        byte[] out = new WireWriter(WireFormat.JSON).startObject()
                .timestampMs("T", 1787036486712L).blob("B", new byte[]{0, 1, 2, (byte) 255}).endObject().toBytes();
        assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo("{\"T\":1787036486.712,\"B\":\"AAEC/w==\"}");
    }

    @Test
    void cborTimestampsAreTaggedMillisecondsBothWays() throws IOException {
        // What the Java SDK sends: an indefinite-length map, tag 1 + integer milliseconds, a byte string blob.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CBORGenerator g = new CBORFactory().createGenerator(bytes)) {
            g.writeStartObject();
            g.writeFieldName("Timestamp");
            g.writeTag(1);
            g.writeNumber(1787036486712L);
            g.writeFieldName("ShardId");
            g.writeString("shardId-000000000000");
            g.writeEndObject();
        }
        Struct s = reader.read(WireFormat.CBOR, "GetShardIteratorInput", bytes.toByteArray());
        assertThat(s.timestamp("Timestamp")).isEqualTo(Instant.ofEpochMilli(1787036486712L));
        assertThat(s.string("ShardId")).isEqualTo("shardId-000000000000");

        byte[] out = new WireWriter(WireFormat.CBOR).startObject().timestampMs("T", 1787036486712L)
                .blob("B", new byte[]{9}).endObject().toBytes();
        try (CBORParser p = new CBORFactory().createParser(out)) {
            p.nextToken();
            p.nextToken();
            p.nextToken();
            assertThat(p.getCurrentTag()).isEqualTo(1);
            assertThat(p.getLongValue()).isEqualTo(1787036486712L);
            p.nextToken();
            p.nextToken();
            assertThat(p.getBinaryValue()).containsExactly(9);
        }
    }

    @Test
    void errorBodiesCarryTypeAndMessage() {
        byte[] body = WireWriter.error(WireFormat.JSON, KinesisException.resourceNotFound("Stream s not found."));
        assertThat(new String(body, StandardCharsets.UTF_8))
                .isEqualTo("{\"__type\":\"ResourceNotFoundException\",\"message\":\"Stream s not found.\"}");
        assertThat(List.of(KinesisException.internalFailure("x").httpStatus())).containsExactly(500);
    }

}
