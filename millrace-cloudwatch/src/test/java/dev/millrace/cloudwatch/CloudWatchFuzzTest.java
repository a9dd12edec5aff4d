package dev.millrace.cloudwatch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's fuzz test for CloudWatch, in-process: PutMetricData, ListMetrics, GetMetricStatistics and GetMetricData
 * (and unknown operations) in all three protocols - RPC v2 CBOR, JSON 1.0, query - with bodies of the right
 * structure and random values (extreme and non-finite numbers, odd timestamps, long and empty strings, wrong kinds),
 * byte mutations of them and garbage.
 * Every answer must be a 200 or a 4xx, never a 5xx or a throwable, and ListMetrics must still answer afterwards.
 * {@code -Dmillrace.fuzz.cases=N} (default 1,000) and {@code -Dmillrace.fuzz.seed=S} ({@code random}).
 */
class CloudWatchFuzzTest {
    private static final long MAX_CASE_MS = 10_000;

    @Test
    void noBodyGetsA5xxOrEscapesOrHangs() throws IOException {
        String seedProperty = System.getProperty("millrace.fuzz.seed", "20261205");
        long seed = seedProperty.equals("random") ? System.nanoTime() : Long.parseLong(seedProperty);
        Random random = new Random(seed);
        CloudWatchApi api = new CloudWatchApi(new ManualClock(1_700_000_000_000L));
        int cases = Integer.getInteger("millrace.fuzz.cases", 1_000);
        for (int i = 0; i < cases; i++) {
            String operation = pick(random, "PutMetricData", "PutMetricData", "ListMetrics", "GetMetricStatistics",
                    "GetMetricData", "DescribeAlarms");
            Map<String, Object> input = switch (operation) {
                case "ListMetrics" -> listMetrics(random);
                case "GetMetricStatistics" -> getMetricStatistics(random);
                case "GetMetricData" -> getMetricData(random);
                default -> putMetricData(random);
            };
            switch (random.nextInt(3)) {
                case 0 -> check(api, CloudWatchApi.RPC_PATH_PREFIX + operation, null, "application/cbor",
                        maybeMutate(random, encode(new CBORFactory(), input)), seed);
                case 1 -> check(api, "/", CloudWatchApi.SERVICE + "." + operation, "application/x-amz-json-1.0",
                        maybeMutate(random, encode(new JsonFactory(), input)), seed);
                default -> check(api, "/", null, "application/x-www-form-urlencoded",
                        maybeMutate(random, query(operation, input)), seed);
            }
        }
        CloudWatchApi.Result after = api.handle("/", CloudWatchApi.SERVICE + ".ListMetrics",
                "application/x-amz-json-1.0", "{}".getBytes(StandardCharsets.UTF_8), "after");
        assertThat(after.httpStatus()).isEqualTo(200);
    }

