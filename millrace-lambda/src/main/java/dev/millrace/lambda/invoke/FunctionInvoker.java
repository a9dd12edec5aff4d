package dev.millrace.lambda.invoke;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Invokes a function: POSTs the event to the function's URL as registered (for the Runtime Interface Emulator
 * {@code http://127.0.0.1:9000/2015-03-31/functions/function/invocations}) and sorts what came back into an
 * {@link InvokeOutcome} ({@link InvokeResponses} has the rules).
 *
 * <p>Bounds, so that no function can hang or flood the processing loop:
 * <ul>
 *   <li>connect timeout (the client's): a connection not made in time is {@code NOT_DELIVERED}, the function never
 *       saw the batch;
 *   <li>invocation timeout (per call, normally the function's registered timeout): runs from when the client starts
 *       sending the event (the connection is up); a call with no complete response by then is given up and is a
 *       {@code FUNCTION_ERROR} ({@code Sandbox.Timedout}), as Lambda reports a function that outlives its timeout.
 *       The exchange is cancelled, which closes the connection. A call that gets neither a connection nor a
 *       response within connect + invocation timeout (and a second) is given up too;
 *   <li>response size: {@link #MAX_RESPONSE_BYTES} (Lambda's 6 MB response limit plus the emulator's 100-byte
 *       margin); a larger answer is not read further and is a {@code FUNCTION_ERROR}
 *       ({@code Function.ResponseSizeTooLarge}), as on Lambda.
 * </ul>
 * A fresh connection lost after the event went out (reset, closed before a response: the function's process died, say)
 * is a {@code FUNCTION_ERROR} too: the batch may well have reached the function, and not counting it would let a record
 * that kills its function block the shard regardless of MaximumRetryAttempts. A pooled connection the server closed
 * before answering is {@code NOT_DELIVERED}: that is mostly the server's idle timeout racing a request it never ran.
 *
 * <p>Thread-safe: one shared {@link HttpClient} and one timer thread, no other state; any number of shard loops call
 * {@link #invoke} at once. The calling thread blocks for the invocation. {@link #close} stops the timer thread.
 */
public final class FunctionInvoker implements AutoCloseable {
    /** Lambda's 6 MB payload limit plus the emulator's margin ({@code MaxPayloadSize = 6*1024*1024 + 100}). */
    public static final int MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;

    /** How much longer than connect + invocation timeout the caller waits before concluding nothing happened. */
    private static final long BOUND_SLACK_MS = 1_000;

    private final HttpClient client;
    private final ScheduledThreadPoolExecutor timers;
    private final Duration connectTimeout;

    public FunctionInvoker(Duration connectTimeout) {
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        // HTTP/1.1: the emulator speaks nothing else; the default (HTTP/2) would offer an h2c upgrade on every call.
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.timers = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "millrace-invoke-timeouts");
            thread.setDaemon(true);
            return thread;
        });
        // Most calls end long before their timeout: their timers must go, not wait out the function's timeout.
        timers.setRemoveOnCancelPolicy(true);
    }

    /**
     * Invokes the function at {@code url} with {@code event} (RequestResponse) and waits for the outcome. Never throws
     * for what the function or the network does; an interrupt gives up the call ({@code NOT_DELIVERED}, interrupt
     * status kept).
     */
    public InvokeOutcome invoke(URI url, byte[] event, Duration invocationTimeout) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        HttpRequest request = HttpRequest.newBuilder(url)
                .POST(new SignallingPublisher(HttpRequest.BodyPublishers.ofByteArray(event), sent))
                .header("Content-Type", "application/json")
                .header("X-Amz-Invocation-Type", "RequestResponse")
                .build();
        AtomicReference<BoundedBody> bodyRef = new AtomicReference<>();
        CompletableFuture<HttpResponse<BoundedBody.Body>> call = client.sendAsync(request, info -> {
            BoundedBody body = new BoundedBody(MAX_RESPONSE_BYTES,
                    info.headers().firstValueAsLong("Content-Length").orElse(-1));
            bodyRef.set(body);
            return body;
        });
        // True when the invocation timeout passes first, false when the call ends first.
        CompletableFuture<Boolean> expired = new CompletableFuture<>();
        call.whenComplete((response, failure) -> expired.complete(false));
        sent.thenRun(() -> {
            ScheduledFuture<?> timer = timers.schedule(() -> expired.complete(true),
                    invocationTimeout.toMillis(), TimeUnit.MILLISECONDS);
            expired.whenComplete((r, e) -> timer.cancel(false));
        });
        long boundMs = connectTimeout.toMillis() + invocationTimeout.toMillis() + BOUND_SLACK_MS;
        try {
            if (expired.get(boundMs, TimeUnit.MILLISECONDS)) {
                giveUp(call, bodyRef);
                return InvokeResponses.timedOut(invocationTimeout);
            }
            HttpResponse<BoundedBody.Body> response = call.get();
            return InvokeResponses.classify(response.statusCode(), response.headers(), response.body());
        } catch (TimeoutException e) {
            // Neither a response nor the timer in all that time: the event never went out.
            giveUp(call, bodyRef);
            return sent.isDone() ? InvokeResponses.timedOut(invocationTimeout)
                    : InvokeOutcome.notDelivered(0, "no connection to " + url + " in " + boundMs + " ms");
        } catch (InterruptedException e) {
            giveUp(call, bodyRef);
            Thread.currentThread().interrupt();
            return InvokeOutcome.notDelivered(0, "interrupted");
        } catch (ExecutionException e) {
            return failed(url, e.getCause());
        }
    }

    /** Stops the timeout timer thread. Invocations under way when this is called may then outlive their timeout. */
    @Override
    public void close() {
        timers.shutdownNow();
    }

    private static void giveUp(CompletableFuture<?> call, AtomicReference<BoundedBody> bodyRef) {
        call.cancel(true);
        BoundedBody body = bodyRef.get();
        if (body != null) {
            body.cancel();
        }
    }

    private static InvokeOutcome failed(URI url, Throwable cause) {
        if (hasCause(cause, HttpConnectTimeoutException.class)) {
            return InvokeOutcome.notDelivered(0, "connect timed out: " + url);
        }
        if (hasCause(cause, ConnectException.class) || hasCause(cause, UnresolvedAddressException.class)) {
            return InvokeOutcome.notDelivered(0, "cannot connect to " + url + ": " + cause);
        }
        if (hasCauseNamed(cause, "ConnectionExpiredException")) {
            // The JDK's name for a pooled connection the server closed before answering: the usual cause is the
            // server's idle timeout racing the request, which then never ran. (JDK-internal class, hence by name.)
            return InvokeOutcome.notDelivered(0, "pooled connection closed before an answer: " + cause);
        }
        if (cause instanceof IOException) {
            return InvokeOutcome.functionError(0, InvokeOutcome.noBody(), InvokeOutcome.UNHANDLED, null,
                    InvokeOutcome.LATEST, "connection lost after the event was sent: " + cause);
        }
        // Not IO: a bug here or in the client; the function is not to blame.
        return InvokeOutcome.notDelivered(0, "invocation failed: " + cause);
    }

    private static boolean hasCauseNamed(Throwable t, String simpleName) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getSimpleName().equals(simpleName)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** The timed-out message as Lambda words it: {@code Task timed out after 3.00 seconds}. */
    static String timedOutMessage(Duration timeout) {
        return String.format(Locale.ROOT, "Task timed out after %.2f seconds", timeout.toMillis() / 1000.0);
    }

    /**
     * The request body, signalling when the client starts taking it: the connection is up and the event is going out,
     * so the invocation timeout starts then (connecting has its own timeout).
     */
    private static final class SignallingPublisher implements HttpRequest.BodyPublisher {
        private final HttpRequest.BodyPublisher body;
        private final CompletableFuture<Void> sent;

        SignallingPublisher(HttpRequest.BodyPublisher body, CompletableFuture<Void> sent) {
            this.body = body;
            this.sent = sent;
        }

        @Override
        public long contentLength() {
            return body.contentLength();
        }

        @Override
        public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            sent.complete(null);
            body.subscribe(subscriber);
        }
    }
}
