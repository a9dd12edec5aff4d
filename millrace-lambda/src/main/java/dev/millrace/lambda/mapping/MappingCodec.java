package dev.millrace.lambda.mapping;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A mapping's stored value, one JSON object:
 * <pre>
 *   {"functionArn","eventSourceArn","startingPosition","startingPositionTimestampMs"?,"batchSize",
 *    "maximumBatchingWindowSeconds","parallelizationFactor","maximumRecordAgeSeconds","bisectBatchOnFunctionError",
 *    "maximumRetryAttempts","tumblingWindowSeconds","functionResponseTypes":[],"filterPatterns":[],
 *    "onFailureDestination"?,"kmsKeyArn"?,"metrics":[]?,"tags":{},"enabled","state","stateTransitionReason",
 *    "lastProcessingResult","lastModifiedMs"}
 * </pre>
 * The UUID is the key's, not repeated. Members marked ? are left out when null. Readers ignore members they do not
 * know, so a newer Millrace may add some.
 *
 * <p>Stateless, thread-safe.
 */
final class MappingCodec {
    private static final JsonFactory JSON = new JsonFactory();

    private MappingCodec() {
    }

    static byte[] encode(EventSourceMapping m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("functionArn", m.functionArn());
            g.writeStringField("eventSourceArn", m.eventSourceArn());
            g.writeStringField("startingPosition", m.startingPosition());
            if (m.startingPositionTimestampMs() != null) {
                g.writeNumberField("startingPositionTimestampMs", m.startingPositionTimestampMs());
            }
            g.writeNumberField("batchSize", m.batchSize());
            g.writeNumberField("maximumBatchingWindowSeconds", m.maximumBatchingWindowSeconds());
            g.writeNumberField("parallelizationFactor", m.parallelizationFactor());
            g.writeNumberField("maximumRecordAgeSeconds", m.maximumRecordAgeSeconds());
            g.writeBooleanField("bisectBatchOnFunctionError", m.bisectBatchOnFunctionError());
            g.writeNumberField("maximumRetryAttempts", m.maximumRetryAttempts());
            g.writeNumberField("tumblingWindowSeconds", m.tumblingWindowSeconds());
            writeStrings(g, "functionResponseTypes", m.functionResponseTypes());
            writeStrings(g, "filterPatterns", m.filterPatterns());
            if (m.onFailureDestination() != null) {
                g.writeStringField("onFailureDestination", m.onFailureDestination());
            }
            if (m.kmsKeyArn() != null) {
                g.writeStringField("kmsKeyArn", m.kmsKeyArn());
            }
            if (m.metrics() != null) {
                writeStrings(g, "metrics", m.metrics());
            }
            g.writeObjectFieldStart("tags");
            for (Map.Entry<String, String> t : m.tags().entrySet()) {
                g.writeStringField(t.getKey(), t.getValue());
            }
            g.writeEndObject();
            g.writeBooleanField("enabled", m.enabled());
            g.writeStringField("state", m.state().text());
            g.writeStringField("stateTransitionReason", m.stateTransitionReason());
            g.writeStringField("lastProcessingResult", m.lastProcessingResult());
            g.writeNumberField("lastModifiedMs", m.lastModifiedMs());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeStrings(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }

    /**
     * @throws IllegalArgumentException if {@code value} is not a mapping this codec wrote
     */
    @SuppressWarnings("unchecked")
    static EventSourceMapping decode(String uuid, byte[] value) {
        Map<String, Object> m;
        try (JsonParser p = JSON.createParser(value)) {
            p.nextToken();
            m = (Map<String, Object>) JsonTree.read(p);
        } catch (IOException | ClassCastException e) {
            throw new IllegalArgumentException("not a stored event source mapping: " + e.getMessage(), e);
        }
        try {
            Object ts = m.get("startingPositionTimestampMs");
            return new EventSourceMapping(uuid, str(m, "functionArn"), str(m, "eventSourceArn"),
                    str(m, "startingPosition"), ts == null ? null : ((Number) ts).longValue(), num(m, "batchSize"),
                    num(m, "maximumBatchingWindowSeconds"), num(m, "parallelizationFactor"),
                    num(m, "maximumRecordAgeSeconds"), (Boolean) m.get("bisectBatchOnFunctionError"),
                    num(m, "maximumRetryAttempts"), num(m, "tumblingWindowSeconds"),
                    strings(m.get("functionResponseTypes")), strings(m.get("filterPatterns")),
                    (String) m.get("onFailureDestination"), (String) m.get("kmsKeyArn"),
                    m.get("metrics") == null ? null : strings(m.get("metrics")), tags(m.get("tags")),
                    (Boolean) m.get("enabled"), MappingState.ofText(str(m, "state")),
                    str(m, "stateTransitionReason"), str(m, "lastProcessingResult"),
                    ((Number) m.get("lastModifiedMs")).longValue());
        } catch (ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("a stored event source mapping lacks a member or has one of another"
                    + " type: " + e, e);
        }
    }

    private static String str(Map<String, Object> m, String field) {
        Object v = m.get(field);
        if (v == null) {
            throw new NullPointerException(field);
        }
        return (String) v;
    }

    private static int num(Map<String, Object> m, String field) {
        return Math.toIntExact(((Number) m.get(field)).longValue());
    }

    private static List<String> strings(Object v) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) v) {
            out.add((String) o);
        }
        return out;
    }

    private static Map<String, String> tags(Object v) {
        Map<String, String> out = new LinkedHashMap<>();
        if (v != null) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                out.put((String) e.getKey(), (String) e.getValue());
            }
        }
        return out;
    }
}
