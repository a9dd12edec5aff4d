package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed access to the members of a request (or of a structure inside one, such as a TransactWriteItems entry). A
 * member of the wrong JSON type is a SerializationException, as the service reports it; a missing required member a
 * ValidationException in the service's "1 validation error detected" wording.
 *
 * <p>Not thread-safe; one per call.
 */
final class Request {
    private final Map<String, Object> fields;

    Request(Map<String, Object> fields) {
        this.fields = fields;
    }

    boolean has(String name) {
        return fields.get(name) != null;
    }

    String string(String name) {
        return as(name, String.class);
    }

    String requiredString(String name) {
        String s = string(name);
        if (s == null) {
            throw missing(name);
        }
        return s;
    }

    /** The table name, checked against DynamoDB's naming rules so it can never escape a metadata key. */
    String tableName(String name) {
        String s = requiredString(name);
        if (!s.matches("[a-zA-Z0-9_.-]{3,255}")) {
            throw DynamoException.validation("1 validation error detected: Value '" + s + "' at '"
                    + lowerFirst(name) + "' failed to satisfy constraint: Member must satisfy regular expression "
                    + "pattern: [a-zA-Z0-9_.-]+");
        }
        return s;
    }

    Integer integer(String name) {
        Object v = fields.get(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Long)) {
            throw DynamoException.serialization("NUMBER_VALUE cannot be converted to Integer: " + name);
        }
        // Saturated, as AWS's front end reads an integer beyond the range (Kinesis's recorded answers show it):
        // Math.toIntExact made Limit 99999999999 a 500.
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, (Long) v));
    }

    Long longValue(String name) {
        Object v = fields.get(name);
        if (v == null) {
            return null;
        }
        if (!(v instanceof Long)) {
            throw DynamoException.serialization("NUMBER_VALUE cannot be converted to Long: " + name);
        }
        return (Long) v;
    }

    boolean bool(String name, boolean defaultValue) {
        Boolean b = as(name, Boolean.class);
        return b == null ? defaultValue : b;
    }

    Boolean bool(String name) {
        return as(name, Boolean.class);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> map(String name) {
        return as(name, Map.class);
    }

    /** A nested structure, or null when absent. */
    Request struct(String name) {
        Map<String, Object> m = map(name);
        return m == null ? null : new Request(m);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(String name) {
        List<Object> l = as(name, List.class);
        return l == null ? List.of() : l;
    }

    /** A list of structures. */
    List<Request> structs(String name) {
        List<Request> out = new ArrayList<>();
        for (Object o : list(name)) {
            if (!(o instanceof Map)) {
                throw DynamoException.serialization("Expected a structure in " + name);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) o;
            out.add(new Request(m));
        }
        return out;
    }

    /** A map of attribute values (Item, Key, ExpressionAttributeValues, ExclusiveStartKey), or null. */
    Map<String, AttributeValue> item(String name) {
        return DynamoJson.item(fields.get(name));
    }

    Map<String, AttributeValue> requiredItem(String name) {
        Map<String, AttributeValue> item = item(name);
        if (item == null) {
            throw missing(name);
        }
        return item;
    }

    /** ExpressionAttributeNames, or an empty map. */
    Map<String, String> names(String name) {
        Map<String, Object> m = map(name);
        Map<String, String> out = new LinkedHashMap<>();
        if (m != null) {
            for (Map.Entry<String, Object> e : m.entrySet()) {
                if (!(e.getValue() instanceof String)) {
                    throw DynamoException.serialization("Expected a string in " + name);
                }
                out.put(e.getKey(), (String) e.getValue());
            }
        }
        return out;
    }

    /** The expression context of this request: its ExpressionAttributeNames and ExpressionAttributeValues. */
    ExpressionContext expressionContext() {
        Map<String, AttributeValue> values = item("ExpressionAttributeValues");
        return new ExpressionContext(names("ExpressionAttributeNames"), values == null ? Map.of() : values);
    }

    private <T> T as(String name, Class<T> type) {
        Object v = fields.get(name);
        if (v == null) {
            return null;
        }
        if (!type.isInstance(v)) {
            throw DynamoException.serialization("Unexpected value type for " + name + ": expected "
                    + type.getSimpleName());
        }
        return type.cast(v);
    }

    static DynamoException missing(String name) {
        return DynamoException.validation("1 validation error detected: Value null at '" + lowerFirst(name)
                + "' failed to satisfy constraint: Member must not be null");
    }

    private static String lowerFirst(String s) {
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
