package dev.millrace.server.http;

import dev.millrace.metrics.PrometheusExposition;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.ReadTimeoutHandler;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The listener of {@code --metrics-address}: plain HTTP/1.1 that answers {@code GET /metrics} with the Prometheus
 * exposition and 404 to anything else. It is for the operator's scraper on a network of their choosing, so it asks
 * no signature; what bounds it is its own: {@link #MAX_CONNECTIONS} connections, requests without bodies, one scrape
 * at a time on a thread of its own (a few queued, then 503), idle connections closed after
 * {@link #IDLE_TIMEOUT_SECONDS}.
 *
 * <p>Thread-safe: the handler is sharable; the connection count is atomic.
 */
final class MetricsListener extends ChannelInitializer<SocketChannel> {
    static final String PATH = "/metrics";
    static final int MAX_CONNECTIONS = 64;
    static final int IDLE_TIMEOUT_SECONDS = 60;
    private static final int MAX_REQUEST_BYTES = 8 * 1024;
    private static final int MAX_QUEUED_SCRAPES = 8;

    private final AtomicInteger connections = new AtomicInteger();
    private final Handler handler;
    private final ThreadPoolExecutor scrapes;

    MetricsListener(PrometheusExposition exposition) {
        this.scrapes = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_QUEUED_SCRAPES), r -> {
                    Thread t = new Thread(r, "millrace-metrics-scrape");
                    t.setDaemon(true);
                    return t;
                });
        this.scrapes.allowCoreThreadTimeOut(true);
        this.handler = new Handler(exposition, scrapes);
    }

    /** Whether {@code uri} asks for the metrics (with or without a query, which is ignored). */
    static boolean isMetricsPath(String uri) {
        return uri.equals(PATH) || uri.startsWith(PATH + "?");
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (connections.incrementAndGet() > MAX_CONNECTIONS) {
            connections.decrementAndGet();
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> connections.decrementAndGet());
        ch.pipeline().addLast(new ReadTimeoutHandler(IDLE_TIMEOUT_SECONDS), new HttpServerCodec(),
                new HttpObjectAggregator(MAX_REQUEST_BYTES), handler);
    }

    void shutdown() {
        scrapes.shutdownNow();
    }

    @ChannelHandler.Sharable
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final PrometheusExposition exposition;
        private final ExecutorService scrapes;

        Handler(PrometheusExposition exposition, ExecutorService scrapes) {
            this.exposition = exposition;
            this.scrapes = scrapes;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (request.decoderResult().isFailure()) {
                respond(ctx, false, HttpResponseStatus.BAD_REQUEST, "text/plain", bytes("Bad Request"));
            } else if (!isMetricsPath(request.uri())) {
                respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, "text/plain", bytes("Not Found"));
            } else if (request.method() != HttpMethod.GET) {
                respond(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain",
                        bytes("Method Not Allowed"));
            } else {
                try {
                    scrapes.execute(() -> {
                        byte[] body;
                        try {
                            body = exposition.scrape();
                        } catch (RuntimeException e) {
                            // Answered, not left waiting for the idle timeout; the scraper retries next interval.
                            ctx.executor().execute(() -> respond(ctx, false,
                                    HttpResponseStatus.INTERNAL_SERVER_ERROR, "text/plain",
                                    bytes("The metrics could not be gathered: " + e)));
                            return;
                        }
                        ctx.executor().execute(() -> respond(ctx, keepAlive, HttpResponseStatus.OK,
                                PrometheusExposition.CONTENT_TYPE, body));
                    });
                } catch (RejectedExecutionException e) {
                    respond(ctx, false, HttpResponseStatus.SERVICE_UNAVAILABLE, "text/plain",
                            bytes("Too many scrapes at once"));
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a read timeout or a reset: nothing to answer
        }

        private static byte[] bytes(String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }

        private static void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status,
                                    String contentType, byte[] body) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
