package dev.millrace.lambda.filter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventFilterTest {

    /** Every operator Lambda documents for filters (facts §6), each with data it keeps and data it drops. */
    static Stream<Arguments> operators() {
        return Stream.of(
                op("null", "{\"data\":{\"a\":[null]}}", "{\"a\":null}", "{\"a\":\"x\"}"),
                op("empty", "{\"data\":{\"a\":[\"\"]}}", "{\"a\":\"\"}", "{\"a\":\"x\"}"),
                op("equals", "{\"data\":{\"name\":[\"Alice\"]}}", "{\"name\":\"Alice\"}", "{\"name\":\"alice\"}"),
                op("and", "{\"data\":{\"a\":[\"x\"],\"b\":[1]}}", "{\"a\":\"x\",\"b\":1}", "{\"a\":\"x\",\"b\":2}"),
                op("or values", "{\"data\":{\"a\":[\"x\",\"y\"]}}", "{\"a\":\"y\"}", "{\"a\":\"z\"}"),
                op("anything-but", "{\"data\":{\"w\":[{\"anything-but\":[\"Raining\"]}]}}", "{\"w\":\"Sunny\"}",
                        "{\"w\":\"Raining\"}"),
                op("numeric equals", "{\"data\":{\"n\":[{\"numeric\":[\"=\",100]}]}}", "{\"n\":100.0}", "{\"n\":101}"),
                op("numeric range", "{\"data\":{\"n\":[{\"numeric\":[\">\",10,\"<=\",20]}]}}", "{\"n\":20}",
                        "{\"n\":10}"),
                op("exists", "{\"data\":{\"a\":[{\"exists\":true}]}}", "{\"a\":1}", "{\"b\":1}"),
                op("does not exist", "{\"data\":{\"a\":[{\"exists\":false}]}}", "{\"b\":1}", "{\"a\":1}"),
                op("prefix", "{\"data\":{\"r\":[{\"prefix\":\"us-\"}]}}", "{\"r\":\"us-east-1\"}",
                        "{\"r\":\"eu-west-1\"}"),
                op("suffix", "{\"data\":{\"f\":[{\"suffix\":\".png\"}]}}", "{\"f\":\"a.png\"}", "{\"f\":\"a.jpg\"}"),
                op("equals-ignore-case", "{\"data\":{\"n\":[{\"equals-ignore-case\":\"alice\"}]}}", "{\"n\":\"ALICE\"}",
                        "{\"n\":\"bob\"}"),
                op("$or", "{\"data\":{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}}", "{\"b\":2}", "{\"a\":2,\"b\":1}"),
                op("nested", "{\"data\":{\"t\":{\"c\":[{\"numeric\":[\">\",30]}]}}}", "{\"t\":{\"c\":31}}",
                        "{\"t\":{\"c\":30}}"),
                op("array member", "{\"data\":{\"tags\":[\"red\"]}}", "{\"tags\":[\"blue\",\"red\"]}",
                        "{\"tags\":[\"blue\"]}"),
                op("data itself", "{\"data\":[\"plain\"]}", "\"plain\"", "\"other\""));
    }

    private static Arguments op(String name, String pattern, String kept, String dropped) {
        return Arguments.of(name, pattern, kept, dropped);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operators")
    void shouldKeepMatchingDataAndDropTheRest(String name, String pattern, String kept, String dropped) {
        assertThat(EventFilter.check(pattern)).isEmpty();
        EventFilter filter = EventFilter.compile(List.of(pattern));

        assertThat(filter.matches(bytes(kept))).as("keeps " + kept).isTrue();
        assertThat(filter.matches(bytes(dropped))).as("drops " + dropped).isFalse();
    }

    @Test
    void filtersShouldBeOred() {
        EventFilter filter = EventFilter.compile(List.of("{\"data\":{\"a\":[1]}}", "{\"data\":{\"b\":[2]}}"));

        assertThat(filter.matches(bytes("{\"a\":1}"))).isTrue();
        assertThat(filter.matches(bytes("{\"b\":2}"))).isTrue();
        assertThat(filter.matches(bytes("{\"a\":2,\"b\":1}"))).isFalse();
    }

    @Test
    void noFiltersShouldKeepEverything() {
        EventFilter filter = EventFilter.compile(Collections.emptyList());

        assertThat(filter.isEmpty()).isTrue();
        assertThat(filter.matches(new byte[] {(byte) 0xff, 0})).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"a\":1", "{\"a\":1} {\"a\":1}", "", "{\"a\":1}x", "\u0000{\"a\":1}"})
    void dataThatIsNotJsonShouldBeDropped(String data) {
        EventFilter filter = EventFilter.compile(List.of("{\"data\":{\"a\":[{\"exists\":false}]}}"));

        assertThat(filter.matches(bytes(data))).isFalse();
    }

    @Test
    void invalidUtf8DataShouldBeDropped() {
        EventFilter filter = EventFilter.compile(List.of("{\"data\":{\"a\":[{\"exists\":false}]}}"));

        assertThat(filter.matches(new byte[] {'{', '}', (byte) 0xc3})).isFalse();
        assertThat(filter.matches(bytes("{}"))).isTrue();
    }

    @Test
    void deeplyNestedDataShouldBeDroppedWithoutBlowingTheStack() {
        EventFilter filter = EventFilter.compile(List.of("{\"data\":{\"a\":[{\"exists\":false}]}}"));
        int depth = 100_000;
        String deep = "[".repeat(depth) + "]".repeat(depth);
        String atLimit = "[".repeat(EventFilter.MAX_DATA_DEPTH) + "]".repeat(EventFilter.MAX_DATA_DEPTH);

        assertThat(filter.matches(bytes(deep))).isFalse();
        assertThat(filter.matches(bytes(atLimit))).isTrue();
    }

    @Test
    void hugeDataShouldStillMatch() {
        EventFilter filter = EventFilter.compile(List.of("{\"data\":{\"last\":[true]}}"));
        StringBuilder data = new StringBuilder("{\"items\":[");
        for (int i = 0; i < 100_000; i++) {
            data.append(i).append(',');
        }
        data.append("0],\"last\":true}");

        assertThat(filter.matches(bytes(data.toString()))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", " ", "not json", "{}", "[]", "{\"data\":\"x\"}", "{\"data\":{}}", "{\"data\":{\"a\":1}}",
        "{\"data\":{\"a\":[{\"nope\":1}]}}", "{\"data\":{\"a\":[{\"numeric\":[\">\"]}]}}",
        "{\"partitionKey\":[\"1\"]}", "{\"partitionKey\":[\"1\"],\"data\":{\"a\":[1]}}",
        "{\"kinesis\":{\"data\":{\"a\":[1]}}}", "{\"$or\":[{\"data\":{\"a\":[1]}},{\"sequenceNumber\":[\"1\"]}]}",
        "{\"data\":{\"a\":[1]}"
    })
    void invalidPatternsShouldGetAwsMessage(String pattern) {
        assertThat(EventFilter.check(pattern)).contains("Invalid filter pattern definition.");
        assertThatThrownBy(() -> EventFilter.compile(List.of(pattern)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid filter pattern definition.");
    }

    /** {@code {"data":{"a":...{"a":[1]}...}}} nested {@code depth} levels deep, its array included. */
    private static String nested(int depth) {
        int objects = depth - 1;
        return "{\"data\":" + "{\"a\":".repeat(objects - 1) + "[1]" + "}".repeat(objects);
    }

    @Test
    void oversizedOrTooManyPatternsShouldBeRefused() {
        String padded = "{\"data\":{\"a\":[\"" + "x".repeat(EventFilter.MAX_PATTERN_CHARS) + "\"]}}";
        // Well-formed and within the length limit: refused for its depth alone. {"data": + levels + [1].
        String atLimit = nested(EventFilter.MAX_PATTERN_DEPTH);
        String tooDeep = nested(EventFilter.MAX_PATTERN_DEPTH + 1);

        assertThat(EventFilter.check(padded)).contains(EventFilter.INVALID_PATTERN);
        assertThat(tooDeep.length()).isLessThanOrEqualTo(EventFilter.MAX_PATTERN_CHARS);
        assertThat(EventFilter.check(atLimit)).isEmpty();
        assertThat(EventFilter.tooDeep(atLimit)).isFalse();
        assertThat(EventFilter.tooDeep(tooDeep)).isTrue();
        assertThat(EventFilter.check(tooDeep)).contains(EventFilter.INVALID_PATTERN);
        List<String> tooMany = Collections.nCopies(EventFilter.MAX_FILTERS + 1, "{\"data\":{\"a\":[1]}}");
        assertThatThrownBy(() -> EventFilter.compile(tooMany))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("At most");
    }

    @Test
    void wildcardsAreRefusedBeforeAnyMachineIsBuilt() {
        // Five wildcard values of a 206-character pattern took event-ruler 1.4-2 s of CPU to compile (review).
        String costly = "{\"data\":{\"a\":[" + String.join(",", java.util.Collections.nCopies(5,
                "{\"wildcard\":\"" + "*a".repeat(15) + "\"}")) + "]}}";
        for (String pattern : List.of("{\"data\":{\"a\":[{\"wildcard\":\"ab*cd\"}]}}", costly,
                "{\"data\":{\"a\":[{\"anything-but\":{\"wildcard\":\"a*\"}}]}}")) {
            assertThat(EventFilter.check(pattern)).as(pattern).contains(EventFilter.INVALID_PATTERN);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
