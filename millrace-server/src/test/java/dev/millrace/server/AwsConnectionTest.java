package dev.millrace.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a running server answers at the connection level, before any operation runs: wrong methods, missing or
 * foreign content types, empty and malformed bodies, unknown targets, malformed SigV4 headers and query strings, and
 * CORS. The expected answers are AWS's, as recorded by kinesalite's conformance tests (test/connection.js); each
 * answer is checked byte for byte where AWS's is known exactly.
 */
class AwsConnectionTest {
    private static final String AMZ_JSON = "application/x-amz-json-1.1";
    private static final String AMZ_CBOR = "application/x-amz-cbor-1.1";
    private static final String LIST_STREAMS = "Kinesis_20131202.ListStreams";
    private static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=abc";
    private static final String ACCESS_DENIED_XML = "<AccessDeniedException>\n"
            + "  <Message>Unable to determine service/operation name to be authorized</Message>\n"
            + "</AccessDeniedException>\n";
    private static final String ALL_HEADER_PARTS_MISSING = "Authorization header requires 'Credential' parameter. "
            + "Authorization header requires 'Signature' parameter. "
            + "Authorization header requires 'SignedHeaders' parameter. "
            + "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    private static final String ALL_QUERY_PARTS_MISSING = "AWS query-string parameters must include 'X-Amz-Algorithm'. "
            + "AWS query-string parameters must include 'X-Amz-Credential'. "
            + "AWS query-string parameters must include 'X-Amz-Signature'. "
            + "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
            + "AWS query-string parameters must include 'X-Amz-Date'. "
            + "Re-examine the query-string parameters.";

