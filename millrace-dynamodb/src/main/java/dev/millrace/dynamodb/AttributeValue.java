package dev.millrace.dynamodb;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One DynamoDB attribute value: S, N, B, BOOL, NULL, M, L, SS, NS or BS. Numbers keep the decimal string they were
 * written with (DynamoDB hands back what it was given for plain integers, and KCL parses them with
 * {@code Long.parseLong}); they compare and hash numerically, so {@code "1"} equals {@code "1.0"}. Sets compare
 * without regard to order.
 *
 * <p>Immutable, thread-safe.
 */
public final class AttributeValue {
    /** The wire type tags, in the spelling the JSON protocol uses. */
    public enum Type { S, N, B, BOOL, NULL, M, L, SS, NS, BS }

    private static final AttributeValue NULL = new AttributeValue(Type.NULL, Boolean.TRUE);
    private static final AttributeValue TRUE = new AttributeValue(Type.BOOL, Boolean.TRUE);
    private static final AttributeValue FALSE = new AttributeValue(Type.BOOL, Boolean.FALSE);

    private final Type type;
    private final Object value;

    private AttributeValue(Type type, Object value) {
        this.type = type;
        this.value = value;
    }

    public static AttributeValue s(String s) {
        return new AttributeValue(Type.S, s);
    }

    public static AttributeValue n(String n) {
        inRange(number(n));
        return new AttributeValue(Type.N, n);
    }

    public static AttributeValue n(BigDecimal n) {
        return new AttributeValue(Type.N, canonical(inRange(n)));
    }

    public static AttributeValue n(long n) {
        return new AttributeValue(Type.N, Long.toString(n));
    }

    public static AttributeValue b(byte[] b) {
        return new AttributeValue(Type.B, b.clone());
    }

    public static AttributeValue bool(boolean b) {
        return b ? TRUE : FALSE;
    }

    public static AttributeValue nul() {
        return NULL;
    }

    public static AttributeValue m(Map<String, AttributeValue> m) {
        return new AttributeValue(Type.M, Collections.unmodifiableMap(new LinkedHashMap<>(m)));
    }

    public static AttributeValue l(List<AttributeValue> l) {
        return new AttributeValue(Type.L, List.copyOf(l));
    }

    /** A string or number set; numbers are checked. DynamoDB rejects empty sets and duplicates. */
    public static AttributeValue set(Type type, List<String> elements) {
        if (type != Type.SS && type != Type.NS) {
            throw new IllegalArgumentException("not a string or number set: " + type);
        }
        if (elements.isEmpty()) {
            throw DynamoException.validation("One or more parameter values were invalid: An " + (type == Type.SS
                    ? "string" : "number") + " set  may not be empty");
        }
        Set<Object> seen = new HashSet<>();
        for (String e : elements) {
            if (!seen.add(type == Type.NS ? inRange(number(e)).stripTrailingZeros() : e)) {
                throw DynamoException.validation("Input collection " + elements + " contains duplicates.");
            }
        }
        return new AttributeValue(type, List.copyOf(elements));
    }

    public static AttributeValue bs(List<byte[]> elements) {
        if (elements.isEmpty()) {
            throw DynamoException.validation("One or more parameter values were invalid: An binary set  may not be "
                    + "empty");
        }
        Set<ByteBuffer> seen = new HashSet<>();
        List<byte[]> copy = new ArrayList<>();
        for (byte[] e : elements) {
            if (!seen.add(ByteBuffer.wrap(e))) {
                throw DynamoException.validation("Input collection contains duplicates.");
            }
            copy.add(e.clone());
        }
        return new AttributeValue(Type.BS, Collections.unmodifiableList(copy));
    }

    private static final int MAX_DIGITS = 38;
    private static final int MAX_MAGNITUDE = 125;
    private static final int MIN_MAGNITUDE = -130;

    static BigDecimal number(String n) {
        try {
            return new BigDecimal(n.trim());
        } catch (NumberFormatException e) {
            throw DynamoException.validation("The parameter cannot be converted to a numeric value: " + n);
        }
    }

    /**
     * A number DynamoDB can store: at most 38 significant digits, magnitude from 1E-130 to below 1E+126, refused with
     * DynamoDB's texts. Beyond keeping its limits this keeps the arithmetic cheap: 1E999999999 + 1 would be a
     * billion-digit number, and its plain text a billion characters.
     */
    static BigDecimal inRange(BigDecimal n) {
        if (n.signum() == 0) {
            return n;
        }
        BigDecimal stripped = n.stripTrailingZeros();
        long magnitude = (long) stripped.precision() - stripped.scale() - 1; // the exponent of the leading digit
        if (magnitude > MAX_MAGNITUDE) {
            throw DynamoException.validation("Number overflow. Attempting to store a number with magnitude larger "
                    + "than supported range");
        }
        if (magnitude < MIN_MAGNITUDE) {
            throw DynamoException.validation("Number underflow. Attempting to store a number with magnitude smaller "
                    + "than supported range");
        }
        if (stripped.precision() > MAX_DIGITS) {
            throw DynamoException.validation("Attempting to store more than 38 significant digits in a Number");
        }
        return n;
    }

