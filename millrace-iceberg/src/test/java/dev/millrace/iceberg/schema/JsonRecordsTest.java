package dev.millrace.iceberg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.millrace.iceberg.schema.JsonRecords.Conversion;
import dev.millrace.iceberg.schema.JsonRecords.Rejected;
import dev.millrace.iceberg.schema.JsonRecords.Row;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonRecordsTest {

    private static final String SCHEMA = """
            {"$schema": "http://json-schema.org/draft-07/schema#",
             "type": "object",
             "required": ["id"],
             "properties": {
               "ts": {"type": "string", "format": "date-time"},
               "id": {"type": "integer", "minimum": 0, "maximum": 1000000},
               "big": {"type": "integer"},
               "price": {"type": "number", "multipleOf": 0.01},
               "ratio": {"type": "number"},
               "ok": {"type": "boolean"},
               "day": {"type": "string", "format": "date"},
               "at": {"type": "string", "format": "time"},
               "ref": {"type": "string", "format": "uuid"},
               "blob": {"type": "string", "contentEncoding": "base64"},
               "tags": {"type": "array", "items": {"type": "string"}},
               "attrs": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
               "device": {"type": "object", "required": ["name"],
                          "properties": {"name": {"type": "string"},
                                         "readings": {"type": "array", "items": {"type": "number"}}}}
             }}
            """;

    private final JsonRecords records;

    JsonRecordsTest() throws SchemaMappingException {
        records = new JsonRecords(JsonSchemaToIceberg.map(SCHEMA, "ts").schema(), "ts");
    }

    private Conversion convert(String json) {
        return records.convert(json.getBytes(StandardCharsets.UTF_8));
    }

    private Record row(String json) {
        Conversion conversion = convert(json);
        assertThat(conversion).isInstanceOf(Row.class);
        return ((Row) conversion).record();
    }

    @Test
    void convertsEveryTypeToIcebergsJavaValues() {
        Record r = row("""
                {"ts": "2026-12-06T10:15:30.123+01:00", "id": 7, "big": 9007199254740993, "price": 12.5,
                 "ratio": 0.25, "ok": true, "day": "2026-12-06", "at": "10:15:30Z",
                 "ref": "123e4567-e89b-12d3-a456-426614174000", "blob": "AAEC/w==",
                 "tags": ["a", "b"], "attrs": {"x": 1, "y": null},
                 "device": {"name": "d1", "readings": [1.5, 2]}}
                """);
        assertThat(r.getField("ts")).isEqualTo(OffsetDateTime.parse("2026-12-06T10:15:30.123+01:00"));
        assertThat(r.getField("id")).isEqualTo(7);
        assertThat(r.getField("big")).isEqualTo(9007199254740993L);
        assertThat(r.getField("price")).isEqualTo(new BigDecimal("12.50"));
        assertThat(r.getField("ratio")).isEqualTo(0.25);
        assertThat(r.getField("ok")).isEqualTo(true);
        assertThat(r.getField("day")).isEqualTo(LocalDate.of(2026, 12, 6));
        assertThat(r.getField("at")).isEqualTo(LocalTime.of(10, 15, 30));
        assertThat(r.getField("ref")).isEqualTo(UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
        assertThat(r.getField("blob")).isEqualTo(ByteBuffer.wrap(new byte[] {0, 1, 2, (byte) 0xff}));
        assertThat(r.getField("tags")).isEqualTo(List.of("a", "b"));
        @SuppressWarnings("unchecked")
        Map<String, Object> attrs = (Map<String, Object>) r.getField("attrs");
        assertThat(attrs).as("an unbounded integer is a long").containsEntry("x", 1L).containsEntry("y", null);
        Record device = (Record) r.getField("device");
        assertThat(device.getField("name")).isEqualTo("d1");
        assertThat(device.getField("readings")).isEqualTo(List.of(1.5, 2.0));
    }

    @Test
    void extraFieldsAreDroppedAndMissingOptionalOnesAreNull() {
        Record r = row("{\"ts\":\"2026-12-06T10:00:00Z\",\"id\":1,\"unknown\":{\"deep\":[1,2]},\"ok\":null}");
        assertThat(r.struct().fields()).noneMatch(f -> f.name().equals("unknown"));
        assertThat(r.getField("ok")).isNull();
        assertThat(r.getField("device")).isNull();
        assertThat(r.getField("tags")).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "not json at all                                  | DESERIALIZATION_ERROR    | not JSON",
        "[1, 2]                                           | DESERIALIZATION_ERROR    | not a JSON object",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1} x  | DESERIALIZATION_ERROR    | not JSON",
        "{\"id\": 1}                                      | MISSING_PARTITION_FIELD  | /ts: partition field missing",
        "{\"ts\": null, \"id\": 1}                        | MISSING_PARTITION_FIELD  | /ts",
        "{\"ts\": \"2026-12-06T10:00:00Z\"}               | SCHEMA_VALIDATION_FAILED | /id: required property missing",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": null} | SCHEMA_VALIDATION_FAILED | /id: null for a required property",
        "{\"ts\": \"yesterday\", \"id\": 1}               | SCHEMA_VALIDATION_FAILED | /ts: not a valid RFC 3339 date-time",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": \"1\"} | SCHEMA_VALIDATION_FAILED | /id: number expected, string found",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1.5}  | SCHEMA_VALIDATION_FAILED | /id: integer expected, a fraction found",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 2147483648} | SCHEMA_VALIDATION_FAILED | outside the column's range",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"price\": 1.005} | SCHEMA_VALIDATION_FAILED | /price: more than 2 decimal places",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"ok\": \"yes\"} | SCHEMA_VALIDATION_FAILED | /ok: boolean expected, string found",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"blob\": \"***\"} | SCHEMA_VALIDATION_FAILED | /blob: not a valid base64 string",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"ref\": \"1-2-3-4-5\"} | SCHEMA_VALIDATION_FAILED | /ref: not a valid uuid",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"tags\": \"a\"} | SCHEMA_VALIDATION_FAILED | /tags: array expected",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"tags\": [\"a\", null]} | SCHEMA_VALIDATION_FAILED | /tags/1: null element",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"device\": {}} | SCHEMA_VALIDATION_FAILED | /device/name: required property missing",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"device\": {\"name\": \"d\", \"readings\": [1, \"x\"]}} | SCHEMA_VALIDATION_FAILED | /device/readings/1: number expected, string found",
        "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"attrs\": {\"k\": true}} | SCHEMA_VALIDATION_FAILED | /attrs/k: number expected",
    })
    void rejectsWithAReasonAndThePathOfTheProblem(String json, RejectReason reason, String message) {
        Conversion conversion = convert(json);
        assertThat(conversion).isInstanceOf(Rejected.class);
        Rejected rejected = (Rejected) conversion;
        assertThat(rejected.reason()).isEqualTo(reason);
        assertThat(rejected.message()).contains(message);
    }

    @Test
    void rejectionsNeverQuoteTheRecordsValuesForDeadLettersHoldNoPayload() {
        for (String json : List.of("{\"ts\": \"secret-4711\", \"id\": 1}",
                "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 4711.5}",
                "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 4711000000000}",
                "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"price\": 4711.005}",
                "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": 1, \"ref\": \"secret-4711\"}",
                "{\"ts\": \"2026-12-06T10:00:00Z\", \"id\": secret4711}")) {
            assertThat(convert(json)).as(json).isInstanceOfSatisfying(Rejected.class,
                    r -> assertThat(r.message()).doesNotContain("4711"));
        }
    }

    @Test
    void integralNumbersWrittenWithAFractionOfZeroAreIntegers() {
        assertThat(row("{\"ts\":\"2026-12-06T10:00:00Z\",\"id\":3.0}").getField("id")).isEqualTo(3);
    }

    @Test
    void deeplyNestedJsonIsRejectedNotParsedWithoutBound() {
        String deep = "{\"ts\":\"2026-12-06T10:00:00Z\",\"id\":1,\"x\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertThat(convert(deep)).isInstanceOf(Rejected.class)
                .extracting(c -> ((Rejected) c).reason()).isEqualTo(RejectReason.DESERIALIZATION_ERROR);
    }

    /** The hand-read layout of {@link JsonRecords#dateTime} against java.time's parser, on both sides of every rule. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "2026-12-06T23:59:59.123Z", "2026-12-06T23:59:59Z", "2026-12-06T23:59:59.123456789Z",
        "2026-12-06T23:59:59.1234567891Z", "2026-12-06T23:59:59.Z", "2026-12-06T23:59:59.5+05:30",
        "2026-12-06T23:59:59-00:00", "2026-12-06T23:59:59+18:00", "2026-12-06T23:59:59+18:01",
        "2026-12-06T23:59:59+19:00", "2026-12-06T23:59:59+05:60", "2026-12-06T23:59:59+0530",
        "2026-12-06T23:59:59+05:30:15", "2026-12-06t23:59:59z", "2026-12-06 23:59:59Z", "2026-12-06T23:59Z",
        "2026-02-29T00:00:00Z", "2028-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
        "2026-12-32T00:00:00Z", "2026-12-06T24:00:00Z", "2026-12-06T23:60:00Z", "2026-12-06T23:59:60Z",
        "0000-01-01T00:00:00Z", "+2026-12-06T23:59:59Z", "2026-1a-06T23:59:59Z", "2026-12-06T23:59:59.12a4Z",
        "2026-12-06T23:59:59Z ", "2026-12-06T23:59:59+05:3", "2026-12-06T23:59:59+-5:30", "20261-12-06T23:59:59Z",
        "2026-12-06T23:59:59.000000000-23:59", "2026-12-06T23:59:59-05:30", "1999-01-01T00:00:00.25-08:00",
        "2026-12-06T23:59:59.0+00:00", "12345678901234567890"})
    void dateTimesReadByHandAreJavaTimes(String text) {
        Object expected;
        try {
            expected = OffsetDateTime.parse(text);
        } catch (RuntimeException e) {
            expected = e.getClass();
        }
        Object actual;
        try {
            actual = JsonRecords.dateTime(text);
        } catch (RuntimeException e) {
            actual = e.getClass();
        }
        assertThat(actual).as(text).isEqualTo(expected);
    }
}
