package dev.millrace.dynamodb;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The comparison semantics shared by condition expressions, key conditions and the legacy {@code Expected},
 * {@code KeyConditions}, {@code QueryFilter} and {@code ScanFilter} parameters. A missing operand or one of another
 * type never matches an ordering comparison; equality works across all types (values of different types are simply
 * unequal).
 *
 * <p>Stateless, thread-safe.
 */
final class Comparisons {
    private Comparisons() {
    }

    static boolean equal(AttributeValue a, AttributeValue b) {
        return a != null && a.equals(b);
    }

    /** {@code <, <=, >, >=} and {@code =, <>} of two values; either may be null (missing). */
    static boolean compare(String op, AttributeValue a, AttributeValue b) {
        switch (op) {
            case "=": return equal(a, b);
            case "<>": return !equal(a, b);
            default: break;
        }
        if (a == null || b == null || a.type() != b.type() || !a.isOrderable()) {
            return false;
        }
        int c = AttributeValue.compareScalars(a, b);
        switch (op) {
            case "<": return c < 0;
            case "<=": return c <= 0;
            case ">": return c > 0;
            case ">=": return c >= 0;
            default: throw new IllegalArgumentException(op);
        }
    }

    static boolean between(AttributeValue x, AttributeValue low, AttributeValue high) {
        return compare(">=", x, low) && compare("<=", x, high);
    }

    static boolean beginsWith(AttributeValue x, AttributeValue prefix) {
        if (x == null || prefix == null || x.type() != prefix.type()) {
            return false;
        }
        if (x.type() == AttributeValue.Type.S) {
            return x.s().startsWith(prefix.s());
        }
        if (x.type() == AttributeValue.Type.B) {
            byte[] a = x.bytesNoCopy();
            byte[] p = prefix.bytesNoCopy();
            return a.length >= p.length && Arrays.equals(a, 0, p.length, p, 0, p.length);
        }
        return false;
    }

    /** {@code contains}: a substring of an S, a sub-sequence of a B, an element of a set or a list. */
    static boolean contains(AttributeValue x, AttributeValue operand) {
        if (x == null || operand == null) {
            return false;
        }
        switch (x.type()) {
            case S:
                return operand.type() == AttributeValue.Type.S && x.s().contains(operand.s());
            case B:
                return operand.type() == AttributeValue.Type.B
                        && indexOf(x.bytesNoCopy(), operand.bytesNoCopy()) >= 0;
            case SS:
                return operand.type() == AttributeValue.Type.S && x.strings().contains(operand.s());
            case NS:
                return operand.type() == AttributeValue.Type.N
                        && x.setKeys().contains(operand.numeric().stripTrailingZeros());
            case BS:
                return operand.type() == AttributeValue.Type.B
                        && x.setKeys().contains(ByteBuffer.wrap(operand.bytesNoCopy()));
            case L:
                return x.l().contains(operand);
            default:
                return false;
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * A legacy ComparisonOperator (Expected, KeyConditions, QueryFilter, ScanFilter) applied to the item's value
     * {@code actual} (null when the attribute is missing) and the AttributeValueList {@code args}.
     */
    static boolean legacy(String operator, AttributeValue actual, List<AttributeValue> args) {
        switch (operator) {
            case "NULL": return arity(operator, args, 0) && actual == null;
            case "NOT_NULL": return arity(operator, args, 0) && actual != null;
            case "EQ": return arity(operator, args, 1) && equal(actual, args.get(0));
            case "NE": return arity(operator, args, 1) && !equal(actual, args.get(0));
            case "LT": return arity(operator, args, 1) && compare("<", actual, args.get(0));
            case "LE": return arity(operator, args, 1) && compare("<=", actual, args.get(0));
            case "GT": return arity(operator, args, 1) && compare(">", actual, args.get(0));
            case "GE": return arity(operator, args, 1) && compare(">=", actual, args.get(0));
            case "BEGINS_WITH": return arity(operator, args, 1) && beginsWith(actual, args.get(0));
            case "CONTAINS": return arity(operator, args, 1) && contains(actual, args.get(0));
            case "NOT_CONTAINS": return arity(operator, args, 1) && actual != null && !contains(actual, args.get(0));
            case "BETWEEN": return arity(operator, args, 2) && between(actual, args.get(0), args.get(1));
            case "IN":
                if (args.isEmpty()) {
                    throw DynamoException.validation("One or more parameter values were invalid: Invalid number of "
                            + "argument(s) for the IN ComparisonOperator");
                }
                return args.contains(actual);
            default:
                throw DynamoException.validation("1 validation error detected: Value '" + operator + "' at "
                        + "'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: "
                        + "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]");
        }
    }

    private static boolean arity(String operator, List<AttributeValue> args, int expected) {
        if (args.size() != expected) {
            throw DynamoException.validation("One or more parameter values were invalid: Invalid number of "
                    + "argument(s) for the " + operator + " ComparisonOperator");
        }
        return true;
    }
}
