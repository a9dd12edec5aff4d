package dev.millrace.glue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.millrace.protocol.JsonTree;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a SchemaDefinition and gives the form two definitions are compared in. Millrace keeps JSON Schemas only:
 * the text must parse as one JSON object (no trailing data), at most {@link #MAX_DEPTH} deep, whose {@code type}
 * keywords name JSON Schema types, whose {@code properties}/{@code $defs}/{@code definitions} are objects of
 * schemas, whose {@code required} is a list of strings, and whose {@code $ref}s are local ({@code #...}): a remote
 * reference would make the server fetch a URL a client chose. This is a structural check, not a full meta-schema
 * validation (that needs a validator library and jackson-databind, which the project does not carry; the channel
 * code that applies a schema to records does the full validation).
 *
 * <p>Stateless, thread-safe.
 */
final class SchemaDefinitions {
    /** The model's bound on SchemaDefinitionString. */
    static final int MAX_DEFINITION_CHARS = 170_000;
    static final int MAX_DEPTH = 64;
    private static final Set<String> TYPES = Set.of("object", "array", "string", "number", "integer", "boolean",
            "null");
    private static final Set<String> SCHEMA_MAPS = Set.of("properties", "$defs", "definitions",
            "patternProperties");
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build()).build();

    private SchemaDefinitions() {
    }

    /**
     * The definition in normal form (parsed and written back compactly, members in their order), after checking
     * it is a JSON Schema.
     *
     * @throws GlueException InvalidInputException saying what is wrong
     */
    static String normalised(String definition) {
        if (definition.length() > MAX_DEFINITION_CHARS || definition.isBlank()) {
            throw GlueException.invalidInput("SchemaDefinition must be 1 to " + MAX_DEFINITION_CHARS
                    + " characters, not blank.");
        }
        Object tree;
        try (JsonParser p = JSON.createParser(definition)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw invalid("it is not a JSON object");
            }
            tree = JsonTree.read(p);
            if (p.nextToken() != null) {
                throw invalid("there is data after the schema's object");
            }
        } catch (IOException e) {
            throw invalid("it is not JSON (" + firstLine(e.getMessage()) + ")");
        }
        check(tree, "#");
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g, tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void check(Object schema, String path) {
        if (schema instanceof Boolean) {
            return; // true and false are schemas (draft 6 on)
        }
        if (!(schema instanceof Map<?, ?> m)) {
            throw invalid(path + " is not a schema (an object or a boolean)");
        }
        Object type = m.get("type");
        if (type instanceof List<?> types) {
            for (Object t : types) {
                checkType(t, path);
            }
        } else if (type != null) {
            checkType(type, path);
        }
        for (String keyword : SCHEMA_MAPS) {
            Object sub = m.get(keyword);
            if (sub == null) {
                continue;
            }
            if (!(sub instanceof Map<?, ?> subs)) {
                throw invalid(path + "/" + keyword + " is not an object");
            }
            for (Map.Entry<?, ?> e : subs.entrySet()) {
                check(e.getValue(), path + "/" + keyword + "/" + e.getKey());
            }
        }
        Object items = m.get("items");
        if (items instanceof List<?> tuple) {
            for (int i = 0; i < tuple.size(); i++) {
                check(tuple.get(i), path + "/items/" + i);
            }
        } else if (items != null) {
            check(items, path + "/items");
        }
        Object additional = m.get("additionalProperties");
        if (additional != null) {
            check(additional, path + "/additionalProperties");
        }
        Object required = m.get("required");
        if (required != null && !(required instanceof List<?> names && names.stream()
                .allMatch(n -> n instanceof String)) && !(required instanceof Boolean)) {
            throw invalid(path + "/required is not a list of property names");
        }
        Object ref = m.get("$ref");
        if (ref != null && !(ref instanceof String s && s.startsWith("#"))) {
            throw invalid(path + "/$ref is not a reference inside the schema (#...): Millrace never fetches"
                    + " remote schemas");
        }
    }

    private static void checkType(Object type, String path) {
        if (!(type instanceof String t) || !TYPES.contains(t)) {
            throw invalid(path + "/type " + type + " is not one of " + TYPES.stream().sorted().toList());
        }
    }

    private static void write(JsonGenerator g, Object value) throws IOException {
        if (value instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName((String) e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (value instanceof String s) {
            g.writeString(s);
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (value instanceof java.math.BigDecimal d) {
            g.writeNumber(d);
        } else if (value instanceof java.math.BigInteger i) {
            g.writeNumber(i);
        } else if (value instanceof Long l) {
            g.writeNumber(l);
        } else {
            g.writeNull();
        }
    }

    private static GlueException invalid(String why) {
        return GlueException.invalidInput("Schema definition of JSON data format is invalid: " + why + ".");
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
