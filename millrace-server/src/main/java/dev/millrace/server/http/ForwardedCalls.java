package dev.millrace.server.http;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.cluster.ClusterCalls;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The metadata writer's side of {@link ClusterCalls}: a call another node of the cluster forwarded to
 * {@code POST /_millrace/forward}. It is run here as if this node's own client had sent it (the sending node
 * already checked the request's shape and signature), and answered with this node's metadata version after it.
 *
 * <p>Refused: a call without the cluster's token (403, so the route is no way around a node's checks), and any call
 * once this node is no longer the writer (the service's retryable 5xx, relayed to the client, whose retry finds the
 * next writer).
 *
 * <p>Stateless; thread-safe.
 */
final class ForwardedCalls {
    private static final Pattern REQUEST_ID = Pattern.compile("[0-9a-fA-F-]{1,64}");

    private ForwardedCalls() {
    }

    /** Answers a forwarded call; called on the event loop, runs the call on the API executor. */
    static void runHere(KinesisHttpHandler handler, KinesisHttpHandler.Exchange received, HttpHeaders headers,
                        byte[] body) {
        ClusterCalls calls = handler.calls();
        String sentId = headers.get(ClusterCalls.REQUEST_ID_HEADER);
        KinesisHttpHandler.Exchange x = new KinesisHttpHandler.Exchange(received.ctx(), received.keepAlive(),
                sentId != null && REQUEST_ID.matcher(sentId).matches() ? sentId : received.requestId(),
                received.headers(), received.logEntry());
        if (calls == null || !calls.authentic(headers.get(ClusterCalls.TOKEN_HEADER))) {
            x.respond(KinesisApi.error(WireFormat.JSON, new KinesisException("AccessDeniedException",
                    "Only the nodes of a Millrace cluster may call " + ClusterCalls.PATH + ".", 403)),
                    WireFormat.JSON.contentType());
            return;
        }
        ClusterCalls.Service service = ClusterCalls.service(headers.get(ClusterCalls.SERVICE_HEADER));
        if (service == null) {
            x.respond(KinesisApi.error(WireFormat.JSON, KinesisException.validation("A forwarded call must name its"
                    + " service in " + ClusterCalls.SERVICE_HEADER + ".")), WireFormat.JSON.contentType());
            return;
        }
        String uri = headers.get(ClusterCalls.URI_HEADER);
        ClusterCalls.Call call = new ClusterCalls.Call(service, uri == null ? "/" : uri, headers.get("X-Amz-Target"),
                headers.get(HttpHeaderNames.CONTENT_TYPE), scope(headers), x.requestId(), body);
        if (service == ClusterCalls.Service.CLAIM || service == ClusterCalls.Service.RELEASE
                || service == ClusterCalls.Service.REVOKE) {
            x.respond(subscription(calls, service, headers));
            return;
        }
        if (service == ClusterCalls.Service.APPEND || service == ClusterCalls.Service.KINESIS_HERE
                || service == ClusterCalls.Service.TRAFFIC || service == ClusterCalls.Service.METRICS) {
            // Placed on this node as a shard's owner: run here whatever this node's role.
            String senderVersion = headers.get(ClusterCalls.VERSION_HEADER);
            handler.executor().execute(() -> x.respond(placedHere(handler, calls, call, senderVersion)));
            return;
        }
        if (!calls.isWriter()) {
            x.respond(KinesisHttpHandler.unavailable(call, "Node " + calls.nodeId() + " is no longer the metadata"
                    + " writer; a new one is being elected. Retry."));
            return;
        }
        handler.executor().execute(() -> {
            KinesisHttpHandler.Reply reply = handler.local(call);
            Map<String, String> withVersion = new LinkedHashMap<>(reply.headers());
            withVersion.put(ClusterCalls.VERSION_HEADER, Long.toString(calls.version()));
            x.respond(new KinesisHttpHandler.Reply(reply.result(), reply.contentType(), withVersion));
        });
    }

    /**
     * A subscription call: answered on the event loop, since the claims table answers at once and a revocation only
     * schedules the session's end.
     */
    private static KinesisHttpHandler.Reply subscription(ClusterCalls calls, ClusterCalls.Service service,
                                                          HttpHeaders headers) {
        ClusterCalls.Subscription sub = ClusterCalls.Subscription.of(headers::get);
        Account scope = scope(headers);
        if (sub == null || scope == null) {
            return new KinesisHttpHandler.Reply(KinesisApi.error(WireFormat.JSON, KinesisException.validation(
                    "A subscription call must name its account, region, consumer, stream, shard, node and session.")),
                    WireFormat.JSON.contentType(), Map.of());
        }
        String refused = null;
        switch (service) {
            case CLAIM -> refused = calls.peer().claimHere(scope, sub);
            case RELEASE -> calls.peer().releaseHere(scope, sub);
            default -> calls.peer().revokeHere(scope, sub);
        }
        return new KinesisHttpHandler.Reply(new KinesisApi.Result(refused == null ? 200 : 409,
                (refused == null ? "" : refused).getBytes(java.nio.charset.StandardCharsets.UTF_8), null),
                "text/plain", Map.of());
    }

    /** The account and region a call addresses, or null if it names none (or a malformed one). */
    private static Account scope(HttpHeaders headers) {
        String region = headers.get(ClusterCalls.REGION_HEADER);
        String accountId = headers.get(ClusterCalls.ACCOUNT_HEADER);
        if (region == null || accountId == null) {
            return null;
        }
        try {
            return new Account(region, accountId);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A shard's call run on its owner, once this node's view holds what the sender's held. */
    private static KinesisHttpHandler.Reply placedHere(KinesisHttpHandler handler, ClusterCalls calls,
                                                        ClusterCalls.Call call, String senderVersion) {
        try {
            calls.awaitSendersView(senderVersion);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return KinesisHttpHandler.unavailable(new ClusterCalls.Call(ClusterCalls.Service.KINESIS, call.uri(),
                    call.target(), call.contentType(), call.scope(), call.requestId(), call.body()),
                    "The server is shutting down.");
        }
        if (call.service() == ClusterCalls.Service.KINESIS_HERE) {
            return handler.local(call);
        }
        try {
            byte[] answer = switch (call.service()) {
                case TRAFFIC -> calls.peer().trafficHere(call.scope(), call.body());
                case METRICS -> calls.peer().metricsHere();
                default -> calls.peer().appendHere(call.scope(), call.body());
            };
            return new KinesisHttpHandler.Reply(new KinesisApi.Result(200, answer, null), "application/octet-stream",
                    Map.of());
        } catch (IllegalArgumentException e) {
            return new KinesisHttpHandler.Reply(KinesisApi.error(WireFormat.JSON, KinesisException.serialization(
                    "The append does not parse: " + e.getMessage())), WireFormat.JSON.contentType(), Map.of());
        }
    }
}
