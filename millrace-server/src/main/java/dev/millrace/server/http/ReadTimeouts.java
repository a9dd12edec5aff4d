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
import java.util.function.LongSupplier;

/**
 * How long a client may take to send one request. Over HTTP/1.1: from its first byte to the end of its headers
 * ({@link HttpLimits#headerTimeoutMs}, which ends slowloris: headers dripped a byte at a time), then to the end of its
 * body ({@link HttpLimits#bodyTimeoutMs}). On an HTTP/2 stream the headers arrive in one frame, so only the body's
 * deadline applies. A request late on either is dropped with its connection (HTTP/1.1) or its stream (HTTP/2); no
 * answer is sent, since the client is not reading one in time either. Waiting for the answer, and between requests,
 * is the idle timeout's business ({@link ConnectionGuard}).
 *
 * <p>Most requests arrive whole in one read, so a timer is armed only when a read ends with a request still
 * incomplete: the common case costs two clock readings and no scheduled task. When the timer fires it closes the
 * channel if the part it was armed for is late, and otherwise re-arms for what is left of the current part.
 *
 * <p>One instance per connection (or stream), with two handlers: {@link #firstByte()} before the HTTP/1.1 codec,
 * {@link #afterCodec()} after it. Confined to the channel's event loop.
 */
final class ReadTimeouts {
    private static final Logger log = LoggerFactory.getLogger(ReadTimeouts.class);

    private final long headerTimeoutNanos;
    private final long bodyTimeoutNanos;
    private final LongSupplier nanoTime;
    private ScheduledFuture<?> deadline;
    /** A request's first byte has arrived and its last has not. */
    private boolean reading;
    private boolean headersDone;
    private long startedNanos;
    private long headersDoneNanos;

    ReadTimeouts(HttpLimits limits, LongSupplier nanoTime) {
        this.headerTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(limits.headerTimeoutMs());
        this.bodyTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(limits.bodyTimeoutMs());
        this.nanoTime = nanoTime;
    }

    ReadTimeouts(HttpLimits limits) {
        this(limits, System::nanoTime);
    }

    /** Notes the first byte of each HTTP/1.1 request. */
    ChannelHandler firstByte() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (!reading && msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
                    reading = true;
                    headersDone = false;
                    startedNanos = nanoTime.getAsLong();
                }
                super.channelRead(ctx, msg);
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext ctx) {
                cancel();
            }
        };
    }

    /** Notes the end of the headers and of the request; arms the timer when a read leaves a request incomplete. */
    ChannelHandler afterCodec() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (msg instanceof HttpRequest) {
                    reading = true;
                    headersDone = true;
                    headersDoneNanos = nanoTime.getAsLong();
                }
                if (msg instanceof LastHttpContent) {
                    reading = false;
                    cancel();
                }
                super.channelRead(ctx, msg);
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
                if (reading && deadline == null) {
                    arm(ctx);
                }
                super.channelReadComplete(ctx);
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

    /** Time left for the part of the request now arriving. */
    private long remainingNanos() {
        long now = nanoTime.getAsLong();
        return headersDone ? bodyTimeoutNanos - (now - headersDoneNanos) : headerTimeoutNanos - (now - startedNanos);
    }

    private void arm(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> expire(ctx), Math.max(remainingNanos(), 0), TimeUnit.NANOSECONDS);
    }

    private void expire(ChannelHandlerContext ctx) {
        deadline = null;
        if (!reading) {
            return;
        }
        if (remainingNanos() > 0) {
            arm(ctx);
            return;
        }
        log.debug("Closing {}: the request's {} did not arrive in time", ctx.channel(),
                headersDone ? "body" : "headers");
        ctx.channel().close();
    }

    private void cancel() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }
}
