package dev.millrace.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A decoded structure: the members present in a request, by model name, as produced by {@link RequestReader}.
 * Typed getters return {@code null} for absent members.
 *
 * <p>Immutable by convention (the reader hands it over and nobody modifies it), thread-safe to read.
 */
public final class Struct {
    private final Shape shape;
    private final Map<String, Object> values;

    Struct(Shape shape, Map<String, Object> values) {
        this.shape = shape;
        this.values = values;
    }

    public Shape shape() {
        return shape;
    }

    Map<String, Object> values() {
        return values;
    }

    public boolean has(String member) {
        return values.get(member) != null;
    }

    public String string(String member) {
        return (String) values.get(member);
    }

    public Integer integer(String member) {
        Long value = (Long) values.get(member);
        return value == null ? null : value.intValue();
    }

    public Long longValue(String member) {
        return (Long) values.get(member);
    }

    public Boolean bool(String member) {
        return (Boolean) values.get(member);
    }

    public byte[] blob(String member) {
        return (byte[]) values.get(member);
    }

    public Instant timestamp(String member) {
        return (Instant) values.get(member);
    }

    public Struct struct(String member) {
        return (Struct) values.get(member);
    }

    @SuppressWarnings("unchecked")
    public <T> List<T> list(String member) {
        return (List<T>) values.get(member);
    }

    @SuppressWarnings("unchecked")
    public Map<String, String> stringMap(String member) {
        return (Map<String, String>) values.get(member);
    }
}
