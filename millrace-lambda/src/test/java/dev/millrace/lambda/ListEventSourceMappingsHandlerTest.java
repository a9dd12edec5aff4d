package dev.millrace.lambda;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ListEventSourceMappings: whole answers, filters by source and by function in every form, pages of at most 100
 * whatever MaxItems says, opaque markers, and bad parameters.
 */
class ListEventSourceMappingsHandlerTest extends ApiFixture {

    @Test
    void listsWholeMappingsWithoutMarkerWhenAllFit() {
        String uuid = (String) createDefault("").get("UUID");
        Map<String, Object> answer = ok(200, list(Map.of()));
        assertThat(answer).isEqualTo(Map.of("EventSourceMappings", List.of(expected(uuid, "Creating", ""))));
        assertThat(ok(200, api.handle("GET", LambdaApi.BASE + "/", Map.of(), null))).isEqualTo(answer);
    }

    @Test
    void anEmptyRegionListsNothing() {
        assertThat(ok(200, list(Map.of()))).isEqualTo(Map.of("EventSourceMappings", List.of()));
    }

    @Test
    void filtersBySourceAndFunction() {
        String fnOrders = uuidOf(createDefault(""));
        String fnProdOrders = uuidOf(createDefault(",'FunctionName':'fn:PROD'"));
        String otherOrders = uuidOf(createDefault(",'FunctionName':'other'"));
        String fnPayments = uuidOf(createDefault(",'EventSourceArn':'" + OTHER_STREAM + "'"));
        String fnConsumer = uuidOf(createDefault(",'EventSourceArn':'" + CONSUMER + "'"));

        assertThat(uuids(Map.of("EventSourceArn", List.of(STREAM)))).containsExactlyInAnyOrder(fnOrders, fnProdOrders,
                otherOrders);
        assertThat(uuids(Map.of("EventSourceArn", List.of(CONSUMER)))).containsExactly(fnConsumer);
        assertThat(uuids(Map.of("FunctionName", List.of("fn")))).containsExactlyInAnyOrder(fnOrders, fnProdOrders,
                fnPayments, fnConsumer);
        assertThat(uuids(Map.of("FunctionName", List.of(FN_ARN + ":PROD")))).containsExactly(fnProdOrders);
        assertThat(uuids(Map.of("FunctionName", List.of("123456789012:function:other")))).containsExactly(otherOrders);
        assertThat(uuids(Map.of("FunctionName", List.of("fn"), "EventSourceArn", List.of(OTHER_STREAM))))
                .containsExactly(fnPayments);
        assertThat(uuids(Map.of("FunctionName", List.of("arn:aws:lambda:eu-west-1:999999999999:function:fn"))))
                .isEmpty();
        assertThat(uuids(Map.of("FunctionName", List.of("missing")))).isEmpty();
    }

    @Test
    void pagesHoldAtMostOneHundredAndMarkersResume() {
        List<String> all = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            streams.stream(STREAM + i, 1L);
            all.add(uuidOf(createDefault(",'EventSourceArn':'" + STREAM + i + "'")));
        }
        Map<String, Object> first = ok(200, list(Map.of("MaxItems", List.of("10000"))));
        assertThat((List<?>) first.get("EventSourceMappings")).hasSize(100);
        Map<String, Object> second = ok(200, list(Map.of("MaxItems", List.of("10000"), "Marker",
                List.of((String) first.get("NextMarker")))));
        assertThat((List<?>) second.get("EventSourceMappings")).hasSize(30);
        assertThat(second).doesNotContainKey("NextMarker");

        List<String> paged = new ArrayList<>();
        String marker = null;
        int pages = 0;
        do {
            Map<String, List<String>> q = marker == null ? Map.of("MaxItems", List.of("7"))
                    : Map.of("MaxItems", List.of("7"), "Marker", List.of(marker));
            Map<String, Object> page = ok(200, list(q));
            for (Object m : (List<?>) page.get("EventSourceMappings")) {
                paged.add((String) ((Map<?, ?>) m).get("UUID"));
            }
            marker = (String) page.get("NextMarker");
            pages++;
        } while (marker != null);
        assertThat(pages).isEqualTo(19);
        assertThat(paged).hasSize(130).doesNotHaveDuplicates().isSorted();
        assertThat(Set.copyOf(paged)).isEqualTo(Set.copyOf(all));
    }

    @Test
    void badParametersAreRefused() {
        assertThat(fails(list(Map.of("MaxItems", List.of("0"))), 400, "ValidationException"))
                .isEqualTo("1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: "
                        + "Member must have value greater than or equal to 1");
        fails(list(Map.of("MaxItems", List.of("10001"))), 400, "ValidationException");
        ok(200, list(Map.of("MaxItems", List.of("1"))));
        fails(list(Map.of("MaxItems", List.of("ten"))), 400, "InvalidParameterValueException");
        fails(list(Map.of("Marker", List.of("not a marker"))), 400, "InvalidParameterValueException");
        fails(list(Map.of("Marker", List.of(ListEventSourceMappingsHandler.token("lambda/esm/../x")))), 400,
                "InvalidParameterValueException");
        fails(list(Map.of("EventSourceArn", List.of("orders"))), 400, "ValidationException");
        fails(list(Map.of("FunctionName", List.of("bad name"))), 400, "ValidationException");
    }

    private static String uuidOf(Map<String, Object> m) {
        return (String) m.get("UUID");
    }

    private List<String> uuids(Map<String, List<String>> query) {
        List<String> out = new ArrayList<>();
        for (Object m : (List<?>) ok(200, list(query)).get("EventSourceMappings")) {
            out.add((String) ((Map<?, ?>) m).get("UUID"));
        }
        return out;
    }
}
