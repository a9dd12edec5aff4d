package dev.millrace.server.http;

import dev.millrace.dynamodb.DynamoApi;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.cloudwatch.CloudWatchApi;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns an aggregated HTTP request (HTTP/1.1, or one HTTP/2 stream converted to HTTP/1.1 objects) into a Kinesis API
 * call and writes the answer. The call runs on the API executor, not the event loop, because appends wait for fsync.
 *
 * <p>Buffer ownership: {@link SimpleChannelInboundHandler} releases the request after {@code channelRead0}, so the
 * body is copied out first; the response buffer is owned by the pipeline once written.
 *
 * <p>Sharable and thread-safe.
 */
@ChannelHandler.Sharable
final class KinesisHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(KinesisHttpHandler.class);

    private final KinesisApi api;
    private final DynamoApi dynamo;
    private final CloudWatchApi cloudWatch;
    private final ExecutorService executor;

    KinesisHttpHandler(Apis apis, ExecutorService executor) {
        this.api = apis.kinesis();
        this.dynamo = apis.dynamo();
        this.cloudWatch = apis.cloudWatch();
        this.executor = executor;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String requestId = requestId();
        if (request.method() == HttpMethod.GET && request.uri().equals("/health")) {
            respond(ctx, keepAlive, new KinesisApi.Result(200, "ok".getBytes(StandardCharsets.UTF_8), null),
                    "text/plain", requestId);
            return;
        }
        String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        WireFormat format = WireFormat.fromContentType(contentType);
        String target = request.headers().get("X-Amz-Target");
        String path = request.uri();
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        byte[] body = ByteBufUtil.getBytes(request.content());
        String region = SigningRegion.of(authorization, path);
        try {
            if (request.method() != HttpMethod.POST) {
                throw KinesisException.unknownOperation();
            }
            SigV4Header.check(authorization);
        } catch (KinesisException e) {
            respond(ctx, keepAlive, KinesisApi.error(format, e), format.contentType(), requestId);
            return;
        }
        try {
            if (DynamoApi.isDynamoTarget(target)) {
                // KCL keeps its leases in DynamoDB; the subset it needs is served on this same endpoint.
                executor.execute(() -> {
                    DynamoApi.Result r = dynamo.handle(target, body);
                    KinesisApi.Result result = new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType());
                    ctx.executor().execute(() -> respond(ctx, keepAlive, result, DynamoApi.CONTENT_TYPE, requestId));
                });
                return;
            }
            if (CloudWatchApi.isCloudWatch(path, target, contentType)) {
                // Apps publish metrics (KCL by default); the CloudWatch subset is served on this same endpoint too.
                executor.execute(() -> {
                    CloudWatchApi.Result r = cloudWatch.handle(path, target, contentType, body, requestId);
                    ctx.executor().execute(() -> respond(ctx, keepAlive, new KinesisApi.Result(r.httpStatus(),
                            r.body(), null), r.contentType(), requestId, r.headers()));
                });
                return;
            }
            if (api.streams(target)) {
                executor.execute(() -> {
                    KinesisApi.Result error = api.subscribe(target, body, new HttpEventSink(ctx.channel()), requestId,
                            region);
                    if (error != null) {
                        ctx.executor().execute(() -> respond(ctx, keepAlive, error, WireFormat.JSON.contentType(),
                                requestId));
                    }
                });
                return;
            }
            executor.execute(() -> {
                KinesisApi.Result result = api.handle(target, format, body, requestId, region);
                ctx.executor().execute(() -> respond(ctx, keepAlive, result, format.contentType(), requestId));
            });
        } catch (RejectedExecutionException e) {
            respond(ctx, false, KinesisApi.error(format, KinesisException.client("ServiceUnavailableException",
                    "The server is shutting down.")), format.contentType(), requestId);
        }
    }

    /**
     * A version-4 UUID like AWS's request ids. Ids only need to be unique enough to find a request in the log, so
     * they come from the thread's fast generator, not {@link UUID#randomUUID}'s shared SecureRandom.
     */
    static String requestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, KinesisApi.Result result,
                                String contentType, String requestId) {
        respond(ctx, keepAlive, result, contentType, requestId, Map.of());
    }

    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, KinesisApi.Result result,
                                String contentType, String requestId, Map<String, String> extraHeaders) {
        List<ByteBuffer> chunks = result.chunks();
        HttpResponse response = chunks.size() <= 1
                ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(result.httpStatus()),
                        chunks.isEmpty() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(chunks.get(0)))
                : new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(result.httpStatus()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CONTENT_LENGTH, result.length())
                .set("x-amzn-RequestId", requestId)
                .set("x-amz-id-2", requestId);
        if (result.errorType() != null) {
            response.headers().set("x-amzn-ErrorType", result.errorType());
        }
        extraHeaders.forEach(response.headers()::set);
        HttpUtil.setKeepAlive(response, keepAlive);
        ChannelFuture future;
        if (response instanceof FullHttpResponse) {
            future = ctx.writeAndFlush(response);
        } else {
            // A large answer goes out block by block (each becomes one HTTP/1.1 write or HTTP/2 DATA frame), so it is
            // never copied into one buffer on its way to the socket.
            ctx.write(response);
            for (int i = 0; i < chunks.size() - 1; i++) {
                ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(chunks.get(i))));
            }
            ByteBuffer last = chunks.get(chunks.size() - 1);
            future = ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(last)));
        }
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            Runnable waiting = ctx.channel().attr(HttpEventSink.ON_WRITABLE).getAndSet(null);
            if (waiting != null) {
                waiting.run();
            }
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A broken connection (reset, malformed HTTP) ends only that connection; the cause is worth a debug line.
        log.debug("Closing connection {} after error", ctx.channel(), cause);
        ctx.close();
    }
}
