package dev.millrace.server;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.state.ScalingLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 13: timestamps far outside Instant's or a long's range (±9.2e18 seconds, in JSON as integers and fractions,
 * in CBOR as tag-1 integers, big integers and floats) were 500s in GetShardIterator, ListShards and
 * ListStreamConsumers, from {@code Instant.ofEpochSecond}'s DateTimeException. AWS's front end (Coral, Java) reads a
 * timestamp into a long of milliseconds, which saturates; so does Millrace, and each call then answers as it would
 * for the saturated time: the far future is AWS's "cannot be greater than the currentTimestampInMillis", a creation
 * time that is not the stream's is ResourceNotFoundException, the far past is the trim horizon.
 */
class OutOfRangeTimestampsTest {
    private static final String TARGET = "Kinesis_20131202.";
    private static final List<String> JSON_VALUES = List.of("9200000000000000000", "-9200000000000000000", "9.2e18",
            "-9.2e18", "1e300", "-1e300", "99999999999999999999999999", "-99999999999999999999999999");
    private static final List<Object> CBOR_VALUES = List.of(9_200_000_000_000_000_000L, -9_200_000_000_000_000_000L,
            Long.MAX_VALUE, Long.MIN_VALUE, 9.2e18, -9.2e18, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
            Double.NaN, new BigInteger("18446744073709551615"), new BigInteger("-18446744073709551616"));

    @TempDir
    Path dir;
    ApiHarness h;
    String arn;

    @BeforeEach
    void setUp() {
        h = new ApiHarness(dir, Clock.systemUTC(), ScalingLimits.AWS);
        h.call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        h.call("PutRecord", "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"AAAA\"}");
        arn = (String) ((Map<?, ?>) h.call("DescribeStreamSummary", "{\"StreamName\":\"s\"}")
                .get("StreamDescriptionSummary")).get("StreamARN");
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    private static String[] calls(String arn, String ts) {
        return new String[]{
            "GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"shardId-000000000000\","
                    + "\"ShardIteratorType\":\"AT_TIMESTAMP\",\"Timestamp\":" + ts + "}",
            "ListShards", "{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"AT_TIMESTAMP\",\"Timestamp\":" + ts + "}}",
            "ListShards", "{\"StreamName\":\"s\",\"ShardFilter\":{\"Type\":\"FROM_TIMESTAMP\",\"Timestamp\":" + ts
                    + "}}",
            "ListShards", "{\"StreamName\":\"s\",\"StreamCreationTimestamp\":" + ts + "}",
            "ListStreamConsumers", "{\"StreamARN\":\"" + arn + "\",\"StreamCreationTimestamp\":" + ts + "}",
        };
    }

    private static void assertAnswered(KinesisApi.Result r, String what) {
        assertThat(r.httpStatus()).as(what + ": " + new String(r.body(), StandardCharsets.UTF_8)).isIn(200, 400);
        if (r.httpStatus() == 400) {
            assertThat(r.errorType()).as(what).isIn("InvalidArgumentException", "ResourceNotFoundException");
        }
    }

    @Test
    void jsonTimestampsOutOfRangeAreAnsweredAsTheSaturatedTime() {
        for (String ts : JSON_VALUES) {
            String[] calls = calls(arn, ts);
            for (int i = 0; i < calls.length; i += 2) {
                assertAnswered(h.rawApi().handle(TARGET + calls[i], WireFormat.JSON,
                        calls[i + 1].getBytes(StandardCharsets.UTF_8), "t"), calls[i] + " " + ts);
            }
        }
        ApiHarness.ApiError future = org.junit.jupiter.api.Assertions.assertThrows(ApiHarness.ApiError.class,
                () -> h.call("GetShardIterator", calls(arn, "9.2e18")[1]));
        assertThat(future.type).isEqualTo("InvalidArgumentException");
        assertThat(future.message).startsWith("The timestampInMillis parameter cannot be greater than the "
                + "currentTimestampInMillis. timestampInMillis: 9223372036854775807, currentTimestampInMillis: ");
        assertThat(h.call("GetShardIterator", calls(arn, "-9.2e18")[1])).containsKey("ShardIterator");
    }

    @Test
    void cborTimestampsOutOfRangeAreAnsweredAsTheSaturatedTime() throws IOException {
        for (Object value : CBOR_VALUES) {
            for (String operation : List.of("GetShardIterator", "ListShards", "ListStreamConsumers")) {
                assertAnswered(h.rawApi().handle(TARGET + operation, WireFormat.CBOR, cbor(operation, value), "t"),
                        operation + " " + value);
            }
        }
    }

    private byte[] cbor(String operation, Object value) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CBORGenerator g = new CBORFactory().createGenerator(bytes)) {
            g.writeStartObject();
            switch (operation) {
                case "GetShardIterator" -> {
                    g.writeStringField("StreamName", "s");
                    g.writeStringField("ShardId", "shardId-000000000000");
                    g.writeStringField("ShardIteratorType", "AT_TIMESTAMP");
                    g.writeFieldName("Timestamp");
                }
                case "ListShards" -> {
                    g.writeStringField("StreamName", "s");
                    g.writeFieldName("ShardFilter");
                    g.writeStartObject();
                    g.writeStringField("Type", "AT_TIMESTAMP");
                    g.writeFieldName("Timestamp");
                }
                default -> {
                    g.writeStringField("StreamARN", arn);
                    g.writeFieldName("StreamCreationTimestamp");
                }
            }
            g.writeTag(1); // an epoch-based date/time, as the SDKs tag timestamps
            if (value instanceof Long l) {
                g.writeNumber(l);
            } else if (value instanceof Double d) {
                g.writeNumber(d);
            } else {
                g.writeNumber((BigInteger) value);
            }
            if (operation.equals("ListShards")) {
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        return bytes.toByteArray();
    }
}
