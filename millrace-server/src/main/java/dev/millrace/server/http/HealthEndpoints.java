package dev.millrace.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The node's health for load balancers, orchestrators and container health checks, open to anyone (no signature):
 * <ul>
 *   <li>{@code GET /health/live}: the process answers HTTP. Always 200 {@code {"status":"live"}} while it does: a
 *   liveness probe that fails should mean "restart me", and nothing a restart would cure is checked here.</li>
 *   <li>{@code GET /health/ready}: the node can serve its clients. 200 {@code {"status":"ready"}}, or 503
 *   {@code {"status":"not ready","reasons":[...]}} with what is missing ({@link Readiness}): storage not open, a
 *   stream of {@code --create-stream} not ACTIVE yet, a cluster node that has not joined or knows no writer.</li>
 *   <li>{@code GET /health}: as before, 200 {@code ok} in plain text; the same as live.</li>
 * </ul>
 * A query string is ignored ({@code /health/ready?verbose}), so probes that add one still match. The reasons name
 * streams, so a node that checks signatures ({@code --auth sigv4}) tells them only to its own machine; anyone else
 * gets {@code "reasons":["see this node's log or ask from its machine"]} with the same status.
 *
 * <p>Stateless; thread-safe.
 */
final class HealthEndpoints {
    static final String HEALTH = "/health";
    static final String LIVE = "/health/live";
    static final String READY = "/health/ready";
    private static final JsonFactory JSON = new JsonFactory();
    private static final byte[] LIVE_BODY = "{\"status\":\"live\"}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OK_BODY = "ok".getBytes(StandardCharsets.US_ASCII);

    private HealthEndpoints() {
    }

    /** An answer: status, content type and body. */
    record Answer(int status, String contentType, byte[] body) {
    }

    /** The answer to {@code GET uri}, or {@code null} if the path is not one of these. */
    static Answer answer(String uri, Readiness readiness) {
        return answer(uri, readiness, true);
    }

    /** @param showReasons whether the caller may read why the node is not ready (they name streams) */
    static Answer answer(String uri, Readiness readiness, boolean showReasons) {
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        switch (path) {
            case HEALTH:
                return new Answer(200, "text/plain", OK_BODY);
            case LIVE:
                return new Answer(200, "application/json", LIVE_BODY);
            case READY:
                List<String> reasons = readiness.notReady();
                if (!showReasons && !reasons.isEmpty()) {
                    reasons = List.of("see this node's log or ask from its machine");
                }
                return new Answer(reasons.isEmpty() ? 200 : 503, "application/json", readyBody(reasons));
            default:
                return null;
        }
    }

    private static byte[] readyBody(List<String> reasons) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("status", reasons.isEmpty() ? "ready" : "not ready");
            if (!reasons.isEmpty()) {
                g.writeArrayFieldStart("reasons");
                for (String reason : reasons) {
                    g.writeString(reason);
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }
}
