package dev.millrace.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.Shape;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.state.ScalingLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13's fuzz test for the Kinesis API, in-process (no sockets, so thousands of cases take seconds): for every
 * operation of the model, bodies of the right structure with random values (extremes, wrong enums, odd strings,
 * huge and negative numbers and timestamps), random mutations of them, and garbage, in JSON and in CBOR. Every
 * answer must be a 200 or a 4xx with an AWS error type - never a 5xx (no fault is injected here, so no
 * InternalFailure is expected), never an exception out of the API, never a case that takes long - and the API must
 * still serve a normal producer and consumer afterwards.
 *
 * <p>{@code -Dmillrace.fuzz.cases=N} runs N cases per operation and format (default 12, a few thousand calls in
 * all); {@code -Dmillrace.fuzz.seed=S} another seed ({@code random} for a new one, printed on failure).
 */
class KinesisFuzzTest {
    private static final String TARGET = "Kinesis_20131202.";
    /** Generous: a case is a call in memory; only a hang or runaway work gets near this. */
    private static final long MAX_CASE_MS = 10_000;
    private static final ApiModel MODEL = ApiModel.kinesis();
    private static final JsonFactory JSON = new JsonFactory();
    private static final CBORFactory CBOR = new CBORFactory();
    /** Bytes a mutation inserts: the structural ones of JSON, and digits. */
    private static final String INSERTS = "{}[]\",:0-9e.";

    @TempDir
    Path dir;

    static long seed() {
        String s = System.getProperty("millrace.fuzz.seed", "20261205");
        return s.equals("random") ? System.nanoTime() : Long.parseLong(s);
    }

    static int cases() {
        return Integer.getInteger("millrace.fuzz.cases", 12);
    }

