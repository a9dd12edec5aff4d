package dev.millrace.dynamodb;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A value in an expression: a document path, a {@code :value}, {@code size(path)}, and in update expressions
 * {@code if_not_exists}, {@code list_append} and {@code a + b} / {@code a - b}. Evaluates against an item to a value,
 * or null when the path is missing.
 *
 * <p>Immutable, thread-safe.
 */
sealed interface Operand {
    AttributeValue eval(Map<String, AttributeValue> item);

    /** A document path. */
    record Path(DocumentPath path) implements Operand {
        @Override
        public AttributeValue eval(Map<String, AttributeValue> item) {
            return path.get(item);
        }
    }

    /** An ExpressionAttributeValues entry. */
    record Value(AttributeValue value) implements Operand {
        @Override
        public AttributeValue eval(Map<String, AttributeValue> item) {
            return value;
        }
    }

    /** {@code size(path)}: missing, or of a type without a size, yields no value (so comparisons fail). */
    record Size(DocumentPath path) implements Operand {
        @Override
        public AttributeValue eval(Map<String, AttributeValue> item) {
            AttributeValue v = path.get(item);
            int size = v == null ? -1 : v.size();
            return size < 0 ? null : AttributeValue.n(size);
        }
    }

    /** {@code if_not_exists(path, operand)}. */
    record IfNotExists(DocumentPath path, Operand fallback) implements Operand {
        @Override
        public AttributeValue eval(Map<String, AttributeValue> item) {
            AttributeValue v = path.get(item);
            return v != null ? v : fallback.eval(item);
        }
    }

    /** {@code list_append(a, b)}. */
    record ListAppend(Operand first, Operand second) implements Operand {
        @Override
        public AttributeValue eval(Map<String, AttributeValue> item) {
            AttributeValue a = required(first, item);
            AttributeValue b = required(second, item);
            if (a.type() != AttributeValue.Type.L || b.type() != AttributeValue.Type.L) {
                throw DynamoException.validation("Invalid UpdateExpression: Incorrect operand type for operator or "
                        + "function; operator or function: list_append, operand type: "
                        + (a.type() != AttributeValue.Type.L ? a.type() : b.type()));
            }
            List<AttributeValue> joined = new ArrayList<>(a.l());
            joined.addAll(b.l());
            return AttributeValue.l(joined);
        }
    }

    /** {@code a + b} or {@code a - b} on numbers. */
    record Arithmetic(Operand left, char op, Operand right) implements Operand {
        @Override
        public AttributeValue eval(Map<String, AttributeValue> item) {
            AttributeValue a = required(left, item);
            AttributeValue b = required(right, item);
            if (a.type() != AttributeValue.Type.N || b.type() != AttributeValue.Type.N) {
                throw DynamoException.validation("An operand in the update expression has an incorrect data type");
            }
            return AttributeValue.n(op == '+' ? a.numeric().add(b.numeric()) : a.numeric().subtract(b.numeric()));
        }
    }

    private static AttributeValue required(Operand operand, Map<String, AttributeValue> item) {
        AttributeValue v = operand.eval(item);
        if (v == null) {
            throw DynamoException.validation("The provided expression refers to an attribute that does not exist "
                    + "in the item");
        }
        return v;
    }
}
