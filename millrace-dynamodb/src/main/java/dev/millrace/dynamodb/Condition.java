package dev.millrace.dynamodb;

import java.util.List;
import java.util.Map;

/**
 * A condition (ConditionExpression, FilterExpression, KeyConditionExpression, or the legacy Expected / filters)
 * tested against an item; a missing item is tested as an empty one, so {@code attribute_not_exists(pk)} holds for it.
 *
 * <p>Immutable, thread-safe.
 */
interface Condition {
    /** Always true: a write without a condition. */
    Condition ALWAYS = item -> true;

    boolean test(Map<String, AttributeValue> item);

    /** The attribute paths the condition reads (used to check key conditions). */
    default void paths(List<DocumentPath> out) {
    }

    record Compare(String op, Operand left, Operand right) implements Condition {
        @Override
        public boolean test(Map<String, AttributeValue> item) {
            return Comparisons.compare(op, left.eval(item), right.eval(item));
        }

        @Override
        public void paths(List<DocumentPath> out) {
            addPath(left, out);
            addPath(right, out);
        }
    }

    record Between(Operand value, Operand low, Operand high) implements Condition {
        @Override
        public boolean test(Map<String, AttributeValue> item) {
            return Comparisons.between(value.eval(item), low.eval(item), high.eval(item));
        }

        @Override
        public void paths(List<DocumentPath> out) {
            addPath(value, out);
        }
    }

    record In(Operand value, List<Operand> candidates) implements Condition {
        @Override
        public boolean test(Map<String, AttributeValue> item) {
            AttributeValue v = value.eval(item);
            for (Operand c : candidates) {
                if (Comparisons.equal(v, c.eval(item))) {
                    return true;
                }
            }
            return false;
        }
    }

    /** attribute_exists, attribute_not_exists, attribute_type, begins_with, contains. */
    record Function(String name, DocumentPath path, Operand argument) implements Condition {
        @Override
        public boolean test(Map<String, AttributeValue> item) {
            AttributeValue v = path.get(item);
            switch (name) {
                case "attribute_exists": return v != null;
                case "attribute_not_exists": return v == null;
                case "attribute_type": {
                    AttributeValue t = argument.eval(item);
                    return v != null && t != null && t.type() == AttributeValue.Type.S && v.type().name().equals(t.s());
                }
                case "begins_with": return Comparisons.beginsWith(v, argument.eval(item));
                case "contains": return Comparisons.contains(v, argument.eval(item));
                default: throw new IllegalStateException(name);
            }
        }

        @Override
        public void paths(List<DocumentPath> out) {
            out.add(path);
        }
    }

    record And(Condition left, Condition right) implements Condition {
        @Override
        public boolean test(Map<String, AttributeValue> item) {
            return left.test(item) && right.test(item);
        }

        @Override
        public void paths(List<DocumentPath> out) {
            left.paths(out);
            right.paths(out);
        }
    }

    record Or(Condition left, Condition right) implements Condition {
        @Override
        public boolean test(Map<String, AttributeValue> item) {
            return left.test(item) || right.test(item);
        }
    }

    record Not(Condition inner) implements Condition {
        @Override
        public boolean test(Map<String, AttributeValue> item) {
            return !inner.test(item);
        }
    }

    private static void addPath(Operand operand, List<DocumentPath> out) {
        if (operand instanceof Operand.Path) {
            out.add(((Operand.Path) operand).path());
        }
    }
}
