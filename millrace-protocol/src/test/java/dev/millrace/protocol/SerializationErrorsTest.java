package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Members of the wrong type: the texts AWS answers, as recorded against AWS by kinesalite's conformance tests
 * (test/helpers.js {@code assertType}), and their CBOR equivalents.
 */
class SerializationErrorsTest {
    private static final String NUMBER = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";
    private static final String BOOLEAN = "class java.lang.Boolean";
    private static final String STRING = "class java.lang.String";
    private static final String LIST = "Start of list found where not expected";
    private static final String MAP = "Start of structure or map found where not expected.";

    private final RequestReader reader = new RequestReader(ApiModel.kinesis());

    private Struct json(String shape, String body) {
        return reader.read(WireFormat.JSON, shape, body.getBytes(StandardCharsets.UTF_8));
    }

    private static KinesisException thrownBy(Runnable call) {
        try {
            call.run();
        } catch (KinesisException e) {
            return e;
        }
        throw new AssertionError("no KinesisException thrown");
    }

    /** input shape, member path as JSON with {@code %s} for the value, the value, the recorded message. */
    static Stream<Arguments> recordedJsonAnswers() {
        String string = "{\"StreamName\":%s}";
        String integer = "{\"StreamName\":\"s\",\"Limit\":%s}";
        String blob = "{\"PartitionKey\":\"k\",\"Data\":%s}";
        String timestamp = "{\"Timestamp\":%s}";
        String list = "{\"Records\":%s}";
        String map = "{\"Tags\":%s}";
        String struct = "{\"Records\":[%s]}";
        String bool = "{\"Records\":[],\"DryRun\":%s}";
        return Stream.of(
                Arguments.of("DescribeStreamInput", string, "true", BOOLEAN + " can not be converted to an String"),
                Arguments.of("DescribeStreamInput", string, "23", NUMBER + " can not be converted to an String"),
                Arguments.of("DescribeStreamInput", string, "-2147483648",
                        NUMBER + " can not be converted to an String"),
                Arguments.of("DescribeStreamInput", string, "2147483648",
                        NUMBER + " can not be converted to an String"),
                Arguments.of("DescribeStreamInput", string, "34.56", NUMBER + " can not be converted to an String"),
                Arguments.of("DescribeStreamInput", string, "[]", LIST),
                Arguments.of("DescribeStreamInput", string, "{}", MAP),
                Arguments.of("DescribeStreamInput", integer, "\"23\"", STRING + " can not be converted to an Integer"),
                Arguments.of("DescribeStreamInput", integer, "true", BOOLEAN + " can not be converted to an Integer"),
                Arguments.of("DescribeStreamInput", integer, "[]", LIST),
                Arguments.of("DescribeStreamInput", integer, "{}", MAP),
                Arguments.of("PutRecordInput", blob, "true", "class java.lang.Boolean can not be converted to a Blob"),
                Arguments.of("PutRecordInput", blob, "23", NUMBER + " can not be converted to a Blob"),
                Arguments.of("PutRecordInput", blob, "34.56", NUMBER + " can not be converted to a Blob"),
                Arguments.of("PutRecordInput", blob, "[]", LIST),
                Arguments.of("PutRecordInput", blob, "{}", MAP),
                Arguments.of("PutRecordInput", blob, "\"23456\"", "'23456' can not be converted to a Blob: "
                        + "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
                Arguments.of("PutRecordInput", blob, "\"=+/=\"", "'=+/=' can not be converted to a Blob: "
                        + "Invalid Base64 character: '='"),
                Arguments.of("PutRecordInput", blob, "\"+/+=\"", "'+/+=' can not be converted to a Blob: "
                        + "Invalid last non-pad Base64 character dectected"),
                Arguments.of("GetShardIteratorInput", timestamp, "\"23\"",
                        "class java.lang.String can not be converted to milliseconds since epoch"),
                Arguments.of("GetShardIteratorInput", timestamp, "\"2016-04-04T19:58:46.480-00:00\"",
                        "class java.lang.String can not be converted to milliseconds since epoch"),
                Arguments.of("GetShardIteratorInput", timestamp, "true",
                        "class java.lang.Boolean can not be converted to milliseconds since epoch"),
                Arguments.of("GetShardIteratorInput", timestamp, "[]", LIST),
                Arguments.of("GetShardIteratorInput", timestamp, "{}", MAP),
                Arguments.of("PutRecordsInput", list, "\"23\"", "Expected list or null"),
                Arguments.of("PutRecordsInput", list, "true", "Expected list or null"),
                Arguments.of("PutRecordsInput", list, "2147483648", "Expected list or null"),
                Arguments.of("PutRecordsInput", list, "34.56", "Expected list or null"),
                Arguments.of("PutRecordsInput", list, "{}", MAP),
                Arguments.of("AddTagsToStreamInput", map, "\"23\"", "Expected map or null"),
                Arguments.of("AddTagsToStreamInput", map, "true", "Expected map or null"),
                Arguments.of("AddTagsToStreamInput", map, "-2147483648", "Expected map or null"),
                Arguments.of("AddTagsToStreamInput", map, "34.56", "Expected map or null"),
                Arguments.of("AddTagsToStreamInput", map, "[]", LIST),
                Arguments.of("AddTagsToStreamInput", "{\"Tags\":{\"a\":%s}}", "true",
                        BOOLEAN + " can not be converted to an String"),
                Arguments.of("PutRecordsInput", struct, "\"23\"", "Expected null"),
                Arguments.of("PutRecordsInput", struct, "true", "Expected null"),
                Arguments.of("PutRecordsInput", struct, "23", "Expected null"),
                Arguments.of("PutRecordsInput", struct, "[]", LIST),
                Arguments.of("PutRecordsInput", "{\"Records\":[{\"Data\":%s}]}", "23",
                        NUMBER + " can not be converted to a Blob"),
                Arguments.of("RemoveTagsFromStreamInput", "{\"TagKeys\":[%s]}", "true",
                        BOOLEAN + " can not be converted to an String"),
                Arguments.of("PutRecordsInput", bool, "\"23\"", "'23' can not be converted to an Boolean"),
                Arguments.of("PutRecordsInput", bool, "\"maybe\"", "'MAYBE' can not be converted to an Boolean"),
                Arguments.of("PutRecordsInput", bool, "23", NUMBER + " can not be converted to an Boolean"),
                Arguments.of("PutRecordsInput", bool, "[]", LIST),
                Arguments.of("PutRecordsInput", bool, "{}", MAP));
    }

    @ParameterizedTest(name = "{0} {1} <- {2}")
    @MethodSource("recordedJsonAnswers")
    void jsonMembersOfTheWrongTypeGetCoralsText(String shape, String template, String value, String message) {
        KinesisException e = thrownBy(() -> json(shape, template.formatted(value)));
        assertThat(e.errorType()).isEqualTo("SerializationException");
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo(message);
    }

    @Test
    void numbersAreTruncatedAndSaturatedAsAwsDoes() {
        // AWS answered {"ShardCount":100000000000} with "Value '2147483647' at 'shardCount' ..."
        assertThat(json("CreateStreamInput", "{\"ShardCount\":100000000000}").integer("ShardCount"))
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(json("GetRecordsInput", "{\"Limit\":-100000000000}").integer("Limit")).isEqualTo(Integer.MIN_VALUE);
        assertThat(json("GetRecordsInput", "{\"Limit\":99999999999999999999999}").integer("Limit"))
                .isEqualTo(Integer.MAX_VALUE);
        assertThat(json("GetRecordsInput", "{\"Limit\":34.56}").integer("Limit")).isEqualTo(34);
        assertThat(json("GetRecordsInput", "{\"Limit\":-1.9}").integer("Limit")).isEqualTo(-1);
        assertThat(json("GetRecordsInput", "{\"Limit\":1e300}").integer("Limit")).isEqualTo(Integer.MAX_VALUE);
        assertThat(json("GetRecordsInput", "{\"Limit\":2.14E4}").integer("Limit")).isEqualTo(21400);
    }

    @Test
    void booleansTakeWhatAwsTakes() {
        assertThat(json("PutRecordsInput", "{\"DryRun\":true}").bool("DryRun")).isTrue();
        assertThat(json("PutRecordsInput", "{\"DryRun\":\"yes\"}").bool("DryRun")).isTrue();
        assertThat(json("PutRecordsInput", "{\"DryRun\":\"FALSE\"}").bool("DryRun")).isFalse();
        assertThat(json("PutRecordsInput", "{\"DryRun\":\"0\"}").bool("DryRun")).isFalse();
        assertThat(json("PutRecordsInput", "{\"DryRun\":34.56}").bool("DryRun")).isTrue();
        assertThat(json("PutRecordsInput", "{\"DryRun\":0.0}").bool("DryRun")).isFalse();
    }

    @Test
    void canonicalBase64IsDecodedAndNullsAreAbsent() {
        assertThat(json("PutRecordInput", "{\"Data\":\"\"}").blob("Data")).isEmpty();
        assertThat(json("PutRecordInput", "{\"Data\":\"AAEC/w==\"}").blob("Data")).containsExactly(0, 1, 2, 255);
        assertThat(json("PutRecordInput", "{\"Data\":\"AAE=\"}").blob("Data")).containsExactly(0, 1);
        Struct s = json("PutRecordInput", "{\"Data\":null,\"StreamName\":null,\"PartitionKey\":\"k\"}");
        assertThat(s.has("Data")).isFalse();
        assertThat(s.has("StreamName")).isFalse();
        assertThat(s.string("PartitionKey")).isEqualTo("k");
    }

    @ParameterizedTest
    @ValueSource(strings = {"AA", "AAA", "AAAAA"})
    void unpaddedBase64IsRejected(String text) {
        assertThat(thrownBy(() -> json("PutRecordInput", "{\"Data\":\"" + text + "\"}")).getMessage())
                .isEqualTo("'" + text + "' can not be converted to a Blob: Base64 encoded length is expected a "
                        + "multiple of 4 bytes but found: " + text.length());
    }

    @ParameterizedTest
    @ValueSource(strings = {"A===", "====", "AB==", "AAB=", "AA=A", "AA\u00e9A", "AA-_"})
    void nonCanonicalBase64IsRejected(String text) {
        String expected = switch (text) {
            case "AA=A" -> "Invalid Base64 character: '='";
            case "AA\u00e9A" -> "Invalid Base64 character: '\u00e9'";
            case "AA-_" -> "Invalid Base64 character: '-'";
            default -> "Invalid last non-pad Base64 character dectected";
        };
        assertThat(thrownBy(() -> json("PutRecordInput", "{\"Data\":\"" + text + "\"}")).getMessage())
                .isEqualTo("'" + text + "' can not be converted to a Blob: " + expected);
    }

    @Test
    void jsonTimestampsAreEpochSecondsOnly() {
        assertThat(json("GetShardIteratorInput", "{\"Timestamp\":1787036486.712}").timestamp("Timestamp"))
                .isEqualTo(Instant.ofEpochMilli(1787036486712L));
        assertThat(json("GetShardIteratorInput", "{\"Timestamp\":1787036486}").timestamp("Timestamp"))
                .isEqualTo(Instant.ofEpochSecond(1787036486L));
        assertThat(json("GetShardIteratorInput", "{\"Timestamp\":99999999999999999999999}").timestamp("Timestamp"))
                .isEqualTo(Instant.ofEpochMilli(Long.MAX_VALUE / 1000 * 1000));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "hello", "5", "\"x\"", "true", "{}{}", "{} x", "{\"StreamName\":}", "   "})
    void unparsableBodiesAreABareSerializationException(String body) {
        KinesisException e = thrownBy(() -> json("ListStreamsInput", body));
        assertThat(e.errorType()).isEqualTo("SerializationException");
        assertThat(e.getMessage()).isNull();
        assertThat(new String(WireWriter.error(WireFormat.JSON, e), StandardCharsets.UTF_8))
                .isEqualTo("{\"__type\":\"SerializationException\"}");
    }

