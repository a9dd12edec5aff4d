package dev.millrace.server.http;

import dev.millrace.server.api.KinesisApi;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The listening socket and its event loops.
 *
 * <p>Thread-safe for start/stop from one controlling thread.
 */
public final class HttpServer {
    private final EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
    private Channel channel;

    /** Binds and starts serving; returns the bound address (port 0 picks a free one). */
    public InetSocketAddress start(String host, int port, KinesisApi api, ExecutorService executor,
                                   int maxBodyBytes) throws InterruptedException {
        KinesisHttpHandler handler = new KinesisHttpHandler(api, executor);
        ServerBootstrap b = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ServerInitializer(handler, maxBodyBytes));
        channel = b.bind(host, port).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** Stops accepting connections; connections already open keep being served until {@link #shutdown}. */
    public void stopAccepting() throws InterruptedException {
        if (channel != null) {
            channel.close().sync();
        }
    }

    public void shutdown() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
