package dev.millrace.dynamodb;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A table's settings: name, key, attribute definitions, global secondary indexes, billing, point-in-time recovery.
 * Stored as JSON under {@code dynamodb/<table>/meta}; described in the TableDescription shape. Tables and indexes
 * are ACTIVE as soon as they exist: there is nothing to build.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html
 *
 * <p>Immutable, thread-safe.
 */
record TableDefinition(String name, KeySchema key, Map<String, String> attributeDefinitions,
                       List<IndexDefinition> indexes, String billingMode, long readCapacity, long writeCapacity,
                       long createdMs, String tableId, boolean deletionProtection, boolean pointInTimeRecovery) {

    /** A global secondary index; projection type ALL, KEYS_ONLY or INCLUDE (with its non-key attributes). */
    record IndexDefinition(String name, KeySchema key, String projectionType, List<String> nonKeyAttributes,
                           long readCapacity, long writeCapacity) {

        static IndexDefinition read(Request r, Map<String, String> definitions) {
            Request projection = r.struct("Projection");
            String type = projection == null || projection.string("ProjectionType") == null ? "ALL"
                    : projection.string("ProjectionType");
            List<String> nonKey = new ArrayList<>();
            if (projection != null) {
                for (Object o : projection.list("NonKeyAttributes")) {
                    nonKey.add((String) o);
                }
            }
            Request throughput = r.struct("ProvisionedThroughput");
            return new IndexDefinition(r.requiredString("IndexName"), KeySchema.read(r, "KeySchema", definitions),
                    type, nonKey, capacity(throughput, "ReadCapacityUnits"),
                    capacity(throughput, "WriteCapacityUnits"));
        }
    }

    TableDefinition {
        attributeDefinitions = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(attributeDefinitions));
        indexes = List.copyOf(indexes);
    }

    static long capacity(Request throughput, String member) {
        Long v = throughput == null ? null : throughput.longValue(member);
        return v == null ? 0 : v;
    }

    IndexDefinition index(String indexName) {
        for (IndexDefinition i : indexes) {
            if (i.name().equals(indexName)) {
                return i;
            }
        }
        return null;
    }

    TableDefinition withIndexes(Map<String, String> definitions, List<IndexDefinition> newIndexes) {
        return new TableDefinition(name, key, definitions, newIndexes, billingMode, readCapacity, writeCapacity,
                createdMs, tableId, deletionProtection, pointInTimeRecovery);
    }

    TableDefinition withBilling(String mode, long rcu, long wcu) {
        return new TableDefinition(name, key, attributeDefinitions, indexes, mode, rcu, wcu, createdMs, tableId,
                deletionProtection, pointInTimeRecovery);
    }

    TableDefinition withDeletionProtection(boolean enabled) {
        return new TableDefinition(name, key, attributeDefinitions, indexes, billingMode, readCapacity,
                writeCapacity, createdMs, tableId, enabled, pointInTimeRecovery);
    }

    TableDefinition withPointInTimeRecovery(boolean enabled) {
        return new TableDefinition(name, key, attributeDefinitions, indexes, billingMode, readCapacity,
                writeCapacity, createdMs, tableId, deletionProtection, enabled);
    }

    /** Reads AttributeDefinitions into name → type, checking the types. */
    static Map<String, String> readDefinitions(Request r) {
        Map<String, String> definitions = new LinkedHashMap<>();
        for (Request d : r.structs("AttributeDefinitions")) {
            String type = d.requiredString("AttributeType");
            if (!type.equals("S") && !type.equals("N") && !type.equals("B")) {
                throw DynamoException.validation("1 validation error detected: Value '" + type + "' at "
                        + "'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must "
                        + "satisfy enum value set: [B, N, S]");
            }
            definitions.put(d.requiredString("AttributeName"), type);
        }
        return definitions;
    }

    // ---- storage

    byte[] toBytes() {
        return DynamoJson.object(g -> {
            g.writeStringField("name", name);
            writeKey(g, "key", key);
            g.writeObjectFieldStart("attributeDefinitions");
            for (Map.Entry<String, String> e : attributeDefinitions.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("indexes");
            for (IndexDefinition i : indexes) {
                g.writeStartObject();
                g.writeStringField("name", i.name());
                writeKey(g, "key", i.key());
                g.writeStringField("projectionType", i.projectionType());
                g.writeArrayFieldStart("nonKeyAttributes");
                for (String a : i.nonKeyAttributes()) {
                    g.writeString(a);
                }
                g.writeEndArray();
                g.writeNumberField("readCapacity", i.readCapacity());
                g.writeNumberField("writeCapacity", i.writeCapacity());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("billingMode", billingMode);
            g.writeNumberField("readCapacity", readCapacity);
            g.writeNumberField("writeCapacity", writeCapacity);
            g.writeNumberField("createdMs", createdMs);
            g.writeStringField("tableId", tableId);
            g.writeBooleanField("deletionProtection", deletionProtection);
            g.writeBooleanField("pointInTimeRecovery", pointInTimeRecovery);
        });
    }

    private static void writeKey(JsonGenerator g, String field, KeySchema k) throws IOException {
        g.writeObjectFieldStart(field);
        g.writeStringField("hashName", k.hashName());
        g.writeStringField("hashType", k.hashType());
        if (k.hasRange()) {
            g.writeStringField("rangeName", k.rangeName());
            g.writeStringField("rangeType", k.rangeType());
        }
        g.writeEndObject();
    }

    static TableDefinition fromBytes(byte[] bytes) {
        Request r = new Request(DynamoJson.parseObject(bytes));
        Map<String, String> definitions = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : r.map("attributeDefinitions").entrySet()) {
            definitions.put(e.getKey(), (String) e.getValue());
        }
        List<IndexDefinition> indexes = new ArrayList<>();
        for (Request i : r.structs("indexes")) {
            List<String> nonKey = new ArrayList<>();
            i.list("nonKeyAttributes").forEach(o -> nonKey.add((String) o));
            indexes.add(new IndexDefinition(i.string("name"), readKey(i.struct("key")), i.string("projectionType"),
                    nonKey, i.longValue("readCapacity"), i.longValue("writeCapacity")));
        }
        return new TableDefinition(r.string("name"), readKey(r.struct("key")), definitions, indexes,
                r.string("billingMode"), r.longValue("readCapacity"), r.longValue("writeCapacity"),
                r.longValue("createdMs"), r.string("tableId"), r.bool("deletionProtection", false),
                r.bool("pointInTimeRecovery", false));
    }

    private static KeySchema readKey(Request k) {
        return new KeySchema(k.string("hashName"), k.string("hashType"), k.string("rangeName"),
                k.string("rangeType"));
    }

    // ---- description

    /** Writes {@code "<field>": TableDescription}. {@code arn} is the table's ARN. */
    void writeDescription(JsonGenerator g, String field, String arn, String status, long itemCount, long sizeBytes)
            throws IOException {
        g.writeObjectFieldStart(field);
        g.writeArrayFieldStart("AttributeDefinitions");
        for (Map.Entry<String, String> e : attributeDefinitions.entrySet()) {
            g.writeStartObject();
            g.writeStringField("AttributeName", e.getKey());
            g.writeStringField("AttributeType", e.getValue());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("TableName", name);
        writeKeySchema(g, key);
        g.writeStringField("TableStatus", status);
        DynamoJson.writeEpochSeconds(g, "CreationDateTime", createdMs);
        writeThroughput(g, readCapacity, writeCapacity);
        g.writeNumberField("TableSizeBytes", sizeBytes);
        g.writeNumberField("ItemCount", itemCount);
        g.writeStringField("TableArn", arn);
        g.writeStringField("TableId", tableId);
        g.writeObjectFieldStart("BillingModeSummary");
        g.writeStringField("BillingMode", billingMode);
        DynamoJson.writeEpochSeconds(g, "LastUpdateToPayPerRequestDateTime", createdMs);
        g.writeEndObject();
        if (!indexes.isEmpty()) {
            g.writeArrayFieldStart("GlobalSecondaryIndexes");
            for (IndexDefinition i : indexes) {
                writeIndex(g, i, arn);
            }
            g.writeEndArray();
        }
        g.writeBooleanField("DeletionProtectionEnabled", deletionProtection);
        g.writeEndObject();
    }

    private static void writeIndex(JsonGenerator g, IndexDefinition i, String arn) throws IOException {
        g.writeStartObject();
        g.writeStringField("IndexName", i.name());
        writeKeySchema(g, i.key());
        g.writeObjectFieldStart("Projection");
        g.writeStringField("ProjectionType", i.projectionType());
        if (!i.nonKeyAttributes().isEmpty()) {
            g.writeArrayFieldStart("NonKeyAttributes");
            for (String a : i.nonKeyAttributes()) {
                g.writeString(a);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
        g.writeStringField("IndexStatus", "ACTIVE");
        writeThroughput(g, i.readCapacity(), i.writeCapacity());
        g.writeNumberField("IndexSizeBytes", 0);
        g.writeNumberField("ItemCount", 0);
        g.writeStringField("IndexArn", arn + "/index/" + i.name());
        g.writeEndObject();
    }

    private static void writeKeySchema(JsonGenerator g, KeySchema k) throws IOException {
        g.writeArrayFieldStart("KeySchema");
        g.writeStartObject();
        g.writeStringField("AttributeName", k.hashName());
        g.writeStringField("KeyType", "HASH");
        g.writeEndObject();
        if (k.hasRange()) {
            g.writeStartObject();
            g.writeStringField("AttributeName", k.rangeName());
            g.writeStringField("KeyType", "RANGE");
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeThroughput(JsonGenerator g, long rcu, long wcu) throws IOException {
        g.writeObjectFieldStart("ProvisionedThroughput");
        g.writeNumberField("NumberOfDecreasesToday", 0);
        g.writeNumberField("ReadCapacityUnits", rcu);
        g.writeNumberField("WriteCapacityUnits", wcu);
        g.writeEndObject();
    }
}
