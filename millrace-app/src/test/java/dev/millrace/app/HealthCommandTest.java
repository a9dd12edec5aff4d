package dev.millrace.app;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code millrace health} against a stand-in node that answers what the test says (ContainerImageTest in
 * millrace-it runs the command against a real node, as the image's health check).
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class HealthCommandTest {
    /** Written by the stand-in's thread, read by the test's. */
    private final List<String> paths = new CopyOnWriteArrayList<>();
    private HttpServer node;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @AfterEach
    void stop() {
        if (node != null) {
            node.stop(0);
        }
    }

    @Test
    void readyIsExitZeroWithTheAnswer() throws IOException {
        int port = node(200, "{\"status\":\"ready\"}");
        assertThat(health("--port", String.valueOf(port))).isZero();
        assertThat(paths).containsExactly("/health/ready");
        assertThat(out.toString()).contains("200 {\"status\":\"ready\"}");
    }

    @Test
    void notReadyIsExitOneWithTheReasons() throws IOException {
        int port = node(503, "{\"status\":\"not ready\",\"reasons\":[\"stream a not ACTIVE\"]}");
        assertThat(health("--port", String.valueOf(port))).isEqualTo(1);
        assertThat(err.toString()).contains("503").contains("stream a not ACTIVE");
    }

    @Test
    void liveAsksTheLivenessEndpoint() throws IOException {
        int port = node(200, "{\"status\":\"live\"}");
        assertThat(health("--port", String.valueOf(port), "--live")).isZero();
        assertThat(paths).containsExactly("/health/live");
    }

    @Test
    void noAnswerIsExitOne() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        assertThat(health("--port", String.valueOf(closed), "--timeout-ms", "1000")).isEqualTo(1);
        assertThat(err.toString()).contains("no answer from http://127.0.0.1:" + closed + "/health/ready");
    }

    @Test
    void aBadPortIsAUsageError() {
        assertThat(health("--port", "nine")).isEqualTo(2);
    }

    private int health(String... args) {
        CommandLine cl = MillraceMain.commandLine();
        cl.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "health";
        System.arraycopy(args, 0, all, 1, args.length);
        return cl.execute(all);
    }

    private int node(int status, String body) throws IOException {
        node = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        node.createContext("/", exchange -> {
            paths.add(exchange.getRequestURI().getPath());
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(bytes);
            }
        });
        node.start();
        return node.getAddress().getPort();
    }
}
