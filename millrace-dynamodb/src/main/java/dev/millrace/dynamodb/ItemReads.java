package dev.millrace.dynamodb;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The reading shared by Query and Scan: the items of a table or a global secondary index in key order, paging with
 * ExclusiveStartKey / LastEvaluatedKey and Limit (which counts items read, before the filter, as in DynamoDB), the
 * filter (FilterExpression or legacy QueryFilter / ScanFilter), the index projection and Select. An index is
 * computed from the table's items at read time: lease tables hold hundreds of items, not millions.
 *
 * <p>Stateless, thread-safe; callers hold the table's lock.
 */
final class ItemReads {
    /** An item with its position: the index key (null when reading the table) and the table key. */
    record Entry(PrimaryKey indexKey, PrimaryKey tableKey, Map<String, AttributeValue> item) {
    }

    private static final Comparator<Entry> ORDER = (a, b) -> {
        int c = a.indexKey() == null ? 0 : a.indexKey().compareTo(b.indexKey());
        return c != 0 ? c : a.tableKey().compareTo(b.tableKey());
    };

    private ItemReads() {
    }

    /** The index named by IndexName, or null for the table itself. */
    static TableDefinition.IndexDefinition index(Table t, Request r) {
        String name = r.string("IndexName");
        if (name == null) {
            return null;
        }
        TableDefinition.IndexDefinition index = t.definition().index(name);
        if (index == null) {
            throw DynamoException.validation("The table does not have the specified index: " + name);
        }
        if (r.bool("ConsistentRead", false)) {
            throw DynamoException.validation("Consistent reads are not supported on global secondary indexes");
        }
        return index;
    }

    /** Every entry of the table or index (items lacking the index key are not in a sparse index), in key order. */
    static List<Entry> entries(Table t, TableDefinition.IndexDefinition index, Predicate<Entry> accept) {
        List<Entry> out = new ArrayList<>();
        for (Map.Entry<PrimaryKey, Map<String, AttributeValue>> e : t.items().entrySet()) {
            PrimaryKey indexKey = null;
            if (index != null) {
                Map<String, AttributeValue> k = index.key().keyOf(e.getValue());
                if (k == null) {
                    continue;
                }
                indexKey = new PrimaryKey(k.get(index.key().hashName()),
                        index.key().hasRange() ? k.get(index.key().rangeName()) : null);
            }
            Entry entry = new Entry(indexKey, e.getKey(), e.getValue());
            if (accept.test(entry)) {
                out.add(entry);
            }
        }
        if (index != null) {
            out.sort(ORDER);
        }
        return out;
    }

    /** The filter of a read: FilterExpression or the legacy filter member, never both. */
    static Condition filter(Request r, String legacyMember) {
        String expression = r.string("FilterExpression");
        Map<String, Object> legacy = r.map(legacyMember);
        if (expression != null && legacy != null) {
            throw ItemWrites.mixed("{" + legacyMember + "}", "{FilterExpression}");
        }
        if (expression != null) {
            return ExpressionParser.condition("FilterExpression", expression, r.expressionContext());
        }
        return LegacyParameters.expected(legacy, r.string("ConditionalOperator"));
    }

    /** Writes Items (unless Select is COUNT), Count, ScannedCount and LastEvaluatedKey for one page. */
    static byte[] page(Table t, TableDefinition.IndexDefinition index, Request r, List<Entry> ordered,
                       Condition filter) {
        int start = startAfter(t, index, r.item("ExclusiveStartKey"), ordered);
        Integer limit = r.integer("Limit");
        if (limit != null && limit < 1) {
            throw DynamoException.validation("1 validation error detected: Value '" + limit + "' at 'limit' failed "
                    + "to satisfy constraint: Member must have value greater than or equal to 1");
        }
        int end = limit == null ? ordered.size() : (int) Math.min(ordered.size(), (long) start + limit);
        String select = r.string("Select") == null ? "ALL_ATTRIBUTES" : r.string("Select");
        Projection projection = Projection.of(r);
        List<Map<String, AttributeValue>> items = new ArrayList<>();
        for (int i = start; i < end; i++) {
            Map<String, AttributeValue> item = ordered.get(i).item();
            if (filter.test(item)) {
                items.add(projection.apply(project(t, index, item)));
            }
        }
        Entry last = end < ordered.size() && end > start ? ordered.get(end - 1) : null;
        return DynamoJson.object(g -> {
            if (!select.equals("COUNT")) {
                g.writeArrayFieldStart("Items");
                for (Map<String, AttributeValue> item : items) {
                    DynamoJson.writeItem(g, item);
                }
                g.writeEndArray();
            }
            g.writeNumberField("Count", items.size());
            g.writeNumberField("ScannedCount", end - start);
            if (last != null) {
                writeLastKey(g, t, index, last.item());
            }
        });
    }

    private static void writeLastKey(JsonGenerator g, Table t, TableDefinition.IndexDefinition index,
                                     Map<String, AttributeValue> item) throws IOException {
        Map<String, AttributeValue> key = new LinkedHashMap<>(t.keyAttributes(item));
        if (index != null) {
            key.putAll(index.key().keyOf(item));
        }
        DynamoJson.writeItemField(g, "LastEvaluatedKey", key);
    }

    /** What an index read returns before any ProjectionExpression: its projected attributes. */
    private static Map<String, AttributeValue> project(Table t, TableDefinition.IndexDefinition index,
                                                       Map<String, AttributeValue> item) {
        if (index == null || index.projectionType().equals("ALL")) {
            return item;
        }
        Map<String, AttributeValue> out = new LinkedHashMap<>(t.keyAttributes(item));
        out.putAll(index.key().keyOf(item));
        if (index.projectionType().equals("INCLUDE")) {
            for (String a : index.nonKeyAttributes()) {
                AttributeValue v = item.get(a);
                if (v != null) {
                    out.put(a, v);
                }
            }
        }
        return out;
    }

    /** The first position after ExclusiveStartKey in {@code ordered} (which may run backwards), or 0. */
    private static int startAfter(Table t, TableDefinition.IndexDefinition index, Map<String, AttributeValue> start,
                                  List<Entry> ordered) {
        if (start == null || start.isEmpty()) {
            return 0;
        }
        PrimaryKey tableKey;
        PrimaryKey indexKey = null;
        try {
            tableKey = t.keyOfItem(start);
            if (index != null) {
                KeySchema k = index.key();
                Map<String, AttributeValue> ik = k.keyOf(start);
                if (ik == null) {
                    throw DynamoException.validation("The provided starting key is invalid");
                }
                indexKey = new PrimaryKey(ik.get(k.hashName()), k.hasRange() ? ik.get(k.rangeName()) : null);
            }
        } catch (DynamoException e) {
            throw DynamoException.validation("The provided starting key is invalid: " + e.getMessage());
        }
        Entry probe = new Entry(indexKey, tableKey, null);
        boolean forward = ordered.size() < 2 || ORDER.compare(ordered.get(0), ordered.get(ordered.size() - 1)) <= 0;
        for (int i = 0; i < ordered.size(); i++) {
            int c = ORDER.compare(ordered.get(i), probe);
            if (forward ? c > 0 : c < 0) {
                return i;
            }
        }
        return ordered.size();
    }
}