    @Test
    void aTopLevelListIsAStartOfList() {
        assertThat(thrownBy(() -> json("ListStreamsInput", "[]")).getMessage()).isEqualTo(LIST);
        assertThat(json("ListStreamsInput", "null").has("Limit")).isFalse();
    }

    @Test
    void serializationErrorsCarryTheirTextAsCapitalMessageInBothFormats() throws IOException {
        KinesisException e = thrownBy(() -> json("PutRecordsInput", "{\"Records\":5}"));
        assertThat(new String(WireWriter.error(WireFormat.JSON, e), StandardCharsets.UTF_8))
                .isEqualTo("{\"__type\":\"SerializationException\",\"Message\":\"Expected list or null\"}");
        assertThat(readCborObject(WireWriter.error(WireFormat.CBOR, e)))
                .containsExactly(Map.entry("__type", "SerializationException"),
                        Map.entry("Message", "Expected list or null"));
        // every other error keeps the lower-case member
        assertThat(readCborObject(WireWriter.error(WireFormat.CBOR, KinesisException.validation("v"))))
                .containsExactly(Map.entry("__type", "ValidationException"), Map.entry("message", "v"));
    }

    // ---- CBOR, as the AWS SDK for Java sends it by default ----

    @FunctionalInterface
    interface CborBody {
        void write(CBORGenerator g) throws IOException;
    }

