package dev.millrace.cloudwatch;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.millrace.cloudwatch.JsonCalls.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GetMetricStatisticsTest {
    /** 2023-11-14T22:14:00Z, a whole minute; the clock stands 30 s into it. */
    private static final long M = 1_700_000_040_000L;

    private final ManualClock clock = new ManualClock(M + 30_000);
    private final CloudWatchApi api = new CloudWatchApi(clock);
    private final JsonCalls calls = new JsonCalls(api);

    private static long s(int minutesFromM) {
        return (M + minutesFromM * 60_000L) / 1000;
    }

    private void put(String datum) {
        calls.ok("PutMetricData", "{\"Namespace\":\"App\",\"MetricData\":[" + datum + "]}");
    }

    private List<Map<String, Object>> datapoints(String extra) {
        return datapoints(s(-5), s(0), 60, extra);
    }

    private List<Map<String, Object>> datapoints(long startS, long endS, int period, String extra) {
        Map<String, Object> out = calls.ok("GetMetricStatistics", "{\"Namespace\":\"App\",\"MetricName\":\"Lat\","
                + "\"StartTime\":" + startS + ",\"EndTime\":" + endS + ",\"Period\":" + period
                + ",\"Statistics\":[\"SampleCount\",\"Average\",\"Sum\",\"Minimum\",\"Maximum\"]" + extra + "}");
        assertThat(out.get("Label")).isEqualTo("Lat");
        return points(out);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> points(Map<String, Object> out) {
        return (List<Map<String, Object>>) out.get("Datapoints");
    }

    private static void assertPoint(Map<String, Object> p, long timestampS, double count, double sum, double min,
                                    double max, String unit) {
        assertThat(number(p.get("Timestamp"))).isEqualTo(timestampS);
        assertThat(number(p.get("SampleCount"))).isEqualTo(count);
        assertThat(number(p.get("Sum"))).isEqualTo(sum);
        assertThat(number(p.get("Average"))).isEqualTo(sum / count);
        assertThat(number(p.get("Minimum"))).isEqualTo(min);
        assertThat(number(p.get("Maximum"))).isEqualTo(max);
        assertThat(p.get("Unit")).isEqualTo(unit);
    }

    /** Value, a StatisticValues set and Values with Counts, in three known minutes, two puts in the first. */
    private void putThreeMinutes() {
        put("{\"MetricName\":\"Lat\",\"Unit\":\"Milliseconds\",\"Value\":1,\"Timestamp\":" + (s(-3) + 5) + "}");
        put("{\"MetricName\":\"Lat\",\"Unit\":\"Milliseconds\",\"Value\":3,\"Timestamp\":" + (s(-3) + 59) + "}");
        put("{\"MetricName\":\"Lat\",\"Unit\":\"Milliseconds\",\"StorageResolution\":1,\"Timestamp\":" + s(-2)
                + ",\"StatisticValues\":{\"SampleCount\":4,\"Sum\":20,\"Minimum\":2,\"Maximum\":8}}");
        put("{\"MetricName\":\"Lat\",\"Unit\":\"Milliseconds\",\"Timestamp\":" + (s(-1) + 30)
                + ",\"Values\":[10,20,99],\"Counts\":[1,3,0]}");
    }

    @Test
    void everyStatisticOfEachMinuteAndOfLongerPeriods() {
        putThreeMinutes();
        List<Map<String, Object>> points = datapoints("");
        assertThat(points).hasSize(3);
        assertPoint(points.get(0), s(-3), 2, 4, 1, 3, "Milliseconds");
        assertPoint(points.get(1), s(-2), 4, 20, 2, 8, "Milliseconds");
        assertPoint(points.get(2), s(-1), 4, 70, 10, 20, "Milliseconds");

        List<Map<String, Object>> one = datapoints(s(-3), s(0), 180, "");
        assertThat(one).hasSize(1);
        assertPoint(one.get(0), s(-3), 10, 94, 1, 20, "Milliseconds");

        // Periods count from the (rounded) start: [-4, -2) and [-2, 0).
        List<Map<String, Object>> two = datapoints(s(-4) + 17, s(0), 120, "");
        assertThat(two).hasSize(2);
        assertPoint(two.get(0), s(-4), 2, 4, 1, 3, "Milliseconds");
        assertPoint(two.get(1), s(-2), 8, 90, 2, 20, "Milliseconds");
    }

    @Test
    void startIsRoundedDownToTheMinuteAndEndIsExclusive() {
        putThreeMinutes();
        assertThat(datapoints(s(-3) + 25, s(-1), 60, "")).extracting(p -> number(p.get("Timestamp")))
                .containsExactly((double) s(-3), (double) s(-2));
        assertThat(datapoints(s(-2), s(-1) + 1, 60, "")).extracting(p -> number(p.get("Timestamp")))
                .containsExactly((double) s(-2), (double) s(-1));
    }

    @Test
    void onlyTheAskedStatisticsAreAnswered() {
        putThreeMinutes();
        Map<String, Object> out = calls.ok("GetMetricStatistics", "{\"Namespace\":\"App\",\"MetricName\":\"Lat\","
                + "\"StartTime\":" + s(-2) + ",\"EndTime\":" + s(-1) + ",\"Period\":60,\"Statistics\":[\"Maximum\"]}");
        assertThat(points(out)).singleElement().satisfies(p -> assertThat(p)
                .containsOnlyKeys("Timestamp", "Maximum", "Unit"));
    }

    @Test
    void dimensionsMustMatchExactlyInAnyOrder() {
        put("{\"MetricName\":\"Lat\",\"Value\":7,\"Timestamp\":" + s(-1) + ",\"Dimensions\":["
                + "{\"Name\":\"Stream\",\"Value\":\"orders\"},{\"Name\":\"Shard\",\"Value\":\"s1\"}]}");
        assertThat(datapoints(",\"Dimensions\":[{\"Name\":\"Stream\",\"Value\":\"orders\"}]")).isEmpty();
        assertThat(datapoints("")).isEmpty();
        assertThat(datapoints(",\"Dimensions\":[{\"Name\":\"Shard\",\"Value\":\"s1\"},"
                + "{\"Name\":\"Stream\",\"Value\":\"orders\"}]")).singleElement()
                .satisfies(p -> assertPoint(p, s(-1), 1, 7, 7, 7, "None"));
        assertThat(datapoints(",\"Dimensions\":[{\"Name\":\"Shard\",\"Value\":\"s2\"},"
                + "{\"Name\":\"Stream\",\"Value\":\"orders\"}]")).isEmpty();
    }

    @Test
    void eachUnitIsItsOwnDatapointAndUnitFilters() {
        put("{\"MetricName\":\"Lat\",\"Unit\":\"Count\",\"Value\":2,\"Timestamp\":" + s(-1) + "}");
        put("{\"MetricName\":\"Lat\",\"Unit\":\"Bytes\",\"Value\":500,\"Timestamp\":" + s(-1) + "}");
        List<Map<String, Object>> both = datapoints("");
        assertThat(both).hasSize(2);
        assertPoint(both.get(0), s(-1), 1, 500, 500, 500, "Bytes");
        assertPoint(both.get(1), s(-1), 1, 2, 2, 2, "Count");
        assertThat(datapoints(",\"Unit\":\"Count\"")).singleElement()
                .satisfies(p -> assertPoint(p, s(-1), 1, 2, 2, 2, "Count"));
        assertThat(datapoints(",\"Unit\":\"Seconds\"")).isEmpty();
    }

    @Test
    void theServersOwnAggregatesMergeIntoTheirMinute() {
        Map<String, String> orders = Map.of("StreamName", "orders");
        api.record(List.of(
                new MinuteAggregate("AWS/Kinesis", "IncomingRecords", orders, "Count", M - 120_000, 2, 10, 4, 6),
                new MinuteAggregate("AWS/Kinesis", "IncomingRecords", orders, "Count", M - 120_000 + 5_000, 1, 1, 1,
                        1),
                new MinuteAggregate("AWS/Kinesis", "IncomingRecords", orders, "Count", M - 60_000, 0, 0, 0, 0),
                new MinuteAggregate("AWS/Kinesis", "IncomingBytes", orders, "Bytes", M - 60_000, 3, 300, 50, 150)));
        Map<String, Object> out = calls.ok("GetMetricStatistics", "{\"Namespace\":\"AWS/Kinesis\","
                + "\"MetricName\":\"IncomingRecords\",\"Dimensions\":[{\"Name\":\"StreamName\",\"Value\":\"orders\"}],"
                + "\"StartTime\":" + s(-10) + ",\"EndTime\":" + s(1) + ",\"Period\":60,"
                + "\"Statistics\":[\"SampleCount\",\"Average\",\"Sum\",\"Minimum\",\"Maximum\"]}");
        assertThat(points(out)).singleElement().satisfies(p -> assertPoint(p, s(-2), 3, 11, 1, 6, "Count"));
        Map<String, Object> listed = calls.ok("ListMetrics", "{\"Namespace\":\"AWS/Kinesis\"}");
        assertThat((List<?>) listed.get("Metrics")).extracting(m -> (Object) ((Map<?, ?>) m).get("MetricName"))
                .containsExactly("IncomingBytes", "IncomingRecords");

        assertThatThrownBy(() -> api.record(List.of(
                new MinuteAggregate("AWS/Kinesis", "IncomingBytes", orders, "Bytes", M, 1, 1, 1, 1),
                new MinuteAggregate("AWS/Kinesis", "Bad", orders, "Bytes", M, 1, Double.NaN, 1, 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> api.record(List.of(
                new MinuteAggregate("AWS/Kinesis", "Bad", orders, "Furlongs", M, 1, 1, 1, 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(api.store().get(new MetricStore.MetricId("AWS/Kinesis", "IncomingBytes", List.of(
                new MetricStore.Dimension("StreamName", "orders")))).buckets(M, M + 60_000, null))
                .as("a refused batch adds nothing").isEmpty();
    }

    @Test
    void aDayOfMinutesIsTheLimit() {
        long endS = s(0);
        assertThat(datapoints(endS - 1440 * 60, endS, 60, "")).isEmpty();
        calls.fails("GetMetricStatistics", request(endS - 1441 * 60, endS, "60", "\"Sum\""),
                "InvalidParameterCombinationException", "You have requested up to 1,441 datapoints, which exceeds the"
                        + " limit of 1,440. You may reduce the datapoints requested by increasing Period, or"
                        + " decreasing the time range.");
        calls.fails("GetMetricStatistics", request(endS - 14 * 86400, endS, "60", "\"Sum\""),
                "InvalidParameterCombinationException", "You have requested up to 20,160 datapoints");
        assertThat(datapoints(endS - 14 * 86400, endS, 900, "")).isEmpty();
    }

    private static String request(long startS, long endS, String period, String statistics) {
        return "{\"Namespace\":\"App\",\"MetricName\":\"Lat\",\"StartTime\":" + startS + ",\"EndTime\":" + endS
                + ",\"Period\":" + period + ",\"Statistics\":[" + statistics + "]}";
    }

    @Test
    void badRequestsGetCloudWatchsErrors() {
        long a = s(-5);
        long b = s(0);
        calls.fails("GetMetricStatistics", request(a, b, "61", "\"Sum\""), "InvalidParameterValueException",
                "The parameter Period must be a multiple of 60.");
        calls.fails("GetMetricStatistics", request(a, b, "10", "\"Sum\""), "InvalidParameterValueException",
                "high-resolution periods (1, 5, 10, 20 and 30 seconds) are not served");
        calls.fails("GetMetricStatistics", request(a, b, "0", "\"Sum\""), "InvalidParameterValueException",
                "The parameter Period must be greater than 0.");
        calls.fails("GetMetricStatistics", request(a, b, "60.5", "\"Sum\""), "InvalidParameterValueException",
                "for parameter Period is invalid");
        calls.fails("GetMetricStatistics", request(b, b, "60", "\"Sum\""), "InvalidParameterValueException",
                "The parameter StartTime must be less than the parameter EndTime.");
        calls.fails("GetMetricStatistics", request(a, b, "60", "\"Median\""), "InvalidParameterValueException",
                "The parameter Statistics.member.1 must be a value in the set");
        calls.fails("GetMetricStatistics", request(a, b, "60", ""), "InvalidParameterCombinationException",
                "Must specify either Statistics or ExtendedStatistics.");
        calls.fails("GetMetricStatistics", request(a, b, "60", "\"Sum\"").replace("}",
                ",\"ExtendedStatistics\":[\"p99\"]}"), "InvalidParameterCombinationException",
                "The parameters Statistics and ExtendedStatistics are mutually exclusive");
        calls.fails("GetMetricStatistics", request(a, b, "60", "").replace("\"Statistics\":[]",
                "\"ExtendedStatistics\":[\"p99\"]"), "InvalidParameterValueException",
                "The parameter ExtendedStatistics is not supported");
        calls.fails("GetMetricStatistics", request(a, b, "60", "\"Sum\"").replace("}", ",\"Unit\":\"Parsecs\"}"),
                "InvalidParameterValueException", "The value Parsecs for parameter Unit is invalid.");
        calls.fails("GetMetricStatistics", request(a, b, "60", "\"Sum\"").replace("\"Namespace\":\"App\",", ""),
                "MissingRequiredParameterException", "The parameter Namespace is required.");
        calls.fails("GetMetricStatistics", request(a, b, "60", "\"Sum\"").replace("\"Period\":60,", ""),
                "MissingRequiredParameterException", "The parameter Period is required.");
        calls.fails("GetMetricStatistics", "{\"Namespace\":\"App\",\"MetricName\":\"Lat\",\"EndTime\":" + b
                        + ",\"Period\":60,\"Statistics\":[\"Sum\"]}", "MissingRequiredParameterException",
                "The parameter StartTime is required.");
        calls.fails("GetMetricStatistics", request(a, 99_999_999_999_999L, "60", "\"Sum\""),
                "InvalidParameterValueException", "for parameter EndTime is invalid.");
    }

    @Test
    void queryProtocolAnswersIso8601TimestampsAsTheAwsCliReadsThem() {
        putThreeMinutes();
        String form = "Action=GetMetricStatistics&Version=2010-08-01&Namespace=App&MetricName=Lat"
                + "&StartTime=2023-11-14T22%3A11%3A00Z&EndTime=2023-11-14T22%3A12%3A00.000Z&Period=60"
                + "&Statistics.member.1=Sum&Statistics.member.2=SampleCount&Unit=Milliseconds";
        CloudWatchApi.Result r = api.handle("/", null, "application/x-www-form-urlencoded; charset=utf-8",
                form.getBytes(StandardCharsets.UTF_8), "q1");
        assertThat(r.httpStatus()).isEqualTo(200);
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("<GetMetricStatisticsResult>"
                + "<Label>Lat</Label><Datapoints><member><Timestamp>2023-11-14T22:11:00Z</Timestamp>"
                + "<SampleCount>2.0</SampleCount><Sum>4.0</Sum><Unit>Milliseconds</Unit></member></Datapoints>"
                + "</GetMetricStatisticsResult>");
    }

    @Test
    void rpcV2CborAnswersTimestampsAsTagOneEpochSeconds() throws IOException {
        putThreeMinutes();
        CBORFactory cbor = new CBORFactory();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (CBORGenerator g = cbor.createGenerator(body)) {
            g.writeStartObject();
            g.writeStringField("Namespace", "App");
            g.writeStringField("MetricName", "Lat");
            g.writeFieldName("StartTime");
            g.writeTag(1);
            g.writeNumber(s(-2));
            g.writeFieldName("EndTime");
            g.writeTag(1);
            g.writeNumber(s(-1));
            g.writeNumberField("Period", 60);
            g.writeArrayFieldStart("Statistics");
            g.writeString("Sum");
            g.writeEndArray();
            g.writeEndObject();
        }
        CloudWatchApi.Result r = api.handle(CloudWatchApi.RPC_PATH_PREFIX + "GetMetricStatistics", null,
                "application/cbor", body.toByteArray(), "c1");
        assertThat(r.httpStatus()).isEqualTo(200);
        try (CBORParser p = (CBORParser) cbor.createParser(r.body())) {
            boolean seen = false;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("Timestamp")) {
                    p.nextToken();
                    assertThat(p.getCurrentTag()).isEqualTo(1);
                    assertThat(p.getDoubleValue()).isEqualTo(s(-2));
                    seen = true;
                }
            }
            assertThat(seen).isTrue();
        }
    }
}