    /** DynamoDB's form of a computed number: no exponent, no trailing zeros. */
    static String canonical(BigDecimal n) {
        BigDecimal stripped = n.stripTrailingZeros();
        return stripped.signum() == 0 ? "0" : stripped.toPlainString();
    }

    public Type type() {
        return type;
    }

    /** The text of an S or N. */
    public String s() {
        return (String) value;
    }

    public BigDecimal numeric() {
        return number((String) value);
    }

    public byte[] b() {
        return ((byte[]) value).clone();
    }

    byte[] bytesNoCopy() {
        return (byte[]) value;
    }

    public boolean bool() {
        return (Boolean) value;
    }

    @SuppressWarnings("unchecked")
    public Map<String, AttributeValue> m() {
        return (Map<String, AttributeValue>) value;
    }

    @SuppressWarnings("unchecked")
    public List<AttributeValue> l() {
        return (List<AttributeValue>) value;
    }

    /** The elements of an SS or NS. */
    @SuppressWarnings("unchecked")
    public List<String> strings() {
        return (List<String>) value;
    }

    /** The elements of a BS (not copied: callers must not change them). */
    @SuppressWarnings("unchecked")
    public List<byte[]> binaries() {
        return (List<byte[]>) value;
    }

    public boolean isSet() {
        return type == Type.SS || type == Type.NS || type == Type.BS;
    }

    /**
     * The bytes this value counts toward DynamoDB's 400 KB item limit, as its Developer Guide sizes them (strings and
     * binaries by length, numbers by about one byte per two digits, one byte per container element, three per
     * container). Approximate where the guide is, which is enough for a limit whose purpose is to bound memory.
     */
    long sizeBytes() {
        switch (type) {
            case S: return ((String) value).getBytes(StandardCharsets.UTF_8).length;
            case N: return numberBytes((String) value);
            case B: return ((byte[]) value).length;
            case BOOL: case NULL: return 1;
            case SS: return strings().stream().mapToLong(e -> e.getBytes(StandardCharsets.UTF_8).length).sum();
            case NS: return strings().stream().mapToLong(AttributeValue::numberBytes).sum();
            case BS: return binaries().stream().mapToLong(e -> e.length).sum();
            case L: return 3 + l().stream().mapToLong(e -> 1 + e.sizeBytes()).sum();
            default: return 3 + m().entrySet().stream().mapToLong(e -> 1
                    + e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().sizeBytes()).sum();
        }
    }

    private static long numberBytes(String n) {
        return 1 + (n.chars().filter(Character::isDigit).count() + 1) / 2;
    }

    /** The size DynamoDB's {@code size()} function reports, or -1 for types it does not apply to. */
    int size() {
        switch (type) {
            case S: return ((String) value).length();
            case B: return ((byte[]) value).length;
            case M: return m().size();
            case L: return l().size();
            case SS: case NS: case BS: return ((List<?>) value).size();
            default: return -1;
        }
    }

    /** Set elements as comparable keys: normalised numbers, strings, or byte buffers. */
    Set<Object> setKeys() {
        Set<Object> keys = new HashSet<>();
        switch (type) {
            case SS: keys.addAll(strings()); break;
            case NS: strings().forEach(e -> keys.add(number(e).stripTrailingZeros())); break;
            case BS: binaries().forEach(e -> keys.add(ByteBuffer.wrap(e))); break;
            default: throw new IllegalStateException("not a set: " + type);
        }
        return keys;
    }

    /** True when this is a scalar (S, N, B) that can be ordered against another of its type. */
    boolean isOrderable() {
        return type == Type.S || type == Type.N || type == Type.B;
    }

    /**
     * Orders two scalars of the same type as DynamoDB does: numbers numerically, strings and binaries by their
     * unsigned bytes (UTF-8 for strings).
     */
    static int compareScalars(AttributeValue a, AttributeValue b) {
        if (a.type != b.type || !a.isOrderable()) {
            throw new IllegalArgumentException("cannot order " + a.type + " against " + b.type);
        }
        switch (a.type) {
            case N: return a.numeric().compareTo(b.numeric());
            case S: return Arrays.compareUnsigned(a.s().getBytes(StandardCharsets.UTF_8),
                    b.s().getBytes(StandardCharsets.UTF_8));
            default: return Arrays.compareUnsigned(a.bytesNoCopy(), b.bytesNoCopy());
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AttributeValue)) {
            return false;
        }
        AttributeValue other = (AttributeValue) o;
        if (type != other.type) {
            return false;
        }
        switch (type) {
            case N: return numeric().compareTo(other.numeric()) == 0;
            case B: return Arrays.equals(bytesNoCopy(), other.bytesNoCopy());
            case SS: case NS: case BS: return setKeys().equals(other.setKeys());
            default: return value.equals(other.value);
        }
    }

    @Override
    public int hashCode() {
        switch (type) {
            case N: return numeric().stripTrailingZeros().hashCode();
            case B: return Arrays.hashCode(bytesNoCopy());
            case SS: case NS: case BS: return setKeys().hashCode();
            default: return type.hashCode() * 31 + value.hashCode();
        }
    }

    @Override
    public String toString() {
        switch (type) {
            case B: return "{B=" + java.util.Base64.getEncoder().encodeToString(bytesNoCopy()) + "}";
            case BS: return "{BS=" + binaries().size() + " values}";
            default: return "{" + type + "=" + value + "}";
        }
    }
}
