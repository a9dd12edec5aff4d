package dev.millrace.server;

import dev.millrace.server.http.HttpLimits;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One HTTP/2 connection opening many uploads and finishing none (the 40 unfinished 15 MiB uploads pinned
 * about 1 GiB): the streams it may open at once are bounded by SETTINGS_MAX_CONCURRENT_STREAMS and the bodies it may
 * hold by the in-flight budget, beyond which each stream is answered 503 and reset; another client is served
 * meanwhile, and the budget comes back when the connection goes.
 */
class Http2LimitsTest {
    private static final int MAX_BODY_BYTES = 1024 * 1024;
    private static final int DECLARED_BYTES = 600 * 1024;
    private static final int STREAMS = 12;

    @TempDir
    Path dir;
    private MillraceServer server;
    private int port;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0)
                .withMaxBodyBytes(MAX_BODY_BYTES).withHttpLimits(HttpLimits.DEFAULT
                        .withBodyBudgetBytes(3L * MAX_BODY_BYTES / 2).withHttp2MaxConcurrentStreams(4)));
        port = server.start().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        server.close();
    }

    private HttpResponse<String> putRecord(int bodyBytes) throws Exception {
        String body = "{\"StreamName\":\"nope\",\"PartitionKey\":\"k\",\"Data\":\"AA==\"}";
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "Kinesis_20131202.PutRecord").header("Authorization", RawHttp.AUTH)
                .header("X-Amz-Date", "20260101T000000Z")
                .POST(HttpRequest.BodyPublishers.ofString(body + " ".repeat(bodyBytes - body.length()))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void unfinishedUploadsOnOneConnectionAreBoundedAndOthersAreServed() throws Exception {
        Channel connection = connect();
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            outcomes.add(openUnfinishedUpload(connection));
        }
        // Two uploads fit the budget (600 KiB each of 1.5 MiB) and stay open; each later one is refused at once.
        assertThat(outcomes.stream().filter("open"::equals).count()).as(outcomes.toString()).isLessThanOrEqualTo(2);
        assertThat(outcomes.stream().filter("503"::equals).count()).as(outcomes.toString())
                .isGreaterThanOrEqualTo(STREAMS - 4);

        assertThat(putRecord(1000).headers().firstValue("x-amzn-ErrorType")).as("another client meanwhile")
                .hasValue("ResourceNotFoundException");
        assertThat(putRecord(DECLARED_BYTES).statusCode()).as("a body beyond what is left of the budget")
                .isEqualTo(503);

        connection.close().sync();
        await().atMost(Duration.ofSeconds(10)).until(() -> putRecord(DECLARED_BYTES).statusCode() == 400);
    }

    @Test
    void oneConnectionHoldsAtMostItsShareOfTheBudgetAndAnotherStillGetsIn() throws Exception {
        // A budget with room for six uploads of 600 KiB, but one connection may hold only 1.5 MiB of it: two.
        server.close();
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir.resolve("share"))
                .withTransitionDelayMs(0).withMaxBodyBytes(MAX_BODY_BYTES).withHttpLimits(HttpLimits.DEFAULT
                        .withBodyBudgetBytes(4L * MAX_BODY_BYTES).withConnectionBodyBytes(3L * MAX_BODY_BYTES / 2)
                        .withHttp2MaxConcurrentStreams(4)));
        port = server.start().getPort();
        Channel greedy = connect();
        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            outcomes.add(openUnfinishedUpload(greedy));
        }
        assertThat(outcomes.stream().filter("open"::equals).count()).as(outcomes.toString()).isEqualTo(2);
        assertThat(outcomes.stream().filter("503"::equals).count()).as(outcomes.toString()).isEqualTo(2);
        // The whole budget was not used up: another connection gets its own share.
        Channel other = connect();
        assertThat(openUnfinishedUpload(other)).isEqualTo("open");
        assertThat(putRecord(DECLARED_BYTES).headers().firstValue("x-amzn-ErrorType")).as("an HTTP/1.1 client too")
                .hasValue("ResourceNotFoundException");
        greedy.close().sync();
        other.close().sync();
    }

    /** "503", "reset" (refused or failed), or "open" if no answer came: the stream holds its body. */
    private String openUnfinishedUpload(Channel connection) throws Exception {
        CompletableFuture<String> outcome = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
                        if (frame instanceof Http2HeadersFrame) {
                            outcome.complete(((Http2HeadersFrame) frame).headers().status().toString());
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        outcome.complete("reset");
                    }
                }).open().sync().getNow();
        DefaultHttp2Headers headers = new DefaultHttp2Headers();
        headers.method("POST").path("/").scheme("http").authority("127.0.0.1:" + port);
        headers.add("content-type", "application/x-amz-json-1.1")
                .add("x-amz-target", "Kinesis_20131202.PutRecord").add("authorization", RawHttp.AUTH)
                .add("x-amz-date", "20260101T000000Z").add("content-length", String.valueOf(DECLARED_BYTES));
        stream.write(new DefaultHttp2HeadersFrame(headers, false));
        ChannelFuture sent = stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(
                new byte[16 * 1024]), false));
        sent.await(5, TimeUnit.SECONDS);
        if (!sent.isSuccess()) {
            outcome.complete("reset");
        }
        try {
            return outcome.get(1, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return "open";
        }
    }

    private Channel connect() throws InterruptedException {
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                new Http2MultiplexHandler(new SimpleChannelInboundHandler<Object>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                        // The server opens no streams toward the client.
                                    }
                                }));
                    }
                }).connect("127.0.0.1", port).sync().channel();
    }
}
