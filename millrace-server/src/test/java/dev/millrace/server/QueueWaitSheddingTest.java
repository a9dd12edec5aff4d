package dev.millrace.server;

import dev.millrace.server.http.Apis;
import dev.millrace.server.http.HttpLimits;
import dev.millrace.server.http.HttpServer;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The queue of requests waiting for an API thread is bounded in time as well as in count: a request that waited
 * longer than {@link HttpLimits#maxQueueWaitMs()} is answered 503 ServiceUnavailableException when a thread takes it,
 * without being run, so that under overload the calls that are served do not first wait out the whole queue. A real
 * Netty server, a socket by hand, and the one API thread held by the test.
 */
class QueueWaitSheddingTest {
    private static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final String BODY = "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"AA==\"}";

    private final CountDownLatch release = new CountDownLatch(1);
    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(8));
    private final HttpServer http = new HttpServer();
    @TempDir
    Path dir;
    private ApiHarness harness;

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        executor.shutdown();
        http.stopAccepting();
        http.shutdown();
        if (harness != null) {
            harness.close();
        }
    }

    /** A server over a real API with no streams (a PutRecord that runs is ResourceNotFound), with the bound. */
    private int start(long maxQueueWaitMs) throws Exception {
        harness = new ApiHarness(dir, new ManualClock(1_800_000_000_000L), ScalingLimits.AWS);
        return http.start("127.0.0.1", 0, new Apis(harness.kinesisApi(), null, null, null), executor,
                MAX_BODY_BYTES, HttpLimits.DEFAULT.withMaxQueueWaitMs(maxQueueWaitMs)).getPort();
    }

    private void holdTheApiThread() {
        executor.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    private RawHttp.Response putRecordAfterWaiting(int port, long waitMs) throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            raw.send(RawHttp.head("Kinesis_20131202.PutRecord", "Content-Length: " + BODY.length() + "\r\n") + BODY);
            // The request is read whole and queued behind the held thread; nothing answers it meanwhile.
            assertThat(raw.readWithin((int) waitMs)).as("an answer while the API thread is held").isNull();
            release.countDown();
            return raw.read();
        }
    }

    @Test
    void aRequestThatWaitedPastTheBoundIsShedNotRun() throws Exception {
        int port = start(100);
        holdTheApiThread();
        RawHttp.Response answer = putRecordAfterWaiting(port, 600);
        assertThat(answer.status()).isEqualTo(503);
        assertThat(answer.header("x-amzn-ErrorType")).isEqualTo("ServiceUnavailableException");
        assertThat(answer.body()).contains("busy");
    }

    @Test
    void aRequestWithinTheBoundIsRun() throws Exception {
        int port = start(60_000);
        holdTheApiThread();
        RawHttp.Response answer = putRecordAfterWaiting(port, 600);
        // Run: the API answers it, here ResourceNotFoundException since the stream does not exist.
        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.header("x-amzn-ErrorType")).isEqualTo("ResourceNotFoundException");
    }
}
