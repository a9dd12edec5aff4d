package dev.millrace.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The output of {@code streams} and {@code describe}: {@code text} for people and {@code cut}/{@code awk} (fields
 * separated by tabs or aligned columns), {@code json} for programs ({@code jq}).
 *
 * <p>Thread-safe: stateless.
 */
enum OutputFormat {
    TEXT, JSON;

    private static final JsonFactory JSON_FACTORY = new JsonFactory();

    /** Something that writes one JSON value. */
    interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** One JSON value as a string, with Jackson's escaping. */
    static String json(JsonWriter writer) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON_FACTORY.createGenerator(w)) {
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON to a string", e);
        }
        return w.toString();
    }
}
