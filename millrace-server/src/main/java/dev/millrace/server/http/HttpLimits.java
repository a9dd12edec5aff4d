package dev.millrace.server.http;

/**
 * What one client, and all of them together, may hold of the HTTP layer. Every limit applies to the plain and the TLS
 * port together.
 *
 * <p>Immutable, thread-safe.
 *
 * @param maxConnections            open connections at once; one more is closed as soon as it is accepted
 * @param idleTimeoutMs             a connection that neither reads nor writes this long is closed. A SubscribeToShard
 *                                  answer writes at least every 5 s, so it is never idle; the SDKs drop their own
 *                                  idle connections after 5 to 60 s, well before this
 * @param headerTimeoutMs           from a request's first byte to the end of its headers (HTTP/1.1; slowloris)
 * @param bodyTimeoutMs             from the end of a request's headers to the end of its body (HTTP/1.1 and HTTP/2)
 * @param http2MaxConcurrentStreams SETTINGS_MAX_CONCURRENT_STREAMS: requests open at once on one HTTP/2 connection
 * @param http2InitialWindowBytes   SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on one stream before the
 *                                  server has taken it in
 * @param bodyBudgetBytes           request bodies held at once, across all connections, from their first byte until
 *                                  their answer is written; a request that would go beyond it is answered 503
 * @param connectionBodyBytes       the share of {@code bodyBudgetBytes} one connection may hold (an HTTP/2 connection
 *                                  for all its streams together), so that one client cannot take the whole budget
 *                                  and keep it until its body timeout; beyond it that connection's request is
 *                                  answered 503 as well
 * @param maxQueuedRequests         requests read whole and waiting for an API thread; one more is answered 503 at
 *                                  once (load shedding: under overload a client hears "retry" in microseconds instead
 *                                  of timing out behind a queue that only grows)
 * @param maxQueueWaitMs            how long a request may wait in that queue; one that waited longer is answered 503
 *                                  when an API thread takes it, without being run: a queue bounded only by count
 *                                  holds seconds of work when requests are big (1,024 PutRecords of 500 records), so
 *                                  under overload the calls that are served would otherwise wait that long too
 */
