package dev.millrace.loadgen;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The report's JSON writer: escaping, nesting, and the values JSON cannot hold.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class JsonTest {
    @Test
    void shouldWriteNestedValuesInOrder() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("p50", 1.5);
        inner.put("count", 3L);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("name", "a \"quoted\"\\ name\n\u0001");
        root.put("inner", inner);
        root.put("list", List.of(1, "two", true));
        root.put("none", null);
        root.put("nan", Double.NaN);
        root.put("empty", Map.of());
        String json = Json.write(root);
        assertThat(json).isEqualTo("""
                {
                  "name": "a \\"quoted\\"\\\\ name\\n\\u0001",
                  "inner": {
                    "p50": 1.5,
                    "count": 3
                  },
                  "list": [1, "two", true],
                  "none": null,
                  "nan": null,
                  "empty": {}
                }
                """);
    }

    @Test
    void shouldWriteListsWithNulls() {
        assertThat(Json.write(Arrays.asList(null, 2))).isEqualTo("[null, 2]\n");
    }
}
