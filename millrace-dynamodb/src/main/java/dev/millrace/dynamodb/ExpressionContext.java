package dev.millrace.dynamodb;

import java.util.Map;

/**
 * The ExpressionAttributeNames ({@code #n}) and ExpressionAttributeValues ({@code :v}) an expression is read with.
 * An undefined placeholder is a ValidationException with DynamoDB's wording.
 *
 * <p>Immutable, thread-safe.
 */
final class ExpressionContext {
    static final ExpressionContext EMPTY = new ExpressionContext(Map.of(), Map.of());

    private final Map<String, String> names;
    private final Map<String, AttributeValue> values;

    ExpressionContext(Map<String, String> names, Map<String, AttributeValue> values) {
        this.names = Map.copyOf(names);
        this.values = Map.copyOf(values);
    }

    String name(String placeholder) {
        String name = names.get(placeholder);
        if (name == null) {
            throw DynamoException.validation("Value provided in ExpressionAttributeNames unused in expressions or "
                    + "an expression attribute name used in the document path is not defined; attribute name: "
                    + placeholder);
        }
        return name;
    }

    AttributeValue value(String placeholder) {
        AttributeValue value = values.get(placeholder);
        if (value == null) {
            throw DynamoException.validation("An expression attribute value used in expression is not defined; "
                    + "attribute value: " + placeholder);
        }
        return value;
    }
}
