package dev.millrace.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.millrace.lambda.FunctionRegistry;
import dev.millrace.lambda.StreamLookup;
import dev.millrace.server.http.Apis;
import dev.millrace.server.http.HttpLimits;
import dev.millrace.server.http.HttpServer;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Lambda's event source mapping paths on the server's port, with {@code --auth none}: every method reaches the
 * LambdaApi with its query decoded, answers carry Lambda's headers and error shape, and the request log names the
 * service {@code lambda}.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class LambdaRoutingTest {
    private static final String PATH = "/2015-03-31/event-source-mappings";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final HttpServer http = new HttpServer();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("dev.millrace.server.http.RequestLog");
    @TempDir
    Path dir;
    private ApiHarness harness;
    private String streamArn;
    private int port;

    @BeforeEach
    void start() throws Exception {
        harness = new ApiHarness(dir, new ManualClock(1_800_000_000_000L), ScalingLimits.AWS);
        String accountId = harness.kinesisApi().home().id();
        streamArn = "arn:aws:kinesis:us-east-1:" + accountId + ":stream/orders";
        StreamLookup streams = new StreamLookup() {
            @Override
            public OptionalLong streamCreatedMs(String arn) {
                return arn.equals(streamArn) ? OptionalLong.of(1_700_000_000_000L) : OptionalLong.empty();
            }

            @Override
            public Optional<String> consumerStream(String consumerArn) {
                return Optional.empty();
            }
        };
        Apis apis = new Apis(harness.kinesisApi(), null, null, null).withLambda(harness.metadata, Clock.systemUTC(),
                accountId, FunctionRegistry.parse(List.of("orders=http://127.0.0.1:9/invoke")), streams);
        port = http.start("127.0.0.1", 0, apis, executor, ServerConfig.MAX_BODY_BYTES_DEFAULT, HttpLimits.DEFAULT)
                .getPort();
    }

    @AfterEach
    void stop() throws Exception {
        HttpServer.logRequests(false);
        logger.detachAppender(lines);
        executor.shutdown();
        http.stopAccepting();
        http.shutdown();
        harness.close();
    }

    @Test
    void everyMethodReachesTheMappingApiWithLambdasHeaders() throws Exception {
        lines.start();
        logger.addAppender(lines);
        HttpServer.logRequests(true);
        HttpResponse<String> created = call("POST", PATH + "/", "{\"FunctionName\":\"orders\",\"EventSourceArn\":\""
                + streamArn + "\",\"StartingPosition\":\"LATEST\"}", true);
        assertThat(created.statusCode()).isEqualTo(202);
        assertThat(created.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(created.headers().firstValue("x-amzn-RequestId")).isPresent();
        assertThat(created.headers().firstValue("x-amzn-ErrorType")).isEmpty();
        String uuid = created.body().replaceAll("(?s).*\"UUID\":\"([0-9a-f-]{36})\".*", "$1");

        HttpResponse<String> listed = call("GET", PATH + "?FunctionName=orders&MaxItems=1", null, true);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains(uuid);
        assertThat(call("GET", PATH + "?FunctionName=other", null, true).body()).doesNotContain(uuid);
        assertThat(call("GET", PATH + "/" + uuid, null, true).body()).contains("\"State\":\"Creating\"");

        // A Creating mapping cannot be updated: Lambda's error, with its type in the header.
        HttpResponse<String> update = call("PUT", PATH + "/" + uuid, "{\"BatchSize\":7}", true);
        assertThat(update.statusCode()).isEqualTo(400);
        assertThat(update.headers().firstValue("x-amzn-ErrorType")).contains("ResourceInUseException");
        assertThat(update.body()).contains("\"Type\":\"User\"");

        HttpResponse<String> deleted = call("DELETE", PATH + "/" + uuid, null, true);
        assertThat(deleted.statusCode()).isEqualTo(202);
        assertThat(deleted.body()).contains("\"State\":\"Deleting\"");

        await().until(() -> lines.list.size() >= 6);
        assertThat(lines.list.get(0).getFormattedMessage())
                .contains("service=lambda operation=CreateEventSourceMapping stream=- status=202");
        assertThat(lines.list.get(4).getFormattedMessage())
                .contains("service=lambda operation=UpdateEventSourceMapping stream=- status=400 "
                        + "error=ResourceInUseException");
    }

    @Test
    void malformedCallsGetLambdasErrorShape() throws Exception {
        HttpResponse<String> unsigned = call("GET", PATH, null, false);
        assertThat(unsigned.statusCode()).isEqualTo(403);
        assertThat(unsigned.headers().firstValue("x-amzn-ErrorType")).contains("MissingAuthenticationTokenException");
        assertThat(unsigned.body()).contains("\"Type\":\"User\"").contains("\"message\":");

        // A query java.net.URI refuses to build, so sent as written.
        String badQuery = raw("GET " + PATH + "?MaxItems=%zz HTTP/1.1");
        assertThat(badQuery).startsWith("HTTP/1.1 400").contains("x-amzn-ErrorType: InvalidRequestContentException")
                .contains("The query string could not be decoded");

        HttpResponse<String> patch = call("PATCH", PATH + "/00000000-0000-0000-0000-000000000000", "{}", true);
        assertThat(patch.statusCode()).isEqualTo(404);
        assertThat(patch.headers().firstValue("x-amzn-ErrorType")).contains("UnknownOperationException");
    }

    private String raw(String requestLine) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, "
                    + "SignedHeaders=host;x-amz-date, Signature=abc\r\nX-Amz-Date: 20260101T000000Z\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private HttpResponse<String> call(String method, String pathAndQuery, String body, boolean signed)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (signed) {
            // --auth none checks only the signature's shape.
            b.header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, "
                    + "SignedHeaders=host;x-amz-date, Signature=abc").header("X-Amz-Date", "20260101T000000Z");
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
