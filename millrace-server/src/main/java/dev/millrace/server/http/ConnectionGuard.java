package dev.millrace.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The first thing every accepted connection meets, on both ports: a connection beyond {@link
 * HttpLimits#maxConnections} is closed at once (before any byte is read, so it costs a descriptor for microseconds,
 * and the clients already connected keep being served), with a rate-limited log line; an admitted one gets the idle
 * timeout. Reads and writes both count as activity, so a streaming answer (SubscribeToShard writes at least every
 * 5 s) and a connection whose request is being read are never idle.
 *
 * <p>Thread-safe: the count is atomic; it goes down when the connection's close completes.
 */
final class ConnectionGuard {
    private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
    static final String IDLE_HANDLER = "idle";

    private final HttpLimits limits;
    private final AtomicInteger open = new AtomicInteger();
    private final RateLimitedLog refusals = new RateLimitedLog(log);

    ConnectionGuard(HttpLimits limits) {
        this.limits = limits;
    }

    /** Whether {@code ch} may be served; if not, it is being closed. */
    boolean admit(SocketChannel ch) {
        if (open.incrementAndGet() > limits.maxConnections()) {
            open.decrementAndGet();
            refusals.warn("Refused a connection from {}: {} connections are open, the most allowed "
                    + "(--max-connections)", ch.remoteAddress(), limits.maxConnections());
            ch.close();
            return false;
        }
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        ch.pipeline().addLast(IDLE_HANDLER, new IdleStateHandler(0, 0, limits.idleTimeoutMs(), TimeUnit.MILLISECONDS));
        ch.pipeline().addLast(new IdleCloser());
        return true;
    }

    /** Connections open now (for tests). */
    int openConnections() {
        return open.get();
    }

    /** Closes a connection when {@link IdleStateHandler} says it has been idle too long. */
    private static final class IdleCloser extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                log.debug("Closing idle connection {}", ctx.channel());
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }
    }
}