    @Test
    void noBodyGetsA5xxOrEscapesOrHangs() {
        long seed = seed();
        Random random = new Random(seed);
        // A small shard limit: random ShardCounts and warm throughputs must stay cheap to honour.
        try (ApiHarness h = new ApiHarness(dir, Clock.systemUTC(), new ScalingLimits(16, 10, 0.5, 2.0))) {
            h.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}");
            h.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\"}");
            Values values = new Values(random, (String) ((Map<?, ?>) h.call("DescribeStreamSummary",
                    "{\"StreamName\":\"s\"}").get("StreamDescriptionSummary")).get("StreamARN"));
            int calls = 0;
            for (int round = 0; round < cases(); round++) {
                for (ApiModel.Operation op : MODEL.operations().values()) {
                    Object tree = op.input() == null ? Map.of() : values.of(MODEL.shape(op.input()), 0);
                    for (WireFormat format : WireFormat.values()) {
                        byte[] body = encode(format, tree);
                        check(h, op.name(), format, body, seed);
                        check(h, op.name(), format, mutate(random, body), seed);
                        calls += 2;
                    }
                    byte[] junk = new byte[random.nextInt(80)];
                    random.nextBytes(junk);
                    check(h, op.name(), random.nextBoolean() ? WireFormat.JSON : WireFormat.CBOR, junk, seed);
                    calls++;
                }
            }
            assertThat(calls).isGreaterThan(cases() * MODEL.operations().size() * 4);
            stillServes(h);
        }
    }

    private static void check(ApiHarness h, String operation, WireFormat format, byte[] body, long seed) {
        long startNs = System.nanoTime();
        KinesisApi.Result r = h.rawApi().handle(TARGET + operation, format, body, "fuzz");
        long tookMs = (System.nanoTime() - startNs) / 1_000_000;
        String what = "seed " + seed + ", " + operation + " " + format + " " + describe(format, body) + " -> "
                + new String(r.body(), StandardCharsets.UTF_8);
        assertThat(r.httpStatus()).as(what).isIn(200, 400, 403, 404, 413);
        if (r.httpStatus() != 200) {
            assertThat(r.errorType()).as(what).isNotBlank();
        }
        assertThat(tookMs).as(what).isLessThan(MAX_CASE_MS);
    }

    private static String describe(WireFormat format, byte[] body) {
        return format == WireFormat.JSON ? new String(body, StandardCharsets.UTF_8)
                : java.util.HexFormat.of().formatHex(body);
    }

    private static void stillServes(ApiHarness h) {
        h.call("CreateStream", "{\"StreamName\":\"after-fuzz\",\"ShardCount\":1}");
        h.call("PutRecord", "{\"StreamName\":\"after-fuzz\",\"PartitionKey\":\"k\",\"Data\":\"aGVsbG8=\"}");
        String iterator = (String) h.call("GetShardIterator", "{\"StreamName\":\"after-fuzz\","
                + "\"ShardId\":\"shardId-000000000000\",\"ShardIteratorType\":\"TRIM_HORIZON\"}").get("ShardIterator");
        List<?> records = (List<?>) h.call("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}").get("Records");
        assertThat(records).hasSize(1);
    }

    /** Random values of a shape: usually plausible (enums, the stream's names), often extreme or wrong. */
    static final class Values {
        private final Random random;
        private final String streamArn;

        Values(Random random, String streamArn) {
            this.random = random;
            this.streamArn = streamArn;
        }

        Object of(Shape shape, int depth) {
            if (random.nextInt(40) == 0) {
                return wrongKind(); // a member of the wrong JSON type
            }
            switch (shape.type()) {
                case STRUCTURE: {
                    Map<String, Object> m = new LinkedHashMap<>();
                    for (Map.Entry<String, String> e : shape.members().entrySet()) {
                        if (shape.required().contains(e.getKey()) ? random.nextInt(10) > 0 : random.nextBoolean()) {
                            m.put(e.getKey(), depth > 6 ? null : of(MODEL.shape(e.getValue()), depth + 1));
                        }
                    }
                    return m;
                }
                case LIST: {
                    List<Object> l = new ArrayList<>();
                    int n = random.nextInt(10) == 0 ? random.nextInt(600) : random.nextInt(4);
                    for (int i = 0; i < n && depth < 6; i++) {
                        l.add(of(MODEL.shape(shape.member()), depth + 1));
                    }
                    return l;
                }
                case MAP: {
                    Map<String, Object> m = new LinkedHashMap<>();
                    int n = random.nextInt(4);
                    for (int i = 0; i < n && depth < 6; i++) {
                        m.put(string(MODEL.shape(shape.key())), of(MODEL.shape(shape.value()), depth + 1));
                    }
                    return m;
                }
                case STRING:
                    return string(shape);
                case INTEGER:
                case LONG:
                    return number();
                case BOOLEAN:
                    return random.nextInt(8) == 0 ? "maybe" : random.nextBoolean();
                case BLOB: {
                    byte[] b = new byte[random.nextInt(8) == 0 ? random.nextInt(70_000) : random.nextInt(40)];
                    random.nextBytes(b);
                    return b;
                }
                case TIMESTAMP:
                    return new Timestamp(pick(-9.2e18, 9.2e18, 0.0, -1.0, 1.7e9, Double.MAX_VALUE, -Double.MAX_VALUE,
                            1.7e9 + random.nextDouble() * 1e6, Double.NaN, Double.POSITIVE_INFINITY));
                default:
                    throw new IllegalStateException(shape.type().name());
            }
        }

        private Object wrongKind() {
            return pick("text", 42L, true, List.of(1L), Map.of("a", 1L), 3.5);
        }

        private Object number() {
            return pick(0L, 1L, -1L, 2L, 5L, 100L, 10_000L, (long) Integer.MAX_VALUE, (long) Integer.MIN_VALUE,
                    Long.MAX_VALUE, Long.MIN_VALUE, (long) random.nextInt(), 1.5, -0.5, 1e300,
                    new BigInteger("99999999999999999999999999"));
        }

        private String string(Shape shape) {
            int r = random.nextInt(10);
            if (r < 4 && !shape.enumValues().isEmpty()) {
                return shape.enumValues().get(random.nextInt(shape.enumValues().size()));
            }
            if (r < 7) {
                return pick("s", "after-fuzz", "shardId-000000000000", "shardId-000000000001",
                        "shardId-99999999999999999999", streamArn, streamArn + "/consumer/c:1", "c",
                        "49680874417459437028820703393941986898132282916804231170", "0",
                        "340282366920938463463374607431768211455", "-1", "1" + "0".repeat(60), "LATEST",
                        "AAAAAAAAAAEAAAGi", "arn:aws:kinesis:us-east-1:000000000000:stream/x", "");
            }
            StringBuilder b = new StringBuilder();
            int n = random.nextInt(10) == 0 ? random.nextInt(5_000) : random.nextInt(20);
            for (int i = 0; i < n; i++) {
                int c = random.nextInt(4) == 0 ? random.nextInt(0x10000) : 32 + random.nextInt(95);
                b.appendCodePoint(Character.isSurrogate((char) c) ? 0x1F600 : c); // lone surrogates do not encode
            }
            return b.toString();
        }

        @SafeVarargs
        private <T> T pick(T... options) {
            return options[random.nextInt(options.length)];
        }
    }

    /** Epoch seconds; written as a number in JSON, tag 1 in CBOR (milliseconds when integral, as the SDKs do). */
    record Timestamp(double seconds) {
    }

    static byte[] encode(WireFormat format, Object tree) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = (format == WireFormat.CBOR ? CBOR : JSON).createGenerator(out)) {
            write(g, tree);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
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
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Long n) {
            g.writeNumber(n);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof byte[] b) {
            if (g instanceof CBORGenerator) {
                g.writeBinary(b);
            } else {
                g.writeString(java.util.Base64.getEncoder().encodeToString(b));
            }
        } else if (v instanceof Timestamp t) {
            if (g instanceof CBORGenerator c) {
                c.writeTag(1);
                if (Double.isFinite(t.seconds()) && t.seconds() == Math.rint(t.seconds())) {
                    c.writeNumber((long) (t.seconds() * 1000));
                } else {
                    c.writeNumber(t.seconds());
                }
            } else if (Double.isFinite(t.seconds())) {
                g.writeNumber(t.seconds());
            } else {
                g.writeNumber(0);
            }
        } else {
            throw new IllegalArgumentException(v.getClass().getName());
        }
    }

    /** A few random byte edits: flips, deletions, insertions, truncation. */
    static byte[] mutate(Random random, byte[] body) {
        List<Byte> bytes = new ArrayList<>(body.length + 8);
        for (byte b : body) {
            bytes.add(b);
        }
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits; i++) {
            int at = bytes.isEmpty() ? 0 : random.nextInt(bytes.size());
            switch (random.nextInt(4)) {
                case 0 -> {
                    if (!bytes.isEmpty()) {
                        bytes.set(at, (byte) random.nextInt(256));
                    }
                }
                case 1 -> {
                    if (!bytes.isEmpty()) {
                        bytes.remove(at);
                    }
                }
                case 2 -> bytes.add(at, (byte) INSERTS.charAt(random.nextInt(INSERTS.length())));
                default -> {
                    while (bytes.size() > at) {
                        bytes.remove(bytes.size() - 1);
                    }
                }
            }
        }
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i);
        }
        return out;
    }
}