    private Struct cbor(String shape, CborBody body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CBORGenerator g = new CBORFactory().createGenerator(bytes)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return reader.read(WireFormat.CBOR, shape, bytes.toByteArray());
    }

    private String cborError(String shape, CborBody body) {
        KinesisException e = thrownBy(() -> cbor(shape, body));
        assertThat(e.errorType()).isEqualTo("SerializationException");
        return e.getMessage();
    }

    @Test
    void cborScalarsOfTheWrongKindUseTheSameTexts() {
        assertThat(cborError("DescribeStreamInput", g -> g.writeNumberField("StreamName", 23)))
                .isEqualTo(NUMBER + " can not be converted to an String");
        assertThat(cborError("DescribeStreamInput", g -> g.writeBooleanField("StreamName", true)))
                .isEqualTo("class java.lang.Boolean can not be converted to an String");
        assertThat(cborError("DescribeStreamInput", g -> g.writeStringField("Limit", "23")))
                .isEqualTo("class java.lang.String can not be converted to an Integer");
        assertThat(cborError("PutRecordInput", g -> g.writeBooleanField("Data", false)))
                .isEqualTo("class java.lang.Boolean can not be converted to a Blob");
        assertThat(cborError("GetShardIteratorInput", g -> g.writeStringField("Timestamp", "23")))
                .isEqualTo("class java.lang.String can not be converted to milliseconds since epoch");
        assertThat(cborError("PutRecordsInput", g -> g.writeNumberField("Records", 1.5)))
                .isEqualTo("Expected list or null");
        assertThat(cborError("AddTagsToStreamInput", g -> g.writeStringField("Tags", "x")))
                .isEqualTo("Expected map or null");
        assertThat(cborError("CreateStreamInput", g -> g.writeStringField("StreamModeDetails", "x")))
                .isEqualTo("Expected null");
        assertThat(cborError("CreateStreamInput", g -> {
            g.writeFieldName("StreamModeDetails");
            g.writeStartArray();
            g.writeEndArray();
        })).isEqualTo(LIST);
        assertThat(cborError("DescribeStreamInput", g -> {
            g.writeFieldName("StreamName");
            g.writeStartObject();
            g.writeEndObject();
        })).isEqualTo(MAP);
    }

