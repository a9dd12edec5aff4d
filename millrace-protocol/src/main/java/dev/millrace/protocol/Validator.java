package dev.millrace.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a decoded request against the model's constraints (required members, lengths, ranges, patterns, enums) and
 * reports the violations in AWS's wording:
 * {@code 1 validation error detected: Value 'a b' at 'streamName' failed to satisfy constraint: Member must satisfy
 * regular expression pattern: [a-zA-Z0-9_.-]+}. Several violations are counted and joined with {@code "; "}; AWS
 * stops at the tenth, and so does this ({@code 10 validation errors detected: } and the first ten), which also
 * keeps a 500-record PutRecords full of mistakes cheap to reject.
 *
 * <p>Paths use lower-camel member names and 1-based list indices ({@code records.2.member.partitionKey}). Members
 * are visited in model order; a structure's required members are checked as they come, a list's or map's own
 * length before its elements. Values are printed as AWS prints them (see {@link ValueText}), a missing one as
 * {@code Value null}.
 *
 * <p>The elements of a list of scalars, and a map's keys and values, are not reported one by one: AWS reports the
 * whole collection once, listing every constraint of the element shape, largest first:
 * {@code Value '[a, aaa…]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must
 * have length less than or equal to 128, Member must have length greater than or equal to 1]}, and for maps
 * {@code Map keys must satisfy constraint: [...]} / {@code Map value must satisfy constraint: [...]}.
 *
 * <p>Stateless, thread-safe.
 */
public final class Validator {
    /** AWS lists at most this many violations. */
    static final int MAX_ERRORS = 10;

    /** Enum shapes whose values AWS was recorded printing in an order of its own; see {@link #enumConstraint}. */
    private static final Map<String, List<String>> AWS_ENUM_ORDER = Map.of("ShardIteratorType",
            List.of("AFTER_SEQUENCE_NUMBER", "LATEST", "AT_TIMESTAMP", "AT_SEQUENCE_NUMBER", "TRIM_HORIZON"));

    private final ApiModel model;

    public Validator(ApiModel model) {
        this.model = model;
    }

    /**
     * Where a value sits in the request: built as a chain of nodes while walking and turned into text only when a
     * violation is reported ({@link #fail} does it at once), since a valid PutRecords has thousands of values and no
     * errors. A list's items share one node whose index moves along the list: no node per item either.
     */
    private static final class At {
        private final At parent;
        private final String text;
        private final boolean member;
        private int index;

        private At(At parent, String text, boolean member, int index) {
            this.parent = parent;
            this.text = text;
            this.member = member;
            this.index = index;
        }

        static At member(At parent, String name) {
            return new At(parent, name, true, -1);
        }

        static At key(At parent, String key) {
            return new At(parent, key, false, -1);
        }

        /** The items of a list, starting at the first; {@link #index} moves it to another. */
        static At items(At parent) {
            return new At(parent, null, false, 0);
        }

        At index(int i) {
            index = i;
            return this;
        }

        @Override
        public String toString() {
            String own = text == null ? (index + 1) + ".member" : member ? lowerCamel(text) : text;
            return parent == null ? own : parent + "." + own;
        }
    }

    /** The violations found so far, up to {@link #MAX_ERRORS}. */
    private static final class Errors {
        final List<String> found = new ArrayList<>();

        boolean full() {
            return found.size() >= MAX_ERRORS;
        }

        void add(String error) {
            if (!full()) {
                found.add(error);
            }
        }
    }

    /** Throws a {@code ValidationException} listing the violations (at most ten), or returns if there are none. */
    public void validate(Struct request) {
        Errors errors = new Errors();
        checkStructure(request, null, errors);
        List<String> found = errors.found;
        if (!found.isEmpty()) {
            String count = found.size() == 1 ? "1 validation error detected: "
                    : found.size() + " validation errors detected: ";
            throw KinesisException.validation(count + String.join("; ", found));
        }
    }

    private void checkStructure(Struct struct, At parent, Errors errors) {
        ApiModel.Members members = model.members(struct.shape());
        for (int m = 0; m < members.names.length; m++) {
            if (errors.full()) {
                return;
            }
            String name = members.names[m];
            Object value = struct.get(m);
            if (value == null) {
                if (members.required[m]) {
                    errors.add(fail(null, At.member(parent, name), "Member must not be null"));
                }
                continue;
            }
            Shape shape = members.shapes[m];
            if (isScalar(shape)) {
                // The member's path is made only if an error names it: a PutRecords call has 1,000 such members.
                for (String violation : violations(shape, value)) {
                    errors.add(fail(value, At.member(parent, name), violation));
                }
            } else {
                checkValue(shape, value, At.member(parent, name), errors);
            }
        }
    }

    private void checkValue(Shape shape, Object value, At path, Errors errors) {
        switch (shape.type()) {
            case STRUCTURE:
                checkStructure((Struct) value, path, errors);
                return;
            case LIST:
                checkList(shape, (List<?>) value, path, errors);
                return;
            case MAP:
                checkMap(shape, (Map<?, ?>) value, path, errors);
                return;
            default:
                for (String violation : violations(shape, value)) {
                    errors.add(fail(value, path, violation));
                }
        }
    }

    private void checkList(Shape shape, List<?> list, At path, Errors errors) {
        checkLength(shape, list.size(), list, path, errors);
        Shape element = model.shape(shape.member());
        boolean scalars = isScalar(element);
        boolean reported = false;
        At items = At.items(path);
        for (int i = 0; i < list.size() && !errors.full(); i++) {
            Object item = list.get(i);
            if (item == null) {
                errors.add(fail(null, items.index(i), "Member must not be null"));
            } else if (!scalars) {
                checkValue(element, item, items.index(i), errors);
            } else if (!reported && !violations(element, item).isEmpty()) {
                errors.add(fail(list, path, "Member must satisfy constraint: " + constraints(element)));
                reported = true;
            }
        }
    }

