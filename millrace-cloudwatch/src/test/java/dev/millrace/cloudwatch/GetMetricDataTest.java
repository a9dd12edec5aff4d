package dev.millrace.cloudwatch;

import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.millrace.cloudwatch.JsonCalls.doubles;
import static org.assertj.core.api.Assertions.assertThat;

class GetMetricDataTest {
    /** 2023-11-14T22:14:00Z, a whole minute; the clock stands 30 s into it. */
    private static final long M = 1_700_000_040_000L;

    private final ManualClock clock = new ManualClock(M + 30_000);
    private final CloudWatchApi api = new CloudWatchApi(clock);
    private final JsonCalls calls = new JsonCalls(api);

    private static long s(int minutesFromM) {
        return (M + minutesFromM * 60_000L) / 1000;
    }

    /** Metric "Put" has 3 minutes: -3 (value 1), -2 (2 and 4), -1 (8); "Get" has 2: -2 (10), -1 (30, Count). */
    @BeforeEach
    void publish() {
        StringBuilder b = new StringBuilder("{\"Namespace\":\"App\",\"MetricData\":[");
        b.append(datum("Put", 1, -3, "Count")).append(',').append(datum("Put", 2, -2, "Count")).append(',')
                .append(datum("Put", 4, -2, "Count")).append(',').append(datum("Put", 8, -1, "Count")).append(',')
                .append(datum("Get", 10, -2, "Bytes")).append(',').append(datum("Get", 30, -1, "Count"));
        calls.ok("PutMetricData", b.append("]}").toString());
    }

    private static String datum(String name, double value, int minute, String unit) {
        return "{\"MetricName\":\"" + name + "\",\"Value\":" + value + ",\"Unit\":\"" + unit + "\",\"Timestamp\":"
                + s(minute) + ",\"Dimensions\":[{\"Name\":\"Stream\",\"Value\":\"orders\"}]}";
    }

    private static String query(String id, String metric, String stat, String extra) {
        return "{\"Id\":\"" + id + "\",\"MetricStat\":{\"Metric\":{\"Namespace\":\"App\",\"MetricName\":\"" + metric
                + "\",\"Dimensions\":[{\"Name\":\"Stream\",\"Value\":\"orders\"}]},\"Period\":60,\"Stat\":\"" + stat
                + "\"}" + extra + "}";
    }

