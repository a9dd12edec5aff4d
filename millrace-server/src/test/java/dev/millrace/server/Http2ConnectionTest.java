package dev.millrace.server;

import dev.millrace.server.http.HttpLimits;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2PingFrame;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An HTTP/2 connection carrying a SubscribeToShard stream, driven frame by frame with Netty's HTTP/2 client codec:
 * PINGs are answered while the subscription is open, the subscription's events keep its connection from the idle
 * timeout, and a client that vanishes (TCP reset, no END_STREAM, no GOAWAY) frees its subscription.
 */
class Http2ConnectionTest {
    private static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=abc";

    private static final long IDLE_TIMEOUT_MS = 6_000;

    @TempDir
    Path dir;
    private MillraceServer server;
    private int port;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        // An idle timeout just above the 5 s between a subscription's events: the open stream must outlive it.
        server = TestServers.embedded(ServerConfig.defaults("127.0.0.1", 0, dir).withTransitionDelayMs(0)
                .withHttpLimits(HttpLimits.DEFAULT.withIdleTimeoutMs(IDLE_TIMEOUT_MS)));
        port = server.start().getPort();
    }

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        server.close();
    }

    private String call(String operation, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .header("Content-Type", "application/x-amz-json-1.1")
                .header("X-Amz-Target", "Kinesis_20131202." + operation).header("Authorization", AUTH)
                .header("X-Amz-Date", "20260101T000000Z")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    @Test
    void pingsAreAnsweredDuringASubscriptionAndAVanishedClientFreesIt() throws Exception {
        call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}");
        await().atMost(Duration.ofSeconds(10)).until(() -> call("DescribeStreamSummary", "{\"StreamName\":\"s\"}")
                .contains("\"ACTIVE\""));
        String streamArn = "arn:aws:kinesis:us-east-1:000000000000:stream/s";
        String registered = call("RegisterStreamConsumer",
                "{\"StreamARN\":\"" + streamArn + "\",\"ConsumerName\":\"c\"}");
        String consumerArn = registered.replaceAll("(?s).*\"ConsumerARN\":\"([^\"]+)\".*", "$1");
        await().atMost(Duration.ofSeconds(10)).until(() -> call("DescribeStreamConsumer",
                "{\"ConsumerARN\":\"" + consumerArn + "\"}").contains("\"ACTIVE\""));

        BlockingQueue<Long> pingAcks = new LinkedBlockingQueue<>();
        BlockingQueue<Object> streamFrames = new LinkedBlockingQueue<>();
        Channel connection = connect(pingAcks);
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new SimpleChannelInboundHandler<Http2StreamFrame>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
                        if (frame instanceof Http2DataFrame) {
                            streamFrames.add(((Http2DataFrame) frame).content().toString(StandardCharsets.ISO_8859_1));
                        } else {
                            streamFrames.add(frame);
                        }
                    }
                }).open().sync().getNow();
        DefaultHttp2Headers headers = new DefaultHttp2Headers();
        headers.method("POST").path("/").scheme("http").authority("127.0.0.1:" + port);
        headers.add("content-type", "application/x-amz-json-1.1")
                .add("x-amz-target", "Kinesis_20131202.SubscribeToShard").add("authorization", AUTH)
                .add("x-amz-date", "20260101T000000Z");
        stream.write(new DefaultHttp2HeadersFrame(headers, false));
        stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("{\"ConsumerARN\":\"" + consumerArn
                + "\",\"ShardId\":\"shardId-000000000000\",\"StartingPosition\":{\"Type\":\"LATEST\"}}",
                StandardCharsets.UTF_8), true)).sync();

        Object first = streamFrames.poll(10, TimeUnit.SECONDS);
        assertThat(first).isInstanceOf(Http2HeadersFrame.class);
        assertThat(((Http2HeadersFrame) first).headers().status().toString()).isEqualTo("200");
        assertThat((String) streamFrames.poll(10, TimeUnit.SECONDS)).contains("initial-response");
        await().atMost(Duration.ofSeconds(5)).until(() -> server.subscriptionCount() == 1);

        for (long payload = 1; payload <= 3; payload++) {
            connection.writeAndFlush(new DefaultHttp2PingFrame(0x5EED0000L + payload)).sync();
            assertThat(pingAcks.poll(5, TimeUnit.SECONDS)).isEqualTo(0x5EED0000L + payload);
        }
        assertThat(stream.isActive()).as("a PING must not disturb the open stream").isTrue();

        // A subscription with nothing to deliver still sends an event every 5 s, so its connection is never idle:
        // it outlives two idle timeouts.
        streamFrames.clear();
        long until = System.nanoTime() + 2 * IDLE_TIMEOUT_MS * 1_000_000L;
        await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() - until > 0);
        assertThat(streamFrames).as("events during the wait").hasSizeGreaterThanOrEqualTo(2);
        assertThat(stream.isActive()).as("the stream outlived the idle timeout").isTrue();
        assertThat(server.subscriptionCount()).isEqualTo(1);

        // SO_LINGER 0 turns the close into a reset: the client is simply gone, mid-stream.
        connection.config().setOption(ChannelOption.SO_LINGER, 0);
        connection.close().sync();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.subscriptionCount() == 0);
    }

    private Channel connect(BlockingQueue<Long> pingAcks) throws InterruptedException {
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
                                }),
                                new SimpleChannelInboundHandler<Http2PingFrame>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Http2PingFrame ping) {
                                        if (ping.ack()) {
                                            pingAcks.add(ping.content());
                                        }
                                    }
                                });
                    }
                }).connect("127.0.0.1", port).sync().channel();
    }
}
