package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pre-expression parameters KCL's lease code still uses: {@code Expected} (with {@code Exists}, {@code Value} or
 * {@code ComparisonOperator} + {@code AttributeValueList}, joined by {@code ConditionalOperator}),
 * {@code AttributeUpdates} (PUT, ADD, DELETE), and the same condition form in {@code KeyConditions},
 * {@code QueryFilter} and {@code ScanFilter}.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/LegacyConditionalParameters.html
 *
 * <p>Stateless, thread-safe.
 */
final class LegacyParameters {
    private LegacyParameters() {
    }

    /** The condition of an {@code Expected} map (or a filter map); null or empty means none. */
    static Condition expected(Map<String, Object> expected, String conditionalOperator) {
        if (expected == null || expected.isEmpty()) {
            return Condition.ALWAYS;
        }
        boolean or = "OR".equals(conditionalOperator);
        if (conditionalOperator != null && !or && !"AND".equals(conditionalOperator)) {
            throw DynamoException.validation("1 validation error detected: Value '" + conditionalOperator
                    + "' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: "
                    + "[AND, OR]");
        }
        List<Condition> parts = new ArrayList<>();
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            parts.add(one(e.getKey(), asRequest(e.getValue())));
        }
        return item -> {
            for (Condition c : parts) {
                if (c.test(item) == or) {
                    return or;
                }
            }
            return !or;
        };
    }

    private static Condition one(String attribute, Request e) {
        String operator = e.string("ComparisonOperator");
        Boolean exists = e.bool("Exists");
        AttributeValue value = e.has("Value") ? DynamoJson.value(e.map("Value")) : null;
        if (operator != null) {
            if (value != null && e.has("AttributeValueList")) {
                throw DynamoException.validation("One or more parameter values were invalid: Value and "
                        + "AttributeValueList cannot be used together for Attribute: " + attribute);
            }
            if (exists != null) {
                throw DynamoException.validation("One or more parameter values were invalid: Exists and "
                        + "ComparisonOperator cannot be used together for Attribute: " + attribute);
            }
            List<AttributeValue> args = value != null ? List.of(value) : DynamoJson.values(e.list("AttributeValueList"));
            Comparisons.legacy(operator, null, args); // validates the operator and its arity up front
            return item -> Comparisons.legacy(operator, item.get(attribute), args);
        }
        if (Boolean.FALSE.equals(exists)) {
            if (value != null) {
                throw DynamoException.validation("One or more parameter values were invalid: Value cannot be used "
                        + "when Exists is false for Attribute: " + attribute);
            }
            return item -> !item.containsKey(attribute);
        }
        if (value == null) {
            throw DynamoException.validation("One or more parameter values were invalid: Value must be provided when "
                    + "Exists is " + (exists == null ? "null" : "true") + " for Attribute: " + attribute);
        }
        return item -> value.equals(item.get(attribute));
    }

    /** The update of an {@code AttributeUpdates} map. */
    static ItemUpdate attributeUpdates(Map<String, Object> updates) {
        List<Map.Entry<String, Request>> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : updates.entrySet()) {
            entries.add(Map.entry(e.getKey(), asRequest(e.getValue())));
        }
        return (before, target, touched) -> {
            for (Map.Entry<String, Request> e : entries) {
                apply(e.getKey(), e.getValue(), before, target);
                touched.add(e.getKey());
            }
        };
    }

    private static void apply(String attribute, Request u, Map<String, AttributeValue> before,
                              Map<String, AttributeValue> target) {
        String action = u.string("Action") == null ? "PUT" : u.string("Action");
        AttributeValue value = u.has("Value") ? DynamoJson.value(u.map("Value")) : null;
        switch (action) {
            case "PUT":
                if (value == null) {
                    throw DynamoException.validation("One or more parameter values were invalid: Only DELETE action "
                            + "is allowed when no attribute value is specified");
                }
                target.put(attribute, value);
                break;
            case "ADD":
                if (value == null) {
                    throw DynamoException.validation("One or more parameter values were invalid: Only DELETE action "
                            + "is allowed when no attribute value is specified");
                }
                target.put(attribute, ItemUpdate.add(before.get(attribute), value));
                break;
            case "DELETE":
                AttributeValue left = value == null ? null : ItemUpdate.deleteElements(before.get(attribute), value);
                if (left == null) {
                    target.remove(attribute);
                } else {
                    target.put(attribute, left);
                }
                break;
            default:
                throw DynamoException.validation("1 validation error detected: Value '" + action + "' at "
                        + "'attributeUpdates." + attribute + ".member.action' failed to satisfy constraint: Member "
                        + "must satisfy enum value set: [ADD, PUT, DELETE]");
        }
    }

    /** Legacy {@code KeyConditions}: each entry is an operator and its values on one key attribute. */
    static Condition keyConditions(Map<String, Object> keyConditions, List<DocumentPath> pathsOut,
                                   Map<String, AttributeValue> equalities) {
        List<Condition> parts = new ArrayList<>();
        for (Map.Entry<String, Object> e : keyConditions.entrySet()) {
            Request c = asRequest(e.getValue());
            String attribute = e.getKey();
            String operator = c.string("ComparisonOperator");
            if (operator == null) {
                throw Request.missing("ComparisonOperator");
            }
            List<AttributeValue> args = DynamoJson.values(c.list("AttributeValueList"));
            if (!Set.of("EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN").contains(operator)) {
                throw DynamoException.validation("Attempted conditional constraint is not an indexable operation");
            }
            Comparisons.legacy(operator, null, args);
            pathsOut.add(DocumentPath.of(attribute));
            if (operator.equals("EQ")) {
                equalities.put(attribute, args.get(0));
            }
            parts.add(item -> Comparisons.legacy(operator, item.get(attribute), args));
        }
        return item -> parts.stream().allMatch(p -> p.test(item));
    }

    private static Request asRequest(Object node) {
        if (!(node instanceof Map)) {
            throw DynamoException.serialization("Expected a structure");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) node;
        return new Request(m);
    }
}
