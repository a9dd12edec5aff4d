package dev.millrace.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;

/**
 * One plain port for HTTP/1.1 (curl, the CLI, the sync SDK) and HTTP/2 with prior knowledge (the async SDK, KCL, the
 * JS SDK): {@link CleartextHttp2ServerUpgradeHandler} looks for the 24-byte h2 preface and switches the connection
 * to HTTP/2 if it finds it; otherwise the connection stays HTTP/1.1. Each HTTP/2 stream gets a child pipeline that
 * converts its frames to HTTP/1.1 objects, so one handler serves both. The TLS port reuses these pipelines after
 * the handshake ({@link TlsServerInitializer}).
 *
 * <p>Bodies larger than {@code maxBodyBytes} are answered 413 by the aggregator without being read whole.
 *
 * <p>Sharable across channels, thread-safe.
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    private final KinesisHttpHandler handler;
    private final int maxBodyBytes;

    ServerInitializer(KinesisHttpHandler handler, int maxBodyBytes) {
        this.handler = handler;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        addDetecting(ch.pipeline());
    }

    /** HTTP/1.1, or HTTP/2 if the peer opens with the h2 preface. */
    void addDetecting(ChannelPipeline p) {
        HttpServerCodec http1 = new HttpServerCodec();
        // No h2c Upgrade: header support; clients that want HTTP/2 on a plain port send the preface directly.
        HttpServerUpgradeHandler noUpgrade = new HttpServerUpgradeHandler(http1, protocol -> null);
        ChannelInitializer<Channel> http2 = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel c) {
                addHttp2(c.pipeline());
            }
        };
        p.addLast(new CleartextHttp2ServerUpgradeHandler(http1, noUpgrade, http2));
        addHttp1Tail(p);
        p.addLast(new Http1Remover());
    }

    /** HTTP/2 from the first byte: one child pipeline per stream. */
    void addHttp2(ChannelPipeline p) {
        p.addLast(Http2FrameCodecBuilder.forServer().build(),
                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                                new HttpObjectAggregator(maxBodyBytes), handler);
                    }
                }));
    }

    /** HTTP/1.1 only. */
    void addHttp1(ChannelPipeline p) {
        p.addLast(new HttpServerCodec());
        addHttp1Tail(p);
    }

    private void addHttp1Tail(ChannelPipeline p) {
        p.addLast("h1-keepalive", new HttpServerKeepAliveHandler());
        p.addLast("h1-aggregator", new HttpObjectAggregator(maxBodyBytes));
        p.addLast("h1-handler", handler);
    }

    /** On an HTTP/2 connection, removes the HTTP/1.1 handlers that the frames would otherwise pass through. */
    private static final class Http1Remover extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent) {
                ctx.pipeline().remove("h1-keepalive");
                ctx.pipeline().remove("h1-aggregator");
                ctx.pipeline().remove("h1-handler");
                ctx.pipeline().remove(this);
            }
            super.userEventTriggered(ctx, evt);
        }
    }
}
