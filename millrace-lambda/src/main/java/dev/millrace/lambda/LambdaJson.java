package dev.millrace.lambda;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

/**
 * Writes an answer's JSON with jackson-core's generator; the one place its IOException (which writing to memory
 * never throws) is converted.
 *
 * <p>Stateless, thread-safe.
 */
final class LambdaJson {
    private static final JsonFactory JSON = new JsonFactory();

    /** What goes between an object's braces. */
    interface Members {
        void write(JsonGenerator g) throws IOException;
    }

    private LambdaJson() {
    }

    static byte[] object(Members members) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            members.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Lambda's timestamps: epoch seconds with the milliseconds as a fraction ({@code 1569284520.333}). */
    static BigDecimal epochSeconds(long epochMs) {
        return BigDecimal.valueOf(epochMs, 3);
    }

    /** Lambda's error body: {@code {"__type":...,"Type":"User","message":...}} ({@code Message} per exception). */
    static byte[] error(LambdaException e) {
        return object(g -> {
            g.writeStringField("__type", e.errorType());
            g.writeStringField("Type", e.faultType());
            g.writeStringField(e.capitalMessage() ? "Message" : "message", e.getMessage());
        });
    }
}
