package dev.millrace.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.millrace.server.http.Apis;
import dev.millrace.server.http.HttpLimits;
import dev.millrace.server.http.HttpServer;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The request log over real HTTP: one line per answered request with the service, operation, stream (from a JSON
 * StreamName or a CBOR StreamARN), status, error type, sizes and request id; nothing while it is switched off.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class RequestLogTest {
    private static final String ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final HttpServer http = new HttpServer();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("dev.millrace.server.http.RequestLog");
    @TempDir
    Path dir;
    private ApiHarness harness;

    @AfterEach
    void stop() throws Exception {
        HttpServer.logRequests(false);
        logger.detachAppender(lines);
        executor.shutdown();
        http.stopAccepting();
        http.shutdown();
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void oneLinePerRequestWithItsStreamStatusAndError() throws Exception {
        harness = new ApiHarness(dir, new ManualClock(1_800_000_000_000L), ScalingLimits.AWS);
        int port = http.start("127.0.0.1", 0, new Apis(harness.kinesisApi(), null, null, null), executor,
                ServerConfig.MAX_BODY_BYTES_DEFAULT, HttpLimits.DEFAULT).getPort();
        lines.start();
        logger.addAppender(lines);

        call(port, "CreateStream", "application/x-amz-json-1.1", "{\"StreamName\":\"before\",\"ShardCount\":1}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(lines.list).as("off until switched on").isEmpty();

        HttpServer.logRequests(true);
        byte[] json = "{\"StreamName\":\"orders\",\"ShardCount\":1}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(call(port, "CreateStream", "application/x-amz-json-1.1", json).statusCode()).isEqualTo(200);
        assertThat(call(port, "DescribeStreamSummary", "application/x-amz-cbor-1.1", cbor("StreamARN", ARN + "orders"))
                .statusCode()).isEqualTo(200);
        assertThat(call(port, "DescribeStreamSummary", "application/x-amz-json-1.1",
                "{\"StreamName\":\"missing\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).statusCode())
                .isEqualTo(400);
        await().until(() -> lines.list.size() >= 3);
        List<String> messages = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(messages.get(0)).matches("remote=127\\.0\\.0\\.1:\\d+ service=kinesis operation=CreateStream "
                + "stream=orders status=200 error=- latencyMs=\\d+ bytesIn=" + json.length + " bytesOut=0 "
                + "requestId=[0-9a-f-]{36}");
        assertThat(messages.get(1)).contains("operation=DescribeStreamSummary stream=orders status=200 error=-");
        assertThat(messages.get(2)).contains("stream=missing status=400 error=ResourceNotFoundException");
        assertThat(lines.list.get(2).getKeyValuePairs()).anySatisfy(kv -> {
            assertThat(kv.key).isEqualTo("error");
            assertThat(kv.value).isEqualTo("ResourceNotFoundException");
        });
    }

    private static byte[] cbor(String field, String value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (CBORGenerator g = new CBORFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField(field, value);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static HttpResponse<String> call(int port, String operation, String contentType, byte[] body)
            throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .header("Content-Type", contentType).header("X-Amz-Target", "Kinesis_20131202." + operation)
                .header("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, "
                        + "SignedHeaders=host;x-amz-date, Signature=abc")
                .header("X-Amz-Date", "20260101T000000Z")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
