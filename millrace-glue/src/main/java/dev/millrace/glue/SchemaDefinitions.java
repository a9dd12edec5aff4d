package dev.millrace.glue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.SchemaException;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.millrace.protocol.JsonTree;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Checks a SchemaDefinition and gives the form two definitions are compared in. Millrace keeps JSON Schemas only:
 * the text must be one JSON object (no trailing data, at most {@link #MAX_DEPTH} deep) that is valid against the
 * meta-schema of its {@code $schema} (drafts 4, 6, 7, 2019-09 and 2020-12; draft 7 when it names none), checked with
 * networknt's json-schema-validator whose meta-schemas ship in its jar, and that compiles. Every {@code $ref} (and
 * {@code $dynamicRef}, {@code $recursiveRef}) must point inside the document ({@code #...}): a reference to a URL
 * would make the server fetch what a client chose, so it is refused, and the validator is told never to fetch.
 *
 * <p>Stateless, thread-safe (the validator's registries are).
 */
final class SchemaDefinitions {
    /** The model's bound on SchemaDefinitionString. */
    static final int MAX_DEFINITION_CHARS = 170_000;
    static final int MAX_DEPTH = 64;
    /** How many of the validator's messages an error repeats. */
    private static final int MAX_MESSAGES = 3;
    private static final List<String> REFERENCES = List.of("$ref", "$dynamicRef", "$recursiveRef");
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build()).build();
    private static final ObjectMapper TREES = new ObjectMapper(JSON);
    /** The meta-schemas: a handful, loaded once from the validator's jar and cached. */
    private static final SchemaRegistry META = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
            b -> b.schemaLoader(l -> l.fetchRemoteResources(false)));
    /** Clients' schemas, compiled once to see they compile, never cached (a client could send any number). */
    private static final SchemaRegistry CLIENTS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
            b -> b.schemaLoader(l -> l.fetchRemoteResources(false)).schemaCacheEnabled(false));

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
        onlyLocalReferences(tree, "#");
        againstMetaSchema(definition);
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g, tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static void againstMetaSchema(String definition) {
        JsonNode node;
        try {
            node = TREES.readTree(definition);
        } catch (IOException e) {
            throw invalid("it is not JSON (" + firstLine(e.getMessage()) + ")"); // parsed above: not expected
        }
        JsonNode declared = node.get("$schema");
        Optional<SpecificationVersion> version = SpecificationVersion.fromSchemaNode(node);
        if (declared != null && version.isEmpty()) {
            throw invalid("$schema " + GlueInput.clip(declared.toString()) + " is none of the JSON Schema drafts"
                    + " Millrace knows (4, 6, 7, 2019-09, 2020-12)");
        }
        String dialect = version.orElse(SpecificationVersion.DRAFT_7).getDialectId();
        try {
            List<Error> errors = META.getSchema(SchemaLocation.of(dialect)).validate(node);
            if (!errors.isEmpty()) {
                throw invalid(errors.stream().limit(MAX_MESSAGES).map(Error::toString)
                        .collect(Collectors.joining("; ")));
            }
            CLIENTS.getSchema(node);
        } catch (SchemaException e) {
            throw invalid(firstLine(e.getMessage()));
        }
    }

    private static void onlyLocalReferences(Object value, String path) {
        if (value instanceof Map<?, ?> m) {
            for (String keyword : REFERENCES) {
                Object ref = m.get(keyword);
                if (ref != null && !(ref instanceof String s && s.startsWith("#"))) {
                    throw invalid(path + "/" + keyword + " is not a reference inside the schema (#...):"
                            + " Millrace never fetches other schemas");
                }
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                onlyLocalReferences(e.getValue(), path + "/" + e.getKey());
            }
        } else if (value instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                onlyLocalReferences(l.get(i), path + "/" + i);
            }
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
