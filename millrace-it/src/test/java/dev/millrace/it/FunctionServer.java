package dev.millrace.it;

import com.amazonaws.services.lambda.runtime.events.KinesisEvent;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A Lambda function for the integration tests: an HTTP server on 127.0.0.1 at the Runtime Interface Emulator's path,
 * which reads each event as Lambda's Java runtime does ({@code aws-lambda-java-events}' {@link KinesisEvent}, through
 * {@code aws-lambda-java-serialization}), records it, and answers as {@link #behaviour} says (by default a success
 * with no body to read).
 *
 * <p>Thread-safe: invocations arrive on the server's threads; the lists are concurrent.
 */
final class FunctionServer implements AutoCloseable {
    static final String PATH = "/2015-03-31/functions/function/invocations";

    /** An answer: HTTP status, the X-Amz-Function-Error header (null: none), the body. */
    record Answer(int status, String functionError, String body) {
        static final Answer OK = new Answer(200, null, "null");

        static Answer error(String type) {
            return new Answer(200, "Unhandled", "{\"errorType\":\"" + type + "\",\"errorMessage\":\"failed\"}");
        }
    }

    /** One invocation: the event as the Java runtime reads it, and its bytes. */
    record Invocation(KinesisEvent event, String json) {
    }

    private static final PojoSerializer<KinesisEvent> EVENTS = LambdaEventSerializers.serializerFor(
            KinesisEvent.class, FunctionServer.class.getClassLoader());

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    final List<Invocation> invocations = new CopyOnWriteArrayList<>();
    volatile Function<KinesisEvent, Answer> behaviour = event -> Answer.OK;

    FunctionServer() {
        this(0);
    }

    /** A function on {@code port} (0: any free one), e.g. one that comes up where a mapping's function was down. */
    FunctionServer(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext(PATH, exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                KinesisEvent event = EVENTS.fromJson(new ByteArrayInputStream(body));
                invocations.add(new Invocation(event, new String(body, StandardCharsets.UTF_8)));
                Answer answer = behaviour.apply(event);
                if (answer.functionError() != null) {
                    exchange.getResponseHeaders().add("X-Amz-Function-Error", answer.functionError());
                }
                byte[] out = answer.body().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(answer.status(), out.length);
                exchange.getResponseBody().write(out);
            }
        });
        server.setExecutor(threads);
        server.start();
    }

    /** What {@code --function NAME=URL} names. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PATH;
    }

    /** Every record of every invocation, in the order they came. */
    List<KinesisEvent.KinesisEventRecord> records() {
        return invocations.stream().flatMap(i -> i.event().getRecords().stream()).toList();
    }

    /** A record's data as text. */
    static String data(KinesisEvent.KinesisEventRecord record) {
        return StandardCharsets.UTF_8.decode(record.getKinesis().getData().duplicate()).toString();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
