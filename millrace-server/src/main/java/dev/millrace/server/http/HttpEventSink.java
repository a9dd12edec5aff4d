package dev.millrace.server.http;

import dev.millrace.server.fanout.EventSink;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;

import java.util.Map;

/**
 * A streamed HTTP response carrying event-stream messages. On an HTTP/2 stream channel, {@link Channel#isWritable}
 * follows the stream's flow-control window (and Netty's write-buffer watermarks), which is what keeps a slow
 * subscriber from growing memory: its session simply stops reading until the channel drains. Over HTTP/1.1 the body
 * is chunked.
 *
 * <p>Thread-safe: Netty runs writes from other threads on the channel's event loop, in order.
 */
final class HttpEventSink implements EventSink {
    /** The callback to run when the channel next becomes writable; set by a waiting session. */
    static final AttributeKey<Runnable> ON_WRITABLE = AttributeKey.valueOf("millrace.onWritable");

    private final Channel channel;
    private final Map<String, String> headers;
    /** Null while the request log is off. */
    private final RequestLog.Entry logEntry;
    private final java.util.concurrent.atomic.AtomicLong bytesSent = new java.util.concurrent.atomic.AtomicLong();

    /** {@code headers} go on the response head besides the Content-Type: the request ids, CORS. */
    HttpEventSink(Channel channel, Map<String, String> headers) {
        this(channel, headers, null);
    }

    /** As above; the subscription is logged in the request log ({@code logEntry}) when its response ends. */
    HttpEventSink(Channel channel, Map<String, String> headers, RequestLog.Entry logEntry) {
        this.channel = channel;
        this.headers = Map.copyOf(headers);
        this.logEntry = logEntry;
        if (logEntry != null) {
            channel.closeFuture().addListener(f -> RequestLog.answered(logEntry, 200, null, bytesSent.get()));
        }
    }

    @Override
    public void start(String requestId) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/vnd.amazon.eventstream")
                .set("x-amzn-RequestId", requestId);
        headers.forEach(response.headers()::set);
        if (!(channel instanceof Http2StreamChannel)) {
            HttpUtil.setTransferEncodingChunked(response, true);
        }
        channel.writeAndFlush(response);
    }

    @Override
    public void send(byte[] message) {
        if (logEntry != null) {
            bytesSent.addAndGet(message.length);
        }
        channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(message)));
    }

    @Override
    public boolean writable() {
        return channel.isActive() && channel.isWritable();
    }

    @Override
    public void whenWritable(Runnable callback) {
        channel.attr(ON_WRITABLE).set(callback);
        // The channel may have drained between the check and the registration; do not wait for an event then.
        if (channel.isWritable()) {
            Runnable pending = channel.attr(ON_WRITABLE).getAndSet(null);
            if (pending != null) {
                pending.run();
            }
        }
    }

    @Override
    public void end() {
        RequestLog.answered(logEntry, 200, null, bytesSent.get());
        var future = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!(channel instanceof Http2StreamChannel)) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void onClose(Runnable callback) {
        channel.closeFuture().addListener(f -> callback.run());
    }
}
