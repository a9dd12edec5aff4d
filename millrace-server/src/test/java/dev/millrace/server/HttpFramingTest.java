package dev.millrace.server;

import dev.millrace.server.http.HttpLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How requests are framed, and what a client gets when the framing is unusual or wrong: an HTTP/1.1 {@code Upgrade:
 * h2c} with a body is answered over HTTP/1.1; a body beyond the size limit gets AWS's 413 with an error type, one
 * beyond the in-flight budget a retryable 503; a repeated X-Amz-Target names no operation; a broken chunk is a 400.
 */
class HttpFramingTest {
    private static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final String LIST_STREAMS = "Kinesis_20131202.ListStreams";

    @TempDir
    Path dir;
    private MillraceServer server;
    private int port;

    @BeforeEach
    void start() throws Exception {
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0)
                .withMaxBodyBytes(MAX_BODY_BYTES)
                .withHttpLimits(HttpLimits.DEFAULT.withBodyBudgetBytes(3L * MAX_BODY_BYTES / 2)));
        port = server.start().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private HttpRequest.Builder request(String target) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-amz-json-1.1").header("X-Amz-Target", target)
                .header("Authorization", RawHttp.AUTH).header("X-Amz-Date", "20260101T000000Z");
    }

    @Test
    void javasHttpClientAskingForH2cWithABodyIsAnsweredOverHttp11() throws Exception {
        // On http:// with HTTP_2 preferred, the JDK client sends Upgrade: h2c with its first request, body and all.
        HttpClient h2 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        for (String body : new String[] {"{}", "{\"Limit\":10" + " ".repeat(100_000) + "}"}) {
            HttpResponse<String> r = h2.send(request(LIST_STREAMS).POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"StreamNames\"");
        }
    }

    @Test
    void oversizedBodiesGetAws413WithAnErrorTypeWhetherDeclaredOrChunked() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        byte[] big = new byte[MAX_BODY_BYTES + 1];
        Arrays.fill(big, (byte) ' ');
        HttpResponse<String> declared = http.send(request("Kinesis_20131202.PutRecord")
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
        // ofInputStream has no length, so the body goes chunked and its size is known only as it arrives.
        HttpResponse<String> chunked = http.send(request("Kinesis_20131202.PutRecord")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build(),
                HttpResponse.BodyHandlers.ofString());
        for (HttpResponse<String> r : java.util.List.of(declared, chunked)) {
            assertThat(r.statusCode()).isEqualTo(413);
            assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("RequestEntityTooLargeException");
            assertThat(r.headers().firstValue("x-amzn-RequestId")).isPresent();
            assertThat(r.body()).contains("\"__type\":\"RequestEntityTooLargeException\"")
                    .contains(String.valueOf(MAX_BODY_BYTES));
        }
        assertThat(http.send(request(LIST_STREAMS).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyBeyondTheInFlightBudgetIsARetryable503AndTheBudgetComesBack() throws Exception {
        int size = MAX_BODY_BYTES - 10;
        try (RawHttp first = new RawHttp(port); RawHttp second = new RawHttp(port)) {
            // Two uploads that each declare most of the budget and send only part of it: whichever the server reads
            // second (two connections, two event loops) is refused at once, the other one waits for its body.
            first.send(RawHttp.head("Kinesis_20131202.PutRecord", "Content-Length: " + size + "\r\n") + "{");
            second.send(RawHttp.head("Kinesis_20131202.PutRecord", "Content-Length: " + size + "\r\n") + "{");
            RawHttp holder = null;
            RawHttp.Response refused = null;
            for (int i = 0; i < 50 && refused == null; i++) {
                for (RawHttp candidate : List.of(first, second)) {
                    RawHttp.Response r = candidate.readWithin(100);
                    if (r != null) {
                        refused = r;
                        holder = candidate == first ? second : first;
                        break;
                    }
                }
            }
            assertThat(refused).as("one of the two was answered").isNotNull();
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("x-amzn-ErrorType")).isEqualTo("ServiceUnavailableException");
            assertThat(refused.body()).contains("\"__type\":\"ServiceUnavailableException\"");

            // Finishing the holder's request gives its share back: the same upload then goes through.
            holder.send(" ".repeat(size - 2) + "}");
            assertThat(holder.read().status()).isEqualTo(400);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String body = "{\"StreamName\":\"nope\",\"PartitionKey\":\"k\",\"Data\":\"AA==\"}";
            HttpResponse<String> r = http.send(request("Kinesis_20131202.PutRecord").POST(HttpRequest.BodyPublishers
                    .ofString(body + " ".repeat(size - body.length()))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("x-amzn-ErrorType")).hasValue("ResourceNotFoundException");
        }
    }

    @Test
    void aRepeatedTargetHeaderNamesNoOperation() throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            raw.send(RawHttp.head(LIST_STREAMS, "X-Amz-Target: Kinesis_20131202.DeleteStream\r\nContent-Length: 2\r\n")
                    + "{}");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("x-amzn-errortype")).isEqualTo("UnknownOperationException");
            assertThat(r.body()).contains("\"__type\":\"UnknownOperationException\"");
        }
    }

    @Test
    void aMalformedChunkIsA400AndEndsTheConnection() throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            // A good first chunk with a complete JSON object, then a chunk size that is not hexadecimal.
            raw.send(RawHttp.head(LIST_STREAMS, "Transfer-Encoding: chunked\r\n") + "2\r\n{}\r\nZZ\r\nxx\r\n0\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("x-amzn-errortype")).isEqualTo("SerializationException");
            assertThat(raw.closedByServer(5_000)).isTrue();
        }
    }

    @Test
    void aWellFormedChunkedBodyIsServed() throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            raw.send(RawHttp.head(LIST_STREAMS, "Transfer-Encoding: chunked\r\n") + "1\r\n{\r\n1\r\n}\r\n0\r\n\r\n");
            RawHttp.Response r = raw.read();
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"StreamNames\"");
        }
    }
}
