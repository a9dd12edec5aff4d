package dev.millrace.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How long a client may take to send one request. Over HTTP/1.1: from its first byte to the end of its headers
 * ({@link HttpLimits#headerTimeoutMs}, which ends slowloris: headers dripped a byte at a time), then to the end of its
 * body ({@link HttpLimits#bodyTimeoutMs}). On an HTTP/2 stream the headers arrive in one frame, so only the body's
 * deadline applies. A request late on either is dropped with its connection (HTTP/1.1) or its stream (HTTP/2); no
 * answer is sent, since the client is not reading one in time either. Waiting for the answer, and between requests,
 * is the idle timeout's business ({@link ConnectionGuard}).
 *
 * <p>One instance per connection (or stream), with two handlers: {@link #firstByte()} before the HTTP/1.1 codec,
 * {@link #afterCodec()} after it. Confined to the channel's event loop.
 */
final class ReadTimeouts {
    private static final Logger log = LoggerFactory.getLogger(ReadTimeouts.class);

    private final HttpLimits limits;
    private ScheduledFuture<?> deadline;
    /** A request's first byte has arrived and its last has not. */
    private boolean reading;

    ReadTimeouts(HttpLimits limits) {
        this.limits = limits;
    }

    /** Arms the header deadline at the first byte of each HTTP/1.1 request. */
    ChannelHandler firstByte() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (!reading && msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
                    reading = true;
                    arm(ctx, limits.headerTimeoutMs(), "headers");
                }
                super.channelRead(ctx, msg);
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext ctx) {
                cancel();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                cancel();
                super.channelInactive(ctx);
            }
        };
    }

    /** Moves from the header deadline to the body's when the headers are in; disarms when the request is. */
    ChannelHandler afterCodec() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (msg instanceof HttpRequest) {
                    cancel();
                    if (!(msg instanceof LastHttpContent)) {
                        arm(ctx, limits.bodyTimeoutMs(), "body");
                    }
                }
                if (msg instanceof LastHttpContent) {
                    cancel();
                    reading = false;
                }
                super.channelRead(ctx, msg);
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext ctx) {
                cancel();
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) throws Exception {
                cancel();
                super.channelInactive(ctx);
            }
        };
    }

    private void arm(ChannelHandlerContext ctx, long timeoutMs, String part) {
        cancel();
        deadline = ctx.executor().schedule(() -> {
            log.debug("Closing {}: the request's {} did not arrive within {} ms", ctx.channel(), part, timeoutMs);
            ctx.channel().close();
        }, timeoutMs, TimeUnit.MILLISECONDS);
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
