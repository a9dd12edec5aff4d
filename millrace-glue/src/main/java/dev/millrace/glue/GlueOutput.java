package dev.millrace.glue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * One answer's JSON object, written member by member; absent (null) members are left out, as AWS leaves them.
 *
 * <p>Not thread-safe: one per answer.
 */
final class GlueOutput {
    private static final JsonFactory JSON = new JsonFactory();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final JsonGenerator g;

    GlueOutput() {
        try {
            g = JSON.createGenerator(out);
            g.writeStartObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    GlueOutput string(String name, String value) {
        try {
            if (value != null) {
                g.writeStringField(name, value);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    GlueOutput number(String name, long value) {
        try {
            g.writeNumberField(name, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    GlueOutput tags(Map<String, String> tags) {
        try {
            g.writeObjectFieldStart("Tags");
            for (Map.Entry<String, String> t : tags.entrySet()) {
                g.writeStringField(t.getKey(), t.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    GlueOutput startList(String name) {
        try {
            g.writeArrayFieldStart(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    GlueOutput startItem() {
        try {
            g.writeStartObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    GlueOutput endItem() {
        try {
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    GlueOutput endList() {
        try {
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    byte[] bytes() {
        try {
            g.writeEndObject();
            g.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Glue's error body: {@code {"__type":"...","Message":"..."}}. */
    static byte[] error(String errorType, String message) {
        return new GlueOutput().string("__type", errorType).string("Message", message).bytes();
    }
}
