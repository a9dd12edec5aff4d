package dev.millrace.server.http;

import dev.millrace.protocol.KinesisException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * Gathers a request's body into one {@link FullHttpRequest}, within bounds, and answers in AWS's way when one is
 * crossed (instead of Netty's aggregator, whose 413 has no body and no error type):
 * <pre>
 *   body larger than maxBodyBytes (declared or counted)      413 RequestEntityTooLargeException (not retryable)
 *   body would take the connection's share of the BodyBudget
 *     or the whole budget beyond its limit                   503 ServiceUnavailableException (SDKs retry it)
 *   a POST arrives while the API's queue is full             503 ServiceUnavailableException, at once
 * </pre>
 * The last is load shedding at the earliest point: the request is refused when its headers arrive, before its body
 * is received and held, instead of after (when {@link KinesisHttpHandler} would find the queue full all the same).
 * A body of unknown length (chunked, HTTP/2) is refused there too when the budget is already used up.
 * Both come in the request's format (JSON, or CBOR for a CBOR Content-Type), with x-amzn-ErrorType. AWS itself
 * answers an oversized body with a bare 413 (botocore reports it as "An error occurred (413)", boto3#1147); the type
 * added here names the same condition, so an SDK shows what happened, and keeps the status, so none retries it.
 *
 * <p>A refused request's remaining body is read and dropped; the HTTP/1.1 connection stays open for the next request
 * unless the client asked to close it or expects a 100 Continue (then it sends no body, and the decoder would take
 * the next request for one: the connection is closed). A refused HTTP/2 stream is reset after its answer. A body
 * with a declared Content-Length reserves all of it up front, so a request that cannot fit is refused before its
 * body is read; a chunked (or HTTP/2) body reserves as it arrives. What a request reserved is given back when its
 * answer has been written (the last part of it, which passes here on its way out) or when the connection or stream
 * closes.
 *
 * <p>A request the HTTP/1.1 decoder failed on (malformed chunk framing, headers too long) is passed on whole, with
 * its failed {@link DecoderResult}, for {@link KinesisHttpHandler} to answer 400.
 *
 * <p>One instance per connection (HTTP/1.1) or stream (HTTP/2); confined to its event loop.
 */
final class BodyAggregator extends ChannelDuplexHandler {
    private static final int MAX_COMPONENTS = 1024;

    private final int maxBodyBytes;
    private final BodyBudget budget;
    private final BooleanSupplier apiSaturated;
    private final boolean http2;
    /** The request being gathered, or {@code null}. */
    private HttpRequest head;
    private CompositeByteBuf body;
    /** What the request being gathered has reserved; its Content-Length, or -1 when it declared none. */
    private long reservedBytes;
    private long declaredBytes;
    /** The rest of a refused request's body is being dropped. */
    private boolean discarding;
    /** What each request read whole holds until its answer is written, oldest first. */
    private final ArrayDeque<Long> answering = new ArrayDeque<>();

    /**
     * @param budget       the connection's share of the body budget
     * @param apiSaturated whether the API executor would refuse one more request now
     */
    BodyAggregator(int maxBodyBytes, BodyBudget budget, BooleanSupplier apiSaturated, boolean http2) {
        this.maxBodyBytes = maxBodyBytes;
        this.budget = budget;
        this.apiSaturated = apiSaturated;
        this.http2 = http2;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            startRequest(ctx, (HttpRequest) msg);
        } else if (msg instanceof HttpContent) {
            addContent(ctx, (HttpContent) msg);
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void startRequest(ChannelHandlerContext ctx, HttpRequest request) {
        discarding = false;
        dropCurrent();
        boolean shed = request.method() == HttpMethod.POST && !request.decoderResult().isFailure()
                && apiSaturated.getAsBoolean();
        if (request instanceof FullHttpRequest) {
            // An HTTP/2 request whose HEADERS frame ended the stream, or one the decoder failed on.
            long size = ((FullHttpRequest) request).content().readableBytes();
            String problem = shed ? "busy" : size > maxBodyBytes ? "large" : !budget.tryReserve(size) ? "budget"
                    : null;
            if (problem != null) {
                ReferenceCountUtil.release(request);
                refuse(ctx, request, problem);
                return;
            }
            answering.add(size);
            ctx.fireChannelRead(request);
            return;
        }
        if (request.decoderResult().isFailure()) {
            answering.add(0L);
            ctx.fireChannelRead(full(request, Unpooled.EMPTY_BUFFER, EmptyHttpHeaders.INSTANCE,
                    request.decoderResult()));
            return;
        }
        long declared = HttpUtil.getContentLength(request, -1L);
        String problem = shed ? "busy" : declared > maxBodyBytes ? "large"
                : declared < 0 && budget.exhausted() ? "budget"
                : declared > 0 && !budget.tryReserve(declared) ? "budget" : null;
        if (problem != null) {
            discarding = true;
            refuse(ctx, request, problem);
            return;
        }
        head = request;
        declaredBytes = declared;
        reservedBytes = Math.max(declared, 0);
        body = ctx.alloc().compositeBuffer(MAX_COMPONENTS);
        if (HttpUtil.is100ContinueExpected(request)) {
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
    }

    private void addContent(ChannelHandlerContext ctx, HttpContent content) {
        if (discarding || head == null) {
            discarding &= !(content instanceof LastHttpContent);
            content.release();
            return;
        }
        int bytes = content.content().readableBytes();
        String problem = null;
        if ((long) body.readableBytes() + bytes > maxBodyBytes) {
            problem = "large";
        } else if (declaredBytes < 0) {
            if (budget.tryReserve(bytes)) {
                reservedBytes += bytes;
            } else {
                problem = "budget";
            }
        }
        if (problem != null) {
            HttpRequest refused = head;
            dropCurrent();
            discarding = !(content instanceof LastHttpContent);
            content.release();
            refuse(ctx, refused, problem);
            return;
        }
        body.addComponent(true, content.content().retain());
        DecoderResult result = content.decoderResult();
        content.release();
        if (content instanceof LastHttpContent || result.isFailure()) {
            HttpHeaders trailers = content instanceof LastHttpContent
                    ? ((LastHttpContent) content).trailingHeaders() : EmptyHttpHeaders.INSTANCE;
            FullHttpRequest whole = full(head, body, trailers, result);
            answering.add(reservedBytes);
            head = null;
            body = null;
            reservedBytes = 0;
            ctx.fireChannelRead(whole);
        }
    }

    private static FullHttpRequest full(HttpRequest head, ByteBuf content, HttpHeaders trailers,
                                        DecoderResult result) {
        FullHttpRequest whole = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(), content,
                head.headers(), trailers);
        whole.setDecoderResult(result);
        return whole;
    }

    private void refuse(ChannelHandlerContext ctx, HttpRequest request, String problem) {
        KinesisException error = switch (problem) {
            case "large" -> new KinesisException("RequestEntityTooLargeException", "Request entity too large: the "
                    + "body of a request may be at most " + maxBodyBytes + " bytes.", 413);
            case "busy" -> KinesisHttpHandler.busy();
            default -> new KinesisException("ServiceUnavailableException", "The server (or this connection) is "
                    + "receiving too many request bodies at once; retry the request.", 503);
        };
        // An HTTP/2 stream is reset after the answer (RFC 9113 8.1: the client stops sending and the stream no
        // longer counts against its connection's concurrent streams); the connection goes on.
        boolean close = http2 || HttpUtil.is100ContinueExpected(request) || !HttpUtil.isKeepAlive(request);
        KinesisHttpHandler.refuse(ctx, request, error, close);
    }

    /** Gives back what the request being gathered holds. */
    private void dropCurrent() {
        if (body != null) {
            body.release();
            body = null;
        }
        budget.release(reservedBytes);
        reservedBytes = 0;
        head = null;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        boolean interim = msg instanceof HttpResponse
                && ((HttpResponse) msg).status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (msg instanceof LastHttpContent && !interim) {
            Long held = answering.poll();
            if (held != null) {
                budget.release(held);
            }
        }
        super.write(ctx, msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releaseAll();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAll();
    }

    private void releaseAll() {
        dropCurrent();
        Long held;
        while ((held = answering.poll()) != null) {
            budget.release(held);
        }
    }
}
