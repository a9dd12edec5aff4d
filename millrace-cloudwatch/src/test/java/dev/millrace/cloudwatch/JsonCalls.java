package dev.millrace.cloudwatch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.millrace.protocol.JsonTree;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** CloudWatch calls in the JSON 1.0 protocol, for tests: a body in, the decoded answer out. */
final class JsonCalls {
    private static final JsonFactory JSON = new JsonFactory();

    private final CloudWatchApi api;

    JsonCalls(CloudWatchApi api) {
        this.api = api;
    }

    CloudWatchApi.Result call(String operation, String body) {
        return api.handle("/", CloudWatchApi.SERVICE + "." + operation, "application/x-amz-json-1.0",
                body.getBytes(StandardCharsets.UTF_8), "req");
    }

    /** The answer of a call that must succeed. */
    Map<String, Object> ok(String operation, String body) {
        CloudWatchApi.Result r = call(operation, body);
        assertThat(r.httpStatus()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return decode(r.body());
    }

    /** A call that must fail with {@code type} and a message containing {@code message}. */
    void fails(String operation, String body, String type, String message) {
        CloudWatchApi.Result r = call(operation, body);
        assertThat(r.httpStatus()).isEqualTo(400);
        Map<String, Object> error = decode(r.body());
        assertThat(error.get("__type")).isEqualTo("com.amazonaws.cloudwatch#" + type);
        assertThat((String) error.get("message")).contains(message);
        assertThat(r.headers().get("x-amzn-query-error")).endsWith(";Sender");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> decode(byte[] body) {
        try (JsonParser p = JSON.createParser(body)) {
            p.nextToken();
            return (Map<String, Object>) JsonTree.read(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A JSON list of numbers (BigDecimal or Long when decoded) as doubles. */
    static List<Double> doubles(Object list) {
        List<Double> out = new ArrayList<>();
        for (Object o : (List<?>) list) {
            out.add(((Number) o).doubleValue());
        }
        return out;
    }

    static double number(Object o) {
        return ((Number) o).doubleValue();
    }
}
