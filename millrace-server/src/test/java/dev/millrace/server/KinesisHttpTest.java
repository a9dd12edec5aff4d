package dev.millrace.server;

import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP surface of a running server, driven with the JDK's HTTP client and hand-made bodies: what a client gets for
 * malformed, unauthenticated, oversized and unknown requests, and that JSON and CBOR come back in kind.
 */
class KinesisHttpTest {
    private static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=abc";

    @TempDir
    Path dir;
    private MillraceServer server;
    private URI endpoint;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        ServerConfig config = ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0)
                .withMaxBodyBytes(1024 * 1024);
        server = TestServers.embedded(config);
        var address = server.start();
        endpoint = URI.create("http://127.0.0.1:" + address.getPort() + "/");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private HttpResponse<byte[]> post(String target, String contentType, byte[] body, boolean signed)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (target != null) {
            b.header("X-Amz-Target", target);
        }
        if (signed) {
            b.header("Authorization", AUTH).header("X-Amz-Date", "20260101T000000Z");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> json(String operation, String body) throws IOException, InterruptedException {
        return post("Kinesis_20131202." + operation, "application/x-amz-json-1.1",
                body.getBytes(StandardCharsets.UTF_8), true);
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    private static void assertError(HttpResponse<byte[]> r, int status, String type) {
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue(type);
        assertThat(r.headers().firstValue("x-amzn-RequestId")).hasValueSatisfying(id -> {
            java.util.UUID uuid = java.util.UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
        });
        assertThat(text(r)).contains("\"__type\":\"" + type + "\"");
    }

    @Test
    void requestsWithoutAuthorizationAreRefused() throws Exception {
        HttpResponse<byte[]> r = post("Kinesis_20131202.ListStreams", "application/x-amz-json-1.1",
                "{}".getBytes(StandardCharsets.UTF_8), false);
        assertError(r, 400, "MissingAuthenticationTokenException");
    }

    @Test
    void malformedSignaturesAreIncompleteSignatures() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "Kinesis_20131202.ListStreams")
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        assertError(r, 400, "IncompleteSignatureException");
        assertThat(text(r)).contains("Authorization header requires 'Signature' parameter.")
                .contains("Authorization header requires 'SignedHeaders' parameter.");
        HttpRequest basic = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "Kinesis_20131202.ListStreams")
                .header("Authorization", "Basic dXNlcjpwYXNz")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build();
        assertError(http.send(basic, HttpResponse.BodyHandlers.ofByteArray()), 400, "IncompleteSignatureException");
    }

    @Test
    void unknownTargetsAreUnknownOperations() throws Exception {
        assertError(json("NoSuchThing", "{}"), 400, "UnknownOperationException");
        assertError(post("Firehose_20150804.ListDeliveryStreams", "application/x-amz-json-1.1",
                "{}".getBytes(StandardCharsets.UTF_8), true), 400, "UnknownOperationException");
        HttpResponse<byte[]> dynamo = post("DynamoDB_20120810.ListTables", "application/x-amz-json-1.0",
                "{}".getBytes(StandardCharsets.UTF_8), true);
        assertThat(dynamo.statusCode()).as("the DynamoDB subset shares the endpoint").isEqualTo(200);
        assertThat(dynamo.headers().firstValue("Content-Type")).hasValue("application/x-amz-json-1.0");
        assertError(post(null, "application/x-amz-json-1.1", "{}".getBytes(StandardCharsets.UTF_8), true), 400,
                "UnknownOperationException");
    }

    @Test
    void malformedAndMistypedBodiesAreSerializationErrors() throws Exception {
        // as AWS answers them: no message for a body that does not parse, Coral's text under "Message" otherwise
        HttpResponse<byte[]> unparsable = json("DescribeStream", "{\"StreamName\":");
        assertError(unparsable, 400, "SerializationException");
        assertThat(text(unparsable)).isEqualTo("{\"__type\":\"SerializationException\"}");
        HttpResponse<byte[]> list = json("DescribeStream", "{\"StreamName\":[1]}");
        assertError(list, 400, "SerializationException");
        assertThat(text(list)).isEqualTo(
                "{\"__type\":\"SerializationException\",\"Message\":\"Start of list found where not expected\"}");
        HttpResponse<byte[]> blob = json("PutRecord",
                "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"not base64!\"}");
        assertError(blob, 400, "SerializationException");
        assertThat(text(blob)).isEqualTo("{\"__type\":\"SerializationException\",\"Message\":\"'not base64!' can not "
                + "be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 11\"}");
    }

    @Test
    void validationErrorsUseAwsWording() throws Exception {
        HttpResponse<byte[]> r = json("CreateStream", "{\"StreamName\":\"a b\",\"ShardCount\":1}");
        assertError(r, 400, "ValidationException");
        assertThat(text(r)).contains("1 validation error detected: Value 'a b' at 'streamName' failed to satisfy "
                + "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    }

    @Test
    void oversizedBodiesGet413AndTheServerKeepsServing() throws Exception {
        byte[] big = new byte[2 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'a');
        HttpResponse<byte[]> r = post("Kinesis_20131202.PutRecord", "application/x-amz-json-1.1", big, true);
        assertError(r, 413, "RequestEntityTooLargeException");
        assertThat(json("ListStreams", "{}").statusCode()).isEqualTo(200);
    }

    @Test
    void jsonRoundTripFromCreateToGetRecords() throws Exception {
        assertThat(json("CreateStream", "{\"StreamName\":\"s1\",\"ShardCount\":2}").statusCode()).isEqualTo(200);
        HttpResponse<byte[]> put = json("PutRecord",
                "{\"StreamName\":\"s1\",\"PartitionKey\":\"k\",\"Data\":\"AAEC/w==\"}");
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(text(put)).containsPattern("\"SequenceNumber\":\"\\d{56}\"").contains("\"ShardId\":\"shardId-");
        String shardId = text(put).replaceAll(".*\"ShardId\":\"(shardId-\\d+)\".*", "$1");
        String iterator = text(json("GetShardIterator", "{\"StreamName\":\"s1\",\"ShardId\":\"" + shardId
                + "\",\"ShardIteratorType\":\"TRIM_HORIZON\"}")).replaceAll(".*\"ShardIterator\":\"([^\"]+)\".*", "$1");
        HttpResponse<byte[]> get = json("GetRecords", "{\"ShardIterator\":\"" + iterator + "\"}");
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(text(get)).contains("\"Data\":\"AAEC/w==\"", "\"PartitionKey\":\"k\"", "\"MillisBehindLatest\":0")
                .containsPattern("\"ApproximateArrivalTimestamp\":\\d{10}\\.\\d{3}");
        assertError(json("GetRecords", "{\"ShardIterator\":\"AAAAgarbage\"}"), 400, "InvalidArgumentException");
        assertError(json("DescribeStream", "{\"StreamName\":\"nope\"}"), 400, "ResourceNotFoundException");
        assertError(json("CreateStream", "{\"StreamName\":\"s1\",\"ShardCount\":1}"), 400, "ResourceInUseException");
    }

    @Test
    void cborRequestsGetCborAnswersWithMillisecondTimestamps() throws Exception {
        json("CreateStream", "{\"StreamName\":\"c1\",\"ShardCount\":1}");
        HttpResponse<byte[]> r = post("Kinesis_20131202.DescribeStreamSummary", "application/x-amz-cbor-1.1",
                cbor("c1"), true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-amz-cbor-1.1");
        long created = -1;
        try (CBORParser p = new CBORFactory().createParser(r.body())) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("StreamCreationTimestamp")) {
                    p.nextToken();
                    assertThat(p.getCurrentTag()).isEqualTo(1);
                    created = p.getLongValue();
                }
            }
        }
        assertThat(created).isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis() + 1000);

        HttpResponse<byte[]> missing = post("Kinesis_20131202.DescribeStreamSummary", "application/x-amz-cbor-1.1",
                cbor("missing"), true);
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.headers().firstValue("x-amzn-ErrorType")).hasValue("ResourceNotFoundException");
        try (CBORParser p = new CBORFactory().createParser(missing.body())) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            assertThat(p.nextFieldName()).isEqualTo("__type");
            assertThat(p.nextTextValue()).isEqualTo("ResourceNotFoundException");
        }
    }

    private static byte[] cbor(String streamName) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CBORGenerator g = new CBORFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("StreamName", streamName);
            g.writeEndObject();
        }
        return out.toByteArray();
    }
}
