package dev.millrace.server.cluster;

import dev.millrace.protocol.Account;
import dev.millrace.server.api.Caller;
import dev.millrace.server.api.OperationRouter;
import dev.millrace.storage.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Calls between the nodes of a cluster: a follower forwards the calls the metadata writer must run, whole, to the
 * writer's endpoint, and answers its client with the writer's answer once its own view holds what the writer
 * committed.
 *
 * <p><b>What is forwarded</b> ({@link #forwards}): the Kinesis operations that change metadata
 * ({@link OperationRouter#changesMetadata}), and every DynamoDB and CloudWatch call. DynamoDB's, because KCL's leases
 * need conditional writes that are linearizable across nodes, and one node evaluating every condition on its own
 * current items gives that without a distributed protocol; its reads go along so that a worker reads what it just
 * wrote (KCL's table traffic is a few calls per lease per second). CloudWatch's, because its metrics are kept in the
 * memory of the node that received them: kept on the writer, they are visible through every node.
 *
 * <p><b>The wire.</b> {@code POST <writer endpoint>/_millrace/forward} over HTTP/1.1, the client's body unchanged
 * (inflated, if it came gzipped), and the headers {@link #TOKEN_HEADER}, {@link #SERVICE_HEADER}, the client's
 * {@code Content-Type} and {@code X-Amz-Target}, {@link #URI_HEADER}, {@link #REGION_HEADER} and
 * {@link #REQUEST_ID_HEADER} (so both nodes log one id). The writer answers as it would its own client, plus
 * {@link #VERSION_HEADER}: its metadata version after the call. The follower waits until its view holds that version
 * ({@link Cluster#awaitVersion}), so its client reads its own writes on this node too, then relays status, body and
 * headers. The token is HMAC-SHA256 of a fixed label under the cluster's secret (the iterator key every node reads
 * from the metadata store), so only a node of the cluster can call the route.
 *
 * <p><b>Failures.</b> No writer known, the writer's node not alive, or the writer unreachable: a
 * {@link NodeUnavailableException}, which the HTTP layer answers with the service's retryable 5xx. A writer that
 * was deposed answers forwarded calls with a 503 that is relayed as it is. A call the writer ran but whose answer
 * was lost (the writer died mid-call) is reported as failed; the client's retry then meets the new writer, which
 * holds every change the old one acknowledged to Kafka, so a retried CreateStream, for instance, answers
 * ResourceInUseException, as a retry after a lost answer does on AWS.
 *
 * <p>Thread-safe: the HTTP client is shared; calls block the API thread that makes them.
 */
public final class ClusterCalls {
    private static final Logger log = LoggerFactory.getLogger(ClusterCalls.class);
    public static final String PATH = "/_millrace/forward";
    /** {@code GET} it for this node's view of its cluster ({@link #statusJson}). */
    public static final String STATUS_PATH = "/_millrace/cluster";
    public static final String TOKEN_HEADER = "x-millrace-cluster-token";
    public static final String SERVICE_HEADER = "x-millrace-service";
    public static final String URI_HEADER = "x-millrace-uri";
    public static final String REGION_HEADER = "x-millrace-region";
    public static final String ACCOUNT_HEADER = "x-millrace-account";
    public static final String REQUEST_ID_HEADER = "x-millrace-request-id";
    public static final String VERSION_HEADER = "x-millrace-metadata-version";
    private static final String TOKEN_LABEL = "millrace cluster forwarding v1";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** Longer than any metadata operation takes; a writer that takes longer is treated as gone. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    /** How long a follower waits for its view to reach the writer's version before answering anyway. */
    static final long VIEW_WAIT_MS = 10_000;
    /** Headers of the writer's answer the follower sets itself, or that describe the hop, not the answer. */
    private static final Set<String> NOT_RELAYED = Set.of("content-length", "content-type", "connection",
            "keep-alive", "transfer-encoding", "date", "x-amzn-requestid", "x-amz-id-2", VERSION_HEADER,
            "access-control-allow-origin", "access-control-expose-headers", "vary");

    /** The service a call is for. */
    public enum Service {
        KINESIS, DYNAMODB, CLOUDWATCH,
        /** The Glue Schema Registry subset: its registries live in the writer's metadata. */
        GLUE,
        /**
         * Lambda's event source mappings, in the writer's metadata: only the calls that change them are forwarded,
         * with the HTTP method in the target's place and the path and query as the URI.
         */
        LAMBDA,
        /** Kinesis, run where it arrives: a call forwarded to a shard's owner, never forwarded again. */
        KINESIS_HERE,
        /** One shard's entries for its owner to append ({@link dev.millrace.server.records.RemoteAppend}). */
        APPEND,
        /** A consumer's subscription to a shard, claimed from, released to, or revoked by the shard's owner. */
        CLAIM, RELEASE, REVOKE,
        /** The traffic a node metered on the shards it owns, for the writer's on-demand scaling. */
        TRAFFIC,
        /** A node's ended minutes of AWS/Kinesis metrics, for the writer's CloudWatch ({@link ClusterMetrics}). */
        METRICS;

        String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Service of(String wireName) {
            for (Service s : values()) {
                if (s.wireName().equals(wireName)) {
                    return s;
                }
            }
            return null;
        }
    }

    /**
     * A client's call, as the follower forwards it; {@code scope} is the account and region it was signed for (null
     * for calls that name none), {@code caller} who signed it. Every call is authorized by the node the client
     * reached, before it is forwarded or placed on another node; the internal route's token vouches for that check,
     * so {@code caller} never travels: a call that arrives through the route runs as {@link Caller#UNCHECKED}.
     */
    public record Call(Service service, String uri, String target, String contentType, Account scope,
                       String requestId, byte[] body, Caller caller) {
        /** A call nobody needs to authorize here. */
        public Call(Service service, String uri, String target, String contentType, Account scope, String requestId,
                    byte[] body) {
            this(service, uri, target, contentType, scope, requestId, body, Caller.UNCHECKED);
        }

        public String region() {
            return scope == null ? Account.LEGACY_REGION : scope.region();
        }
    }

    /** The writer's answer: status, content type (may be null), the headers to relay, and the body. */
    public record Answer(int status, String contentType, Map<String, String> headers, byte[] body) {
    }

    private final Cluster cluster;
    private final byte[] token;
    private final LongSupplier version;
    private final HttpClient http;
    private volatile Peer peer;

    /**
     * @param secret  the cluster's secret, the same on every node
     * @param version this node's metadata version (the writer reports it after each forwarded call)
     */
    public ClusterCalls(Cluster cluster, byte[] secret, LongSupplier version) {
        this.cluster = cluster;
        this.token = token(secret).getBytes(StandardCharsets.US_ASCII);
        this.version = version;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Whether a call to {@code service} (its Kinesis {@code operation}, if Kinesis) must be forwarded from here. */
    public boolean forwards(Service service, String operation) {
        if (cluster.isWriter()) {
            return false;
        }
        // A Lambda call reaches here only if it changes mappings (the HTTP layer runs its reads where they arrive).
        return service != Service.KINESIS || OperationRouter.changesMetadata(operation);
    }

    /** What this node does for the other nodes of its cluster, as a shard's owner or a subscription's holder. */
    public interface Peer {
        /** Appends one shard's entries ({@link dev.millrace.server.records.RemoteAppend}); returns the reply. */
        byte[] appendHere(Account scope, byte[] request);

        /** Claims a consumer's subscription to a shard this node owns; null if granted, else why not. */
        String claimHere(Account scope, Subscription subscription);

        /** A subscription to a shard this node owns ended. */
        void releaseHere(Account scope, Subscription subscription);

        /** Ends this node's session of a subscription that a newer one took over. */
        void revokeHere(Account scope, Subscription subscription);

        /** The traffic this node metered ({@link ClusterTraffic}'s request and report). */
        byte[] trafficHere(Account scope, byte[] request);

        /** This node's ended minutes of metrics, handed over ({@link ClusterMetrics#reportHere}). */
        byte[] metricsHere();
    }

    /** One consumer's subscription to one shard, by one node's session. */
    public record Subscription(String consumerArn, String streamName, long streamEpochMs, int shardIndex,
                               String nodeId, String sessionId) {
        Map<String, String> headers() {
            return Map.of(SUB_CONSUMER, consumerArn, SUB_STREAM, streamName, SUB_EPOCH, Long.toString(streamEpochMs),
                    SUB_SHARD, Integer.toString(shardIndex), SUB_NODE, nodeId, SUB_SESSION, sessionId);
        }

        /** The subscription the headers of a call name; null if one is missing or malformed. */
        public static Subscription of(java.util.function.Function<String, String> header) {
            try {
                String consumer = header.apply(SUB_CONSUMER);
                String stream = header.apply(SUB_STREAM);
                String node = header.apply(SUB_NODE);
                String session = header.apply(SUB_SESSION);
                if (consumer == null || stream == null || node == null || session == null) {
                    return null;
                }
                return new Subscription(consumer, stream, Long.parseLong(header.apply(SUB_EPOCH)),
                        Integer.parseInt(header.apply(SUB_SHARD)), node, session);
            } catch (NumberFormatException | NullPointerException e) {
                return null;
            }
        }
    }

    private static final String SUB_CONSUMER = "x-millrace-consumer";
    private static final String SUB_STREAM = "x-millrace-stream";
    private static final String SUB_EPOCH = "x-millrace-stream-epoch";
    private static final String SUB_SHARD = "x-millrace-shard";
    private static final String SUB_NODE = "x-millrace-node";
    private static final String SUB_SESSION = "x-millrace-session";

    /** Serves other nodes' calls to this one ({@link Peer}). Set once, at start. */
    public void serve(Peer peer) {
        this.peer = peer;
    }

    /** This node's side of the calls other nodes make to it; see {@link #serve}. */
    public Peer peer() {
        Peer serving = peer;
        if (serving == null) {
            throw new IllegalStateException("this node does not serve other nodes yet");
        }
        return serving;
    }

    /**
     * Tells {@code node} about a subscription ({@code service} is CLAIM, RELEASE or REVOKE); returns the answer's
     * status (200 granted or done, 409 refused) and body (a refusal's message).
     *
     * @throws NodeUnavailableException if it could not be reached
     */
    public Answer subscription(Cluster.Node node, Service service, Account scope, Subscription subscription)
            throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.endpoint() + PATH))
                .timeout(Duration.ofSeconds(10))
                .header(TOKEN_HEADER, new String(token, StandardCharsets.US_ASCII))
                .header(SERVICE_HEADER, service.wireName())
                .header(REGION_HEADER, scope.region())
                .header(ACCOUNT_HEADER, scope.id())
                .header(VERSION_HEADER, Long.toString(version.getAsLong()))
                .POST(HttpRequest.BodyPublishers.noBody());
        subscription.headers().forEach(request::header);
        try {
            return answer(http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()));
        } catch (IOException e) {
            throw new NodeUnavailableException("Node " + node.id() + " at " + node.endpoint() + " could not be"
                    + " reached from node " + cluster.self().id() + ": " + e + ". Retry.");
        }
    }

    /**
     * Waits until this node's view holds the version a call's sender reported, so that what the sender knew (a
     * stream it just saw created) is known here too; bounded, and a view that lags longer is used as it is.
     */
    public void awaitSendersView(String versionHeader) throws InterruptedException {
        if (versionHeader == null) {
            return;
        }
        try {
            cluster.awaitVersion(Long.parseLong(versionHeader), VIEW_WAIT_MS);
        } catch (NumberFormatException e) {
            // a header that is no number asks for nothing
        }
    }

    /** Whether this node is the writer, and so runs forwarded calls. */
    public boolean isWriter() {
        return cluster.isWriter();
    }

    /** This node's metadata version, which the writer reports with each forwarded answer. */
    public long version() {
        return version.getAsLong();
    }

    /** This node's id, for messages. */
    public String nodeId() {
        return cluster.self().id();
    }

    /** Whether a forwarded call's token header is the cluster's; compared in constant time. */
    public boolean authentic(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII));
    }

    /** The service a forwarded call names in {@link #SERVICE_HEADER}, or null. */
    public static Service service(String header) {
        return header == null ? null : Service.of(header);
    }

    /**
     * Sends {@code call} to the writer and returns its answer once this node's view holds the writer's version.
     *
     * @throws NodeUnavailableException if no live writer is known or it could not be reached
     */
    public Answer forward(Call call) throws InterruptedException {
        Cluster.Node writer = liveWriter();
        HttpResponse<byte[]> response = send(writer, call, "the metadata writer");
        awaitView(response.headers().firstValue(VERSION_HEADER));
        return answer(response);
    }

    /**
     * Sends {@code call} to {@code node} (a shard's owner) to run there as if its client had sent it; returns its
     * answer.
     *
     * @throws NodeUnavailableException if it could not be reached
     */
    public Answer forwardTo(Cluster.Node node, Call call) throws InterruptedException {
        return answer(send(node, call, "the shard's owner"));
    }

    /**
     * Has {@code owner} append one shard's entries ({@link dev.millrace.server.records.RemoteAppend}'s request);
     * returns its reply.
     *
     * @throws NodeUnavailableException if it could not be reached or did not answer with a reply
     */
    public byte[] append(Cluster.Node owner, Account scope, byte[] request) throws InterruptedException {
        return binary(owner, Service.APPEND, scope, request);
    }

    /**
     * A call of one of the nodes' own binary services ({@link Service#APPEND}, {@link Service#TRAFFIC}); returns the
     * answer's body.
     *
     * @throws NodeUnavailableException if it could not be reached or did not answer 200
     */
    public byte[] binary(Cluster.Node node, Service service, Account scope, byte[] request)
            throws InterruptedException {
        HttpResponse<byte[]> response = send(node, new Call(service, PATH, null, "application/octet-stream",
                scope, service.wireName(), request), service == Service.APPEND ? "the shard's owner"
                : "a node of the cluster");
        if (response.statusCode() != 200) {
            throw new NodeUnavailableException("Node " + node.id() + " refused the " + service.wireName()
                    + " call with HTTP " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return response.body();
    }

    private HttpResponse<byte[]> send(Cluster.Node node, Call call, String role) throws InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.endpoint() + PATH))
                .timeout(CALL_TIMEOUT)
                .header(TOKEN_HEADER, new String(token, StandardCharsets.US_ASCII))
                .header(SERVICE_HEADER, call.service().wireName())
                .header(URI_HEADER, call.uri())
                .header(REQUEST_ID_HEADER, call.requestId())
                // The receiver of a call placed on it waits until its view holds what this node's held (read your
                // writes: a stream just created through this node is known to the shard's owner).
                .header(VERSION_HEADER, Long.toString(version.getAsLong()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(call.body()));
        if (call.contentType() != null) {
            request.header("Content-Type", call.contentType());
        }
        if (call.target() != null) {
            request.header("X-Amz-Target", call.target());
        }
        if (call.scope() != null) {
            request.header(REGION_HEADER, call.scope().region());
            request.header(ACCOUNT_HEADER, call.scope().id());
        }

        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new NodeUnavailableException("Node " + node.id() + " at " + node.endpoint() + ", " + role
                    + ", could not be reached from node " + cluster.self().id() + ": " + e + ". Retry: another node"
                    + " takes over within seconds if it is gone.");
        }
    }

    private static Answer answer(HttpResponse<byte[]> response) {
        Map<String, String> relayed = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        response.headers().map().forEach((name, values) -> {
            if (!NOT_RELAYED.contains(name.toLowerCase(Locale.ROOT)) && !values.isEmpty()) {
                relayed.put(name, values.get(0));
            }
        });
        return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null),
                relayed, response.body());
    }

    private Cluster.Node liveWriter() {
        Optional<Cluster.Node> writer = cluster.writer();
        if (writer.isEmpty()) {
            throw new NodeUnavailableException("No metadata writer is known yet to node " + cluster.self().id()
                    + "; one is being elected. Retry.");
        }
        Cluster.Node w = writer.get();
        List<Cluster.Node> live = cluster.liveNodes();
        if (w.id().equals(cluster.self().id()) || live.stream().noneMatch(n -> n.id().equals(w.id()))) {
            // This node was the writer and was deposed, or the writer's node stopped heartbeating: the next writer
            // has not written its record yet.
            throw new NodeUnavailableException("The metadata writer, node " + w.id() + ", is not available; a new"
                    + " one is being elected. Retry.");
        }
        return w;
    }

    private void awaitView(Optional<String> versionHeader) throws InterruptedException {
        if (versionHeader.isEmpty()) {
            return; // an error the writer answered before running the call (refused token, deposed)
        }
        long target;
        try {
            target = Long.parseLong(versionHeader.get());
        } catch (NumberFormatException e) {
            return;
        }
        if (!cluster.awaitVersion(target, VIEW_WAIT_MS)) {
            log.warn("Node {}: the metadata view did not reach the writer's version {} within {} ms; answering the"
                    + " forwarded call anyway (its change is made; this node shows it once it catches up)",
                    cluster.self().id(), target, VIEW_WAIT_MS);
        }
    }

    /**
     * This node's view of its cluster, for operators and tests:
     * {@code {"node":"a","writer":false,"writerNode":"b","liveNodes":[{"id":"a","endpoint":"http://..."},...]}}
     * ({@code writerNode} null while none is known). Only names and addresses the nodes already publish in Kafka.
     */
    public static byte[] statusJson(Cluster cluster) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (com.fasterxml.jackson.core.JsonGenerator g = new com.fasterxml.jackson.core.JsonFactory()
                .createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("node", cluster.self().id());
            g.writeBooleanField("writer", cluster.isWriter());
            g.writeStringField("writerNode", cluster.writer().map(Cluster.Node::id).orElse(null));
            g.writeArrayFieldStart("liveNodes");
            for (Cluster.Node n : cluster.liveNodes()) {
                g.writeStartObject();
                g.writeStringField("id", n.id());
                g.writeStringField("endpoint", n.endpoint());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    /** This node's view of its cluster ({@link #statusJson(Cluster)}). */
    public byte[] statusJson() {
        return statusJson(cluster);
    }

    /** The token every node of a cluster derives from the shared secret. */
    static String token(byte[] secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(TOKEN_LABEL.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
