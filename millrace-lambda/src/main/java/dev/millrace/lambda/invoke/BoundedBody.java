package dev.millrace.lambda.invoke;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body kept in memory up to a limit: past it the subscription is cancelled (the client stops reading and
 * drops the connection) and the body reports {@link Body#tooLarge}, so a function answering gigabytes costs at most
 * the limit.
 *
 * <p>One per response. The HTTP client calls it from one thread at a time (reactive-streams rule); {@link #cancel}
 * may come from another, hence the volatile subscription.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<BoundedBody.Body> {
    /** The body, or a sign it passed the limit (then {@code bytes} is empty). */
    record Body(byte[] bytes, boolean tooLarge) {
    }

    private final CompletableFuture<Body> result = new CompletableFuture<>();
    private final int maxBytes;
    private final boolean declaredTooLarge;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private volatile Flow.Subscription subscription;

    /** @param declaredBytes the Content-Length, -1 if none: a body declared larger than the limit is not read. */
    BoundedBody(int maxBytes, long declaredBytes) {
        this.maxBytes = maxBytes;
        this.declaredTooLarge = declaredBytes > maxBytes;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (declaredTooLarge) {
            s.cancel();
            result.complete(new Body(InvokeOutcome.noBody(), true));
            return;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        for (ByteBuffer item : items) {
            if ((long) buffer.size() + item.remaining() > maxBytes) {
                subscription.cancel();
                result.complete(new Body(InvokeOutcome.noBody(), true));
                return;
            }
            byte[] chunk = new byte[item.remaining()];
            item.get(chunk);
            buffer.write(chunk, 0, chunk.length);
        }
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
        result.complete(new Body(buffer.toByteArray(), false));
    }

    @Override
    public CompletionStage<Body> getBody() {
        return result;
    }

    /** Stops reading: the invocation was given up (timed out). */
    void cancel() {
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }
}
