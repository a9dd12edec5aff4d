package dev.millrace.cloudwatch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.millrace.protocol.JsonTree;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class CloudWatchApiTest {
    private static final String RPC = CloudWatchApi.RPC_PATH_PREFIX;
    private static final CBORFactory CBOR = new CBORFactory();
    private static final JsonFactory JSON = new JsonFactory();

    private final ManualClock clock = new ManualClock(1_700_000_000_000L);
    private final CloudWatchApi api = new CloudWatchApi(clock);

    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] encode(JsonFactory factory, Body body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = factory.createGenerator(out)) {
            body.write(g);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> decode(JsonFactory factory, byte[] body) throws IOException {
        try (JsonParser p = factory.createParser(body)) {
            p.nextToken();
            return (Map<String, Object>) JsonTree.read(p);
        }
    }

    /** A PutMetricData body as the SDK's CBOR marshaller writes it: tag-1 timestamps in seconds, float64 values. */
    private static byte[] cborPut(String namespace, String metric, double value, long timestampMs) throws IOException {
        return encode(CBOR, g -> {
            g.writeStartObject();
            g.writeStringField("Namespace", namespace);
            g.writeArrayFieldStart("MetricData");
            g.writeStartObject();
            g.writeStringField("MetricName", metric);
            g.writeArrayFieldStart("Dimensions");
            for (String[] d : new String[][] {{"Shard", "shardId-000000000001"}, {"Operation", "ProcessTask"}}) {
                g.writeStartObject();
                g.writeStringField("Name", d[0]);
                g.writeStringField("Value", d[1]);
                g.writeEndObject();
            }
            g.writeEndArray();
            ((com.fasterxml.jackson.dataformat.cbor.CBORGenerator) g).writeTag(1);
            g.writeFieldName("Timestamp");
            g.writeNumber(timestampMs / 1000.0);
            g.writeNumberField("Value", value);
            g.writeStringField("Unit", "Milliseconds");
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    @Test
    void rpcV2CborPutThenListReturnsTheMetricWithDimensionsSortedByName() throws IOException {
        CloudWatchApi.Result put = api.handle(RPC + "PutMetricData", null, "application/cbor",
                cborPut("KclApp", "Time", 12.5, clock.millis() - 60_000), "r1");
        assertThat(put.httpStatus()).isEqualTo(200);
        assertThat(put.contentType()).isEqualTo("application/cbor");
        assertThat(put.headers()).containsEntry("smithy-protocol", "rpc-v2-cbor");
        assertThat(decode(CBOR, put.body())).isEmpty();

        CloudWatchApi.Result list = api.handle(RPC + "ListMetrics", null, "application/cbor", new byte[0], "r2");
        assertThat(list.httpStatus()).isEqualTo(200);
        assertThat(decode(CBOR, list.body())).isEqualTo(Map.of("Metrics", List.of(Map.of(
                "Namespace", "KclApp", "MetricName", "Time", "Dimensions", List.of(
                        Map.of("Name", "Operation", "Value", "ProcessTask"),
                        Map.of("Name", "Shard", "Value", "shardId-000000000001"))))));
    }

    @Test
    void jsonProtocolRecordsStatisticSetsAndValueLists() throws IOException {
        byte[] body = ("{\"Namespace\":\"App\",\"MetricData\":["
                + "{\"MetricName\":\"A\",\"StatisticValues\":"
                + "{\"SampleCount\":4,\"Sum\":10,\"Minimum\":1,\"Maximum\":4}},"
                + "{\"MetricName\":\"B\",\"Values\":[1.5,2.5],\"Counts\":[2,1]}]}").getBytes(StandardCharsets.UTF_8);
        CloudWatchApi.Result put = api.handle("/", "GraniteServiceVersion20100801.PutMetricData",
                "application/x-amz-json-1.0", body, "r");
        assertThat(put.httpStatus()).isEqualTo(200);
        List<MetricStore.Bucket> a = api.store().get(new MetricStore.MetricId("App", "A", List.of()))
                .buckets(Long.MIN_VALUE, Long.MAX_VALUE, null);
        List<MetricStore.Bucket> b = api.store().get(new MetricStore.MetricId("App", "B", List.of()))
                .buckets(Long.MIN_VALUE, Long.MAX_VALUE, null);
        long minute = clock.millis() / 60_000 * 60_000;
        assertThat(a).containsExactly(new MetricStore.Bucket(minute, "None", 4, 10, 1, 4));
        assertThat(b).containsExactly(new MetricStore.Bucket(minute, "None", 3, 5.5, 1.5, 2.5));
    }

    @Test
    void queryProtocolAsTheAwsCliSendsIt() {
        String form = "Action=PutMetricData&Version=2010-08-01&Namespace=Cli%2FApp"
                + "&MetricData.member.1.MetricName=Lag&MetricData.member.1.Value=3"
                + "&MetricData.member.1.Dimensions.member.1.Name=Stream"
                + "&MetricData.member.1.Dimensions.member.1.Value=orders%20%26%20more"
                + "&MetricData.member.1.Timestamp=2023-11-14T22%3A12%3A00Z";
        CloudWatchApi.Result put = api.handle("/", null, "application/x-www-form-urlencoded; charset=utf-8",
                form.getBytes(StandardCharsets.UTF_8), "req-1");
        assertThat(put.httpStatus()).isEqualTo(200);
        assertThat(new String(put.body(), StandardCharsets.UTF_8)).contains("<PutMetricDataResponse")
                .contains("<RequestId>req-1</RequestId>").doesNotContain("PutMetricDataResult");

        CloudWatchApi.Result list = api.handle("/", null, "application/x-www-form-urlencoded",
                "Action=ListMetrics&Version=2010-08-01&Dimensions.member.1.Name=Stream".getBytes(
                        StandardCharsets.UTF_8), "req-2");
        assertThat(new String(list.body(), StandardCharsets.UTF_8)).contains("<ListMetricsResult><Metrics><member>"
                + "<Namespace>Cli/App</Namespace><MetricName>Lag</MetricName><Dimensions><member><Name>Stream</Name>"
                + "<Value>orders &amp; more</Value></member></Dimensions></member></Metrics></ListMetricsResult>");
    }

    @Test
    void errorsNameTheParameterAndCarryBothErrorNames() throws IOException {
        CloudWatchApi.Result missing = api.handle(RPC + "PutMetricData", null, "application/cbor",
                encode(CBOR, g -> {
                    g.writeStartObject();
                    g.writeEndObject();
                }), "r");
        assertThat(missing.httpStatus()).isEqualTo(400);
        assertThat(decode(CBOR, missing.body())).containsEntry("__type",
                "com.amazonaws.cloudwatch#MissingRequiredParameterException")
                .containsEntry("message", "The parameter Namespace is required.");
        assertThat(missing.headers()).containsEntry("x-amzn-query-error", "MissingParameter;Sender")
                .containsEntry("smithy-protocol", "rpc-v2-cbor");

        assertError(json("{\"Namespace\":\"AWS/Kinesis\",\"MetricData\":[{\"MetricName\":\"x\",\"Value\":1}]}"),
                "InvalidParameterValueException", "The value AWS/Kinesis for parameter Namespace is invalid.");
        assertError(json("{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"x\",\"Value\":1},"
                        + "{\"MetricName\":\"y\",\"Value\":1,\"StatisticValues\":{\"SampleCount\":1,\"Sum\":1,"
                        + "\"Minimum\":1,\"Maximum\":1}}]}"),
                "InvalidParameterCombinationException", "The parameters MetricData.member.2.Value and "
                        + "MetricData.member.2.StatisticValues are mutually exclusive and you have specified both.");
        assertError(json("{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"x\",\"Value\":1,"
                        + "\"Unit\":\"Parsecs\"}]}"),
                "InvalidParameterValueException",
                "The value Parsecs for parameter MetricData.member.1.Unit is invalid.");
        assertError(json("{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"x\",\"Value\":1,"
                        + "\"Timestamp\":" + (clock.millis() / 1000 - 15 * 86400) + "}]}"),
                "InvalidParameterValueException", "The parameter MetricData.member.1.Timestamp must specify a time"
                        + " no more than two weeks in the past and no more than two hours in the future.");
        assertError(json("{\"Namespace\":\"App\",\"MetricData\":[{\"MetricName\":\"x\",\"Values\":[1,2],"
                        + "\"Counts\":[1]}]}"),
                "InvalidParameterValueException", "The parameters MetricData.member.1.Values and "
                        + "MetricData.member.1.Counts must be arrays of the same length.");
        // The first datum was valid, but a refused call records nothing.
        assertThat(api.store().get(new MetricStore.MetricId("App", "x", List.of()))).isNull();
    }

    @Test
    void nonFiniteValuesAndOversizedBatchesAreRefused() throws IOException {
        CloudWatchApi.Result nan = api.handle(RPC + "PutMetricData", null, "application/cbor", encode(CBOR, g -> {
            g.writeStartObject();
            g.writeStringField("Namespace", "App");
            g.writeArrayFieldStart("MetricData");
            g.writeStartObject();
            g.writeStringField("MetricName", "x");
            g.writeNumberField("Value", Double.NaN);
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        }), "r");
        assertThat(nan.httpStatus()).isEqualTo(400);
        assertThat(decode(CBOR, nan.body()).get("__type")).asString().endsWith("#SerializationException")
                .as("Jackson cannot read NaN as a decimal; either way it is a 400, not a 500");

        StringBuilder many = new StringBuilder("{\"Namespace\":\"App\",\"MetricData\":[");
        for (int i = 0; i < 1001; i++) {
            many.append(i == 0 ? "" : ",").append("{\"MetricName\":\"m").append(i).append("\",\"Value\":1}");
        }
        assertError(json(many.append("]}").toString()), "InvalidParameterValueException",
                "The collection MetricData must not have a size greater than 1000.");
    }

    @Test
    void listMetricsPagesThroughEveryMetricOnceAndFilters() {
        for (int batch = 0; batch < 3; batch++) {
            StringBuilder b = new StringBuilder("{\"Namespace\":\"App\",\"MetricData\":[");
            for (int i = 0; i < 400; i++) {
                int n = batch * 400 + i;
                b.append(i == 0 ? "" : ",").append("{\"MetricName\":\"m").append(n)
                        .append("\",\"Value\":1,\"Dimensions\":[{\"Name\":\"Parity\",\"Value\":\"")
                        .append(n % 2 == 0 ? "even" : "odd").append("\"}]}");
            }
            assertThat(json(b.append("]}").toString()).httpStatus()).isEqualTo(200);
        }
        Set<Object> seen = new HashSet<>();
        int pages = 0;
        String token = null;
        do {
            CloudWatchApi.Result r = api.handle("/", "GraniteServiceVersion20100801.ListMetrics",
                    "application/x-amz-json-1.0", ("{\"Namespace\":\"App\"" + (token == null ? ""
                            : ",\"NextToken\":\"" + token + "\"") + "}").getBytes(StandardCharsets.UTF_8), "r");
            Map<String, Object> out = decodeJson(r.body());
            List<?> metrics = (List<?>) out.get("Metrics");
            assertThat(metrics.size()).isLessThanOrEqualTo(500);
            for (Object m : metrics) {
                assertThat(seen.add(((Map<?, ?>) m).get("MetricName"))).isTrue();
            }
            token = (String) out.get("NextToken");
            pages++;
        } while (token != null);
        assertThat(seen).hasSize(1200);
        assertThat(pages).isEqualTo(3);

        Map<String, Object> odd = decodeJson(api.handle("/", "GraniteServiceVersion20100801.ListMetrics",
                "application/x-amz-json-1.0",
                "{\"Dimensions\":[{\"Name\":\"Parity\",\"Value\":\"odd\"}],\"MetricName\":\"m7\"}"
                        .getBytes(StandardCharsets.UTF_8), "r").body());
        assertThat((List<?>) odd.get("Metrics")).hasSize(1);

        clock.advanceMs(4 * 3600 * 1000L);
        Map<String, Object> recent = decodeJson(api.handle("/", "GraniteServiceVersion20100801.ListMetrics",
                "application/x-amz-json-1.0", "{\"RecentlyActive\":\"PT3H\"}".getBytes(StandardCharsets.UTF_8), "r")
                .body());
        assertThat((List<?>) recent.get("Metrics")).isEmpty();
    }

    @Test
    void onlyCloudWatchRequestsAreRoutedHere() {
        byte[] none = new byte[0];
        byte[] query = "Action=PutMetricData&Version=2010-08-01&Namespace=A".getBytes(StandardCharsets.UTF_8);
        assertThat(CloudWatchApi.isCloudWatch(RPC + "PutMetricData", null, "application/cbor", none)).isTrue();
        assertThat(CloudWatchApi.isCloudWatch("/", "GraniteServiceVersion20100801.ListMetrics", null, none)).isTrue();
        assertThat(CloudWatchApi.isCloudWatch("/", null, "application/x-www-form-urlencoded", query)).isTrue();
        assertThat(CloudWatchApi.isCloudWatch("/", null, "application/x-www-form-urlencoded; charset=utf-8",
                "Namespace=A&Version=2010-08-01&Action=ListMetrics".getBytes(StandardCharsets.UTF_8))).isTrue();
        // curl -d sends a form content type unless told otherwise; with a Kinesis target it is a Kinesis call.
        assertThat(CloudWatchApi.isCloudWatch("/", "Kinesis_20131202.ListStreams",
                "application/x-www-form-urlencoded", query)).isFalse();
        assertThat(CloudWatchApi.isCloudWatch("/", "Kinesis_20131202.ListStreams", "application/x-amz-json-1.1",
                none)).isFalse();
        // Signers (aws4) and curl -d also put the form type on a body that is no query call at all: not CloudWatch.
        assertThat(CloudWatchApi.isCloudWatch("/", null, "application/x-www-form-urlencoded; charset=utf-8",
                "{}".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(CloudWatchApi.isCloudWatch("/", null, "application/x-www-form-urlencoded",
                "Action=PutMetricData&Namespace=A".getBytes(StandardCharsets.UTF_8)))
                .as("no Version: not a query client's call").isFalse();
        assertThat(CloudWatchApi.isCloudWatch("/", null, "application/x-www-form-urlencoded",
                "Action=SendMessage&Version=2012-11-05".getBytes(StandardCharsets.UTF_8)))
                .as("another service's query API").isFalse();
    }

    @Test
    void unknownOperationsAndMalformedBodiesAreClientErrors() {
        CloudWatchApi.Result unknown = api.handle(RPC + "DeleteEverything", null, "application/cbor", new byte[0], "r");
        assertThat(unknown.httpStatus()).isEqualTo(400);
        CloudWatchApi.Result garbage = api.handle(RPC + "PutMetricData", null, "application/cbor",
                new byte[] {(byte) 0xff, 0x13, 0x00}, "r");
        assertThat(garbage.httpStatus()).isEqualTo(400);
        CloudWatchApi.Result badIndex = api.handle("/", null, "application/x-www-form-urlencoded",
                "Action=PutMetricData&Namespace=A&MetricData.member.0.MetricName=x".getBytes(StandardCharsets.UTF_8),
                "r");
        assertThat(new String(badIndex.body(), StandardCharsets.UTF_8)).contains("<Code>MalformedQueryString</Code>");
        CloudWatchApi.Result badAction = api.handle("/", null, "application/x-www-form-urlencoded",
                "Action=Nope&Version=2010-08-01".getBytes(StandardCharsets.UTF_8), "r");
        assertThat(new String(badAction.body(), StandardCharsets.UTF_8)).contains("<Code>InvalidAction</Code>");
    }

    private CloudWatchApi.Result json(String body) {
        return api.handle("/", "GraniteServiceVersion20100801.PutMetricData", "application/x-amz-json-1.0",
                body.getBytes(StandardCharsets.UTF_8), "r");
    }

    private static Map<String, Object> decodeJson(byte[] body) {
        try {
            return decode(JSON, body);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertError(CloudWatchApi.Result r, String type, String message) {
        assertThat(r.httpStatus()).isEqualTo(400);
        Map<String, Object> body = decodeJson(r.body());
        assertThat(body).containsEntry("__type", "com.amazonaws.cloudwatch#" + type).containsEntry("message",
                message);
        assertThat(r.headers().get("x-amzn-query-error")).endsWith(";Sender");
    }

}
