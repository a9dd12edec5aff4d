package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a request body into a {@link Struct}, driven by the operation's input shape: only modelled members are kept,
 * each converted to its shape's Java type (String, Long, Boolean, byte[], Instant, List, Map, Struct). A value of the
 * wrong JSON/CBOR type, or a body that does not parse, is a {@code SerializationException}; constraints are checked
 * afterwards by {@link Validator}.
 *
 * <p>How the two formats carry the odd types: blobs are base64 strings in JSON and byte strings in CBOR; timestamps
 * are epoch seconds (with a fraction) in JSON and, as the AWS SDKs send them, tag 1 + integer epoch
 * <em>milliseconds</em> in CBOR (a CBOR floating-point timestamp is taken as seconds).
 *
 * <p>Stateless, thread-safe.
 */
public final class RequestReader {
    private final ApiModel model;

    public RequestReader(ApiModel model) {
        this.model = model;
    }

    /** Reads a body; an empty body is an empty structure. */
    public Struct read(WireFormat format, String shapeName, byte[] body) {
        Shape shape = model.shape(shapeName);
        if (body.length == 0) {
            return new Struct(shape, Map.of());
        }
        try (JsonParser p = format.factory().createParser(body)) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.VALUE_NULL) {
                return new Struct(shape, Map.of());
            }
            Struct struct = (Struct) readValue(p, shape, format);
            if (p.nextToken() != null) {
                throw KinesisException.serialization("Unexpected content after the end of the request body");
            }
            return struct;
        } catch (JsonParseException | StreamConstraintsException e) {
            throw KinesisException.serialization("Malformed request body: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw KinesisException.serialization("Unreadable request body: " + e.getMessage());
        }
    }

    private Object readValue(JsonParser p, Shape shape, WireFormat format) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        switch (shape.type()) {
            case STRUCTURE:
                expect(p, t == JsonToken.START_OBJECT, shape);
                return readStructure(p, shape, format);
            case LIST:
                expect(p, t == JsonToken.START_ARRAY, shape);
                List<Object> list = new ArrayList<>();
                Shape element = model.shape(shape.member());
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(readValue(p, element, format));
                }
                return list;
            case MAP:
                expect(p, t == JsonToken.START_OBJECT, shape);
                Map<String, Object> map = new LinkedHashMap<>();
                Shape valueShape = model.shape(shape.value());
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    map.put(key, readValue(p, valueShape, format));
                }
                return map;
            case STRING:
                expect(p, t == JsonToken.VALUE_STRING, shape);
                return p.getText();
            case INTEGER:
            case LONG:
                expect(p, t == JsonToken.VALUE_NUMBER_INT, shape);
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw KinesisException.serialization("Number out of range for " + shape.name());
                }
                long n = p.getLongValue();
                if (shape.type() == Shape.Type.INTEGER && (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE)) {
                    throw KinesisException.serialization("Number out of range for " + shape.name());
                }
                return n;
            case BOOLEAN:
                expect(p, t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE, shape);
                return t == JsonToken.VALUE_TRUE;
            case BLOB:
                return readBlob(p, t, shape, format);
            case TIMESTAMP:
                return readTimestamp(p, t, shape, format);
            default:
                throw new IllegalStateException("unhandled shape type " + shape.type());
        }
    }

    private Struct readStructure(JsonParser p, Shape shape, WireFormat format) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            String memberShape = shape.members().get(name);
            p.nextToken();
            if (memberShape == null) {
                p.skipChildren();
            } else {
                values.put(name, readValue(p, model.shape(memberShape), format));
            }
        }
        return new Struct(shape, values);
    }

    private static byte[] readBlob(JsonParser p, JsonToken t, Shape shape, WireFormat format) throws IOException {
        if (format == WireFormat.CBOR) {
            expect(p, t == JsonToken.VALUE_EMBEDDED_OBJECT || t == JsonToken.VALUE_STRING, shape);
            if (t == JsonToken.VALUE_STRING) {
                return decodeBase64(p.getText());
            }
            return p.getBinaryValue();
        }
        expect(p, t == JsonToken.VALUE_STRING, shape);
        return decodeBase64(p.getText());
    }

    private static byte[] decodeBase64(String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw KinesisException.serialization("Base64 encoded value is invalid: " + e.getMessage());
        }
    }

    private static Instant readTimestamp(JsonParser p, JsonToken t, Shape shape, WireFormat format)
            throws IOException {
        if (t == JsonToken.VALUE_NUMBER_INT) {
            long value = p.getLongValue();
            boolean millis = format == WireFormat.CBOR;
            return millis ? Instant.ofEpochMilli(value) : Instant.ofEpochSecond(value);
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            double seconds = p.getDoubleValue();
            return Instant.ofEpochMilli(Math.round(seconds * 1000));
        }
        if (t == JsonToken.VALUE_STRING && format == WireFormat.JSON) {
            try {
                return Instant.ofEpochMilli(Math.round(Double.parseDouble(p.getText()) * 1000));
            } catch (NumberFormatException e) {
                try {
                    return Instant.parse(p.getText());
                } catch (java.time.format.DateTimeParseException e2) {
                    throw KinesisException.serialization("Invalid timestamp: " + p.getText());
                }
            }
        }
        expect(p, false, shape);
        return null;
    }

    private static void expect(JsonParser p, boolean ok, Shape shape) throws IOException {
        if (!ok) {
            String what = p.currentToken() == null ? "end of input" : p.currentToken().name();
            String where = p instanceof CBORParser ? "CBOR" : "JSON";
            throw KinesisException.serialization(
                    "Unexpected " + where + " " + what + " where a " + shape.type().name().toLowerCase(
                            java.util.Locale.ROOT) + " (" + shape.name() + ") was expected");
        }
    }
}