    private void checkMap(Shape shape, Map<?, ?> map, At path, Errors errors) {
        checkLength(shape, map.size(), map, path, errors);
        Shape keyShape = model.shape(shape.key());
        Shape valueShape = model.shape(shape.value());
        if (map.keySet().stream().anyMatch(key -> !violations(keyShape, key).isEmpty())) {
            errors.add(fail(map, path, "Map keys must satisfy constraint: " + constraints(keyShape)));
        }
        if (isScalar(valueShape)) {
            if (map.values().stream().anyMatch(v -> v != null && !violations(valueShape, v).isEmpty())) {
                errors.add(fail(map, path, "Map value must satisfy constraint: " + constraints(valueShape)));
            }
            return;
        }
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (e.getValue() != null) {
                checkValue(valueShape, e.getValue(), At.key(path, String.valueOf(e.getKey())), errors);
            }
        }
    }

    private static boolean isScalar(Shape shape) {
        Shape.Type type = shape.type();
        return type != Shape.Type.STRUCTURE && type != Shape.Type.LIST && type != Shape.Type.MAP;
    }

    /**
     * What a scalar breaks, each as AWS words it: pattern, then length (or value) bounds, then the enum. Allocates
     * nothing for a valid value (the common case, thousands of times per PutRecords).
     */
    private static List<String> violations(Shape shape, Object value) {
        List<String> out = null;
        switch (shape.type()) {
            case STRING: {
                String s = (String) value;
                if (shape.pattern() != null && !shape.pattern().matcher(s).matches()) {
                    out = with(out, patternConstraint(shape.pattern()));
                }
                out = lengthViolations(shape, s.codePointCount(0, s.length()), out);
                if (!shape.enumValues().isEmpty() && !shape.enumValues().contains(s)) {
                    out = with(out, enumConstraint(shape));
                }
                break;
            }
            case BLOB:
                out = lengthViolations(shape, ((Blob) value).length(), null);
                break;
            case INTEGER:
            case LONG: {
                long n = (Long) value;
                if (shape.min() != null && n < shape.min()) {
                    out = with(out, "Member must have value greater than or equal to " + shape.min());
                }
                if (shape.max() != null && n > shape.max()) {
                    out = with(out, "Member must have value less than or equal to " + shape.max());
                }
                break;
            }
            default:
                // booleans and timestamps carry no constraints in the model
        }
        return out == null ? List.of() : out;
    }

    private static List<String> lengthViolations(Shape shape, long length, List<String> out) {
        if (shape.min() != null && length < shape.min()) {
            out = with(out, "Member must have length greater than or equal to " + shape.min());
        }
        if (shape.max() != null && length > shape.max()) {
            out = with(out, "Member must have length less than or equal to " + shape.max());
        }
        return out;
    }

    private static List<String> with(List<String> out, String violation) {
        List<String> list = out == null ? new ArrayList<>(2) : out;
        list.add(violation);
        return list;
    }

    /** Every constraint of an element shape, as AWS lists them for a collection: {@code [max, min, ...]}. */
    private static String constraints(Shape shape) {
        boolean numeric = shape.type() == Shape.Type.INTEGER || shape.type() == Shape.Type.LONG;
        String bound = numeric ? "Member must have value " : "Member must have length ";
        List<String> all = new ArrayList<>();
        if (shape.max() != null) {
            all.add(bound + "less than or equal to " + shape.max());
        }
        if (shape.min() != null) {
            all.add(bound + "greater than or equal to " + shape.min());
        }
        if (shape.pattern() != null) {
            all.add(patternConstraint(shape.pattern()));
        }
        if (!shape.enumValues().isEmpty()) {
            all.add(enumConstraint(shape));
        }
        return "[" + String.join(", ", all) + "]";
    }

    private static String patternConstraint(Pattern pattern) {
        return "Member must satisfy regular expression pattern: " + printed(pattern);
    }

    /**
     * The enum's values in the order AWS prints them: its own order where one was recorded against AWS (it is
     * neither the model's nor alphabetical), the model's otherwise.
     */
    private static String enumConstraint(Shape shape) {
        List<String> values = shape.enumValues();
        List<String> awsOrder = AWS_ENUM_ORDER.get(shape.name());
        boolean sameValues = awsOrder != null && awsOrder.size() == values.size() && awsOrder.containsAll(values);
        return "Member must satisfy enum value set: " + (sameValues ? awsOrder : values);
    }

    /**
     * The pattern as AWS prints it: since 2026 the model anchors some patterns ({@code ^(0|([1-9]\\d{0,38}))$}),
     * while the service still prints them bare ({@code 0|([1-9]\\d{0,38})}); {@code matches()} anchors anyway.
     */
    static String printed(Pattern pattern) {
        String p = pattern.pattern();
        if (p.startsWith("^(") && p.endsWith(")$")) {
            return p.substring(2, p.length() - 2);
        }
        return p;
    }

    private void checkLength(Shape shape, long length, Object value, At path, Errors errors) {
        List<String> out = lengthViolations(shape, length, null);
        for (String violation : out == null ? List.<String>of() : out) {
            errors.add(fail(value, path, violation));
        }
    }

    private String fail(Object value, At path, String constraint) {
        String shown = value == null ? "null" : "'" + ValueText.of(model, value) + "'";
        return "Value " + shown + " at '" + path + "' failed to satisfy constraint: " + constraint;
    }

    static String lowerCamel(String name) {
        return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }
}