    @Test
    void cborByteStringsAreBlobsAndNothingElse() {
        assertThat(cbor("PutRecordInput", g -> g.writeBinaryField("Data", new byte[]{1, 2})).blob("Data"))
                .containsExactly(1, 2);
        assertThat(cborError("DescribeStreamInput", g -> g.writeBinaryField("StreamName", new byte[]{1})))
                .isEqualTo("class java.nio.HeapByteBuffer can not be converted to an String");
        assertThat(cborError("DescribeStreamInput", g -> g.writeBinaryField("Limit", new byte[]{1})))
                .isEqualTo("class java.nio.HeapByteBuffer can not be converted to an Integer");
        assertThat(cborError("GetShardIteratorInput", g -> g.writeBinaryField("Timestamp", new byte[]{1})))
                .isEqualTo("class java.nio.HeapByteBuffer can not be converted to milliseconds since epoch");
        // a base64 text string is taken for a blob, with JSON's checks
        assertThat(cbor("PutRecordInput", g -> g.writeStringField("Data", "AQI=")).blob("Data"))
                .containsExactly(1, 2);
        assertThat(cborError("PutRecordInput", g -> g.writeStringField("Data", "AQJ=")))
                .isEqualTo("'AQJ=' can not be converted to a Blob: Invalid last non-pad Base64 character dectected");
    }

