package dev.millrace.server;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.ApiModel;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.OperationRouter;
import dev.millrace.server.http.Apis;
import dev.millrace.server.http.HttpLimits;
import dev.millrace.server.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Load shedding at the earliest point: while the API's queue is full (or the body budget is used up) a request is
 * answered 503 ServiceUnavailableException as soon as its headers arrive, before its body is sent, instead of
 * after the server has received and held the body only to refuse it. A real Netty server, a socket by hand, and
 * the API executor held by the test so that "full" is exact.
 */
class HeaderTimeSheddingTest {
    private static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final String PUT_RECORD = "Kinesis_20131202.PutRecord";

    private final CountDownLatch release = new CountDownLatch(1);
    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1));
    private final HttpServer http = new HttpServer();
    private int port;

    @BeforeEach
    void start() throws Exception {
        // No region's services: a request that reaches the API thread is answered 500 InternalFailure, which tells it
        // apart from every answer given on the event loop.
        Function<Account, OperationRouter> noRouters = region -> {
            throw new IllegalStateException("no handlers in this test");
        };
        port = http.start("127.0.0.1", 0, new Apis(new KinesisApi(ApiModel.kinesis(), noRouters, Account.DEFAULT), null, null, null),
                executor, MAX_BODY_BYTES, HttpLimits.DEFAULT.withBodyBudgetBytes(3L * MAX_BODY_BYTES / 2)).getPort();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        executor.shutdown();
        http.stopAccepting();
        http.shutdown();
    }

    /** The one API thread waits for {@link #release}, and one task waits in the queue of one. */
    private void fillTheQueue() {
        executor.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        executor.execute(() -> { });
        assertThat(executor.getQueue().remainingCapacity()).isZero();
    }

    @Test
    void aRequestArrivingWhileTheQueueIsFullIsShedAtItsHeadersAndTheConnectionGoesOn() throws Exception {
        fillTheQueue();
        try (RawHttp raw = new RawHttp(port)) {
            int declared = 100_000;
            raw.send(RawHttp.head(PUT_RECORD, "Content-Length: " + declared + "\r\n"));
            RawHttp.Response shed = raw.readWithin(3_000);
            assertThat(shed).as("answered before the body was sent").isNotNull();
            assertThat(shed.status()).isEqualTo(503);
            assertThat(shed.header("x-amzn-ErrorType")).isEqualTo("ServiceUnavailableException");
            assertThat(shed.body()).contains("\"__type\":\"ServiceUnavailableException\"").contains("busy");
            assertThat(shed.header("connection")).as("keep-alive: the body is read and dropped").isNotEqualTo("close");

            // The body the client still sends is dropped; once the queue has room the same connection is served.
            raw.send("{" + " ".repeat(declared - 2) + "}");
            release.countDown();
            await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> executor.getQueue().isEmpty() && executor.getActiveCount() == 0);
            raw.send(RawHttp.head("Kinesis_20131202.ListStreams", "Content-Length: 2\r\n") + "{}");
            RawHttp.Response served = raw.read();
            assertThat(served.status()).as("reached the API thread: " + served.body()).isEqualTo(500);
            assertThat(served.header("x-amzn-ErrorType")).isEqualTo("InternalFailure");
        }
    }

    @Test
    void aBodyOfUnknownLengthIsShedAtItsHeadersWhileTheBudgetIsUsedUp() throws Exception {
        try (RawHttp first = new RawHttp(port); RawHttp second = new RawHttp(port); RawHttp third = new RawHttp(port)) {
            // Two declared uploads that together hold the whole budget (1.5 MiB) and send nothing yet.
            first.send(RawHttp.head(PUT_RECORD, "Content-Length: " + MAX_BODY_BYTES + "\r\n"));
            second.send(RawHttp.head(PUT_RECORD, "Content-Length: " + MAX_BODY_BYTES / 2 + "\r\n"));
            assertThat(first.readWithin(300)).isNull();
            assertThat(second.readWithin(300)).isNull();
            // A chunked upload cannot reserve ahead; with nothing left it is refused before its first chunk.
            third.send(RawHttp.head(PUT_RECORD, "Transfer-Encoding: chunked\r\n"));
            RawHttp.Response shed = third.readWithin(3_000);
            assertThat(shed).as("answered before any chunk was sent").isNotNull();
            assertThat(shed.status()).isEqualTo(503);
            assertThat(shed.header("x-amzn-ErrorType")).isEqualTo("ServiceUnavailableException");
        }
    }
}
