package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Stack;

/**
 * Reads a request body into a {@link Struct}, driven by the operation's input shape: only modelled members are kept,
 * each converted to its shape's Java type (String, Long, Boolean, {@link Blob}, Instant, List, Map, Struct). Unknown
 * members and explicit nulls are dropped, as AWS does. Constraints are checked afterwards by {@link Validator}.
 *
 * <p>A member of the wrong type is a {@code SerializationException} with the text AWS's front end (Coral) answers,
 * as recorded against AWS:
 * <ul>
 *   <li>a scalar of the wrong kind: {@code class java.lang.Boolean can not be converted to an String}; the source is
 *       named {@code java.lang.Boolean}, {@code java.lang.String} or, for any number,
 *       {@code com.amazon.coral.value.json.numbers.TruncatingBigNumber}; the target {@code an String},
 *       {@code an Integer}, {@code an Long}, {@code an Boolean}, {@code a Blob} or
 *       {@code milliseconds since epoch};</li>
 *   <li>a list or object where a scalar belongs: {@code Start of list found where not expected},
 *       {@code Start of structure or map found where not expected.};</li>
 *   <li>a scalar where a list, map or structure belongs: {@code Expected list or null},
 *       {@code Expected map or null}, {@code Expected null};</li>
 *   <li>bad base64 (see {@link Base64Blob}); a string where a timestamp belongs (AWS takes numbers only).</li>
 * </ul>
 * A body that is empty, does not parse, or is not an object is a {@code SerializationException} without a message,
 * as AWS answers it.
 *
 * <p>Numbers as Coral converts them: a fraction is truncated, and a value beyond an Integer's or Long's range is
 * saturated (AWS reads {@code "ShardCount":100000000000} as 2147483647 and reports that value in the validation
 * error that follows). A Boolean member also takes a JSON floating-point number (non-zero is true) and the strings
 * {@code true/false/yes/no/1/0} in any case, which AWS was seen to accept; other strings are rejected, upper-cased,
 * as AWS does ({@code 'MAYBE' can not be converted to an Boolean}).
 *
 * <p>CBOR (the AWS SDK for Java's default) uses the same texts, its byte strings being named
 * {@code java.nio.HeapByteBuffer} (they are rejected wherever a blob does not belong). Blobs are base64 strings in
 * JSON and byte strings in CBOR (a base64 text string is also taken). Timestamps are epoch seconds (with a
 * fraction) in JSON and, as the AWS SDKs send them, tag 1 + integer epoch <em>milliseconds</em> in CBOR (a CBOR
 * floating-point timestamp is taken as seconds).
 *
 * <p>Stateless, thread-safe.
 */
public final class RequestReader {
    private static final String NUMBER_CLASS = "com.amazon.coral.value.json.numbers.TruncatingBigNumber";
    private static final String START_OF_LIST = "Start of list found where not expected";
    private static final String START_OF_MAP = "Start of structure or map found where not expected.";

    private final ApiModel model;

    /**
     * What one {@link #read} reads: blobs of a CBOR body are views into it ({@link CborByteString}), checked against
     * the parser's string-reference stack ({@link CborStringRefs#stack}; null for JSON).
     */
    private record In(WireFormat format, byte[] body, Stack<?> stringRefs) {
    }

    public RequestReader(ApiModel model) {
        this.model = model;
    }

