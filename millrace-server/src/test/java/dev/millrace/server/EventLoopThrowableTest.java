package dev.millrace.server;

import dev.millrace.protocol.Account;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.millrace.protocol.ApiModel;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.OperationRouter;
import dev.millrace.server.http.Apis;
import dev.millrace.server.http.HttpLimits;
import dev.millrace.server.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A throwable while a request is routed on the event loop (before it is handed to an API thread), end to end over a
 * real socket: the request is still answered, 500 InternalFailure in AWS's format, with one log line and no stack,
 * and the server goes on serving the same connection's next request and new connections. The fault is forced by
 * leaving out the STS service: an STS call then throws while it is dispatched. Before the catch
 * around routing, such a request got its connection closed without an answer.
 */
class EventLoopThrowableTest {
    private static final String STS_BODY = "Action=GetCallerIdentity&Version=2011-06-15";

    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final HttpServer http = new HttpServer();
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private int port;

    @BeforeEach
    void start() throws Exception {
        Function<Account, OperationRouter> noRouters = region -> {
            throw new IllegalStateException("no handlers in this test");
        };
        port = http.start("127.0.0.1", 0, new Apis(new KinesisApi(ApiModel.kinesis(), noRouters, Account.DEFAULT), null, null, null),
                executor, 1024 * 1024, HttpLimits.DEFAULT.withBodyBudgetBytes(4L * 1024 * 1024)).getPort();
        events.start();
        root.addAppender(events);
    }

    @AfterEach
    void stop() throws Exception {
        root.detachAppender(events);
        http.stopAccepting();
        http.shutdown();
        executor.shutdown();
    }

    private static String stsCall() {
        return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/sts/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=abc\r\nX-Amz-Date: 20260101T000000Z\r\n"
                + "Content-Length: " + STS_BODY.length() + "\r\n\r\n" + STS_BODY;
    }

    @Test
    void aThrowableWhileRoutingIsAnswered500WithOneLineAndTheServerGoesOn() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (RawHttp raw = new RawHttp(port)) {
                raw.send(stsCall());
                RawHttp.Response failed = raw.read();
                assertThat(failed.status()).isEqualTo(500);
                assertThat(failed.header("x-amzn-ErrorType")).isEqualTo("InternalFailure");
                assertThat(failed.header("x-amzn-RequestId")).isNotNull();
                assertThat(failed.body()).contains("InternalFailure").contains(failed.header("x-amzn-RequestId"));
            }
        }
        List<ILoggingEvent> errors = events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .toList();
        assertThat(errors).as("one line per failed request").hasSize(3).allSatisfy(e -> {
            assertThat(e.getFormattedMessage()).contains("failed before dispatch").doesNotContain("\n");
            assertThat(e.getThrowableProxy()).as("no stack trace").isNull();
        });

        // The event loop and the API threads still serve: a health check, then a Kinesis call that reaches the API.
        try (RawHttp raw = new RawHttp(port)) {
            raw.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertThat(raw.read().status()).isEqualTo(200);
            raw.send(RawHttp.head("Kinesis_20131202.NoSuchOperation", "Content-Length: 2\r\n") + "{}");
            assertThat(raw.read().header("x-amzn-ErrorType")).isEqualTo("UnknownOperationException");
            raw.send(RawHttp.head("Kinesis_20131202.ListStreams", "Content-Length: 2\r\n") + "{}");
            RawHttp.Response api = raw.read();
            assertThat(api.status()).as("answered by an API thread (without handlers here)").isEqualTo(500);
        }
    }
}
