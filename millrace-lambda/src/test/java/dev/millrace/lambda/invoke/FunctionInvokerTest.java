package dev.millrace.lambda.invoke;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

class FunctionInvokerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final byte[] EVENT = "{\"Records\":[]}".getBytes(StandardCharsets.UTF_8);
    private static final Map<String, byte[]> RECEIVED = new ConcurrentHashMap<>();
    private static final Map<String, String> INVOCATION_TYPES = new ConcurrentHashMap<>();
    private static HttpServer server;
    private static ExecutorService executor;
    private static FunctionInvoker invoker;

    @BeforeAll
    static void startFunctionServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        route("/ok", ex -> respond(ex, 200, "{\"batchItemFailures\":[]}", "X-Amz-Executed-Version", "7"));
        route("/empty", ex -> respond(ex, 204, ""));
        route("/lambda-error", ex -> respond(ex, 200, "{\"errorMessage\":\"boom\",\"errorType\":\"KeyError\"}",
                "X-Amz-Function-Error", "Unhandled"));
        route("/managed-rie-error", ex -> respond(ex, 200, "{\"errorMessage\":\"exit\"}",
                "Error-Type", "Runtime.ExitError"));
        route("/classic-rie-error", ex -> respond(ex, 200, "{\"errorMessage\": \"boom\", \"errorType\": \"ValueError\","
                + " \"requestId\": \"\", \"stackTrace\": [\"  File x\\n\"]}"));
        route("/classic-rie-timeout", ex -> respond(ex, 200, "Task timed out after 3.00 seconds"));
        route("/error-lookalike", ex -> respond(ex, 200, "{\"errorType\":\"Order\",\"errorMessage\":\"ok\",\"id\":1}"));
        route("/throttle", ex -> respond(ex, 429, "{\"Reason\":\"ReservedFunctionConcurrentInvocationLimitExceeded\"}",
                "Retry-After", "2"));
        route("/request-too-large", ex -> respond(ex, 413, "{\"message\":\"Request must be smaller\"}"));
        route("/init-failed", ex -> respond(ex, 502,
                "{\"errorMessage\":\"init\",\"errorType\":\"Runtime.ExitError\"}"));
        route("/service-error", ex -> respond(ex, 500, "internal"));
        route("/unavailable", ex -> respond(ex, 503, ""));
        route("/not-found", ex -> respond(ex, 404, "{\"Message\":\"Function not found\"}"));
        route("/hang", ex -> sleepThenRespond(ex, 10_000));
        route("/trickle", FunctionInvokerTest::trickle);
        route("/huge", ex -> huge(ex, 0));
        route("/huge-declared", ex -> huge(ex, 100_000_000));
        route("/drop-connection", HttpExchange::close);
        server.start();
        invoker = new FunctionInvoker(Duration.ofSeconds(2));
    }

    @AfterAll
    static void stopFunctionServer() {
        invoker.close();
        server.stop(0);
        executor.shutdownNow();
    }

    @Test
    void shouldPostTheEventAndReturnTheBody() {
        InvokeOutcome outcome = invoke("/ok");

        assertThat(outcome.kind()).isEqualTo(InvokeOutcome.Kind.SUCCESS);
        assertThat(outcome.statusCode()).isEqualTo(200);
        assertThat(new String(outcome.body(), StandardCharsets.UTF_8)).isEqualTo("{\"batchItemFailures\":[]}");
        assertThat(outcome.executedVersion()).isEqualTo("7");
        assertThat(RECEIVED.get("/ok")).isEqualTo(EVENT);
        assertThat(INVOCATION_TYPES.get("/ok")).isEqualTo("RequestResponse");
        assertThat(invoke("/empty").kind()).isEqualTo(InvokeOutcome.Kind.SUCCESS);
    }

    @Test
    void functionErrorHeadersShouldMakeFunctionErrors() {
        InvokeOutcome lambda = invoke("/lambda-error");
        assertThat(lambda.kind()).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
        assertThat(lambda.functionError()).isEqualTo("Unhandled");
        assertThat(lambda.errorType()).isEqualTo("KeyError");
        assertThat(lambda.kind().reachedFunction()).isTrue();

        InvokeOutcome managed = invoke("/managed-rie-error");
        assertThat(managed.kind()).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
        assertThat(managed.functionError()).isEqualTo("Unhandled");
        assertThat(managed.errorType()).isEqualTo("Runtime.ExitError");
    }

    @Test
    void classicEmulatorBodiesShouldMakeFunctionErrors() {
        InvokeOutcome error = invoke("/classic-rie-error");
        assertThat(error.kind()).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
        assertThat(error.errorType()).isEqualTo("ValueError");
        assertThat(error.functionError()).isEqualTo("Unhandled");

        InvokeOutcome timeout = invoke("/classic-rie-timeout");
        assertThat(timeout.kind()).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
        assertThat(timeout.errorType()).isEqualTo("Sandbox.Timedout");

        assertThat(invoke("/error-lookalike").kind()).isEqualTo(InvokeOutcome.Kind.SUCCESS);
        assertThat(invoke("/init-failed").kind()).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
    }

    @Test
    void throttlesAndRefusalsShouldNotCountAsAttempts() {
        InvokeOutcome throttled = invoke("/throttle");
        assertThat(throttled.kind()).isEqualTo(InvokeOutcome.Kind.THROTTLED);
        assertThat(throttled.retryAfterMs()).isEqualTo(2000);
        assertThat(throttled.kind().reachedFunction()).isFalse();

        assertThat(invoke("/request-too-large").kind()).isEqualTo(InvokeOutcome.Kind.REQUEST_TOO_LARGE);
        for (String path : List.of("/service-error", "/unavailable", "/not-found")) {
            InvokeOutcome outcome = invoke(path);
            assertThat(outcome.kind()).as(path).isEqualTo(InvokeOutcome.Kind.NOT_DELIVERED);
            assertThat(outcome.kind().reachedFunction()).isFalse();
        }
    }

    @Test
    void refusedConnectionShouldBeNotDelivered() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        InvokeOutcome outcome = invoker.invoke(URI.create("http://127.0.0.1:" + port + "/x"), EVENT, TIMEOUT);

        assertThat(outcome.kind()).isEqualTo(InvokeOutcome.Kind.NOT_DELIVERED);
        assertThat(outcome.statusCode()).isZero();
    }

    @Test
    void hungFunctionShouldTimeOutAsAFunctionError() {
        for (String path : List.of("/hang", "/trickle")) {
            long startNs = System.nanoTime();
            InvokeOutcome outcome = invoker.invoke(url(path), EVENT, Duration.ofMillis(300));
            long tookMs = (System.nanoTime() - startNs) / 1_000_000;

            assertThat(outcome.kind()).as(path).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
            assertThat(outcome.errorType()).isEqualTo("Sandbox.Timedout");
            assertThat(outcome.detail()).isEqualTo("Task timed out after 0.30 seconds");
            assertThat(tookMs).as(path).isBetween(300L, 4_000L);
        }
    }

    @Test
    void hugeResponseShouldBeAFunctionErrorWithoutBeingKept() {
        for (String path : List.of("/huge", "/huge-declared")) {
            InvokeOutcome outcome = invoke(path);

            assertThat(outcome.kind()).as(path).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
            assertThat(outcome.errorType()).isEqualTo("Function.ResponseSizeTooLarge");
            assertThat(outcome.body()).isEmpty();
        }
    }

    @Test
    void droppedConnectionShouldCountAsAFunctionError() {
        InvokeOutcome outcome;
        // A fresh client: a pooled connection dropped this way would read as the server's idle-close race instead.
        try (FunctionInvoker fresh = new FunctionInvoker(Duration.ofSeconds(2))) {
            outcome = fresh.invoke(url("/drop-connection"), EVENT, TIMEOUT);
        }

        assertThat(outcome.kind()).isEqualTo(InvokeOutcome.Kind.FUNCTION_ERROR);
        assertThat(outcome.statusCode()).isZero();
    }

    private static InvokeOutcome invoke(String path) {
        return invoker.invoke(url(path), EVENT, TIMEOUT);
    }

    private static URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static void route(String path, HttpHandler handler) {
        server.createContext(path, exchange -> {
            try (exchange) {
                RECEIVED.put(path, exchange.getRequestBody().readAllBytes());
                INVOCATION_TYPES.put(path, String.valueOf(
                        exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type")));
                handler.handle(exchange);
            } catch (IOException e) {
                // The client gave up (too large, timed out): nothing to answer.
            }
        });
    }

    private static void respond(HttpExchange exchange, int status, String body, String... headers)
            throws IOException {
        for (int i = 0; i < headers.length; i += 2) {
            exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            exchange.getResponseBody().write(bytes);
        }
    }

    private static void sleepThenRespond(HttpExchange exchange, long sleepMs) throws IOException {
        try {
            Thread.sleep(sleepMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        respond(exchange, 200, "late");
    }

    private static void trickle(HttpExchange exchange) throws IOException {
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < 100; i++) {
            out.write('x');
            out.flush();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void huge(HttpExchange exchange, long declaredBytes) throws IOException {
        exchange.sendResponseHeaders(200, declaredBytes);
        OutputStream out = exchange.getResponseBody();
        byte[] chunk = new byte[64 * 1024];
        for (long written = 0; written < 7L * 1024 * 1024; written += chunk.length) {
            out.write(chunk);
        }
    }
}
