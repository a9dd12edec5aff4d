package dev.millrace.iceberg.schema;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.DateTimeException;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.iceberg.Schema;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Turns a record's JSON bytes into an Iceberg row of one table schema, or into a rejection with a reason the engine
 * writes to the dead-letter queue. AWS's rules (facts sheet §4.2): properties the schema does not name are dropped, a
 * missing optional property is null, a missing required or partition property rejects the whole record; so does a
 * value of the wrong type (Millrace: a number for a string column, a fraction for an integer, a value outside the
 * column's range, an unparseable date-time, uuid or base64 string, a decimal with more digits than its scale).
 * Keywords that constrain values without changing the type ({@code enum}, {@code pattern}, {@code minLength}...) are
 * not checked here: that is a JSON Schema validator's job.
 *
 * <p>Messages say where and what kind of problem, never the record's values (dead letters hold no payload).
 *
 * <p>Value forms: timestamptz from an RFC 3339 date-time ({@code OffsetDateTime}); time from {@code HH:mm:ss[.f]} with
 * or without an offset (an offset is converted to UTC, Iceberg's time has no zone); binary from base64.
 *
 * <p>Immutable and thread-safe.
 */
public final class JsonRecords {

    /** The outcome for one record: a row, or a rejection. */
    public sealed interface Conversion permits Row, Rejected {
    }

    /** A record that fits the schema. */
    public record Row(Record record) implements Conversion {
    }

    /** A record for the dead-letter queue; {@code message} says where and why, e.g. "/ts: missing". */
    public record Rejected(RejectReason reason, String message) implements Conversion {
    }

    /** Records nest at most 64 deep (a mapped schema has at most 17 levels): Jackson's default is 1000. */
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Schema schema;
    private final String partitionColumn;

    /** Rows of {@code schema}; {@code partitionColumn} (a top-level column) rejects with MISSING_PARTITION_FIELD. */
    public JsonRecords(Schema schema, String partitionColumn) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.partitionColumn = Objects.requireNonNull(partitionColumn, "partitionColumn");
    }

    /** Converts one record's bytes (UTF-8 JSON). */
    public Conversion convert(byte[] json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            // Where, not what: Jackson's messages quote the offending token, and dead letters hold no payload.
            return new Rejected(RejectReason.DESERIALIZATION_ERROR, e.getLocation() == null ? "not JSON"
                    : "not JSON: syntax error at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr());
        } catch (IOException e) {
            return new Rejected(RejectReason.DESERIALIZATION_ERROR, "not JSON");
        }
        if (root == null || !root.isObject()) {
            return new Rejected(RejectReason.DESERIALIZATION_ERROR, "not a JSON object");
        }
        JsonNode partition = root.get(partitionColumn);
        if (partition == null || partition.isNull()) {
            return new Rejected(RejectReason.MISSING_PARTITION_FIELD,
                    "/" + partitionColumn + ": partition field missing");
        }
        try {
            return new Row(struct(root, schema.asStruct(), ""));
        } catch (Mismatch e) {
            return new Rejected(RejectReason.SCHEMA_VALIDATION_FAILED, e.getMessage());
        }
    }

    private static Record struct(JsonNode node, Types.StructType type, String path) throws Mismatch {
        if (!node.isObject()) {
            throw new Mismatch(path, "object expected, " + kind(node) + " found");
        }
        GenericRecord record = GenericRecord.create(type);
        List<Types.NestedField> fields = type.fields();
        for (int i = 0; i < fields.size(); i++) {
            Types.NestedField field = fields.get(i);
            String fieldPath = path + "/" + field.name();
            JsonNode value = node.get(field.name());
            if (value == null || value.isNull()) {
                if (field.isRequired()) {
                    throw new Mismatch(fieldPath, value == null ? "required property missing"
                            : "null for a required property");
                }
                continue;
            }
            record.set(i, value(value, field.type(), fieldPath));
        }
        return record;
    }

    private static Object value(JsonNode node, Type type, String path) throws Mismatch {
        return switch (type.typeId()) {
            case STRING -> text(node, path);
            case BOOLEAN -> {
                if (!node.isBoolean()) {
                    throw new Mismatch(path, "boolean expected, " + kind(node) + " found");
                }
                yield node.booleanValue();
            }
            case INTEGER -> integral(node, path, BigDecimal.valueOf(Integer.MIN_VALUE),
                    BigDecimal.valueOf(Integer.MAX_VALUE)).intValueExact();
            case LONG -> integral(node, path, BigDecimal.valueOf(Long.MIN_VALUE),
                    BigDecimal.valueOf(Long.MAX_VALUE)).longValueExact();
            case DOUBLE -> number(node, path).doubleValue();
            case DECIMAL -> decimal(node, (Types.DecimalType) type, path);
            case TIMESTAMP -> parsed(node, path, "RFC 3339 date-time", JsonRecords::dateTime);
            case DATE -> parsed(node, path, "date (yyyy-mm-dd)", LocalDate::parse);
            case TIME -> parsed(node, path, "time", JsonRecords::time);
            case UUID -> parsed(node, path, "uuid", JsonRecords::uuid);
            case BINARY -> parsed(node, path, "base64 string", s -> ByteBuffer.wrap(Base64.getDecoder().decode(s)));
            case STRUCT -> struct(node, type.asStructType(), path);
            case LIST -> list(node, type.asListType(), path);
            case MAP -> map(node, type.asMapType(), path);
            default -> throw new Mismatch(path, "column type " + type + " is not written by channels");
        };
    }

    private static List<Object> list(JsonNode node, Types.ListType type, String path) throws Mismatch {
        if (!node.isArray()) {
            throw new Mismatch(path, "array expected, " + kind(node) + " found");
        }
        List<Object> out = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode element = node.get(i);
            if (element.isNull()) {
                if (type.isElementRequired()) {
                    throw new Mismatch(path + "/" + i, "null element in a list of non-null elements");
                }
                out.add(null);
            } else {
                out.add(value(element, type.elementType(), path + "/" + i));
            }
        }
        return out;
    }

    private static Map<String, Object> map(JsonNode node, Types.MapType type, String path) throws Mismatch {
        if (!node.isObject()) {
            throw new Mismatch(path, "object expected, " + kind(node) + " found");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String entryPath = path + "/" + entry.getKey();
            if (entry.getValue().isNull()) {
                if (type.isValueRequired()) {
                    throw new Mismatch(entryPath, "null value in a map of non-null values");
                }
                out.put(entry.getKey(), null);
            } else {
                out.put(entry.getKey(), value(entry.getValue(), type.valueType(), entryPath));
            }
        }
        return out;
    }

    private static String text(JsonNode node, String path) throws Mismatch {
        if (!node.isTextual()) {
            throw new Mismatch(path, "string expected, " + kind(node) + " found");
        }
        return node.textValue();
    }

    private static BigDecimal number(JsonNode node, String path) throws Mismatch {
        if (!node.isNumber()) {
            throw new Mismatch(path, "number expected, " + kind(node) + " found");
        }
        return node.decimalValue();
    }

    /** JSON Schema counts 3.0 as an integer (draft-06 on); 3.5 is not. */
    private static BigDecimal integral(JsonNode node, String path, BigDecimal min, BigDecimal max) throws Mismatch {
        BigDecimal value = number(node, path);
        if (value.signum() != 0 && value.stripTrailingZeros().scale() > 0) {
            throw new Mismatch(path, "integer expected, a fraction found");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new Mismatch(path, "outside the column's range [" + min + ", "
                    + max + "]");
        }
        return value;
    }

    private static BigDecimal decimal(JsonNode node, Types.DecimalType type, String path) throws Mismatch {
        BigDecimal value = number(node, path);
        BigDecimal scaled;
        try {
            scaled = value.setScale(type.scale());
        } catch (ArithmeticException e) {
            throw new Mismatch(path, "more than " + type.scale() + " decimal places");
        }
        if (scaled.precision() > type.precision()) {
            throw new Mismatch(path, "more than " + type.precision() + " digits");
        }
        return scaled;
    }

    /** 10^(9 - digits): a fraction of {@code digits} digits in nanoseconds. */
    private static final int[] NANOS_PER_FRACTION_UNIT = {0, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000,
        1_000, 100, 10, 1};

    /**
     * {@link OffsetDateTime#parse}, with the usual layout read by hand: {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]} then
     * {@code Z} or {@code ±HH:MM}. java.time's formatter copies its parse state for every optional section, and was
     * the largest single item of an Iceberg channel's delivery CPU after the Parquet encoding (JFR: 15 %). Any other
     * form, and any value out of range, goes to {@code OffsetDateTime.parse}, which decides: the two accept the same
     * strings and give the same values ({@code JsonRecordsTest} compares them).
     */
    static OffsetDateTime dateTime(String text) {
        int length = text.length();
        if (length < 20 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':') {
            return OffsetDateTime.parse(text);
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        int second = digits(text, 17, 2);
        int at = 19;
        int nanos = 0;
        if (text.charAt(at) == '.') {
            int start = ++at;
            while (at < length && at - start < 9 && isDigit(text.charAt(at))) {
                nanos = nanos * 10 + (text.charAt(at++) - '0');
            }
            if (at == start || (at < length && isDigit(text.charAt(at)))) {
                return OffsetDateTime.parse(text);
            }
            nanos *= NANOS_PER_FRACTION_UNIT[at - start];
        }
        ZoneOffset offset;
        if (at == length - 1 && text.charAt(at) == 'Z') {
            offset = ZoneOffset.UTC;
        } else if (at == length - 6 && (text.charAt(at) == '+' || text.charAt(at) == '-')
                && text.charAt(at + 3) == ':' && digits(text, at + 1, 2) >= 0 && digits(text, at + 4, 2) >= 0) {
            int sign = text.charAt(at) == '-' ? -1 : 1;
            try {
                offset = ZoneOffset.ofHoursMinutes(sign * digits(text, at + 1, 2), sign * digits(text, at + 4, 2));
            } catch (DateTimeException e) {
                return OffsetDateTime.parse(text);
            }
        } else {
            return OffsetDateTime.parse(text);
        }
        if ((year | month | day | hour | minute | second) < 0) {
            return OffsetDateTime.parse(text);
        }
        try {
            return OffsetDateTime.of(year, month, day, hour, minute, second, nanos, offset);
        } catch (DateTimeException e) {
            return OffsetDateTime.parse(text);
        }
    }

    /** The decimal number in {@code text[from, from + count)}, or -1 if one of them is not an ASCII digit. */
    private static int digits(String text, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static LocalTime time(String text) {
        try {
            return LocalTime.parse(text);
        } catch (DateTimeParseException e) {
            return OffsetTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC).toLocalTime();
        }
    }

    private static UUID uuid(String text) {
        if (text.length() != 36) {
            throw new IllegalArgumentException("not 36 characters");
        }
        return UUID.fromString(text);
    }

    private interface Parser<T> {
        T parse(String text);
    }

    private static <T> T parsed(JsonNode node, String path, String what, Parser<T> parser) throws Mismatch {
        String text = text(node, path);
        try {
            return parser.parse(text);
        } catch (RuntimeException e) {
            throw new Mismatch(path, "not a valid " + what);
        }
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A value that does not fit its column; carries the record path. Never leaves this class. */
    private static final class Mismatch extends Exception {
        Mismatch(String path, String problem) {
            super(path + ": " + problem, null, false, false);
        }
    }
}
