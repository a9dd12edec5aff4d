package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.millrace.loadgen.BenchSettings.WireProtocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.ScheduledFuture;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Kinesis calls over plain Netty HTTP/1.1 keep-alive connections, one per caller, with the request written and the
 * answer read by Jackson's streaming generator and parser (CBOR or JSON, as {@code --protocol} says). Requests are
 * signed with the SDK's own SigV4 signer, so they work against AWS as well as against emulators.
 *
 * <p>Why it exists: the generator must not be what it measures. Unmarshalling GetRecords answers in the SDK cost the
 * generator 5.4 ms of CPU per 1,000 records of 1 KiB, three times what Millrace spends serving them, so on a 2-core
 * machine a read-throughput run measured the generator; the SDK's client adds ~0.2 ms to each PutRecord's
 * latency, about half the server's own ~0.4 ms; and marshalling, signing and unmarshalling a PutRecords of 500
 * records of 100 B costs the SDK ~2.2-2.8 ms of CPU per 1,000 records, as much as the server spends storing them.
 * The polling readers ({@code --read-client}) and PutRecord and PutRecords ({@code --put-client}) can use this
 * instead; the SDK stays the default for puts.
 *
 * <p>Thread-safe: connections are opened from any thread; each {@link #connection()} serves one caller, one call at
 * a time, and completes the call's future on the connection's event-loop thread.
 */
final class LeanKinesis implements AutoCloseable {
    private static final String TARGET_PREFIX = "Kinesis_20131202.";
    /** A 10 MiB answer is ~14 MiB as JSON (base64); room to spare, still bounded. */
    private static final int MAX_ANSWER_BYTES = 64 * 1024 * 1024;
    private static final long ANSWER_TIMEOUT_S = 60;
    private static final int MIN_BODY_BYTES = 256;

    private final EventLoopGroup group;
    private final Bootstrap bootstrap;
    private final SslContext tls;
    private final URI endpoint;
    private final String host;
    private final int port;
    private final String contentType;
    private final JsonFactory requestFactory;
    private final JsonFactory cbor = new CBORFactory();
    private final JsonFactory json = new JsonFactory();
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();
    private final AwsCredentialsProvider credentials;
    private final String region;

    LeanKinesis(BenchSettings settings, AwsCredentialsProvider credentials) {
        this.endpoint = settings.endpoint() != null ? settings.endpoint()
                : URI.create("https://kinesis." + settings.region() + ".amazonaws.com");
        boolean https = "https".equals(endpoint.getScheme());
        this.host = endpoint.getHost();
        this.port = endpoint.getPort() != -1 ? endpoint.getPort() : https ? 443 : 80;
        this.tls = https ? clientTls() : null;
        boolean isCbor = settings.protocol() == WireProtocol.CBOR;
        this.contentType = isCbor ? "application/x-amz-cbor-1.1" : "application/x-amz-json-1.1";
        this.requestFactory = isCbor ? cbor : json;
        this.credentials = credentials;
        this.region = settings.region();
        this.group = new NioEventLoopGroup(settings.eventLoopThreads() > 0 ? settings.eventLoopThreads() : 2);
        this.bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000);
    }

    /** Writes a request body's fields. */
    @FunctionalInterface
    interface BodyWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** Reads a 200 answer's body; runs on the event loop while the answer's bytes are still in Netty's buffers. */
    @FunctionalInterface
    interface AnswerReader<T> {
        T read(JsonParser p) throws IOException;
    }

    /** A connection of its own for one caller; it connects on its first call and again after it was closed. */
    Connection connection() {
        return new Connection();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static SslContext clientTls() {
        try {
            return SslContextBuilder.forClient().build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for the lean Kinesis client: " + e.getMessage(), e);
        }
    }

    /**
     * The signed request. Its body is a pooled buffer of about {@code bodyBytesHint}: a 500-record PutRecords body is
     * tens or hundreds of KiB, which a growing array would copy several times and leave as garbage per request. The
     * request owns the buffer: Netty releases it once written, and whoever fails to write it releases the request.
     */
    private FullHttpRequest request(String operation, BodyWriter writer, int bodyBytesHint) {
        ByteBuf body = body(writer, bodyBytesHint);
        try {
            SdkHttpRequest unsigned = SdkHttpRequest.builder()
                    .method(SdkHttpMethod.POST)
                    .uri(endpoint.resolve("/"))
                    .putHeader("Content-Type", contentType)
                    .putHeader("X-Amz-Target", TARGET_PREFIX + operation)
                    .build();
            SignedRequest signed = signer.sign(r -> r
                    .identity(credentials.resolveCredentials())
                    .request(unsigned)
                    // The signer hashes the body through a stream of its own; a duplicate leaves the body unread.
                    .payload(() -> new ByteBufInputStream(body.duplicate()))
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "kinesis")
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region));
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/", body);
            signed.request().forEachHeader((name, values) -> request.headers().add(name, values));
            if (!request.headers().contains(HttpHeaderNames.HOST)) {
                request.headers().set(HttpHeaderNames.HOST, endpoint.getRawAuthority());
            }
            request.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            return request;
        } catch (RuntimeException | Error e) {
            body.release();
            throw e;
        }
    }

    private ByteBuf body(BodyWriter writer, int bodyBytesHint) {
        ByteBuf body = ByteBufAllocator.DEFAULT.buffer(Math.max(MIN_BODY_BYTES, bodyBytesHint));
        try {
            // The cast picks Jackson's OutputStream overload: a ByteBufOutputStream is a DataOutput too.
            try (JsonGenerator g = requestFactory.createGenerator((OutputStream) new ByteBufOutputStream(body))) {
                g.writeStartObject();
                writer.write(g);
                g.writeEndObject();
            }
            return body;
        } catch (IOException e) {
            body.release();
            throw new UncheckedIOException("cannot write the request body", e);
        } catch (RuntimeException | Error e) {
            body.release();
            throw e;
        }
    }

    /** A call in flight: its future and how to read its answer. */
    private record Pending<T>(String operation, CompletableFuture<T> future, AnswerReader<T> reader) {
        void read(JsonParser parser) throws IOException {
            future.complete(reader.read(parser));
        }
    }

    /**
     * One caller's connection. The pending call is set by the caller's thread before the request is written and
     * taken back by the event loop when the answer (or the connection's end) arrives; a caller never has two.
     */
    @ChannelHandler.Sharable // added to each channel it opens, one after another
    final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
        private volatile Channel channel;
        private volatile Pending<?> pending;
        /** The last request body's size: the next one's buffer starts there, so a batch's body seldom grows. */
        private int lastBodyBytes;

        /**
         * Calls {@code operation} with the body {@code body} writes; the answer is read by {@code reader}. A failure
         * completes the future with the exception the SDK would have thrown ({@link ErrorCounts#errorType} names
         * the AWS error code either way).
         */
        <T> CompletableFuture<T> call(String operation, BodyWriter body, AnswerReader<T> reader) {
            CompletableFuture<T> future = new CompletableFuture<>();
            FullHttpRequest request;
            try {
                request = request(operation, body, lastBodyBytes);
                lastBodyBytes = request.content().readableBytes();
            } catch (RuntimeException e) {
                future.completeExceptionally(SdkClientException.create("cannot build the request: " + e, e));
                return future;
            }
            Pending<T> call = new Pending<>(operation, future, reader);
            pending = call;
            Channel open = channel;
            if (open != null && open.isActive()) {
                send(open, request, call);
            } else {
                bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc(), host, port));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_ANSWER_BYTES),
                                Connection.this);
                    }
                }).connect(host, port).addListener((ChannelFuture connected) -> {
                    if (!connected.isSuccess()) {
                        request.release();
                        fail(call, connected.cause());
                    } else if (call.future().isDone()) {
                        // Failed meanwhile (the client is closing): the new channel would carry nothing.
                        request.release();
                        connected.channel().close();
                    } else {
                        channel = connected.channel();
                        send(connected.channel(), request, call);
                    }
                });
            }
            return future;
        }

        private void send(Channel ch, FullHttpRequest request, Pending<?> call) {
            ScheduledFuture<?> timeout;
            try {
                timeout = ch.eventLoop().schedule(() -> {
                    if (!call.future().isDone()) {
                        retire(ch);
                        fail(call, new IOException("no answer within " + ANSWER_TIMEOUT_S + " s"));
                    }
                }, ANSWER_TIMEOUT_S, TimeUnit.SECONDS);
            } catch (RejectedExecutionException e) {
                request.release();
                fail(call, e); // the event loop is shutting down with the client
                return;
            }
            call.future().whenComplete((answer, failure) -> timeout.cancel(false));
            ch.writeAndFlush(request).addListener((ChannelFuture written) -> {
                if (!written.isSuccess()) {
                    retire(ch);
                    fail(call, written.cause());
                }
            });
        }

        /**
         * Takes {@code ch} out of use before the call on it is failed: failing it lets the caller start the next
         * call at once, which must then open a new channel, and nothing that still arrives on {@code ch} (its
         * inactive event comes in a later event-loop task) may be taken for the new call's.
         */
        private void retire(Channel ch) {
            if (channel == ch) {
                channel = null;
            }
            ch.close();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse answer) {
            if (ctx.channel() != channel) {
                ctx.close(); // a retired channel's late answer: its call has failed already
                return;
            }
            Pending<?> call = pending;
            pending = null;
            if (call == null) {
                retire(ctx.channel()); // an answer nobody asked for: the connection is out of step
                return;
            }
            if (!HttpUtil.isKeepAlive(answer)) {
                // Before the call completes: completing it may start the next call on this thread.
                retire(ctx.channel());
            }
            String type = answer.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
            JsonFactory factory = type.contains("cbor") ? cbor : json;
            try (InputStream in = new ByteBufInputStream(answer.content());
                 JsonParser parser = factory.createParser(in)) {
                int status = answer.status().code();
                if (status == 200) {
                    call.read(parser);
                } else {
                    call.future().completeExceptionally(
                            ErrorAnswer.read(status, answer.headers().get("X-Amzn-ErrorType"), parser));
                }
            } catch (IOException | RuntimeException e) {
                call.future().completeExceptionally(SdkClientException.create(
                        "cannot read the " + call.operation() + " answer: " + e, e));
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (ctx.channel() != channel) {
                return; // a retired channel; the pending call, if any, is not its
            }
            retire(ctx.channel());
            fail(pending, new IOException("the server closed the connection before answering"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (ctx.channel() != channel) {
                ctx.close();
                return;
            }
            retire(ctx.channel());
            fail(pending, cause);
        }

        /** Fails {@code call} if it is still pending; true if it was. */
        private boolean fail(Pending<?> call, Throwable cause) {
            if (call == null || call.future().isDone()) {
                return false;
            }
            if (pending == call) {
                pending = null;
            }
            return call.future().completeExceptionally(
                    SdkClientException.create(call.operation() + " failed: " + cause, cause));
        }
    }
}