    private static void check(CloudWatchApi api, String path, String target, String contentType, byte[] body,
                              long seed) {
        long startNs = System.nanoTime();
        CloudWatchApi.Result r = api.handle(path, target, contentType, body, "fuzz");
        String what = "seed " + seed + ", " + path + " " + target + " " + contentType + " "
                + new String(body, StandardCharsets.ISO_8859_1) + " -> " + new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.httpStatus()).as(what).isBetween(200, 499);
        assertThat((System.nanoTime() - startNs) / 1_000_000).as(what).isLessThan(MAX_CASE_MS);
    }

    private static Map<String, Object> putMetricData(Random random) {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("Namespace", string(random));
        List<Object> data = new ArrayList<>();
        for (int i = random.nextInt(random.nextInt(150) == 0 ? 1_100 : 4); i > 0; i--) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("MetricName", string(random));
            List<Object> dims = new ArrayList<>();
            for (int j = random.nextInt(random.nextInt(10) == 0 ? 40 : 3); j > 0; j--) {
                dims.add(Map.of("Name", string(random), "Value", string(random)));
            }
            d.put("Dimensions", dims);
            if (random.nextBoolean()) {
                d.put("Timestamp", new Timestamp(number(random)));
            }
            if (random.nextBoolean()) {
                d.put("Value", number(random));
            }
            if (random.nextInt(4) == 0) {
                d.put("StatisticValues", Map.of("SampleCount", number(random), "Sum", number(random),
                        "Minimum", number(random), "Maximum", number(random)));
            }
            if (random.nextInt(4) == 0) {
                List<Object> values = new ArrayList<>();
                List<Object> counts = new ArrayList<>();
                for (int k = random.nextInt(random.nextInt(10) == 0 ? 200 : 5); k > 0; k--) {
                    values.add(number(random));
                    counts.add(number(random));
                }
                d.put("Values", values);
                d.put("Counts", random.nextBoolean() ? counts : counts.subList(0, counts.size() / 2));
            }
            d.put("Unit", pick(random, "Count", "Milliseconds", "Bytes", "None", "Furlongs", ""));
            if (random.nextBoolean()) {
                d.put("StorageResolution", number(random));
            }
            data.add(random.nextInt(30) == 0 ? string(random) : d);
        }
        in.put("MetricData", data);
        return in;
    }

    private static Map<String, Object> metric(Random random) {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("Namespace", pick(random, "ns", "KCL", string(random)));
        in.put("MetricName", pick(random, "m", string(random)));
        if (random.nextBoolean()) {
            in.put("Dimensions", List.of(Map.of("Name", string(random), "Value", string(random))));
        }
        return in;
    }

    private static Object period(Random random) {
        return pick(random, 60L, 120L, 3600L, 1L, 0L, -60L, number(random));
    }

    private static void window(Random random, Map<String, Object> in) {
        long nowS = 1_700_000_000L;
        in.put("StartTime", new Timestamp(random.nextBoolean() ? nowS - random.nextInt(100_000) : number(random)));
        in.put("EndTime", new Timestamp(random.nextBoolean() ? nowS + random.nextInt(10_000) : number(random)));
    }

    private static Map<String, Object> getMetricStatistics(Random random) {
        Map<String, Object> in = metric(random);
        window(random, in);
        in.put("Period", period(random));
        List<Object> statistics = new ArrayList<>();
        for (int i = random.nextInt(7); i > 0; i--) {
            statistics.add(pick(random, "Sum", "Average", "SampleCount", "Minimum", "Maximum", "p99", string(random)));
        }
        in.put(random.nextInt(5) == 0 ? "ExtendedStatistics" : "Statistics", statistics);
        if (random.nextBoolean()) {
            in.put("Unit", pick(random, "Count", "Bytes", "Furlongs"));
        }
        return in;
    }

    private static Map<String, Object> getMetricData(Random random) {
        Map<String, Object> in = new LinkedHashMap<>();
        List<Object> queries = new ArrayList<>();
        for (int i = random.nextInt(random.nextInt(50) == 0 ? 600 : 4); i > 0; i--) {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("Id", pick(random, "m" + i, "a", "Bad", string(random)));
            if (random.nextInt(6) != 0) {
                q.put("MetricStat", Map.of("Metric", metric(random), "Period", period(random),
                        "Stat", pick(random, "Sum", "Average", "p90", string(random))));
            }
            if (random.nextInt(6) == 0) {
                q.put("Expression", string(random));
            }
            if (random.nextInt(4) == 0) {
                q.put("ReturnData", random.nextBoolean());
            }
            queries.add(random.nextInt(30) == 0 ? string(random) : q);
        }
        in.put("MetricDataQueries", queries);
        window(random, in);
        if (random.nextBoolean()) {
            in.put("MaxDatapoints", number(random));
        }
        if (random.nextBoolean()) {
            in.put("ScanBy", pick(random, "TimestampAscending", "TimestampDescending", string(random)));
        }
        if (random.nextBoolean()) {
            in.put("NextToken", string(random));
        }
        return in;
    }

    private static Map<String, Object> listMetrics(Random random) {
        Map<String, Object> in = new LinkedHashMap<>();
        in.put("Namespace", string(random));
        if (random.nextBoolean()) {
            in.put("MetricName", string(random));
        }
        if (random.nextBoolean()) {
            in.put("Dimensions", List.of(Map.of("Name", string(random), "Value", string(random))));
        }
        if (random.nextBoolean()) {
            in.put("NextToken", string(random));
        }
        if (random.nextBoolean()) {
            in.put("RecentlyActive", pick(random, "PT3H", "P1D", ""));
        }
        return in;
    }

    private static Object number(Random random) {
        return pick(random, 0.0, 1.0, -1.0, 1e300, -1e300, Double.NaN, Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY, Double.MIN_VALUE, 9.2e18, -9.2e18, 1.7e9, (double) random.nextInt(),
                Long.MAX_VALUE, Long.MIN_VALUE, 5L, new BigInteger("99999999999999999999999999"), "NaN", true);
    }

    private static String string(Random random) {
        int r = random.nextInt(8);
        if (r < 5) {
            return pick(random, "ns", "KCL", "m", "Shard", "shardId-000000000000", "", " ", "a&b=c", "%zz",
                    "AWS/Kinesis");
        }
        StringBuilder b = new StringBuilder();
        for (int n = random.nextInt(r == 7 ? 3_000 : 30); n > 0; n--) {
            int c = random.nextInt(3) == 0 ? random.nextInt(0x10000) : 32 + random.nextInt(95);
            b.appendCodePoint(Character.isSurrogate((char) c) ? 'x' : c);
        }
        return b.toString();
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... options) {
        return options[random.nextInt(options.length)];
    }

    /** Epoch seconds: a JSON number, or tag 1 in CBOR. */
    private record Timestamp(Object seconds) {
    }

    private static byte[] encode(JsonFactory factory, Object tree) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = factory.createGenerator(out)) {
            write(g, tree);
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName((String) e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof Timestamp t) {
            if (g instanceof CBORGenerator c) {
                c.writeTag(1);
            }
            write(g, t.seconds());
        } else if (v instanceof Double d) {
            if (g instanceof CBORGenerator || Double.isFinite(d)) {
                g.writeNumber(d);
            } else {
                g.writeString(d.toString());
            }
        } else if (v instanceof Long n) {
            g.writeNumber(n);
        } else if (v instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(String.valueOf(v));
        }
    }

    /** The query protocol's flattening: MetricData.member.1.Dimensions.member.1.Name=... */
    private static byte[] query(String operation, Map<String, Object> input) {
        StringBuilder b = new StringBuilder("Action=").append(operation).append("&Version=2010-08-01");
        flatten(b, "", input);
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void flatten(StringBuilder b, String prefix, Object v) {
        if (v instanceof Map<?, ?> m) {
            m.forEach((k, value) -> flatten(b, prefix + (prefix.isEmpty() ? "" : ".") + k, value));
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                flatten(b, prefix + ".member." + (i + 1), l.get(i));
            }
        } else {
            Object value = v instanceof Timestamp t ? t.seconds() : v;
            b.append('&').append(prefix).append('=').append(URLEncoder.encode(String.valueOf(value),
                    StandardCharsets.UTF_8));
        }
    }

    private static byte[] maybeMutate(Random random, byte[] body) {
        if (random.nextInt(4) != 0 || body.length == 0) {
            return body;
        }
        byte[] out = body.clone();
        for (int i = 1 + random.nextInt(3); i > 0; i--) {
            out[random.nextInt(out.length)] = (byte) random.nextInt(256);
        }
        return random.nextBoolean() ? out : java.util.Arrays.copyOf(out, random.nextInt(out.length));
    }
}
