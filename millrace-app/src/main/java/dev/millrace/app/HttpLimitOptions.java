package dev.millrace.app;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.millrace.server.ServerConfig;
import dev.millrace.server.http.HttpLimits;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.lang.management.ManagementFactory;
import java.util.function.Function;

/**
 * The options of {@code millrace server} that bound what clients can hold on the HTTP layer (a picocli mixin):
 * connections, timeouts, HTTP/2 streams and window, request bodies in memory, and the queue in front of the API
 * threads; and how they become {@link HttpLimits}. Like every option of the server, each can also come from a
 * {@code MILLRACE_*} variable or the config file ({@link ConfigSources}).
 *
 * <p>Not thread-safe; picocli fills it in once and {@link ServerCommand} reads it once.
 */
final class HttpLimitOptions {
    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections open at once, on both ports together; one more is closed as soon as it is "
                    + "accepted (with one log line per 10 s). Default: " + HttpLimits.MAX_CONNECTIONS_DEFAULT
                    + ", or a quarter of this process's file-descriptor limit if that is lower (at least 64).")
    Integer maxConnections;

    @Option(names = "--idle-timeout-ms", defaultValue = "" + HttpLimits.IDLE_TIMEOUT_MS_DEFAULT, paramLabel = "MS",
            description = "A connection that neither sends nor receives anything this long is closed; a "
                    + "SubscribeToShard answer sends an event at least every 5 s, so it is never idle "
                    + "(default: ${DEFAULT-VALUE}).")
    long idleTimeoutMs;

    @Option(names = "--header-timeout-ms", defaultValue = "" + HttpLimits.HEADER_TIMEOUT_MS_DEFAULT,
            paramLabel = "MS",
            description = "Time from a request's first byte to the end of its headers; a slower client is "
                    + "disconnected (default: ${DEFAULT-VALUE}).")
    long headerTimeoutMs;

    @Option(names = "--body-timeout-ms", defaultValue = "" + HttpLimits.BODY_TIMEOUT_MS_DEFAULT, paramLabel = "MS",
            description = "Time from the end of a request's headers to the end of its body; a slower client is "
                    + "disconnected (default: ${DEFAULT-VALUE}).")
    long bodyTimeoutMs;

    @Option(names = "--http2-max-streams", defaultValue = "" + HttpLimits.HTTP2_MAX_CONCURRENT_STREAMS_DEFAULT,
            paramLabel = "N",
            description = "Requests (and SubscribeToShard subscriptions) open at once on one HTTP/2 connection; "
                    + "clients open more connections for more (default: ${DEFAULT-VALUE}).")
    int http2MaxStreams;

    @Option(names = "--http2-window-bytes", defaultValue = "" + HttpLimits.HTTP2_INITIAL_WINDOW_BYTES_DEFAULT,
            paramLabel = "BYTES",
            description = "HTTP/2 initial flow-control window: what a client may send on a stream ahead of the "
                    + "server taking it in (default: ${DEFAULT-VALUE}).")
    int http2WindowBytes;

    @Option(names = "--body-budget-bytes", defaultValue = "" + HttpLimits.BODY_BUDGET_BYTES_DEFAULT,
            paramLabel = "BYTES",
            description = "Request bodies held in memory at once, across all connections; a request beyond it is "
                    + "answered 503 ServiceUnavailableException, which SDKs retry. At least the largest body, "
                    + ServerConfig.MAX_BODY_BYTES_DEFAULT + " (default: ${DEFAULT-VALUE}).")
    long bodyBudgetBytes;

    @Option(names = "--connection-body-budget-bytes", paramLabel = "BYTES",
            description = "The share of --body-budget-bytes one connection may hold (an HTTP/2 connection for all its "
                    + "streams); a request beyond it is answered 503 ServiceUnavailableException. Between the "
                    + "largest request body and --body-budget-bytes. Default: a quarter of --body-budget-bytes ("
                    + HttpLimits.CONNECTION_BODY_BYTES_DEFAULT + " with its default), at least the largest body.")
    Long connectionBodyBudgetBytes;

    @Option(names = "--max-queued-requests", defaultValue = "" + HttpLimits.MAX_QUEUED_REQUESTS_DEFAULT,
            paramLabel = "N",
            description = "Requests waiting for an API thread at once; one more is answered 503 "
                    + "ServiceUnavailableException at once, which SDKs retry, rather than queued to time out "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxQueuedRequests;

    @Option(names = "--max-queue-wait-ms", defaultValue = "" + HttpLimits.MAX_QUEUE_WAIT_MS_DEFAULT,
            paramLabel = "MS",
            description = "How long a request may wait for an API thread; one that waited longer is answered 503 "
                    + "ServiceUnavailableException instead of being run, so that under overload the calls served "
                    + "are not slowed by the whole queue (default: ${DEFAULT-VALUE}).")
    long maxQueueWaitMs;

    /**
     * The HTTP layer's limits from the options, for requests of at most {@code maxBodyBytes}; {@code usage} builds
     * the usage error (exit 2) for a value out of range.
     */
    HttpLimits limits(int maxBodyBytes, Function<String, CommandLine.ParameterException> usage) {
        if (maxConnections != null && maxConnections < 1) {
            throw usage.apply("--max-connections must be 1 or more, not " + maxConnections);
        }
        if (idleTimeoutMs < 1 || headerTimeoutMs < 1 || bodyTimeoutMs < 1 || http2MaxStreams < 1) {
            throw usage.apply("--idle-timeout-ms, --header-timeout-ms, --body-timeout-ms and --http2-max-streams "
                    + "must be positive");
        }
        if (maxQueueWaitMs < 1) {
            throw usage.apply("--max-queue-wait-ms must be 1 or more, not " + maxQueueWaitMs);
        }
        if (maxQueuedRequests < 1) {
            throw usage.apply("--max-queued-requests must be 1 or more, not " + maxQueuedRequests);
        }
        if (http2WindowBytes < 1024) {
            throw usage.apply("--http2-window-bytes must be at least 1024, not " + http2WindowBytes);
        }
        if (bodyBudgetBytes < maxBodyBytes) {
            throw usage.apply("--body-budget-bytes must be at least the largest request body, " + maxBodyBytes
                    + ", not " + bodyBudgetBytes);
        }
        long connectionShare = connectionBodyBudgetBytes != null ? connectionBodyBudgetBytes
                : Math.max(maxBodyBytes, bodyBudgetBytes / 4);
        if (connectionShare < maxBodyBytes || connectionShare > bodyBudgetBytes) {
            throw usage.apply("--connection-body-budget-bytes must be between the largest request body, "
                    + maxBodyBytes + ", and --body-budget-bytes, " + bodyBudgetBytes + ", not " + connectionShare);
        }
        return new HttpLimits(maxConnections != null ? maxConnections : defaultMaxConnections(), idleTimeoutMs,
                headerTimeoutMs, bodyTimeoutMs, http2MaxStreams, http2WindowBytes, bodyBudgetBytes,
                connectionShare, maxQueuedRequests, maxQueueWaitMs);
    }

    /**
     * A quarter of the descriptor limit: half is the storage's ({@link ServerCommand#defaultMaxOpenFiles}), the rest
     * spare.
     */
    static int defaultMaxConnections() {
        long limit = descriptorLimit();
        return (int) Math.max(64, Math.min(limit / 4, HttpLimits.MAX_CONNECTIONS_DEFAULT));
    }

    private static long descriptorLimit() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof UnixOperatingSystemMXBean
                ? ((UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount() : Long.MAX_VALUE;
    }
}