public record HttpLimits(int maxConnections, long idleTimeoutMs, long headerTimeoutMs, long bodyTimeoutMs,
                         int http2MaxConcurrentStreams, int http2InitialWindowBytes, long bodyBudgetBytes,
                         long connectionBodyBytes, int maxQueuedRequests, long maxQueueWaitMs) {
    public static final int MAX_CONNECTIONS_DEFAULT = 4_096;
    public static final long IDLE_TIMEOUT_MS_DEFAULT = 120_000;
    public static final long HEADER_TIMEOUT_MS_DEFAULT = 20_000;
    public static final long BODY_TIMEOUT_MS_DEFAULT = 60_000;
    public static final int HTTP2_MAX_CONCURRENT_STREAMS_DEFAULT = 100;
    /** HTTP/2's own default (RFC 9113 6.5.2). */
    public static final int HTTP2_INITIAL_WINDOW_BYTES_DEFAULT = 65_535;
    /** Sixteen of the largest requests (a 10 MiB PutRecords in base64 JSON is about 14 MiB). */
    public static final long BODY_BUDGET_BYTES_DEFAULT = 256L * 1024 * 1024;
    /** A quarter of the budget: four of the largest requests on one connection, and no client holds it all. */
    public static final long CONNECTION_BODY_BYTES_DEFAULT = BODY_BUDGET_BYTES_DEFAULT / 4;
    /** Sixteen waiting per API thread (64): about a second of work at the API's rate on two cores. */
    public static final int MAX_QUEUED_REQUESTS_DEFAULT = 1_024;
    /** A second: far beyond a healthy call's wait, well within every SDK's timeouts. */
    public static final long MAX_QUEUE_WAIT_MS_DEFAULT = 1_000;

    public static final HttpLimits DEFAULT = new HttpLimits(MAX_CONNECTIONS_DEFAULT, IDLE_TIMEOUT_MS_DEFAULT,
            HEADER_TIMEOUT_MS_DEFAULT, BODY_TIMEOUT_MS_DEFAULT, HTTP2_MAX_CONCURRENT_STREAMS_DEFAULT,
            HTTP2_INITIAL_WINDOW_BYTES_DEFAULT, BODY_BUDGET_BYTES_DEFAULT, CONNECTION_BODY_BYTES_DEFAULT,
            MAX_QUEUED_REQUESTS_DEFAULT, MAX_QUEUE_WAIT_MS_DEFAULT);

    public HttpLimits {
        if (maxConnections < 1 || idleTimeoutMs < 1 || headerTimeoutMs < 1 || bodyTimeoutMs < 1
                || http2MaxConcurrentStreams < 1 || bodyBudgetBytes < 1 || connectionBodyBytes < 1
                || maxQueuedRequests < 1 || maxQueueWaitMs < 1) {
            throw new IllegalArgumentException("HTTP limits must be positive: " + this);
        }
        if (connectionBodyBytes > bodyBudgetBytes) {
            throw new IllegalArgumentException("a connection's share of the body budget (" + connectionBodyBytes
                    + " bytes) cannot exceed the budget (" + bodyBudgetBytes + " bytes)");
        }
        if (http2InitialWindowBytes < 1024) {
            throw new IllegalArgumentException("the HTTP/2 initial window must be at least 1024 bytes, not "
                    + http2InitialWindowBytes);
        }
    }

    public HttpLimits withMaxConnections(int value) {
        return new HttpLimits(value, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs, http2MaxConcurrentStreams,
                http2InitialWindowBytes, bodyBudgetBytes, connectionBodyBytes, maxQueuedRequests, maxQueueWaitMs);
    }

    public HttpLimits withIdleTimeoutMs(long value) {
        return new HttpLimits(maxConnections, value, headerTimeoutMs, bodyTimeoutMs, http2MaxConcurrentStreams,
                http2InitialWindowBytes, bodyBudgetBytes, connectionBodyBytes, maxQueuedRequests, maxQueueWaitMs);
    }

    public HttpLimits withHeaderTimeoutMs(long value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, value, bodyTimeoutMs, http2MaxConcurrentStreams,
                http2InitialWindowBytes, bodyBudgetBytes, connectionBodyBytes, maxQueuedRequests, maxQueueWaitMs);
    }

    public HttpLimits withBodyTimeoutMs(long value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, headerTimeoutMs, value, http2MaxConcurrentStreams,
                http2InitialWindowBytes, bodyBudgetBytes, connectionBodyBytes, maxQueuedRequests, maxQueueWaitMs);
    }

    public HttpLimits withHttp2MaxConcurrentStreams(int value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs, value,
                http2InitialWindowBytes, bodyBudgetBytes, connectionBodyBytes, maxQueuedRequests, maxQueueWaitMs);
    }

    public HttpLimits withHttp2InitialWindowBytes(int value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs,
                http2MaxConcurrentStreams, value, bodyBudgetBytes, connectionBodyBytes, maxQueuedRequests,
                maxQueueWaitMs);
    }

    /** The budget; a connection's share shrinks with it if it would exceed it. */
    public HttpLimits withBodyBudgetBytes(long value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs,
                http2MaxConcurrentStreams, http2InitialWindowBytes, value, Math.min(connectionBodyBytes, value),
                maxQueuedRequests, maxQueueWaitMs);
    }

    public HttpLimits withConnectionBodyBytes(long value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs,
                http2MaxConcurrentStreams, http2InitialWindowBytes, bodyBudgetBytes, value, maxQueuedRequests,
                maxQueueWaitMs);
    }

    public HttpLimits withMaxQueueWaitMs(long value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs, http2MaxConcurrentStreams,
                http2InitialWindowBytes, bodyBudgetBytes, connectionBodyBytes, maxQueuedRequests, value);
    }

    public HttpLimits withMaxQueuedRequests(int value) {
        return new HttpLimits(maxConnections, idleTimeoutMs, headerTimeoutMs, bodyTimeoutMs,
                http2MaxConcurrentStreams, http2InitialWindowBytes, bodyBudgetBytes, connectionBodyBytes, value,
                maxQueueWaitMs);
    }
}
