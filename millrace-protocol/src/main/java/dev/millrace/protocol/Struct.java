package dev.millrace.protocol;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A decoded structure: the members present in a request, as produced by {@link RequestReader}, each in its member's
 * slot of the model ({@link ApiModel.Members}): an array per structure instead of a hash map (a PutRecords call
 * decodes 500 of them, and the maps were 16 % of the bytes its handling allocated). Typed getters take the member's
 * model name and return {@code null} for absent members.
 *
 * <p>Immutable by convention (the reader hands it over and nobody modifies it), thread-safe to read.
 */
public final class Struct {
    private final Shape shape;
    private final ApiModel.Members members;
    private final Object[] values;

    /** {@code values}: by member slot of {@code members}, null where absent. */
    Struct(Shape shape, ApiModel.Members members, Object[] values) {
        this.shape = shape;
        this.members = members;
        this.values = values;
    }

    public Shape shape() {
        return shape;
    }

    /** The value in member slot {@code slot} of the shape's {@link ApiModel.Members}, or null. */
    Object get(int slot) {
        return values[slot];
    }

    /** The value of member {@code member} (its model name), or null if absent or no member of the shape. */
    Object member(String name) {
        int slot = members.indexOf(name);
        return slot < 0 ? null : values[slot];
    }

    public boolean has(String member) {
        return member(member) != null;
    }

    public String string(String member) {
        return (String) member(member);
    }

    public Integer integer(String member) {
        Long value = (Long) member(member);
        return value == null ? null : value.intValue();
    }

    public Long longValue(String member) {
        return (Long) member(member);
    }

    public Boolean bool(String member) {
        return (Boolean) member(member);
    }

    /** The blob's bytes in an array of their own (a copy when the reader left them in the body: {@link Blob}). */
    public byte[] blob(String member) {
        Blob blob = blobView(member);
        return blob == null ? null : blob.toArray();
    }

    /** The blob as the reader found it, possibly a view into the request body: for what does not outlive the call. */
    public Blob blobView(String member) {
        return (Blob) member(member);
    }

    public Instant timestamp(String member) {
        return (Instant) member(member);
    }

    public Struct struct(String member) {
        return (Struct) member(member);
    }

    @SuppressWarnings("unchecked")
    public <T> List<T> list(String member) {
        return (List<T>) member(member);
    }

    @SuppressWarnings("unchecked")
    public Map<String, String> stringMap(String member) {
        return (Map<String, String>) member(member);
    }
}
