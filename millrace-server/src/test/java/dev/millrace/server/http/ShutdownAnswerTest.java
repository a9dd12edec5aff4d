package dev.millrace.server.http;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.ApiModel;
import dev.millrace.server.api.KinesisApi;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * While the server shuts down its API executor refuses new work (in-flight requests still complete), and while its
 * queue of waiting requests is full it sheds load: a request refused either way is answered 503
 * ServiceUnavailableException at once, which SDKs retry, not a 400 and not a wait.
 */
class ShutdownAnswerTest {
    @Test
    void aRequestRefusedByTheShuttingDownExecutorIsARetryable503() {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.shutdown();
        assertThat(answerTo(executor)).contains("shutting down");
    }

    @Test
    void aRequestBeyondAFullQueueIsShedWithARetryable503AtOnce() throws Exception {
        // One API thread, busy, and a queue of one, full: the next request is shed, not queued.
        CountDownLatch release = new CountDownLatch(1);
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
        try {
            executor.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            executor.execute(() -> { });
            assertThat(answerTo(executor)).contains("busy");
        } finally {
            release.countDown();
            executor.shutdown();
        }
    }

    private static String answerTo(ExecutorService executor) {
        KinesisApi kinesis = new KinesisApi(ApiModel.kinesis(), scope -> null, Account.DEFAULT);
        EmbeddedChannel channel = new EmbeddedChannel(new KinesisHttpHandler(new Apis(kinesis, null, null, null),
                executor));
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/",
                Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8));
        request.headers().set("Content-Type", "application/x-amz-json-1.0")
                .set("X-Amz-Target", "DynamoDB_20120810.ListTables")
                .set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, "
                        + "SignedHeaders=host;x-amz-date, Signature=abc")
                .set("X-Amz-Date", "20260101T000000Z");
        channel.writeInbound(request);
        channel.runPendingTasks();
        FullHttpResponse response = channel.readOutbound();
        try {
            assertThat(response.status().code()).isEqualTo(503);
            assertThat(response.headers().get("x-amzn-ErrorType")).isEqualTo("ServiceUnavailableException");
            String body = response.content().toString(StandardCharsets.UTF_8);
            assertThat(body).contains("\"__type\":\"ServiceUnavailableException\"");
            return body;
        } finally {
            response.release();
            channel.finishAndReleaseAll();
        }
    }
}
