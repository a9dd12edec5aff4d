package dev.millrace.server;

import dev.millrace.server.http.HttpLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What one client can hold of the HTTP layer, and that the others are still served meanwhile: connections beyond the
 * limit are closed at once and idle ones after the idle timeout; headers dripped slowly are cut off after the header
 * timeout. The limits are small here so that a few sockets reach them.
 */
class HttpLimitsTest {
    @TempDir
    Path dir;
    private MillraceServer server;
    private int port;
    private final List<RawHttp> sockets = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private void start(HttpLimits limits) throws Exception {
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0)
                .withHttpLimits(limits));
        port = server.start().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        for (RawHttp s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private int listStreams() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "Kinesis_20131202.ListStreams").header("Authorization", RawHttp.AUTH)
                .header("X-Amz-Date", "20260101T000000Z")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    @Test
    void aMalformedQueryEscapeIsAnsweredNotDropped() throws Exception {
        // Found by the fuzz tests of the API: the region is read off the query string on the event loop, and a bad
        // %-escape there threw past every answer, so the client saw the connection close with no reply.
        start(HttpLimits.DEFAULT);
        RawHttp raw = new RawHttp(port);
        sockets.add(raw);
        raw.send("POST /?X-Amz-Credential=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
                + "Content-Length: 2\r\n\r\n{}");
        RawHttp.Response r = raw.read();
        assertThat(r.status()).isBetween(400, 499);
        assertThat(r.header("x-amzn-ErrorType")).isNotNull();
        assertThat(listStreams()).isEqualTo(200);
    }

    @Test
    void anIdleConnectionFloodBeyondTheLimitIsRefusedWhileAConnectedClientIsServed() throws Exception {
        int limit = 8;
        start(HttpLimits.DEFAULT.withMaxConnections(limit).withIdleTimeoutMs(3_000));
        RawHttp client = new RawHttp(port);
        sockets.add(client);
        client.send(RawHttp.head("Kinesis_20131202.ListStreams", "Content-Length: 2\r\n") + "{}");
        assertThat(client.read().status()).isEqualTo(200);

        List<RawHttp> flood = new ArrayList<>();
        for (int i = 0; i < 3 * limit; i++) {
            RawHttp idle = new RawHttp(port);
            sockets.add(idle);
            flood.add(idle);
        }
        int refused = 0;
        for (RawHttp idle : flood) {
            refused += idle.closedByServer(200) ? 1 : 0;
        }
        // The client already connected holds one of the slots; every connection beyond the limit was closed at once.
        assertThat(refused).isGreaterThanOrEqualTo(3 * limit - (limit - 1));

        client.send(RawHttp.head("Kinesis_20131202.ListStreams", "Content-Length: 2\r\n") + "{}");
        assertThat(client.read().status()).as("the connected client during the flood").isEqualTo(200);

        // The idle timeout frees the slots the flood still holds; then new clients get in again.
        await().atMost(Duration.ofSeconds(20)).until(() -> flood.stream().allMatch(s -> {
            try {
                return s.closedByServer(50);
            } catch (IOException e) {
                return true;
            }
        }));
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> listStreams() == 200);
    }

    @Test
    void headersDrippedSlowlyAreCutOffAfterTheHeaderTimeout() throws Exception {
        start(HttpLimits.DEFAULT.withHeaderTimeoutMs(500));
        RawHttp slow = new RawHttp(port);
        sockets.add(slow);
        slow.send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        boolean closed = false;
        // A header byte every 100 ms keeps the connection busy (never idle) but never finishes the headers.
        for (int i = 0; i < 100 && !closed; i++) {
            try {
                slow.send("x");
            } catch (IOException e) {
                closed = true;
                break;
            }
            closed = slow.closedByServer(100);
        }
        assertThat(closed).as("the server closed the dripping connection within 10 s").isTrue();
        assertThat(listStreams()).isEqualTo(200);
    }

    @Test
    void aBodyDrippedSlowlyIsCutOffAfterTheBodyTimeout() throws Exception {
        start(HttpLimits.DEFAULT.withBodyTimeoutMs(500));
        RawHttp slow = new RawHttp(port);
        sockets.add(slow);
        slow.send(RawHttp.head("Kinesis_20131202.ListStreams", "Content-Length: 1000\r\n") + "{");
        boolean closed = false;
        for (int i = 0; i < 100 && !closed; i++) {
            try {
                slow.send(" ");
            } catch (IOException e) {
                closed = true;
                break;
            }
            closed = slow.closedByServer(100);
        }
        assertThat(closed).as("the server closed the dripping connection within 10 s").isTrue();
    }
}
