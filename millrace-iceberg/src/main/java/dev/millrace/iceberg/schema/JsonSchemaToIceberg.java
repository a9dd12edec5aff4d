package dev.millrace.iceberg.schema;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Maps a channel's JSON Schema (draft-04 or draft-07, as AWS accepts) to the Iceberg schema of its table, and names
 * the table's {@code hour(column)} partition spec (AWS's only transform, TIME_HOUR).
 *
 * <p>The mapping is the one AWS documents for Kinesis channels into S3 Tables (facts sheet §4.1):
 * <pre>
 *   string                                   -> string          integer, bounds within 32 bits  -> int
 *   string + format date-time                -> timestamptz     integer otherwise (or unbounded) -> long
 *   string + format date / time / uuid       -> date/time/uuid  number + multipleOf              -> decimal(38, s)
 *   string + contentEncoding base64,                            number                           -> double
 *     format byte, or encoding byte|base64   -> binary          boolean                          -> boolean
 *   enum (of strings)                        -> string          object + properties              -> struct
 *   array + items schema                     -> list            object + additionalProperties    -> map(string, V)
 * </pre>
 * Decisions where AWS is silent: an {@code integer} without an upper bound is {@code long}; it is {@code int} when
 * its upper bound fits ({@code maximum <= 2^31-1}, or an exclusive one {@code <= 2^31}) and its minimum, if any, is
 * not below {@code -2^31}. A property is required (non-null) when listed in its object's {@code required} unless its
 * type is a union with {@code "null"}. List elements and map values are required unless their type admits null.
 * The partition column is forced required and must map to {@code timestamptz}. Local {@code $ref}s ({@code
 * #/definitions/...}, {@code #/$defs/...}) are inlined; remote ones are refused. {@code oneOf}, {@code anyOf},
 * {@code allOf}, {@code not}, tuple {@code items}, multi-type unions and nesting deeper than {@value #MAX_DEPTH}
 * struct/list/map levels cannot be mapped: {@link SchemaMappingException} names the schema path.
 *
 * <p>Stateless and thread-safe.
 */
public final class JsonSchemaToIceberg {

    /** AWS: "at most 16 levels of struct/map/list"; top-level columns are level 0. */
    public static final int MAX_DEPTH = 16;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();
    private static final Set<String> DRAFTS = Set.of(
            "http://json-schema.org/draft-04/schema", "http://json-schema.org/draft-07/schema");
    private static final Set<String> UNSUPPORTED = Set.of("oneOf", "anyOf", "allOf", "not", "if", "patternProperties");
    private static final BigDecimal INT_MAX = BigDecimal.valueOf(Integer.MAX_VALUE);
    private static final BigDecimal INT_MIN = BigDecimal.valueOf(Integer.MIN_VALUE);
    private static final int DECIMAL_PRECISION = 38;

    /** A mapped table schema: the Iceberg schema and its {@code hour(partitionColumn)} spec. */
    public record TableSchema(Schema schema, PartitionSpec spec, String partitionColumn) {
    }

    private JsonSchemaToIceberg() {
    }

    /**
     * Maps {@code schemaText} and partitions it by the hour of {@code partitionColumn}.
     *
     * @throws SchemaMappingException when the schema is not JSON, not an object schema, uses what cannot be mapped,
     *                                or the partition column is missing or not a date-time string
     */
    public static TableSchema map(String schemaText, String partitionColumn) throws SchemaMappingException {
        JsonNode root;
        try {
            root = MAPPER.readTree(schemaText);
        } catch (JsonProcessingException e) {
            throw new SchemaMappingException("", "the schema is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new SchemaMappingException("", "the schema must be a JSON object");
        }
        checkDraft(root);
        Walker walker = new Walker(root);
        Types.StructType struct = walker.struct(root, "", 0, partitionColumn);
        Schema schema = new Schema(struct.fields());
        Types.NestedField column = schema.findField(partitionColumn);
        if (column == null || struct.field(partitionColumn) == null) {
            throw new SchemaMappingException("/properties", "the partition column '" + partitionColumn
                    + "' is not a top-level property of the schema");
        }
        if (!column.type().equals(Types.TimestampType.withZone())) {
            throw new SchemaMappingException("/properties/" + partitionColumn, "the partition column must be a string"
                    + " with \"format\": \"date-time\" (timestamptz), not " + column.type());
        }
        PartitionSpec spec = PartitionSpec.builderFor(schema).hour(partitionColumn).build();
        return new TableSchema(schema, spec, partitionColumn);
    }

    private static void checkDraft(JsonNode root) throws SchemaMappingException {
        JsonNode draft = root.get("$schema");
        if (draft == null) {
            return;
        }
        String uri = draft.asText().replaceAll("#$", "").replaceFirst("^https:", "http:");
        if (!DRAFTS.contains(uri)) {
            throw new SchemaMappingException("/$schema", "only JSON Schema draft-04 and draft-07 are supported, not "
                    + draft.asText());
        }
    }

    /** One mapping: hands out field ids in document order. */
    private static final class Walker {
        private final JsonNode root;
        private int nextId = 1;

        Walker(JsonNode root) {
            this.root = root;
        }

        Types.StructType struct(JsonNode node, String path, int depth, String forcedRequired)
                throws SchemaMappingException {
            JsonNode properties = node.get("properties");
            if (properties == null || !properties.isObject() || properties.isEmpty()) {
                throw new SchemaMappingException(path, "an object needs at least one property");
            }
            Set<String> required = new HashSet<>();
            JsonNode requiredNode = node.get("required");
            if (requiredNode != null && requiredNode.isArray()) {
                requiredNode.forEach(n -> required.add(n.asText()));
            }
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < properties.size(); i++) {
                ids.add(nextId++);
            }
            List<Types.NestedField> fields = new ArrayList<>();
            Iterator<Map.Entry<String, JsonNode>> it = properties.properties().iterator();
            for (int i = 0; it.hasNext(); i++) {
                Map.Entry<String, JsonNode> property = it.next();
                String name = property.getKey();
                String childPath = path + "/properties/" + name;
                JsonNode child = resolve(property.getValue(), childPath);
                Mapped mapped = type(child, childPath, depth);
                boolean isRequired = name.equals(forcedRequired)
                        || (required.contains(name) && !mapped.nullable());
                fields.add(isRequired ? Types.NestedField.required(ids.get(i), name, mapped.type())
                        : Types.NestedField.optional(ids.get(i), name, mapped.type()));
            }
            return Types.StructType.of(fields);
        }

        private JsonNode resolve(JsonNode node, String path) throws SchemaMappingException {
            JsonNode current = node;
            for (int hops = 0; current.isObject() && current.has("$ref"); hops++) {
                String ref = current.get("$ref").asText();
                if (!ref.startsWith("#/")) {
                    throw new SchemaMappingException(path, "only local $ref (#/definitions/..., #/$defs/...) is"
                            + " supported, not " + ref);
                }
                if (hops > MAX_DEPTH) {
                    throw new SchemaMappingException(path, "$ref chain too long at " + ref);
                }
                JsonNode target = root.at(ref.substring(1));
                if (target.isMissingNode()) {
                    throw new SchemaMappingException(path, "$ref " + ref + " points nowhere");
                }
                current = target;
            }
            if (!current.isObject()) {
                throw new SchemaMappingException(path, "a schema must be a JSON object");
            }
            return current;
        }

        /** The mapped type of a (resolved) schema at {@code depth}, and whether its type admits null. */
        private Mapped type(JsonNode node, String path, int depth) throws SchemaMappingException {
            for (String keyword : UNSUPPORTED) {
                if (node.has(keyword)) {
                    throw new SchemaMappingException(path, "'" + keyword + "' cannot be mapped to an Iceberg type");
                }
            }
            boolean nullable = false;
            String type = null;
            JsonNode typeNode = node.get("type");
            if (typeNode != null && typeNode.isArray()) {
                for (JsonNode t : typeNode) {
                    if ("null".equals(t.asText())) {
                        nullable = true;
                    } else if (type == null) {
                        type = t.asText();
                    } else {
                        throw new SchemaMappingException(path, "a union of types " + typeNode
                                + " cannot be mapped (only [T, \"null\"])");
                    }
                }
            } else if (typeNode != null && !"null".equals(typeNode.asText())) {
                type = typeNode.asText();
            } else if (node.has("enum")) {
                type = "string";
            }
            if (type == null) {
                throw new SchemaMappingException(path, "no \"type\" (or only \"null\")");
            }
            return new Mapped(typeOf(type, node, path, depth), nullable);
        }

        private Type typeOf(String type, JsonNode node, String path, int depth) throws SchemaMappingException {
            return switch (type) {
                case "string" -> stringType(node);
                case "integer" -> fitsInt(node) ? Types.IntegerType.get() : Types.LongType.get();
                case "number" -> node.has("multipleOf") ? decimal(node.get("multipleOf"), path)
                        : Types.DoubleType.get();
                case "boolean" -> Types.BooleanType.get();
                case "object" -> objectType(node, path, depth + 1);
                case "array" -> listType(node, path, depth + 1);
                default -> throw new SchemaMappingException(path, "unknown type '" + type + "'");
            };
        }

        private Type objectType(JsonNode node, String path, int depth) throws SchemaMappingException {
            checkDepth(path, depth);
            if (node.has("properties")) {
                return struct(node, path, depth, null);
            }
            JsonNode additional = node.get("additionalProperties");
            if (additional != null && additional.isObject()) {
                String valuePath = path + "/additionalProperties";
                Mapped value = type(resolve(additional, valuePath), valuePath, depth);
                int keyId = nextId++;
                int valueId = nextId++;
                return value.nullable() ? Types.MapType.ofOptional(keyId, valueId, Types.StringType.get(), value.type())
                        : Types.MapType.ofRequired(keyId, valueId, Types.StringType.get(), value.type());
            }
            throw new SchemaMappingException(path, "an object needs \"properties\" or an \"additionalProperties\""
                    + " schema");
        }

        private Type listType(JsonNode node, String path, int depth) throws SchemaMappingException {
            checkDepth(path, depth);
            JsonNode items = node.get("items");
            if (items == null || !items.isObject()) {
                throw new SchemaMappingException(path, "an array needs one \"items\" schema (tuples cannot be"
                        + " mapped)");
            }
            String itemPath = path + "/items";
            int elementId = nextId++;
            Mapped element = type(resolve(items, itemPath), itemPath, depth);
            return element.nullable() ? Types.ListType.ofOptional(elementId, element.type())
                    : Types.ListType.ofRequired(elementId, element.type());
        }

        private static void checkDepth(String path, int depth) throws SchemaMappingException {
            if (depth > MAX_DEPTH) {
                throw new SchemaMappingException(path, "nesting deeper than " + MAX_DEPTH
                        + " struct/list/map levels");
            }
        }
    }

    private record Mapped(Type type, boolean nullable) {
    }

    private static Type stringType(JsonNode node) {
        String format = text(node, "format");
        String encoding = text(node, "contentEncoding");
        String legacyEncoding = text(node, "encoding");
        if ("base64".equalsIgnoreCase(encoding) || "byte".equals(format)
                || "byte".equalsIgnoreCase(legacyEncoding) || "base64".equalsIgnoreCase(legacyEncoding)) {
            return Types.BinaryType.get();
        }
        if (format == null) {
            return Types.StringType.get();
        }
        return switch (format) {
            case "date-time" -> Types.TimestampType.withZone();
            case "date" -> Types.DateType.get();
            case "time" -> Types.TimeType.get();
            case "uuid" -> Types.UUIDType.get();
            default -> Types.StringType.get();
        };
    }

    private static boolean fitsInt(JsonNode node) {
        BigDecimal max = number(node, "maximum");
        JsonNode exclusiveMax = node.get("exclusiveMaximum");
        boolean upperFits;
        if (exclusiveMax != null && exclusiveMax.isNumber()) {
            upperFits = exclusiveMax.decimalValue().compareTo(INT_MAX.add(BigDecimal.ONE)) <= 0;
        } else if (max != null && exclusiveMax != null && exclusiveMax.asBoolean(false)) {
            upperFits = max.compareTo(INT_MAX.add(BigDecimal.ONE)) <= 0; // draft-04: boolean exclusiveMaximum
        } else {
            upperFits = max != null && max.compareTo(INT_MAX) <= 0;
        }
        BigDecimal min = number(node, "minimum");
        JsonNode exclusiveMin = node.get("exclusiveMinimum");
        boolean lowerFits = min == null || min.compareTo(INT_MIN) >= 0;
        if (exclusiveMin != null && exclusiveMin.isNumber()) {
            lowerFits = lowerFits && exclusiveMin.decimalValue().compareTo(INT_MIN.subtract(BigDecimal.ONE)) >= 0;
        }
        return upperFits && lowerFits;
    }

    private static Type decimal(JsonNode multipleOf, String path) throws SchemaMappingException {
        if (!multipleOf.isNumber() || multipleOf.decimalValue().signum() <= 0) {
            throw new SchemaMappingException(path, "multipleOf must be a positive number");
        }
        int scale = Math.max(0, multipleOf.decimalValue().stripTrailingZeros().scale());
        if (scale > DECIMAL_PRECISION) {
            throw new SchemaMappingException(path, "multipleOf " + multipleOf + " needs a scale above "
                    + DECIMAL_PRECISION);
        }
        return Types.DecimalType.of(DECIMAL_PRECISION, scale);
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isTextual() ? value.asText() : null;
    }

    private static BigDecimal number(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isNumber() ? value.decimalValue() : null;
    }
}
