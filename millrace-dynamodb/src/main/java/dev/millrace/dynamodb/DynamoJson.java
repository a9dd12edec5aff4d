package dev.millrace.dynamodb;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON 1.0 for DynamoDB: a request body read into plain maps and lists (bodies are small, and reading them whole
 * keeps each handler a straight walk over its parameters), attribute values read from that tree, and responses and
 * stored items written with a streaming generator. Numbers in the tree are {@code Long} or {@code BigDecimal};
 * DynamoDB's own numbers travel as strings inside {@code {"N": ...}} and never go through them.
 *
 * <p>Stateless, thread-safe.
 */
final class DynamoJson {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    /** Writes a JSON document; may throw IOException, which only a broken generator could raise. */
    @FunctionalInterface
    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private DynamoJson() {
    }

    /** Reads a request body; an empty body is an empty object, as the SDKs send for parameterless calls. */
    static Map<String, Object> parseObject(byte[] body) {
        if (body == null || body.length == 0) {
            return new LinkedHashMap<>();
        }
        try (JsonParser p = FACTORY.createParser(body)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw DynamoException.serialization("Start of structure or map found where not expected.");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> tree = (Map<String, Object>) JsonTree.read(p);
            return tree;
        } catch (JsonProcessingException e) {
            throw DynamoException.serialization("Malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes one JSON object: {@code body} writes its fields. */
    static byte[] object(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads one attribute value: {@code {"S": "x"}} and the like, with exactly one member. */
    static AttributeValue value(Object node) {
        if (!(node instanceof Map) || ((Map<?, ?>) node).size() != 1) {
            throw DynamoException.validation("Supplied AttributeValue is empty, must contain exactly one of the "
                    + "supported datatypes");
        }
        Map.Entry<?, ?> e = ((Map<?, ?>) node).entrySet().iterator().next();
        String tag = (String) e.getKey();
        Object v = e.getValue();
        try {
            switch (tag) {
                case "S": return AttributeValue.s((String) v);
                case "N": return AttributeValue.n((String) v);
                case "B": return AttributeValue.b(Base64.getDecoder().decode((String) v));
                case "BOOL": return AttributeValue.bool((Boolean) v);
                case "NULL": return AttributeValue.nul();
                case "M": return AttributeValue.m(item(v));
                case "L": return AttributeValue.l(values((List<?>) v));
                case "SS": return AttributeValue.set(AttributeValue.Type.SS, strings(v));
                case "NS": return AttributeValue.set(AttributeValue.Type.NS, strings(v));
                case "BS": return AttributeValue.bs(binaries(v));
                default: throw DynamoException.serialization("Unexpected attribute value type: " + tag);
            }
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e2) {
            throw DynamoException.serialization("Unexpected value for attribute value type " + tag);
        }
    }

    /** Reads a map of attribute values (an item, a key, ExpressionAttributeValues); null stays null. */
    static Map<String, AttributeValue> item(Object node) {
        if (node == null) {
            return null;
        }
        if (!(node instanceof Map)) {
            throw DynamoException.serialization("Expected a map of attribute values");
        }
        Map<String, AttributeValue> item = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) node).entrySet()) {
            item.put((String) e.getKey(), value(e.getValue()));
        }
        return item;
    }

    static List<AttributeValue> values(List<?> nodes) {
        List<AttributeValue> list = new ArrayList<>(nodes.size());
        for (Object n : nodes) {
            list.add(value(n));
        }
        return list;
    }

    private static List<String> strings(Object node) {
        List<String> list = new ArrayList<>();
        for (Object o : (List<?>) node) {
            list.add((String) o);
        }
        return list;
    }

    private static List<byte[]> binaries(Object node) {
        List<byte[]> list = new ArrayList<>();
        for (Object o : (List<?>) node) {
            list.add(Base64.getDecoder().decode((String) o));
        }
        return list;
    }

    static void write(JsonGenerator g, AttributeValue v) throws IOException {
        g.writeStartObject();
        g.writeFieldName(v.type().name());
        switch (v.type()) {
            case S: case N: g.writeString(v.s()); break;
            case B: g.writeString(Base64.getEncoder().encodeToString(v.bytesNoCopy())); break;
            case BOOL: g.writeBoolean(v.bool()); break;
            case NULL: g.writeBoolean(true); break;
            case M: writeItem(g, v.m()); break;
            case L:
                g.writeStartArray();
                for (AttributeValue e : v.l()) {
                    write(g, e);
                }
                g.writeEndArray();
                break;
            case SS: case NS:
                g.writeStartArray();
                for (String e : v.strings()) {
                    g.writeString(e);
                }
                g.writeEndArray();
                break;
            default:
                g.writeStartArray();
                for (byte[] e : v.binaries()) {
                    g.writeString(Base64.getEncoder().encodeToString(e));
                }
                g.writeEndArray();
        }
        g.writeEndObject();
    }

    /** Writes a map of attribute values as a JSON object (at the generator's current position). */
    static void writeItem(JsonGenerator g, Map<String, AttributeValue> item) throws IOException {
        g.writeStartObject();
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            g.writeFieldName(e.getKey());
            write(g, e.getValue());
        }
        g.writeEndObject();
    }

    static void writeItemField(JsonGenerator g, String name, Map<String, AttributeValue> item) throws IOException {
        g.writeFieldName(name);
        writeItem(g, item);
    }

    /** The stored form of an item: the item itself in DynamoDB JSON. */
    static byte[] itemBytes(Map<String, AttributeValue> item) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writeItem(g, item);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Map<String, AttributeValue> itemFromBytes(byte[] bytes) {
        return item(parseObject(bytes));
    }

    /** Epoch seconds with milliseconds, the form DynamoDB uses for timestamps in JSON 1.0. */
    static void writeEpochSeconds(JsonGenerator g, String name, long epochMs) throws IOException {
        g.writeFieldName(name);
        g.writeNumber(BigDecimal.valueOf(epochMs, 3));
    }
}
