package dev.millrace.server.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS port: after the handshake, ALPN {@code h2} gets HTTP/2, {@code http/1.1} gets HTTP/1.1, and a client that
 * offered no ALPN (the AWS SDK's Netty client by default) gets the same detection as the plain port, so it may
 * start HTTP/2 with the preface or speak HTTP/1.1. Connections count against the same limit as the plain port's.
 *
 * <p>Sharable across channels, thread-safe.
 */
final class TlsServerInitializer extends ChannelInitializer<SocketChannel> {
    /** The "protocol" the negotiation handler reports when the client offered no ALPN. */
    private static final String NO_ALPN = "none";

    private static final Logger log = LoggerFactory.getLogger(TlsServerInitializer.class);

    private final SslContext ssl;
    private final RateLimitedLog handshakeFailures = new RateLimitedLog(log);
    private final ServerInitializer plain;

    TlsServerInitializer(SslContext ssl, ServerInitializer plain) {
        this.ssl = ssl;
        this.plain = plain;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (!plain.guard().admit(ch)) {
            return;
        }
        ch.pipeline().addLast(ssl.newHandler(ch.alloc()), new ApplicationProtocolNegotiationHandler(NO_ALPN) {
            /** A client that cannot agree on TLS (a port scan, plain HTTP sent here) is one line, not a stack. */
            @Override
            protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
                handshakeFailures.warn("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(),
                        RateLimitedLog.oneLine(cause));
                ctx.close();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                handshakeFailures.warn("Closing TLS connection {}: {}", ctx.channel().remoteAddress(),
                        RateLimitedLog.oneLine(cause));
                ctx.close();
            }

            @Override
            protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                    plain.addHttp2(ctx.pipeline());
                } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
                    plain.addHttp1(ctx.pipeline());
                } else {
                    plain.addDetecting(ctx.pipeline());
                }
            }
        });
    }
}
