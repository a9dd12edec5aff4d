package dev.millrace.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a decoded request against the model's constraints (required members, lengths, ranges, patterns, enums) and
 * reports every violation in AWS's wording:
 * {@code 1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy
 * regular expression pattern: [a-zA-Z0-9_.-]+}. Several violations are counted and joined with {@code "; "}.
 * Paths use lower-camel member names and 1-based list indices ({@code records.2.member.partitionKey}).
 *
 * <p>Stateless, thread-safe.
 */
public final class Validator {
    private final ApiModel model;

    public Validator(ApiModel model) {
        this.model = model;
    }

    /**
     * Where a value sits in the request: built as a chain of nodes while walking and turned into text only when a
     * violation is reported, since a valid PutRecords has thousands of values and no errors.
     */
    private record At(At parent, String text, boolean member) {
        static At member(At parent, String name) {
            return new At(parent, name, true);
        }

        static At item(At parent, int index) {
            return new At(parent, (index + 1) + ".member", false);
        }

        @Override
        public String toString() {
            String own = member ? lowerCamel(text) : text;
            return parent == null ? own : parent + "." + own;
        }
    }

    /** Throws a {@code ValidationException} listing every violation, or returns if there are none. */
    public void validate(Struct request) {
        List<String> errors = new ArrayList<>();
        checkStructure(request, null, errors);
        if (!errors.isEmpty()) {
            String count = errors.size() == 1 ? "1 validation error detected: "
                    : errors.size() + " validation errors detected: ";
            throw KinesisException.validation(count + String.join("; ", errors));
        }
    }

    private void checkStructure(Struct struct, At parent, List<String> errors) {
        Map<String, Object> values = struct.values();
        for (Map.Entry<String, String> member : struct.shape().members().entrySet()) {
            At path = At.member(parent, member.getKey());
            Object value = values.get(member.getKey());
            if (value == null) {
                if (struct.shape().required().contains(member.getKey())) {
                    errors.add("Value null at '" + path + "' failed to satisfy constraint: Member must not be null");
                }
                continue;
            }
            checkValue(model.shape(member.getValue()), value, path, errors);
        }
    }

    private void checkValue(Shape shape, Object value, At path, List<String> errors) {
        switch (shape.type()) {
            case STRUCTURE:
                checkStructure((Struct) value, path, errors);
                return;
            case STRING:
                checkString(shape, (String) value, path, errors);
                return;
            case INTEGER:
            case LONG:
                long n = (Long) value;
                if (shape.min() != null && n < shape.min()) {
                    errors.add(fail(value, path, "Member must have value greater than or equal to " + shape.min()));
                }
                if (shape.max() != null && n > shape.max()) {
                    errors.add(fail(value, path, "Member must have value less than or equal to " + shape.max()));
                }
                return;
            case BLOB:
                checkLength(shape, ((byte[]) value).length, value, path, errors);
                return;
            case LIST:
                List<?> list = (List<?>) value;
                checkLength(shape, list.size(), value, path, errors);
                Shape element = model.shape(shape.member());
                for (int i = 0; i < list.size(); i++) {
                    Object item = list.get(i);
                    At itemPath = At.item(path, i);
                    if (item == null) {
                        errors.add("Value null at '" + itemPath + "' failed to satisfy constraint: "
                                + "Member must not be null");
                    } else {
                        checkValue(element, item, itemPath, errors);
                    }
                }
                return;
            case MAP:
                Map<?, ?> map = (Map<?, ?>) value;
                checkLength(shape, map.size(), value, path, errors);
                Shape keyShape = model.shape(shape.key());
                Shape valueShape = model.shape(shape.value());
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    checkValue(keyShape, e.getKey(), new At(path, "key", false), errors);
                    if (e.getValue() != null) {
                        checkValue(valueShape, e.getValue(), new At(path, e.getKey() + ".value", false), errors);
                    }
                }
                return;
            default:
                // booleans and timestamps carry no constraints in the model
        }
    }

    private static void checkString(Shape shape, String s, At path, List<String> errors) {
        if (shape.pattern() != null && !shape.pattern().matcher(s).matches()) {
            errors.add(fail(s, path, "Member must satisfy regular expression pattern: " + printed(shape.pattern())));
        }
        checkLength(shape, s.codePointCount(0, s.length()), s, path, errors);
        if (!shape.enumValues().isEmpty() && !shape.enumValues().contains(s)) {
            errors.add(fail(s, path, "Member must satisfy enum value set: " + shape.enumValues()));
        }
    }

    /**
     * The pattern as AWS prints it: since 2026 the model anchors some patterns ({@code ^(0|([1-9]\\d{0,38}))$}),
     * while the service still prints them bare ({@code 0|([1-9]\\d{0,38})}); {@code matches()} anchors anyway.
     */
    static String printed(java.util.regex.Pattern pattern) {
        String p = pattern.pattern();
        if (p.startsWith("^(") && p.endsWith(")$")) {
            return p.substring(2, p.length() - 2);
        }
        return p;
    }

    private static void checkLength(Shape shape, long length, Object value, At path, List<String> errors) {
        if (shape.min() != null && length < shape.min()) {
            errors.add(fail(value, path, "Member must have length greater than or equal to " + shape.min()));
        }
        if (shape.max() != null && length > shape.max()) {
            errors.add(fail(value, path, "Member must have length less than or equal to " + shape.max()));
        }
    }

    private static String fail(Object value, At path, String constraint) {
        return "Value " + render(value) + " at '" + path + "' failed to satisfy constraint: " + constraint;
    }

    /** How AWS prints a rejected value: its Java service model's {@code toString}, quoted. */
    private static String render(Object value) {
        return "'" + describe(value) + "'";
    }

    private static String describe(Object value) {
        if (value instanceof byte[]) {
            int n = ((byte[]) value).length;
            return "java.nio.HeapByteBuffer[pos=0 lim=" + n + " cap=" + n + "]";
        }
        if (value instanceof Struct) {
            Struct struct = (Struct) value;
            StringBuilder b = new StringBuilder(struct.shape().name()).append('(');
            String sep = "";
            for (String member : struct.shape().members().keySet()) {
                b.append(sep).append(member).append('=').append(describe(struct.values().get(member)));
                sep = ", ";
            }
            return b.append(')').toString();
        }
        if (value instanceof List) {
            StringBuilder b = new StringBuilder("[");
            String sep = "";
            for (Object item : (List<?>) value) {
                b.append(sep).append(describe(item));
                sep = ", ";
            }
            return b.append(']').toString();
        }
        return String.valueOf(value);
    }

    static String lowerCamel(String name) {
        return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}
