package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Kinesis API model (botocore {@code kinesis/2013-12-02/service-2.json}, bundled as a resource): its operations
 * and shapes. Validation rules, enum values and error names come from here, not from code.
 *
 * <p>Immutable after loading, thread-safe. Load once with {@link #kinesis()}.
 */
public final class ApiModel {
    private static final String RESOURCE = "kinesis-2013-12-02.json";
    private static volatile ApiModel kinesis;

    /** One operation: its input and output shapes (output {@code null} when it has none) and modeled errors. */
    public record Operation(String name, String input, String output, List<String> errors) {
    }

    /**
     * A structure's members resolved once, at load: names, shapes and whether each is required, in the model's order.
     * Reading and validating a request find a member's shape here instead of by its shape's name: a PutRecords call
     * of 500 records looked up ~3,000 names (4 % of the call's CPU with the API in-process, docs/BENCHMARKS.md).
     * Immutable (nobody writes the arrays after load).
     */
    static final class Members {
        final String[] names;
        final Shape[] shapes;
        final boolean[] required;

        private Members(Shape structure, Map<String, Shape> all) {
            int n = structure.members().size();
            names = new String[n];
            shapes = new Shape[n];
            required = new boolean[n];
            int i = 0;
            for (Map.Entry<String, String> member : structure.members().entrySet()) {
                names[i] = member.getKey();
                shapes[i] = all.get(member.getValue());
                required[i] = structure.required().contains(member.getKey());
                i++;
            }
        }

        /** The index of member {@code name}, or -1. A scan: a structure has a handful of members. */
        int indexOf(String name) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return i;
                }
            }
            return -1;
        }
    }

    private final String targetPrefix;
    private final Map<String, Operation> operations;
    private final Map<String, Shape> shapes;
    /** By identity: every structure shape of {@link #shapes}. */
    private final Map<Shape, Members> members = new IdentityHashMap<>();

    private ApiModel(String targetPrefix, Map<String, Operation> operations, Map<String, Shape> shapes) {
        this.targetPrefix = targetPrefix;
        this.operations = operations;
        this.shapes = shapes;
        for (Shape shape : shapes.values()) {
            if (shape.type() == Shape.Type.STRUCTURE) {
                members.put(shape, new Members(shape, shapes));
            }
        }
    }

    /** The members of a structure shape of this model, resolved. */
    Members members(Shape structure) {
        Members m = members.get(structure);
        if (m == null) {
            throw new IllegalArgumentException("no structure " + structure.name() + " in the model");
        }
        return m;
    }

    public static ApiModel kinesis() {
        ApiModel model = kinesis;
        if (model == null) {
            synchronized (ApiModel.class) {
                if (kinesis == null) {
                    kinesis = load();
                }
                model = kinesis;
            }
        }
        return model;
    }

    /** {@code Kinesis_20131202}: what precedes the operation name in {@code X-Amz-Target}. */
    public String targetPrefix() {
        return targetPrefix;
    }

    public Map<String, Operation> operations() {
        return operations;
    }

    public Operation operation(String name) {
        return operations.get(name);
    }

    public Shape shape(String name) {
        Shape shape = shapes.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no shape " + name + " in the model");
        }
        return shape;
    }

    @SuppressWarnings("unchecked")
    private static ApiModel load() {
        try (InputStream in = ApiModel.class.getResourceAsStream(RESOURCE);
             JsonParser p = new JsonFactory().createParser(in)) {
            p.nextToken();
            Map<String, Object> root = (Map<String, Object>) JsonTree.read(p);
            Map<String, Object> metadata = (Map<String, Object>) root.get("metadata");
            Map<String, Operation> operations = new LinkedHashMap<>();
            ((Map<String, Object>) root.get("operations")).forEach((name, o) -> {
                Map<String, Object> op = (Map<String, Object>) o;
                List<String> errors = new ArrayList<>();
                for (Object e : (List<Object>) op.getOrDefault("errors", List.of())) {
                    errors.add((String) ((Map<String, Object>) e).get("shape"));
                }
                operations.put(name, new Operation(name, shapeRef(op.get("input")), shapeRef(op.get("output")),
                        List.copyOf(errors)));
            });
            Map<String, Shape> shapes = new LinkedHashMap<>();
            ((Map<String, Object>) root.get("shapes")).forEach((name, s) ->
                    shapes.put(name, toShape(name, (Map<String, Object>) s)));
            return new ApiModel((String) metadata.get("targetPrefix"), Collections.unmodifiableMap(operations),
                    Collections.unmodifiableMap(shapes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the bundled API model " + RESOURCE, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static String shapeRef(Object ref) {
        return ref == null ? null : (String) ((Map<String, Object>) ref).get("shape");
    }

    @SuppressWarnings("unchecked")
    private static Shape toShape(String name, Map<String, Object> s) {
        Map<String, String> members = new LinkedHashMap<>();
        ((Map<String, Object>) s.getOrDefault("members", Map.of())).forEach((m, ref) -> members.put(m, shapeRef(ref)));
        Set<String> required = new LinkedHashSet<>((List<String>) s.getOrDefault("required", List.of()));
        String pattern = (String) s.get("pattern");
        return new Shape(name, Shape.Type.valueOf(((String) s.get("type")).toUpperCase(Locale.ROOT)),
                Collections.unmodifiableMap(members), Collections.unmodifiableSet(required),
                toLong(s.get("min")), toLong(s.get("max")), pattern == null ? null : Pattern.compile(pattern),
                List.copyOf((List<String>) s.getOrDefault("enum", List.of())), shapeRef(s.get("member")),
                shapeRef(s.get("key")), shapeRef(s.get("value")), Boolean.TRUE.equals(s.get("exception")));
    }

    private static Long toLong(Object value) {
        return value == null ? null : ((Number) value).longValue();
    }
}
