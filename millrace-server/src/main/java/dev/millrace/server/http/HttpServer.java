package dev.millrace.server.http;

import dev.millrace.metrics.PrometheusExposition;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.Errors;
import io.netty.handler.ssl.SslContext;
import io.netty.util.internal.PlatformDependent;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.function.BooleanSupplier;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket and its event loops.
 *
 * <p>On Linux the event loops use Netty's native epoll transport when its library loads, else Java's NIO selector
 * ({@code -Dio.netty.transport.noNative=true} forces NIO). Why: every answer is written by an executor thread, which
 * wakes the connection's event loop; NIO's selector wake-up and its per-event bookkeeping cost a measurable share of a
 * small request's CPU (docs/BENCHMARKS.md, issue 20), epoll's eventfd wake-up and edge-triggered loop less.
 *
 * <p>Thread-safe for start/stop from one controlling thread.
 */
public final class HttpServer {
    /** Whether the native epoll transport is in use (see the class comment). */
    public static final boolean NATIVE_EPOLL = Epoll.isAvailable();
    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, ioHandlers());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(ioHandlers());
    private Channel channel;
    private Channel tlsChannel;
    private ServerInitializer plain;
    private Channel metricsChannel;
    private MetricsListener metrics;

    /**
     * Turns the request log ({@link RequestLog}: one line per request on the logger
     * {@code dev.millrace.server.http.RequestLog}) on or off, for every server in this process.
     */
    public static void logRequests(boolean on) {
        RequestLog.enable(on);
    }

    /** Binds and starts serving; returns the bound address (port 0 picks a free one). */
    public InetSocketAddress start(String host, int port, Apis apis, ExecutorService executor, int maxBodyBytes,
                                   HttpLimits limits) throws InterruptedException {
        if (limits.bodyBudgetBytes() < maxBodyBytes) {
            throw new IllegalArgumentException("the body budget (" + limits.bodyBudgetBytes() + " bytes) must hold "
                    + "at least one body of the largest size accepted (" + maxBodyBytes + " bytes)");
        }
        if (limits.connectionBodyBytes() < maxBodyBytes) {
            throw new IllegalArgumentException("a connection's share of the body budget (" + limits
                    .connectionBodyBytes() + " bytes) must hold at least one body of the largest size accepted ("
                    + maxBodyBytes + " bytes)");
        }
        KinesisHttpHandler handler = new KinesisHttpHandler(apis, executor, limits.maxQueueWaitMs());
        plain = new ServerInitializer(handler, maxBodyBytes, limits, saturated(executor));
        channel = bind(plain, host, port);
        return (InetSocketAddress) channel.localAddress();
    }

    /**
     * Whether {@code executor} would refuse one more task now: a pool whose bounded queue is full (its threads are all
     * busy then, since a fixed pool queues only once they are). Read on the event loops, per request head.
     */
    static BooleanSupplier saturated(ExecutorService executor) {
        if (executor instanceof ThreadPoolExecutor pool) {
            BlockingQueue<Runnable> queue = pool.getQueue();
            return () -> queue.remainingCapacity() == 0;
        }
        return () -> false;
    }

    /** Also serves TLS on {@code port} (after {@link #start}); returns the bound address. */
    public InetSocketAddress startTls(String host, int port, SslContext ssl) throws InterruptedException {
        tlsChannel = bind(new TlsServerInitializer(ssl, plain), host, port);
        return (InetSocketAddress) tlsChannel.localAddress();
    }

    private ServerBootstrap bootstrap(ChannelInitializer<SocketChannel> initializer) {
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer);
    }

    /**
     * Binds a listening socket. A failed bind throws what NIO's does, a {@link BindException} (thrown unchecked, as
     * Netty's {@code sync()} throws it): the epoll transport reports "address already in use" as its own native
     * IOException, and the app explains a {@code BindException} as a port in use in one line.
     */
    private Channel bind(ChannelInitializer<SocketChannel> initializer, String host, int port)
            throws InterruptedException {
        ChannelFuture bound = bootstrap(initializer).bind(host, port).await();
        if (bound.isSuccess()) {
            return bound.channel();
        }
        Throwable cause = bound.cause();
        if (cause instanceof Errors.NativeIoException) {
            BindException bind = new BindException(cause.getMessage());
            bind.initCause(cause);
            cause = bind;
        }
        PlatformDependent.throwException(cause);
        throw new AssertionError("unreachable");
    }

    private static IoHandlerFactory ioHandlers() {
        return NATIVE_EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    private static Class<? extends ServerChannel> serverChannel() {
        return NATIVE_EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * Also serves {@code GET /metrics} alone on {@code port} ({@code --metrics-address}; after {@link #start});
     * returns the bound address.
     */
    public InetSocketAddress startMetrics(String host, int port, PrometheusExposition exposition)
            throws InterruptedException {
        metrics = new MetricsListener(exposition);
        metricsChannel = bind(metrics, host, port);
        return (InetSocketAddress) metricsChannel.localAddress();
    }

    /** Stops accepting connections; connections already open keep being served until {@link #shutdown}. */
    public void stopAccepting() throws InterruptedException {
        if (channel != null) {
            channel.close().sync();
        }
        if (tlsChannel != null) {
            tlsChannel.close().sync();
        }
        if (metricsChannel != null) {
            metricsChannel.close().sync();
        }
    }

    public void shutdown() {
        if (metrics != null) {
            metrics.shutdown();
        }
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