    @TempDir
    Path dir;
    private MillraceServer server;
    private URI endpoint;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() throws Exception {
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0));
        endpoint = URI.create("http://127.0.0.1:" + server.start().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    /** A request; {@code headers} are sent as given (a {@code null} value leaves the header out). */
    private HttpResponse<byte[]> send(String method, String path, Map<String, String> headers, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach((name, value) -> {
            if (value != null) {
                b.header(name, value);
            }
        });
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> post(Map<String, String> headers, String body)
            throws IOException, InterruptedException {
        return send("POST", "/", headers, body);
    }

    /** Headers with a well-formed SigV4 Authorization and its date. */
    private static Map<String, String> signed(String contentType, String target) {
        Map<String, String> headers = unsigned(contentType, target);
        headers.put("Authorization", AUTH);
        headers.put("X-Amz-Date", "20260101T000000Z");
        return headers;
    }

    private static Map<String, String> unsigned(String contentType, String target) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", contentType);
        headers.put("X-Amz-Target", target);
        return headers;
    }

    private static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    /** Status, body, Content-Type (none if {@code null}) and the ids every AWS answer carries. */
    private static void assertAnswer(HttpResponse<byte[]> r, int status, String contentType, String body) {
        assertThat(r.statusCode()).as(text(r)).isEqualTo(status);
        assertThat(text(r)).isEqualTo(body);
        assertThat(r.headers().firstValue("Content-Type")).isEqualTo(java.util.Optional.ofNullable(contentType));
        assertThat(r.headers().firstValue("Content-Length")).hasValue(String.valueOf(r.body().length));
        assertIds(r);
    }

    private static void assertIds(HttpResponse<byte[]> r) {
        assertThat(UUID.fromString(r.headers().firstValue("x-amzn-RequestId").orElseThrow()).version()).isEqualTo(4);
        byte[] extendedId = Base64.getDecoder().decode(r.headers().firstValue("x-amz-id-2").orElseThrow());
        assertThat(extendedId.length).isBetween(64, 80);
    }

    /** A CBOR answer: its status, Content-Type and exactly the {@code __type} field. */
    private static void assertCbor(HttpResponse<byte[]> r, int status, String type) throws IOException {
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(AMZ_CBOR);
        assertThat(cborFields(r.body())).isEqualTo(Map.of("__type", type));
        assertIds(r);
    }

    private static Map<String, String> cborFields(byte[] body) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        try (CBORParser p = new CBORFactory().createParser(body)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                fields.put(name, p.nextTextValue());
            }
        }
        return fields;
    }

    private static String jsonError(String type, String message) {
        return "{\"__type\":\"" + type + "\"" + (message == null ? "" : ",\"message\":\"" + message + "\"") + "}";
    }

    @Test
    void otherMethodsThanPostAreRefusedInXml() throws Exception {
        for (String method : List.of("GET", "PUT", "DELETE")) {
            assertAnswer(send(method, "/", signed(null, null), null), 403, null, ACCESS_DENIED_XML);
        }
        assertAnswer(send("GET", "/", Map.of(), null), 403, null, "<MissingAuthenticationTokenException>\n"
                + "  <Message>Missing Authentication Token</Message>\n</MissingAuthenticationTokenException>\n");
        HttpResponse<byte[]> health = send("GET", "/health", Map.of(), null);
        assertThat(health.statusCode()).as("Millrace's own health check stays").isEqualTo(200);
        assertThat(text(health)).isEqualTo("ok");
    }

    @Test
    void emptyBodiesAreAnsweredInCborUnlessTheContentTypeIsJson() throws Exception {
        assertCbor(post(unsigned(null, null), null), 400, "UnknownOperationException");
        assertCbor(post(signed(null, null), null), 400, "UnknownOperationException");
        assertCbor(post(signed("application/x-amz-json-1.0", null), null), 400, "UnknownOperationException");
        assertCbor(post(signed("application/x-amz-json-1.1asdf", null), null), 400, "UnknownOperationException");
        for (String target : List.of("Whatever", "Kinesis_20131202.", "Kinesis_20131202.Whatever", "Whatever.Whatever",
                "Kinesis_20131202.ListStream")) {
            assertCbor(post(signed(null, target), null), 400, "UnknownOperationException");
        }
        assertCbor(post(signed(null, LIST_STREAMS), null), 400, "SerializationException");
        assertCbor(post(signed("application/json", LIST_STREAMS), null), 400, "SerializationException");
        assertCbor(post(signed("application/json", null), null), 400, "UnknownOperationException");

        assertAnswer(post(unsigned(AMZ_JSON, null), null), 400, AMZ_JSON, jsonError("UnknownOperationException", null));
        assertAnswer(post(unsigned(AMZ_JSON, LIST_STREAMS), null), 400, AMZ_JSON,
                jsonError("SerializationException", null));
        assertAnswer(post(signed(AMZ_JSON, LIST_STREAMS), null), 400, AMZ_JSON,
                jsonError("SerializationException", null));
    }

    @Test
    void bodiesInNoKinesisContentTypeAreRefusedInXml() throws Exception {
        // Signers such as aws4 give a body without a Content-Type the form type: that is still no CloudWatch call.
        assertAnswer(post(signed("application/x-www-form-urlencoded; charset=utf-8", null), "{}"), 403, null,
                ACCESS_DENIED_XML);
        assertAnswer(post(signed("text/plain", null), "{}"), 403, null, ACCESS_DENIED_XML);
        assertAnswer(post(signed("text/plain", "Kinesis_20131202."), "{}"), 403, null, ACCESS_DENIED_XML);
        assertAnswer(post(signed("text/plain", "Whatever.ListStreams"), "{}"), 403, null,
                "<UnrecognizedClientException>\n  <Message>No authorization strategy was found for service: "
                        + "Whatever, operation: ListStreams</Message>\n</UnrecognizedClientException>\n");
        assertAnswer(post(signed("text/plain", LIST_STREAMS), "{}"), 404, null, "<UnknownOperationException/>\n");
        assertAnswer(post(signed("text/plain", "Kinesis_20131202.Whatever"), "{}"), 500, null,
                "<InternalFailure/>\n");
        // Authentication is looked at before the target here.
        assertAnswer(post(unsigned("text/plain", LIST_STREAMS), "{}"), 403, null,
                "<MissingAuthenticationTokenException>\n  <Message>Missing Authentication Token</Message>\n"
                        + "</MissingAuthenticationTokenException>\n");
        Map<String, String> bad = unsigned("text/plain", LIST_STREAMS);
        bad.put("Authorization", "a");
        assertAnswer(post(bad, "{}"), 403, null, "<IncompleteSignatureException>\n  <Message>"
                + ALL_HEADER_PARTS_MISSING + "Authorization=a</Message>\n</IncompleteSignatureException>\n");
    }

    @Test
    void aKinesisCallMadeWithCurlDashDStillReachesKinesis() throws Exception {
        // curl -d sends application/x-www-form-urlencoded; AWS would refuse it, Millrace serves it as JSON.
        HttpResponse<byte[]> r = post(signed("application/x-www-form-urlencoded", LIST_STREAMS), "{}");
        assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(AMZ_JSON);
        assertThat(text(r)).contains("\"StreamNames\":[]");
    }

    @Test
    void applicationJsonGetsCoralJsonOneZeroAnswers() throws Exception {
        String unknown = "{\"Output\":{\"__type\":\"com.amazon.coral.service#UnknownOperationException\"},"
                + "\"Version\":\"1.0\"}";
        String serialization = "{\"Output\":{\"__type\":\"com.amazon.coral.service#SerializationException\"},"
                + "\"Version\":\"1.0\"}";
        assertAnswer(post(unsigned("application/json", LIST_STREAMS), "{}"), 404, "application/json", unknown);
        assertAnswer(post(signed("application/json", LIST_STREAMS), "{}"), 404, "application/json", unknown);
        assertAnswer(post(unsigned("application/json", LIST_STREAMS), "hello"), 400, "application/json",
                serialization);
        assertAnswer(post(unsigned("     application/json     ;", LIST_STREAMS), "hello"), 400, "application/json",
                serialization);
    }

    @Test
    void bodyAndTargetAreCheckedBeforeAuthentication() throws Exception {
        assertAnswer(post(unsigned(AMZ_JSON, LIST_STREAMS), "hello"), 400, AMZ_JSON,
                jsonError("SerializationException", null));
        assertAnswer(post(unsigned(AMZ_JSON, LIST_STREAMS), "true"), 400, AMZ_JSON,
                jsonError("SerializationException", null));
        assertAnswer(post(unsigned(AMZ_JSON, null), "{}"), 400, AMZ_JSON, jsonError("UnknownOperationException", null));
        assertAnswer(post(unsigned(AMZ_JSON, "Kinesis_20131202.Nope"), "{}"), 400, AMZ_JSON,
                jsonError("UnknownOperationException", null));
        assertAnswer(post(unsigned(AMZ_JSON, LIST_STREAMS), "{}"), 400, AMZ_JSON,
                jsonError("MissingAuthenticationTokenException", "Missing Authentication Token"));
        assertAnswer(post(unsigned("   application/x-amz-json-1.1   ;whatever", LIST_STREAMS), "{}"), 400, AMZ_JSON,
                jsonError("MissingAuthenticationTokenException", "Missing Authentication Token"));
        HttpResponse<byte[]> cbor = post(unsigned(AMZ_CBOR, LIST_STREAMS), "not cbor at all");
        assertCbor(cbor, 400, "SerializationException");
    }

    @Test
    void malformedSigV4HeadersAreIncompleteSignatures() throws Exception {
        Map<String, String> headers = unsigned(AMZ_JSON, LIST_STREAMS);
        headers.put("Authorization", "X");
        assertAnswer(post(headers, "{}"), 400, AMZ_JSON,
                jsonError("IncompleteSignatureException", ALL_HEADER_PARTS_MISSING + "Authorization=X"));
        assertAnswer(send("POST", "/?X-Amz-Algorith", headers, "{}"), 400, AMZ_JSON,
                jsonError("IncompleteSignatureException", ALL_HEADER_PARTS_MISSING + "Authorization=X"));
        for (String header : List.of("AWS4- Signature=b Credential=a", "AWS4- Signature=b,Credential=a",
                "AWS4- Signature=b, Credential=a")) {
            Map<String, String> h = unsigned(AMZ_JSON, LIST_STREAMS);
            h.put("Authorization", header);
            h.put("Date", "a");
            assertAnswer(post(h, "{}"), 400, AMZ_JSON, jsonError("IncompleteSignatureException",
                    "Authorization header requires 'SignedHeaders' parameter. Authorization=" + header));
        }
        Map<String, String> noDate = unsigned(AMZ_JSON, LIST_STREAMS);
        noDate.put("Authorization", AUTH);
        assertAnswer(post(noDate, "{}"), 400, AMZ_JSON, jsonError("IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                        + "Authorization=" + AUTH));
        noDate.put("Date", "Thu, 01 Jan 2026 00:00:00 GMT");
        assertThat(post(noDate, "{}").statusCode()).as("a Date header will do").isEqualTo(200);
    }

    @Test
    void presignedQueryStringsAreCheckedForTheirParameters() throws Exception {
        Map<String, String> headers = unsigned(AMZ_JSON, LIST_STREAMS);
        assertAnswer(send("POST", "/?X-Amz-Algorithm", headers, "{}"), 400, AMZ_JSON,
                jsonError("IncompleteSignatureException", ALL_QUERY_PARTS_MISSING));
        assertAnswer(send("POST", "/?X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d", headers,
                "{}"), 400, AMZ_JSON, jsonError("IncompleteSignatureException",
                "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
                        + "Re-examine the query-string parameters."));
        assertAnswer(send("POST", "/?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d",
                headers, "{}"), 400, AMZ_JSON,
                jsonError("MissingAuthenticationTokenException", "Missing Authentication Token"));
        Map<String, String> both = unsigned(AMZ_JSON, LIST_STREAMS);
        both.put("Authorization", "X");
        assertAnswer(send("POST", "/?X-Amz-Algorithm", both, "{}"), 400, AMZ_JSON,
                jsonError("InvalidSignatureException", "Found both 'X-Amz-Algorithm' as a query-string param and "
                        + "'Authorization' as HTTP header."));
        HttpResponse<byte[]> presigned = send("POST", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a"
                + "&X-Amz-Signature=b&X-Amz-SignedHeaders=host&X-Amz-Date=20260101T000000Z", headers, "{}");
        assertThat(presigned.statusCode()).as(text(presigned)).isEqualTo(200);
    }

    @Test
    void aBrowserPreflightAndCrossOriginCallSucceed() throws Exception {
        Map<String, String> preflight = new LinkedHashMap<>();
        preflight.put("Origin", "http://app.example");
        preflight.put("Access-Control-Request-Method", "POST");
        preflight.put("Access-Control-Request-Headers", "authorization,content-type,x-amz-date,x-amz-target");
        HttpResponse<byte[]> options = send("OPTIONS", "/", preflight, null);
        assertThat(options.statusCode()).isEqualTo(200);
        assertThat(options.body()).isEmpty();
        assertThat(options.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(options.headers().firstValue("Access-Control-Allow-Methods")).hasValue("POST");
        assertThat(options.headers().firstValue("Access-Control-Allow-Headers"))
                .hasValue("authorization,content-type,x-amz-date,x-amz-target");
        assertThat(options.headers().firstValue("Access-Control-Max-Age")).hasValue("172800");
        assertThat(options.headers().firstValue("Content-Length")).hasValue("0");
        assertThat(options.headers().firstValue("Content-Type")).isEmpty();
        assertThat(options.headers().firstValue("x-amz-id-2")).isEmpty();
        assertThat(options.headers().firstValue("x-amzn-RequestId")).isPresent();
        HttpResponse<byte[]> bare = send("OPTIONS", "/", Map.of("Origin", "whatever"), null);
        assertThat(bare.headers().firstValue("Access-Control-Allow-Headers")).isEmpty();
        assertThat(bare.headers().firstValue("Access-Control-Max-Age")).hasValue("172800");

        Map<String, String> call = signed(AMZ_JSON, LIST_STREAMS);
        call.put("Origin", "http://app.example");
        HttpResponse<byte[]> r = post(call, "{}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).contains("\"StreamNames\":[]");
        assertCrossOrigin(r);
        Map<String, String> failing = signed(null, null);
        failing.put("Origin", "whatever");
        HttpResponse<byte[]> error = post(failing, null);
        assertCbor(error, 400, "UnknownOperationException");
        assertCrossOrigin(error);
        assertThat(post(signed(AMZ_JSON, LIST_STREAMS), "{}").headers().firstValue("Access-Control-Allow-Origin"))
                .as("no Origin, no CORS headers").isEmpty();
    }

    private static void assertCrossOrigin(HttpResponse<byte[]> r) {
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(r.headers().firstValue("Access-Control-Expose-Headers"))
                .hasValue("x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date");
    }

    @Test
    void unknownOperationsAreLoggedWithTheirTarget() throws Exception {
        Logger gateLog = (Logger) LoggerFactory.getLogger("dev.millrace.server.http.KinesisGate");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        gateLog.addAppender(captured);
        try {
            HttpResponse<byte[]> r = post(signed(AMZ_JSON, "Kinesis_20131202.DescribeEverything"), "{}");
            assertAnswer(r, 400, AMZ_JSON, jsonError("UnknownOperationException", null));
            assertThat(post(signed(AMZ_JSON, LIST_STREAMS), "{}").statusCode()).isEqualTo(200);
            String requestId = r.headers().firstValue("x-amzn-RequestId").orElseThrow();
            assertThat(captured.list).singleElement().satisfies(e -> {
                assertThat(e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO)).isTrue();
                assertThat(e.getFormattedMessage()).contains("'Kinesis_20131202.DescribeEverything'")
                        .contains(requestId);
            });
        } finally {
            gateLog.detachAppender(captured);
        }
    }
}