    @Test
    void cborNumbersAreTruncatedAndSaturatedToo() {
        assertThat(cbor("GetRecordsInput", g -> {
            g.writeFieldName("Limit");
            g.writeNumber(new BigInteger("99999999999999999999999")); // tag 2 bignum
        }).integer("Limit")).isEqualTo(Integer.MAX_VALUE);
        assertThat(cbor("GetRecordsInput", g -> g.writeNumberField("Limit", 12.9)).integer("Limit")).isEqualTo(12);
        assertThat(cbor("GetRecordsInput", g -> g.writeNumberField("Limit", 100_000_000_000L)).integer("Limit"))
                .isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void cborTimestampsAreMillisecondsUnlessFloatingPoint() {
        assertThat(cbor("GetShardIteratorInput", g -> {
            g.writeFieldName("Timestamp");
            g.writeTag(1);
            g.writeNumber(1787036486712L);
        }).timestamp("Timestamp")).isEqualTo(Instant.ofEpochMilli(1787036486712L));
        assertThat(cbor("GetShardIteratorInput", g -> {
            g.writeFieldName("Timestamp");
            g.writeTag(1);
            g.writeNumber(1787036486.5);
        }).timestamp("Timestamp")).isEqualTo(Instant.ofEpochMilli(1787036486500L));
    }

    @Test
    void malformedCborIsABareSerializationException() {
        byte[] truncated = {(byte) 0xBF, 0x64, 'L', 'i'}; // an indefinite map cut inside its first key
        KinesisException e = thrownBy(() -> reader.read(WireFormat.CBOR, "ListStreamsInput", truncated));
        assertThat(e.errorType()).isEqualTo("SerializationException");
        assertThat(e.getMessage()).isNull();
        byte[] text = {0x61, 'x'}; // a lone text string, not a map
        assertThat(thrownBy(() -> reader.read(WireFormat.CBOR, "ListStreamsInput", text)).getMessage()).isNull();
    }

    private static Map<String, Object> readCborObject(byte[] body) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        try (JsonParser p = new CBORFactory().createParser(body)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                out.put(name, p.getText());
            }
        }
        return out;
    }

    @Test
    void everyModelledInputShapeReadsAnEmptyObject() {
        // guards the reader against shapes it cannot handle, now that the model has 45 operations
        for (ApiModel.Operation op : ApiModel.kinesis().operations().values()) {
            if (op.input() != null) {
                assertThat(json(op.input(), "{}").shape().name()).isEqualTo(op.input());
            }
        }
        assertThat(List.of(ApiModel.kinesis().operations().size())).containsExactly(45);
    }
}