    private static String request(String queries, String extra) {
        return "{\"MetricDataQueries\":[" + queries + "],\"StartTime\":" + s(-10) + ",\"EndTime\":" + s(1) + extra
                + "}";
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> results(Map<String, Object> out) {
        return (List<Map<String, Object>>) out.get("MetricDataResults");
    }

    @Test
    void eachStatisticNewestFirstByDefaultOldestFirstWhenAsked() {
        Map<String, Object> out = calls.ok("GetMetricData", request(query("sum", "Put", "Sum", "") + ","
                + query("avg", "Put", "Average", ",\"Label\":\"mean put\"") + ","
                + query("n", "Put", "SampleCount", "") + "," + query("lo", "Put", "Minimum", "") + ","
                + query("hi", "Put", "Maximum", ""), ""));
        List<Map<String, Object>> r = results(out);
        assertThat(r).extracting(m -> m.get("Id")).containsExactly("sum", "avg", "n", "lo", "hi");
        assertThat(r).extracting(m -> m.get("Label")).containsExactly("Put", "mean put", "Put", "Put", "Put");
        assertThat(r).extracting(m -> m.get("StatusCode")).containsOnly("Complete");
        assertThat(doubles(r.get(0).get("Timestamps"))).containsExactly((double) s(-1), (double) s(-2),
                (double) s(-3));
        assertThat(doubles(r.get(0).get("Values"))).containsExactly(8.0, 6.0, 1.0);
        assertThat(doubles(r.get(1).get("Values"))).containsExactly(8.0, 3.0, 1.0);
        assertThat(doubles(r.get(2).get("Values"))).containsExactly(1.0, 2.0, 1.0);
        assertThat(doubles(r.get(3).get("Values"))).containsExactly(8.0, 2.0, 1.0);
        assertThat(doubles(r.get(4).get("Values"))).containsExactly(8.0, 4.0, 1.0);
        assertThat(out).doesNotContainKey("NextToken").containsEntry("Messages", List.of());

        Map<String, Object> ascending = calls.ok("GetMetricData", request(query("sum", "Put", "Sum", ""),
                ",\"ScanBy\":\"TimestampAscending\""));
        assertThat(doubles(results(ascending).get(0).get("Values"))).containsExactly(1.0, 6.0, 8.0);
    }

    @Test
    void withoutAUnitEveryUnitIsFoldedTogetherAndAUnitKeepsOne() {
        Map<String, Object> out = calls.ok("GetMetricData", request(query("all", "Get", "Sum", "") + ","
                + query("bytes", "Get", "Sum", "").replace("\"Stat\":\"Sum\"", "\"Stat\":\"Sum\",\"Unit\":\"Bytes\"")
                + "," + query("wide", "Get", "Sum", "").replace("\"Period\":60", "\"Period\":600"), ""));
        List<Map<String, Object>> r = results(out);
        assertThat(doubles(r.get(0).get("Values"))).containsExactly(30.0, 10.0);
        assertThat(doubles(r.get(1).get("Values"))).containsExactly(10.0);
        assertThat(doubles(r.get(1).get("Timestamps"))).containsExactly((double) s(-2));
        assertThat(doubles(r.get(2).get("Values"))).containsExactly(40.0);
        assertThat(doubles(r.get(2).get("Timestamps"))).containsExactly((double) s(-10));
    }

    @Test
    void returnDataFalseIsNotAnswered() {
        Map<String, Object> out = calls.ok("GetMetricData", request(query("a", "Put", "Sum", ",\"ReturnData\":false")
                + "," + query("b", "Get", "Sum", ",\"ReturnData\":true"), ""));
        assertThat(results(out)).extracting(m -> m.get("Id")).containsExactly("b");
    }

    @Test
    void pagesGiveEveryPointOnceWithinMaxDatapoints() {
        String queries = query("put", "Put", "Sum", "") + "," + query("get", "Get", "Sum", "") + ","
                + query("none", "Nothing", "Sum", "");
        Map<String, Object> whole = calls.ok("GetMetricData", request(queries, ""));

        Map<String, List<Double>> paged = new LinkedHashMap<>();
        List<List<?>> statuses = new ArrayList<>();
        String token = null;
        int pages = 0;
        do {
            Map<String, Object> out = calls.ok("GetMetricData", request(queries, ",\"MaxDatapoints\":2"
                    + (token == null ? "" : ",\"NextToken\":\"" + token + "\"")));
            int points = 0;
            List<Object> status = new ArrayList<>();
            for (Map<String, Object> r : results(out)) {
                paged.computeIfAbsent((String) r.get("Id"), k -> new ArrayList<>()).addAll(doubles(r.get("Values")));
                points += ((List<?>) r.get("Values")).size();
                status.add(r.get("StatusCode"));
            }
            assertThat(points).isLessThanOrEqualTo(2);
            statuses.add(status);
            token = (String) out.get("NextToken");
            pages++;
        } while (token != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(statuses).containsExactly(List.of("PartialData", "PartialData", "Complete"),
                List.of("Complete", "PartialData", "Complete"), List.of("Complete", "Complete", "Complete"));
        assertThat(paged.get("put")).containsExactly(8.0, 6.0, 1.0);
        assertThat(paged.get("get")).containsExactly(30.0, 10.0);
        assertThat(paged.get("none")).isEmpty();
        assertThat(doubles(results(whole).get(0).get("Values"))).isEqualTo(paged.get("put"));
    }

    @Test
    void aTokenFromAnotherRequestOrGarbageIsInvalid() {
        String queries = query("put", "Put", "Sum", "") + "," + query("get", "Get", "Sum", "");
        String token = (String) calls.ok("GetMetricData", request(queries, ",\"MaxDatapoints\":1")).get("NextToken");
        assertThat(token).isNotNull();
        calls.fails("GetMetricData", request(query("put", "Put", "Average", ""), ",\"NextToken\":\"" + token + "\""),
                "InvalidNextToken", "The next token is invalid.");
        calls.fails("GetMetricData", request(queries, ",\"NextToken\":\"%%%\""), "InvalidNextToken",
                "The next token is invalid.");
        calls.fails("GetMetricData", request(queries, ",\"NextToken\":\"OTk6LTp4\""), "InvalidNextToken",
                "The next token is invalid.");
    }

    @Test
    void badQueriesGetClearErrors() {
        calls.fails("GetMetricData", request("{\"Id\":\"e\",\"Expression\":\"SUM(METRICS())\"}", ""),
                "InvalidParameterValueException", "Millrace does not evaluate metric math or Metrics Insights");
        calls.fails("GetMetricData", request(query("e", "Put", "Sum", ",\"Expression\":\"m1*2\""), ""),
                "InvalidParameterCombinationException", "are mutually exclusive");
        calls.fails("GetMetricData", request("{\"Id\":\"e\"}", ""), "InvalidParameterCombinationException",
                "One of the parameters MetricDataQueries.member.1.MetricStat and");
        calls.fails("GetMetricData", request(query("Upper", "Put", "Sum", ""), ""), "InvalidParameterValueException",
                "The value Upper for parameter MetricDataQueries.member.1.Id is invalid");
        calls.fails("GetMetricData", request(query("a", "Put", "Sum", "") + "," + query("a", "Get", "Sum", ""), ""),
                "InvalidParameterValueException", "Ids must be unique");
        calls.fails("GetMetricData", request(query("a", "Put", "p99", ""), ""), "InvalidParameterValueException",
                "The value p99 for parameter MetricDataQueries.member.1.MetricStat.Stat is invalid");
        calls.fails("GetMetricData", request(query("a", "Put", "Sum", "").replace("\"Period\":60",
                "\"Period\":90"), ""), "InvalidParameterValueException",
                "The parameter MetricDataQueries.member.1.MetricStat.Period must be a multiple of 60.");
        calls.fails("GetMetricData", request(query("a", "Put", "Sum", "").replace("\"Namespace\":\"App\",", ""), ""),
                "MissingRequiredParameterException",
                "The parameter MetricDataQueries.member.1.MetricStat.Metric.Namespace is required.");
        calls.fails("GetMetricData", request("", ""), "MissingRequiredParameterException",
                "The parameter MetricDataQueries is required.");
        calls.fails("GetMetricData", request(query("a", "Put", "Sum", ""), ",\"ScanBy\":\"Sideways\""),
                "InvalidParameterValueException", "The value Sideways for parameter ScanBy is invalid.");
        calls.fails("GetMetricData", request(query("a", "Put", "Sum", ""), ",\"MaxDatapoints\":0"),
                "InvalidParameterValueException", "The parameter MaxDatapoints must be greater than 0.");
        calls.fails("GetMetricData", "{\"MetricDataQueries\":[" + query("a", "Put", "Sum", "") + "],\"StartTime\":"
                + s(0) + ",\"EndTime\":" + s(-1) + "}", "InvalidParameterValueException",
                "The parameter StartTime must be less than the parameter EndTime.");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 501; i++) {
            many.append(i == 0 ? "" : ",").append(query("q" + i, "Put", "Sum", ""));
        }
        calls.fails("GetMetricData", request(many.toString(), ""), "InvalidParameterValueException",
                "The collection MetricDataQueries must not have a size greater than 500.");
    }

    @Test
    void queryProtocolAsBotocoreFlattensIt() {
        String form = "Action=GetMetricData&Version=2010-08-01&StartTime=2023-11-14T22%3A04%3A00Z"
                + "&EndTime=2023-11-14T22%3A15%3A00Z&ScanBy=TimestampAscending"
                + "&MetricDataQueries.member.1.Id=m1&MetricDataQueries.member.1.ReturnData=true"
                + "&MetricDataQueries.member.1.MetricStat.Metric.Namespace=App"
                + "&MetricDataQueries.member.1.MetricStat.Metric.MetricName=Put"
                + "&MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name=Stream"
                + "&MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value=orders"
                + "&MetricDataQueries.member.1.MetricStat.Period=60&MetricDataQueries.member.1.MetricStat.Stat=Sum";
        CloudWatchApi.Result r = api.handle("/", null, "application/x-www-form-urlencoded; charset=utf-8",
                form.getBytes(StandardCharsets.UTF_8), "q");
        assertThat(r.httpStatus()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("<GetMetricDataResult><MetricDataResults>"
                + "<member><Id>m1</Id><Label>Put</Label><Timestamps><member>2023-11-14T22:11:00Z</member>"
                + "<member>2023-11-14T22:12:00Z</member><member>2023-11-14T22:13:00Z</member></Timestamps>"
                + "<Values><member>1.0</member><member>6.0</member><member>8.0</member></Values>"
                + "<StatusCode>Complete</StatusCode><Messages></Messages></member></MetricDataResults>"
                + "<Messages></Messages></GetMetricDataResult>");
    }
}
