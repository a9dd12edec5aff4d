package dev.millrace.dynamodb;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The planning shared by PutItem, UpdateItem, DeleteItem and the entries of TransactWriteItems: read the condition
 * (ConditionExpression or legacy Expected, never both), test it against the current item, compute the new item.
 * Planning only reads; the caller holds the table's lock and commits the {@link Planned#write}.
 *
 * <p>Stateless, thread-safe.
 */
final class ItemWrites {
    /** The result of planning one write: {@code write} is null when nothing changes (ConditionCheck, absent delete). */
    record Planned(Tables.Write write, Map<String, AttributeValue> oldItem, Map<String, AttributeValue> newItem,
                   Set<String> touched) {
    }

    private ItemWrites() {
    }

    /** The request's condition; {@code legacyAllowed} is false inside transactions, which only take expressions. */
    static Condition condition(Request r, boolean legacyAllowed) {
        String expression = r.string("ConditionExpression");
        Map<String, Object> expected = legacyAllowed ? r.map("Expected") : null;
        if (expression != null && expected != null) {
            throw mixed("{Expected}", "{ConditionExpression}");
        }
        if (expression != null) {
            return ExpressionParser.condition("ConditionExpression", expression, r.expressionContext());
        }
        return LegacyParameters.expected(expected, r.string("ConditionalOperator"));
    }

    static DynamoException mixed(String nonExpression, String expression) {
        return DynamoException.validation("Can not use both expression and non-expression parameters in the same "
                + "request: Non-expression parameters: " + nonExpression + " Expression parameters: " + expression);
    }

    /** Tests the condition; a failure carries the old item when ReturnValuesOnConditionCheckFailure is ALL_OLD. */
    static void check(Request r, Condition condition, Map<String, AttributeValue> old) {
        if (!condition.test(old == null ? Map.of() : old)) {
            boolean allOld = "ALL_OLD".equals(r.string("ReturnValuesOnConditionCheckFailure"));
            throw DynamoException.conditionalCheckFailed(allOld ? old : null);
        }
    }

    static Planned put(Table t, Request r, boolean legacyAllowed) {
        Map<String, AttributeValue> item = r.requiredItem("Item");
        if (itemSizeBytes(item) > MAX_ITEM_BYTES) {
            throw DynamoException.validation("Item size has exceeded the maximum allowed size");
        }
        PrimaryKey key = t.keyOfItem(item);
        Map<String, AttributeValue> old = t.get(key);
        check(r, condition(r, legacyAllowed), old);
        return new Planned(new Tables.Write(t, key, item), old, item, item.keySet());
    }

    static Planned delete(Table t, Request r, boolean legacyAllowed) {
        PrimaryKey key = t.keyOfKey(r.requiredItem("Key"));
        Map<String, AttributeValue> old = t.get(key);
        check(r, condition(r, legacyAllowed), old);
        return new Planned(old == null ? null : new Tables.Write(t, key, null), old, null, Set.of());
    }

    static Planned conditionCheck(Table t, Request r) {
        PrimaryKey key = t.keyOfKey(r.requiredItem("Key"));
        if (r.string("ConditionExpression") == null) {
            throw Request.missing("ConditionExpression");
        }
        Map<String, AttributeValue> old = t.get(key);
        check(r, condition(r, false), old);
        return new Planned(null, old, old, Set.of());
    }

    /** DynamoDB's item size limit, 400 KB. */
    static final long MAX_ITEM_BYTES = 400 * 1024;

    /** An item's size as DynamoDB counts it: attribute names and values. */
    static long itemSizeBytes(Map<String, AttributeValue> item) {
        long size = 0;
        for (Map.Entry<String, AttributeValue> e : item.entrySet()) {
            size += e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + e.getValue().sizeBytes();
        }
        return size;
    }

    static Planned update(Table t, Request r, boolean legacyAllowed) {
        Map<String, AttributeValue> keyMap = r.requiredItem("Key");
        PrimaryKey key = t.keyOfKey(keyMap);
        Map<String, AttributeValue> old = t.get(key);
        ItemUpdate update = update(r, legacyAllowed);
        check(r, condition(r, legacyAllowed), old);
        Map<String, AttributeValue> before = old == null ? keyMap : old;
        Map<String, AttributeValue> target = new LinkedHashMap<>(before);
        Set<String> touched = new LinkedHashSet<>();
        if (update != null) {
            update.apply(before, target, touched);
        }
        if (itemSizeBytes(target) > MAX_ITEM_BYTES) {
            // Without it, SET l = list_append(l, l) doubles an item on every call until the heap is gone.
            throw DynamoException.validation("Item size to update has exceeded the maximum allowed size");
        }
        KeySchema ks = t.definition().key();
        for (String name : touched) {
            if (ks.isKeyAttribute(name)) {
                throw DynamoException.validation("One or more parameter values were invalid: Cannot update attribute "
                        + name + ". This attribute is part of the key");
            }
        }
        return new Planned(new Tables.Write(t, key, target), old, target, touched);
    }

    private static ItemUpdate update(Request r, boolean legacyAllowed) {
        String expression = r.string("UpdateExpression");
        Map<String, Object> attributeUpdates = legacyAllowed ? r.map("AttributeUpdates") : null;
        if (expression != null && attributeUpdates != null) {
            throw mixed("{AttributeUpdates}", "{UpdateExpression}");
        }
        if (expression != null) {
            return ExpressionParser.update(expression, r.expressionContext());
        }
        if (attributeUpdates != null) {
            if (r.has("ConditionExpression")) {
                throw mixed("{AttributeUpdates}", "{ConditionExpression}");
            }
            return LegacyParameters.attributeUpdates(attributeUpdates);
        }
        return null;
    }

    /** Checks ReturnValues against what the operation accepts and returns it (NONE when absent). */
    static String returnValues(Request r, boolean updateItem) {
        String rv = r.string("ReturnValues");
        if (rv == null) {
            return "NONE";
        }
        boolean ok = rv.equals("NONE") || rv.equals("ALL_OLD")
                || (updateItem && (rv.equals("ALL_NEW") || rv.equals("UPDATED_OLD") || rv.equals("UPDATED_NEW")));
        if (!ok) {
            throw DynamoException.validation("ReturnValues can only be " + (updateItem
                    ? "ALL_OLD, ALL_NEW, UPDATED_OLD, UPDATED_NEW or NONE" : "ALL_OLD or NONE")
                    + (updateItem ? "" : " on PutItem or DeleteItem"));
        }
        return rv;
    }

    /** Writes {@code "Attributes"} as ReturnValues asks; nothing for NONE or when there is nothing to return. */
    static void writeAttributes(JsonGenerator g, String returnValues, Planned p) throws IOException {
        Map<String, AttributeValue> out;
        switch (returnValues) {
            case "ALL_OLD": out = p.oldItem(); break;
            case "ALL_NEW": out = p.newItem(); break;
            case "UPDATED_OLD": out = pick(p.oldItem(), p.touched()); break;
            case "UPDATED_NEW": out = pick(p.newItem(), p.touched()); break;
            default: out = null;
        }
        if (out != null && !out.isEmpty()) {
            DynamoJson.writeItemField(g, "Attributes", out);
        }
    }

    private static Map<String, AttributeValue> pick(Map<String, AttributeValue> item, Set<String> names) {
        if (item == null) {
            return null;
        }
        Map<String, AttributeValue> out = new LinkedHashMap<>();
        for (String n : names) {
            AttributeValue v = item.get(n);
            if (v != null) {
                out.put(n, v);
            }
        }
        return out;
    }
}
