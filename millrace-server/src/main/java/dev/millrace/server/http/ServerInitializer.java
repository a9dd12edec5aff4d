package dev.millrace.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.BooleanSupplier;

/**
 * One plain port for HTTP/1.1 (curl, the CLI, the sync SDK) and HTTP/2 with prior knowledge (the async SDK, KCL, the
 * JS SDK): {@link CleartextHttp2ServerUpgradeHandler} looks for the 24-byte h2 preface and switches the connection
 * to HTTP/2 if it finds it; otherwise the connection stays HTTP/1.1. Each HTTP/2 stream gets a child pipeline that
 * converts its frames to HTTP/1.1 objects, so one handler serves both. The TLS port reuses these pipelines after
 * the handshake ({@link TlsServerInitializer}).
 *
 * <p>An HTTP/1.1 {@code Upgrade: h2c} header is ignored and the request answered over HTTP/1.1, as RFC 9110 7.8 lets
 * a server do: curl {@code --http2} and Java's HttpClient on {@code http://} send it with their first request, body
 * and all, and carry on in HTTP/1.1 when no 101 comes. (Netty's upgrade handler would gather that first request's
 * body outside every limit below; clients that want HTTP/2 in clear text send the preface instead.)
 *
 * <p>What a client can hold is bounded ({@link HttpLimits}): connections and idleness ({@link ConnectionGuard}),
 * the time to send a request ({@link ReadTimeouts}), the size of each body and of all bodies in flight ({@link
 * BodyAggregator}; each connection holds at most its share of all bodies in flight, an HTTP/2 connection
 * for all its streams together), requests shed at their headers while the API's queue is full, and per HTTP/2
 * connection the streams open at once and the bytes a stream may send before the
 * server has taken them in (SETTINGS_INITIAL_WINDOW_SIZE: a stream's window is given back only as its body is
 * gathered, so an upload beyond the budget waits in the client, not here).
 *
 * <p>Sharable across channels, thread-safe.
 */
final class ServerInitializer extends ChannelInitializer<SocketChannel> {
    private static final Logger log = LoggerFactory.getLogger(ServerInitializer.class);

    private final KinesisHttpHandler handler;
    private final int maxBodyBytes;
    private final HttpLimits limits;
    private final ConnectionGuard guard;
    private final BodyBudget budget;
    private final BooleanSupplier apiSaturated;
    private final RateLimitedLog http2Errors = new RateLimitedLog(log);

    ServerInitializer(KinesisHttpHandler handler, int maxBodyBytes, HttpLimits limits, BooleanSupplier apiSaturated) {
        this.handler = handler;
        this.apiSaturated = apiSaturated;
        this.maxBodyBytes = maxBodyBytes;
        this.limits = limits;
        this.guard = new ConnectionGuard(limits);
        this.budget = new BodyBudget(limits.bodyBudgetBytes());
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (guard.admit(ch)) {
            addDetecting(ch.pipeline());
        }
    }

    /** The connection count and idle timeout, shared with the TLS port. */
    ConnectionGuard guard() {
        return guard;
    }

    /** HTTP/1.1, or HTTP/2 if the peer opens with the h2 preface. */
    void addDetecting(ChannelPipeline p) {
        ReadTimeouts timeouts = new ReadTimeouts(limits);
        p.addLast("h1-first-byte", timeouts.firstByte());
        HttpServerCodec http1 = new HttpServerCodec();
        HttpServerUpgradeHandler ignoreUpgrades = new HttpServerUpgradeHandler(http1, protocol -> null) {
            @Override
            protected boolean shouldHandleUpgradeRequest(HttpRequest req) {
                return false;
            }
        };
        ChannelInitializer<Channel> http2 = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel c) {
                addHttp2(c.pipeline());
            }
        };
        p.addLast(new CleartextHttp2ServerUpgradeHandler(http1, ignoreUpgrades, http2));
        addHttp1Tail(p, timeouts);
        p.addLast(new Http1Remover());
    }

    /** HTTP/2 from the first byte: one child pipeline per stream. */
    void addHttp2(ChannelPipeline p) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(limits.http2MaxConcurrentStreams())
                .initialWindowSize(limits.http2InitialWindowBytes());
        // One share for all the connection's streams: many streams on one connection are still one client.
        BodyBudget share = budget.share(limits.connectionBodyBytes());
        p.addLast(Http2FrameCodecBuilder.forServer().initialSettings(settings).build(),
                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true),
                                new ReadTimeouts(limits).afterCodec(),
                                new BodyAggregator(maxBodyBytes, share, apiSaturated, true), handler);
                    }
                }),
                new Http2ErrorLogger(http2Errors));
    }

    /** HTTP/1.1 only. */
    void addHttp1(ChannelPipeline p) {
        ReadTimeouts timeouts = new ReadTimeouts(limits);
        p.addLast("h1-first-byte", timeouts.firstByte());
        p.addLast(new HttpServerCodec());
        addHttp1Tail(p, timeouts);
    }

    private void addHttp1Tail(ChannelPipeline p, ReadTimeouts timeouts) {
        p.addLast("h1-read-timeouts", timeouts.afterCodec());
        p.addLast("h1-keepalive", new HttpServerKeepAliveHandler());
        p.addLast("h1-aggregator", new BodyAggregator(maxBodyBytes,
                budget.share(limits.connectionBodyBytes()), apiSaturated, false));
        p.addLast("h1-handler", handler);
    }

    /** On an HTTP/2 connection, removes the HTTP/1.1 handlers that the frames would otherwise pass through. */
    private static final class Http1Remover extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof CleartextHttp2ServerUpgradeHandler.PriorKnowledgeUpgradeEvent) {
                ctx.pipeline().remove("h1-first-byte");
                ctx.pipeline().remove("h1-read-timeouts");
                ctx.pipeline().remove("h1-keepalive");
                ctx.pipeline().remove("h1-aggregator");
                ctx.pipeline().remove("h1-handler");
                ctx.pipeline().remove(this);
            }
            super.userEventTriggered(ctx, evt);
        }
    }

    /**
     * The end of an HTTP/2 connection's pipeline: an error that reaches it (a client that breaks the protocol; the
     * codec has already answered with GOAWAY or RST_STREAM) closes the connection with one rate-limited line, instead
     * of Netty's warning with a stack trace for every such connection.
     */
    private static final class Http2ErrorLogger extends ChannelInboundHandlerAdapter {
        private final RateLimitedLog errors;

        Http2ErrorLogger(RateLimitedLog errors) {
            this.errors = errors;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.warn("Closing HTTP/2 connection {}: {}", ctx.channel().remoteAddress(),
                    RateLimitedLog.oneLine(cause));
            ctx.close();
        }
    }
}
