package dev.millrace.server.http;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * While the server shuts down its API executor refuses new work (in-flight requests still complete): a request
 * that arrives then on an open connection is answered 503 ServiceUnavailableException, which SDKs retry, not a 400.
 */
class ShutdownAnswerTest {
    @Test
    void aRequestRefusedByTheShuttingDownExecutorIsARetryable503() {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.shutdown();
        KinesisApi kinesis = new KinesisApi(ApiModel.kinesis(), region -> null);
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
            assertThat(response.content().toString(StandardCharsets.UTF_8))
                    .contains("\"__type\":\"ServiceUnavailableException\"");
        } finally {
            response.release();
            channel.finishAndReleaseAll();
        }
    }
}
