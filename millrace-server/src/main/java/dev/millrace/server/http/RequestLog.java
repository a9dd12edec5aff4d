package dev.millrace.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.millrace.cloudwatch.CloudWatchApi;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.cluster.ClusterCalls;
import dev.millrace.glue.GlueApi;
import dev.millrace.lambda.LambdaApi;
import dev.millrace.sts.StsApi;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The request log: one INFO line per answered request on this class's own logger
 * ({@code dev.millrace.server.http.RequestLog}), off unless switched on ({@link HttpServer#logRequests}:
 * {@code millrace server --request-log}) and that logger is enabled at INFO. A line:
 * <pre>
 * remote=127.0.0.1:50412 service=kinesis operation=PutRecords stream=orders status=200 error=- latencyMs=3
 *     bytesIn=312 bytesOut=110 requestId=4f0c…
 * </pre>
 * (one line; the time is the log line's own). The same fields go with the line as key-value pairs, so that
 * {@code --log-format json} writes them as fields. {@code stream} is the StreamName, StreamARN or ConsumerARN's stream
 * a Kinesis call names ({@code -} for other services or none); {@code error} the AWS error type; a SubscribeToShard
 * is logged when its event stream ends, with what it sent. Record data is never logged.
 *
 * <p>The switch is process-wide, as logger levels are: a benchmark or a test that embeds the server has no request
 * log unless it asks for one. While it is off nothing is collected: {@link #start} returns {@code null} and the
 * handler carries nothing. Finding the stream name reads the body's top-level fields again, and only for a line that is written.
 *
 * <p>Thread-safe: an {@link Entry} is logged at most once, from whichever thread answers.
 */
final class RequestLog {
    static final int MAX_LOGGED_CHARS = 128;
    private static final Logger log = LoggerFactory.getLogger(RequestLog.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final CBORFactory CBOR = new CBORFactory();
    private static final String KINESIS_PREFIX = "Kinesis_20131202.";
    private static final String DYNAMODB_PREFIX = "DynamoDB_20120810.";
    private static final String CLOUDWATCH_RPC = "/service/" + CloudWatchApi.SERVICE + "/operation/";
    private static volatile boolean enabled;

    private RequestLog() {
    }

    static void enable(boolean on) {
        enabled = on;
    }

    /** One request on its way to an answer, as received. */
    static final class Entry {
        private final long startNanos = System.nanoTime();
        private final String remote;
        private final String method;
        private final String uri;
        private final String target;
        private final String contentType;
        private final byte[] body;
        private final long bytesIn;
        private final String requestId;
        private final AtomicBoolean logged = new AtomicBoolean();

        private Entry(String remote, String method, String uri, String target, String contentType, byte[] body,
                      long bytesIn, String requestId) {
            this.requestId = requestId;
            this.remote = remote;
            this.method = method;
            this.uri = uri;
            this.target = target;
            this.contentType = contentType;
            this.body = body;
            this.bytesIn = bytesIn;
        }
    }

    /**
     * The entry of a request read whole ({@code body} as sent), or {@code null} while the log is off. Called on the
     * event loop before the request is released.
     */
    static Entry start(ChannelHandlerContext ctx, HttpRequest request, byte[] body, String requestId) {
        if (!enabled || !log.isInfoEnabled()) {
            return null;
        }
        return new Entry(remote(ctx.channel().remoteAddress()), request.method().name(), request.uri(),
                request.headers().get("X-Amz-Target"), request.headers().get(HttpHeaderNames.CONTENT_TYPE), body,
                body != null ? body.length : HttpUtil.getContentLength(request, 0L), requestId);
    }

    /** Logs the answer of {@code entry} (once; later calls do nothing). Does nothing for a {@code null} entry. */
    static void answered(Entry entry, int status, String errorType, long bytesOut) {
        if (entry == null || !entry.logged.compareAndSet(false, true)) {
            return;
        }
        long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - entry.startNanos);
        String[] call = serviceAndOperation(entry);
        call[1] = printable(call[1]);
        String stream = call[0].equals("kinesis") ? printable(streamOf(entry)) : null;
        String error = errorType != null ? errorType : "-";
        LoggingEventBuilder line = log.atInfo().addKeyValue("remote", entry.remote).addKeyValue("service", call[0])
                .addKeyValue("operation", call[1]);
        if (stream != null) {
            line.addKeyValue("stream", stream);
        }
        line.addKeyValue("status", status);
        if (errorType != null) {
            line.addKeyValue("error", errorType);
        }
        line.addKeyValue("latencyMs", latencyMs).addKeyValue("bytesIn", entry.bytesIn)
                .addKeyValue("bytesOut", bytesOut).addKeyValue("requestId", entry.requestId)
                .log("remote={} service={} operation={} stream={} status={} error={} latencyMs={} bytesIn={} "
                                + "bytesOut={} requestId={}", entry.remote, call[0], call[1],
                        stream != null ? stream : "-", status, error, latencyMs, entry.bytesIn, bytesOut,
                        entry.requestId);
    }

    /**
     * What a client wrote, fit for one log line: at most {@value #MAX_LOGGED_CHARS} characters of names, ARNs and
     * paths ({@code A-Z a-z 0-9 _ . - : / @ + = ,}), anything else shown as {@code ?}, so that a name cannot start a
     * forged line or fill the log.
     */
    static String printable(String clientText) {
        if (clientText == null) {
            return null;
        }
        int n = Math.min(clientText.length(), MAX_LOGGED_CHARS);
        StringBuilder b = new StringBuilder(n + 3);
        for (int i = 0; i < n; i++) {
            char c = clientText.charAt(i);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "_.-:/@+=,".indexOf(c) >= 0;
            b.append(plain ? c : '?');
        }
        return clientText.length() > MAX_LOGGED_CHARS ? b.append("...").toString() : b.toString();
    }

    /** The service and operation a request names, as far as its headers, path and body tell. */
    static String[] serviceAndOperation(Entry e) {
        String target = e.target;
        if (target != null && !target.contains(",")) {
            int dot = target.indexOf('.');
            String prefix = dot < 0 ? target : target.substring(0, dot + 1);
            String operation = dot < 0 ? "-" : target.substring(dot + 1);
            switch (prefix) {
                case KINESIS_PREFIX: return new String[] {"kinesis", operation};
                case DYNAMODB_PREFIX: return new String[] {"dynamodb", operation};
                case CloudWatchApi.SERVICE + ".": return new String[] {"cloudwatch", operation};
                case GlueApi.TARGET_PREFIX: return new String[] {"glue", operation};
                default: return new String[] {"unknown", target};
            }
        }
        String path = e.uri.indexOf('?') < 0 ? e.uri : e.uri.substring(0, e.uri.indexOf('?'));
        if (path.startsWith(CLOUDWATCH_RPC)) {
            return new String[] {"cloudwatch", path.substring(CLOUDWATCH_RPC.length())};
        }
        if (path.equals(ClusterCalls.PATH)) {
            return new String[] {"cluster", "forward"};
        }
        if (LambdaApi.isLambdaPath(path)) {
            String operation = LambdaApi.operationOf(e.method, path);
            return new String[] {"lambda", operation != null ? operation : "-"};
        }
        if (!e.method.equals("POST")) {
            return new String[] {"millrace", e.method + " " + path};
        }
        String action = e.body == null ? null : formAction(e.body);
        if (action != null) {
            return new String[] {StsApi.isSts(null, e.contentType, e.body) ? "sts" : "cloudwatch", action};
        }
        return new String[] {"unknown", "-"};
    }

    /** The {@code Action} of a form-encoded body (AWS's query protocol), or {@code null}. */
    private static String formAction(byte[] body) {
        String form = new String(body, 0, Math.min(body.length, 4096), StandardCharsets.US_ASCII);
        for (String pair : form.split("&")) {
            if (pair.startsWith("Action=")) {
                return pair.substring("Action=".length());
            }
        }
        return null;
    }

    /** The stream a Kinesis call's body names at its top level, or {@code null}. */
    static String streamOf(Entry e) {
        if (e.body == null || e.body.length == 0) {
            return null;
        }
        JsonFactory factory = WireFormat.fromContentType(e.contentType) == WireFormat.CBOR ? CBOR : JSON;
        try (JsonParser p = factory.createParser(e.body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String arn = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING && field.equals("StreamName")) {
                    return p.getText();
                } else if (value == JsonToken.VALUE_STRING && (field.equals("StreamARN")
                        || field.equals("ConsumerARN"))) {
                    arn = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            return arn == null ? null : streamOfArn(arn);
        } catch (IOException | RuntimeException unreadable) {
            // The call itself is answered with what is wrong with it; the log line just has no stream.
            return null;
        }
    }

    /** {@code NAME} of {@code arn:...:stream/NAME} or {@code arn:...:stream/NAME/consumer/...}. */
    static String streamOfArn(String arn) {
        int at = arn.indexOf(":stream/");
        if (at < 0) {
            return null;
        }
        String rest = arn.substring(at + ":stream/".length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    private static String remote(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
