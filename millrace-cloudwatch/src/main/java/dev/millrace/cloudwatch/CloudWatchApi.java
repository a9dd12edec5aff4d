package dev.millrace.cloudwatch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;
import dev.millrace.metrics.MinuteAggregate;
import dev.millrace.protocol.Failures;
import dev.millrace.protocol.JsonTree;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The CloudWatch subset Millrace serves on its one port: PutMetricData, so that apps publishing metrics (KCL and the
 * KPL do by default) keep working, and ListMetrics, GetMetricStatistics and GetMetricData to read back both what was
 * published and what the server records of itself through {@link #record} (namespace {@code AWS/Kinesis}), at
 * 1-minute resolution for a retention window (see {@link MetricStore}). CloudWatch has been called in three
 * protocols, and SDKs of every age are in use, so all three are served:
 * <pre>
 *   protocol           request                                              answer
 *   Smithy RPC v2 CBOR POST /service/GraniteServiceVersion20100801/         application/cbor,
 *   (SDK for Java v2     operation/NAME, smithy-protocol: rpc-v2-cbor,       smithy-protocol: rpc-v2-cbor
 *    of late 2025 on)    application/cbor body
 *   AWS JSON 1.0       X-Amz-Target: GraniteServiceVersion20100801.NAME,    application/x-amz-json-1.0
 *                        application/x-amz-json-1.0 body
 *   AWS query          POST /, application/x-www-form-urlencoded body       text/xml
 *   (AWS CLI v2,         Action=NAME&amp;Version=2010-08-01&amp;...
 *    older SDKs)
 * </pre>
 * Errors carry the modeled name as {@code __type} (CBOR, JSON) and the query code in {@code x-amzn-query-error}
 * (see {@link CloudWatchException}). This class owns the protocols; handlers see one decoded tree, and answer one,
 * whose timestamps ({@link Instant}) each protocol writes its way: CBOR as tag 1 and epoch seconds, JSON as epoch
 * seconds, the query protocol as ISO 8601.
 *
 * <p>Transport-free and thread-safe.
 */
public final class CloudWatchApi {
    private static final Logger log = LoggerFactory.getLogger(CloudWatchApi.class);

    public static final String SERVICE = "GraniteServiceVersion20100801";
    static final String RPC_PATH_PREFIX = "/service/" + SERVICE + "/operation/";
    static final String JSON_TARGET_PREFIX = SERVICE + ".";
    static final String NAMESPACE = "com.amazonaws.cloudwatch";
    static final String QUERY_XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/";
    private static final String QUERY_VERSION = "2010-08-01";
    private static final CBORFactory CBOR = new CBORFactory();
    private static final JsonFactory JSON = new JsonFactory();

    /** An answer: status, body, content type and the extra headers the protocol wants. */
    public record Result(int httpStatus, byte[] body, String contentType, Map<String, String> headers) {
    }

    enum Protocol {
        RPC_V2_CBOR("application/cbor"), JSON_1_0("application/x-amz-json-1.0"), QUERY("text/xml");

        final String contentType;

        Protocol(String contentType) {
            this.contentType = contentType;
        }
    }

    private final Map<String, CloudWatchOperation> operations;
    private final MetricStore store;

    /** Keeps metrics for 24 hours. */
    public CloudWatchApi(Clock clock) {
        this(clock, MetricStore.DEFAULT_RETENTION);
    }

    /** Keeps each metric's minutes for {@code retention} (at least a minute), within the default bounds. */
    public CloudWatchApi(Clock clock, Duration retention) {
        this(new MetricStore(clock, retention, MetricStore.DEFAULT_MAX_METRICS, MetricStore.DEFAULT_MAX_BUCKETS));
    }

    CloudWatchApi(MetricStore store) {
        this.store = store;
        this.operations = Map.of(
                "PutMetricData", new PutMetricDataHandler(store),
                "ListMetrics", new ListMetricsHandler(store),
                "GetMetricStatistics", new GetMetricStatisticsHandler(store),
                "GetMetricData", new GetMetricDataHandler(store));
    }

    /**
     * Adds the server's own metrics ({@link MinuteAggregate}s as millrace-metrics makes them, one type on both sides,
     * so the server hands them over as they are), with no protocol: each aggregate merges into its metric's minute (counts and
     * sums add, minimum and maximum combine), then reads as if published, under any namespace ({@code AWS/Kinesis}
     * included, which PutMetricData refuses). Aggregates with a sampleCount of 0 add nothing; minutes outside the
     * retention window, or past the store's bounds, are not kept (see {@link MetricStore}).
     *
     * @throws IllegalArgumentException before adding any if an aggregate is malformed (a missing name, a value
     *     that is not finite, a negative count, a minimum over the maximum, a unit CloudWatch does not know)
     */
    public void record(List<MinuteAggregate> aggregates) {
        List<MetricStore.MetricId> ids = new ArrayList<>(aggregates.size());
        for (MinuteAggregate a : aggregates) {
            ids.add(check(a));
        }
        for (int i = 0; i < ids.size(); i++) {
            MinuteAggregate a = aggregates.get(i);
            if (a.sampleCount() > 0) {
                store.add(ids.get(i), a.unit() == null ? "None" : a.unit(), a.minuteStartMs(), a.sampleCount(),
                        a.sum(), a.minimum(), a.maximum(), true);
            }
        }
    }

    private static MetricStore.MetricId check(MinuteAggregate a) {
        if (a.namespace() == null || a.namespace().isEmpty() || a.metricName() == null || a.metricName().isEmpty()) {
            throw new IllegalArgumentException("an aggregate needs a namespace and a metric name: " + a);
        }
        if (a.unit() != null && !MetricStore.UNITS.contains(a.unit())) {
            throw new IllegalArgumentException("not a CloudWatch unit: " + a);
        }
        boolean finite = Double.isFinite(a.sampleCount()) && Double.isFinite(a.sum())
                && Double.isFinite(a.minimum()) && Double.isFinite(a.maximum());
        if (!finite || a.sampleCount() < 0 || (a.sampleCount() > 0 && a.minimum() > a.maximum())) {
            throw new IllegalArgumentException("malformed aggregate: " + a);
        }
        List<MetricStore.Dimension> dimensions = new ArrayList<>();
        if (a.dimensions() != null) {
            a.dimensions().forEach((name, value) -> dimensions.add(new MetricStore.Dimension(name, value)));
        }
        dimensions.sort((x, y) -> x.name().compareTo(y.name()));
        return new MetricStore.MetricId(a.namespace(), a.metricName(), List.copyOf(dimensions));
    }

    /**
     * True when a request addressed to Millrace's port is a CloudWatch call (Kinesis never sends these forms). The
     * path and the target mark the RPC v2 CBOR and JSON 1.0 protocols by themselves. A form content type does not
     * mark the query protocol: clients add it to any body that has no content type (curl -d, and signers such as
     * aws4), and AWS Kinesis answers those with its own errors. So a query call is recognised by its body as well:
     * an {@code Action} and CloudWatch's {@code Version}, which every query client sends.
     */
    public static boolean isCloudWatch(String path, String target, String contentType, byte[] body) {
        Protocol protocol = protocol(path, target, contentType);
        return protocol != null && (protocol != Protocol.QUERY || isQueryCall(body));
    }

    private static boolean isQueryCall(byte[] body) {
        boolean action = false;
        boolean version = false;
        for (String pair : new String(body, StandardCharsets.UTF_8).split("&")) {
            action |= pair.startsWith("Action=") && pair.length() > "Action=".length();
            version |= pair.equals("Version=" + QUERY_VERSION);
        }
        return action && version;
    }

    static Protocol protocol(String path, String target, String contentType) {
        if (path != null && path.startsWith(RPC_PATH_PREFIX)) {
            return Protocol.RPC_V2_CBOR;
        }
        if (target != null && target.startsWith(JSON_TARGET_PREFIX)) {
            return Protocol.JSON_1_0;
        }
        // Only without a target: curl -d sends this content type by default, and a Kinesis call made that way must
        // still reach Kinesis.
        if (target == null && contentType != null && contentType.toLowerCase(Locale.ROOT)
                .startsWith("application/x-www-form-urlencoded")) {
            return Protocol.QUERY;
        }
        return null;
    }

    /** Handles one call; never throws. */
    public Result handle(String path, String target, String contentType, byte[] body, String requestId) {
        Protocol protocol = protocol(path, target, contentType);
        if (protocol == null) {
            protocol = Protocol.JSON_1_0;
        }
        String operation = null;
        try {
            Map<String, Object> input;
            switch (protocol) {
                case RPC_V2_CBOR:
                    operation = path.substring(RPC_PATH_PREFIX.length());
                    input = decode(CBOR, body);
                    break;
                case JSON_1_0:
                    operation = target.substring(JSON_TARGET_PREFIX.length());
                    input = decode(JSON, body);
                    break;
                default:
                    input = QueryForm.parse(body);
                    Object action = input.remove("Action");
                    input.remove("Version");
                    operation = action instanceof String ? (String) action : "";
            }
            CloudWatchOperation handler = operations.get(operation);
            if (handler == null) {
                throw CloudWatchException.unknownOperation(operation);
            }
            return success(protocol, operation, handler.handle(input), requestId);
        } catch (CloudWatchException e) {
            return error(protocol, e, requestId);
        } catch (Throwable e) {
            // A bug, a StackOverflowError, a survivable OutOfMemoryError: the client still gets an answer, a
            // retryable 500, and the log one line.
            log.error("CloudWatch {} request {} failed: {}", operation, requestId, Failures.brief(e));
            return error(protocol, CloudWatchException.internal(), requestId);
        }
    }

    /**
     * CloudWatch's retryable 500 with {@code message}, in the protocol the call came in: for a call this node could
     * not get answered (another node of a cluster was to run it and could not be reached).
     */
    public static Result internalError(String path, String target, String contentType, String message,
                                       String requestId) {
        Protocol protocol = protocol(path, target, contentType);
        return error(protocol == null ? Protocol.JSON_1_0 : protocol, CloudWatchException.internal(message),
                requestId);
    }

    /**
     * The operation a call names (e.g. {@code PutMetricData}), for its IAM action {@code cloudwatch:<operation>}; null
     * if it names none. CloudWatch's actions act on no resource.
     */
    public static String operationOf(String path, String target, String contentType, byte[] body) {
        Protocol protocol = protocol(path, target, contentType);
        if (protocol == Protocol.RPC_V2_CBOR) {
            return path.substring(RPC_PATH_PREFIX.length());
        }
        if (protocol == Protocol.JSON_1_0) {
            return target.substring(JSON_TARGET_PREFIX.length());
        }
        try {
            Object action = QueryForm.parse(body).get("Action");
            return action instanceof String ? (String) action : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * An authentication or authorization failure, in the protocol of the call: {@code type} is the JSON and CBOR
     * protocols' {@code __type}, {@code queryCode} the query protocol's code (CloudWatch's are
     * {@code InvalidClientTokenId}, {@code SignatureDoesNotMatch}, {@code MissingAuthenticationToken},
     * {@code IncompleteSignature}, {@code AccessDenied}).
     */
    public static Result securityError(String path, String target, String contentType, String type,
                                       String queryCode, int httpStatus, String message, String requestId) {
        Protocol protocol = protocol(path, target, contentType);
        return error(protocol == null ? Protocol.QUERY : protocol,
                CloudWatchException.security(type, queryCode, httpStatus, message), requestId);
    }

    /** Data points not kept because the store was at its bound of metrics or of minute buckets. */
    public long droppedDatapoints() {
        return store.droppedDatapoints();
    }

    MetricStore store() {
        return store;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> decode(JsonFactory factory, byte[] body) {
        if (body.length == 0) {
            return new LinkedHashMap<>();
        }
        try (JsonParser p = factory.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw CloudWatchException.malformed("The request body must be a structure.");
            }
            return (Map<String, Object>) JsonTree.read(p);
        } catch (IOException | NumberFormatException e) {
            throw CloudWatchException.malformed("The request body could not be read: " + e.getMessage());
        }
    }

    private static Result success(Protocol protocol, String operation, Map<String, Object> output, String requestId) {
        if (protocol == Protocol.QUERY) {
            return new Result(200, QueryXml.response(operation, output, requestId), protocol.contentType, Map.of());
        }
        return new Result(200, encode(protocol, g -> writeValue(g, output)), protocol.contentType,
                protocolHeaders(protocol));
    }

    private static Result error(Protocol protocol, CloudWatchException e, String requestId) {
        if (protocol == Protocol.QUERY) {
            return new Result(e.httpStatus(), QueryXml.error(e, requestId), protocol.contentType, Map.of());
        }
        byte[] body = encode(protocol, g -> {
            g.writeStartObject();
            g.writeStringField("__type", NAMESPACE + "#" + e.type());
            g.writeStringField("message", e.getMessage());
            g.writeEndObject();
        });
        Map<String, String> headers = new LinkedHashMap<>(protocolHeaders(protocol));
        headers.put("x-amzn-query-error", e.queryCode() + ";" + e.fault());
        return new Result(e.httpStatus(), body, protocol.contentType, headers);
    }

    private static Map<String, String> protocolHeaders(Protocol protocol) {
        return protocol == Protocol.RPC_V2_CBOR ? Map.of("smithy-protocol", "rpc-v2-cbor") : Map.of();
    }

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] encode(Protocol protocol, Writer writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = (protocol == Protocol.RPC_V2_CBOR ? CBOR : JSON).createGenerator(out)) {
            writer.write(g);
        } catch (IOException e) {
            throw new IllegalStateException("encoding to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    private static void writeValue(JsonGenerator g, Object value) throws IOException {
        if (value instanceof Map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                g.writeFieldName((String) e.getKey());
                writeValue(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof Iterable) {
            g.writeStartArray();
            for (Object item : (Iterable<?>) value) {
                writeValue(g, item);
            }
            g.writeEndArray();
        } else if (value instanceof Number) {
            g.writeNumber(((Number) value).doubleValue());
        } else if (value instanceof Boolean) {
            g.writeBoolean((Boolean) value);
        } else if (value instanceof Instant) {
            if (g instanceof CBORGenerator) {
                ((CBORGenerator) g).writeTag(1);
            }
            long ms = ((Instant) value).toEpochMilli();
            if (ms % 1000 == 0) {
                g.writeNumber(ms / 1000); // Whole seconds, as metric timestamps are: 1700000040, not 1.70000004E9.
            } else {
                g.writeNumber(ms / 1000.0);
            }
        } else {
            g.writeString(String.valueOf(value));
        }
    }
}