    /** Reads a body. An empty one is refused, as AWS refuses it (a bare SerializationException); null is {}. */
    public Struct read(WireFormat format, String shapeName, byte[] body) {
        Shape shape = model.shape(shapeName);
        if (body.length == 0) {
            throw KinesisException.malformedBody();
        }
        try (JsonParser p = CborStringRefs.unlocked(format.factory().createParser(body))) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.VALUE_NULL) {
                ApiModel.Members members = model.members(shape);
                return new Struct(shape, members, new Object[members.names.length]);
            }
            if (first == JsonToken.START_ARRAY) {
                throw KinesisException.serialization(START_OF_LIST);
            }
            if (first != JsonToken.START_OBJECT) {
                throw KinesisException.malformedBody();
            }
            Struct struct = readStructure(p, shape, new In(format, body, CborStringRefs.stack(p)));
            if (p.nextToken() != null) {
                throw KinesisException.malformedBody();
            }
            return struct;
        } catch (IOException e) {
            // Jackson's parse errors, including its stream constraints (nesting depth, number and string lengths)
            throw KinesisException.malformedBody();
        }
    }

    private Object readValue(JsonParser p, Shape shape, In in) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        switch (shape.type()) {
            case STRUCTURE:
                return readStructureValue(p, t, shape, in);
            case LIST:
                return readList(p, t, shape, in);
            case MAP:
                return readMap(p, t, shape, in);
            default:
                if (t == JsonToken.START_ARRAY) {
                    throw KinesisException.serialization(START_OF_LIST);
                }
                if (t == JsonToken.START_OBJECT) {
                    throw KinesisException.serialization(START_OF_MAP);
                }
                return readScalar(p, t, shape, in);
        }
    }

    private Object readScalar(JsonParser p, JsonToken t, Shape shape, In in) throws IOException {
        switch (shape.type()) {
            case STRING:
                if (t != JsonToken.VALUE_STRING) {
                    throw cannotConvert(t, "an String");
                }
                return p.getText();
            case INTEGER:
                return readNumber(p, t, "an Integer", Integer.MIN_VALUE, Integer.MAX_VALUE);
            case LONG:
                return readNumber(p, t, "an Long", Long.MIN_VALUE, Long.MAX_VALUE);
            case BOOLEAN:
                return readBoolean(p, t);
            case BLOB:
                return readBlob(p, t, in);
            case TIMESTAMP:
                return readTimestamp(p, t, in.format());
            default:
                throw new IllegalStateException("unhandled shape type " + shape.type());
        }
    }

    private Struct readStructureValue(JsonParser p, JsonToken t, Shape shape, In in) throws IOException {
        if (t == JsonToken.START_OBJECT) {
            return readStructure(p, shape, in);
        }
        throw KinesisException.serialization(t == JsonToken.START_ARRAY ? START_OF_LIST : "Expected null");
    }

    private Struct readStructure(JsonParser p, Shape shape, In in) throws IOException {
        ApiModel.Members members = model.members(shape);
        Object[] values = new Object[members.names.length];
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            int member = members.indexOf(p.currentName());
            p.nextToken();
            if (member < 0) {
                p.skipChildren();
                continue;
            }
            values[member] = readValue(p, members.shapes[member], in); // a later duplicate wins; null clears
        }
        return new Struct(shape, members, values);
    }

    private List<Object> readList(JsonParser p, JsonToken t, Shape shape, In in) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw KinesisException.serialization(t == JsonToken.START_OBJECT ? START_OF_MAP : "Expected list or null");
        }
        List<Object> list = new ArrayList<>();
        Shape element = model.shape(shape.member());
        while (p.nextToken() != JsonToken.END_ARRAY) {
            list.add(readValue(p, element, in));
        }
        return list;
    }

    private Map<String, Object> readMap(JsonParser p, JsonToken t, Shape shape, In in)
            throws IOException {
        if (t != JsonToken.START_OBJECT) {
            throw KinesisException.serialization(t == JsonToken.START_ARRAY ? START_OF_LIST : "Expected map or null");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        Shape valueShape = model.shape(shape.value());
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            map.put(key, readValue(p, valueShape, in));
        }
        return map;
    }

    /** An integral member: a fraction is truncated and the value saturated to the target's range. */
    private static Long readNumber(JsonParser p, JsonToken t, String target, long min, long max) throws IOException {
        long value;
        if (t == JsonToken.VALUE_NUMBER_INT) {
            value = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? saturate(p.getBigIntegerValue()) : p.getLongValue();
        } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            value = (long) p.getDoubleValue(); // truncates toward zero and saturates (NaN is 0)
        } else {
            throw cannotConvert(t, target);
        }
        return Math.max(min, Math.min(max, value));
    }

    private static Boolean readBoolean(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NUMBER_FLOAT:
                return p.getDoubleValue() != 0;
            case VALUE_STRING:
                String text = p.getText().toUpperCase(Locale.ROOT);
                switch (text) {
                    case "TRUE", "YES", "1":
                        return Boolean.TRUE;
                    case "FALSE", "NO", "0":
                        return Boolean.FALSE;
                    default:
                        throw KinesisException.serialization("'" + text + "' can not be converted to an Boolean");
                }
            default:
                throw cannotConvert(t, "an Boolean");
        }
    }

    private static Blob readBlob(JsonParser p, JsonToken t, In in) throws IOException {
        if (t == JsonToken.VALUE_EMBEDDED_OBJECT) {
            Blob view = in.format() == WireFormat.CBOR ? CborByteString.view(p, in.body(), in.stringRefs()) : null;
            return view != null ? view : Blob.of(p.getBinaryValue());
        }
        if (t != JsonToken.VALUE_STRING) {
            throw cannotConvert(t, "a Blob");
        }
        return Blob.of(Base64Blob.decode(p.getText()));
    }

    private static Instant readTimestamp(JsonParser p, JsonToken t, WireFormat format) throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            long value = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? saturate(p.getBigIntegerValue()) : p.getLongValue();
            if (format == WireFormat.CBOR) {
                return Instant.ofEpochMilli(value);
            }
            long seconds = Math.max(Long.MIN_VALUE / 1000, Math.min(Long.MAX_VALUE / 1000, value));
            return Instant.ofEpochMilli(seconds * 1000);
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            // Math.round saturates, so any double is a representable Instant
            return Instant.ofEpochMilli(Math.round(p.getDoubleValue() * 1000));
        }
        throw cannotConvert(t, "milliseconds since epoch");
    }

    private static long saturate(BigInteger value) {
        return value.signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }

    private static KinesisException cannotConvert(JsonToken t, String target) {
        return KinesisException.serialization("class " + coralClass(t) + " can not be converted to " + target);
    }

    /** How Coral names the Java class a scalar was read as. */
    private static String coralClass(JsonToken t) {
        switch (t) {
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "java.lang.Boolean";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return NUMBER_CLASS;
            case VALUE_STRING:
                return "java.lang.String";
            default:
                // a CBOR byte string
                return "java.nio.HeapByteBuffer";
        }
    }
}
