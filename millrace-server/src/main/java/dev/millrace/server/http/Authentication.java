package dev.millrace.server.http;

import dev.millrace.auth.sigv4.ReceivedRequest;
import dev.millrace.cloudwatch.CloudWatchApi;
import dev.millrace.dynamodb.DynamoApi;
import dev.millrace.glue.GlueApi;
import dev.millrace.lambda.LambdaApi;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.Caller;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.Regions;
import dev.millrace.server.security.PolicyGatekeeper;
import dev.millrace.server.security.RequestAuthenticator;
import dev.millrace.sts.StsApi;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslHandler;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * The HTTP layer's part of security: who signed a request ({@code --auth sigv4}) and, for the DynamoDB and
 * CloudWatch calls, whether their policies allow it (Kinesis calls are authorized by {@link KinesisApi} once their
 * resource is known). Failures are answered in the format of the service the request addresses, with AWS's codes:
 * <pre>
 *   Kinesis           {"__type": TYPE, "message": ...}                   400, in the request's JSON or CBOR
 *   DynamoDB          {"__type": "com.amazon.coral.service#TYPE", ...}   400
 *   CloudWatch, STS   query code: InvalidClientTokenId, SignatureDoesNotMatch, MissingAuthenticationToken,
 *                     IncompleteSignature, AccessDenied                   403 (IncompleteSignature 400)
 *   Lambda            {"Type": "User", "message": ...}, x-amzn-ErrorType  403 (IncompleteSignature 400)
 * </pre>
 * With {@code --auth none} nobody is authenticated: every caller is the server's own account, allowed everything.
 *
 * <p>Thread-safe.
 */
final class Authentication {
    private static final Map<String, String> QUERY_CODES = Map.of(
            "UnrecognizedClientException", "InvalidClientTokenId",
            "InvalidSignatureException", "SignatureDoesNotMatch",
            "MissingAuthenticationTokenException", "MissingAuthenticationToken",
            "IncompleteSignatureException", "IncompleteSignature",
            "AccessDeniedException", "AccessDenied");

    /** Null with {@code --auth none}. */
    private final RequestAuthenticator authenticator;
    private final PolicyGatekeeper gatekeeper;
    private final String homeAccountId;

    Authentication(RequestAuthenticator authenticator, PolicyGatekeeper gatekeeper, String homeAccountId) {
        this.authenticator = authenticator;
        this.gatekeeper = gatekeeper;
        this.homeAccountId = homeAccountId;
    }

    boolean enabled() {
        return authenticator != null;
    }

    /** Who sent a request, and the account's region it was signed for (null: a region AWS does not have). */
    record Signed(Caller caller, Account scope) {
    }

    /**
     * Authenticates a request for {@code service} ({@link RequestAuthenticator#KINESIS}, ...).
     *
     * @param received the request as received (null with --auth none)
     * @param region   the region of the signature's scope as read without verifying it (used with --auth none)
     * @throws KinesisException AWS's authentication error
     */
    Signed authenticate(ChannelHandlerContext ctx, ReceivedRequest received, String service, String region) {
        if (authenticator == null) {
            return new Signed(Caller.UNCHECKED, Account.isRegion(region) ? new Account(region, homeAccountId) : null);
        }
        RequestAuthenticator.Signed signed = authenticator.authenticate(received, service);
        Caller caller = new Caller(signed.identity(), sourceIp(ctx.channel()), secure(ctx.channel()));
        return new Signed(caller, Regions.scope(signed.region(), signed.identity().accountId()));
    }

    /**
     * Refuses a Glue Schema Registry call unless the caller's policy allows {@code glue:<Operation>} on each
     * registry and schema it acts on ({@link GlueApi#resourcesOf}).
     */
    void authorizeGlue(Signed signed, String target, byte[] body) {
        if (signed.caller().identity() == null) {
            return;
        }
        Account scope = signed.scope() != null ? signed.scope() : new Account(Account.LEGACY_REGION,
                signed.caller().identity().accountId());
        for (String arn : GlueApi.resourcesOf(target, body, scope.region(), scope.id())) {
            gatekeeper.authorize(signed.caller(), "glue:" + GlueApi.operationOf(target), arn, scope, null);
        }
    }

    /**
     * Refuses a call of Lambda's event source mapping API ({@code method} and {@code uri} name its operation) unless
     * the caller's policy allows {@code lambda:<Operation>} on each resource it acts on
     * ({@link LambdaApi#resourcesOf}). {@code signed.scope()} is not null (the caller checked).
     */
    void authorizeLambda(Signed signed, String method, String uri) {
        if (signed.caller().identity() == null) {
            return;
        }
        String operation = LambdaApi.operationOf(method, uri);
        if (operation == null) {
            return; // the call itself answers that it names no operation
        }
        Account scope = signed.scope();
        for (String arn : LambdaApi.resourcesOf(method, uri, scope.region(), scope.id())) {
            gatekeeper.authorize(signed.caller(), "lambda:" + operation, arn, scope, null);
        }
    }

    /** Refuses a DynamoDB call unless the caller's policy allows its action on each table it acts on. */
    void authorizeDynamo(Signed signed, String target, byte[] body) {
        if (signed.caller().identity() == null) {
            return;
        }
        String operation = target.substring(DynamoApi.TARGET_PREFIX.length());
        Account scope = signed.scope() != null ? signed.scope() : new Account(Account.LEGACY_REGION,
                signed.caller().identity().accountId());
        List<String> tables = DynamoApi.tablesOf(body);
        if (tables.isEmpty()) {
            gatekeeper.authorize(signed.caller(), "dynamodb:" + operation, "*", scope, null);
        }
        for (String table : tables) {
            gatekeeper.authorize(signed.caller(), "dynamodb:" + operation, "arn:" + scope.partition() + ":dynamodb:"
                    + scope.region() + ":" + scope.id() + ":table/" + table, scope, null);
        }
    }

    /** Refuses a CloudWatch call unless the caller's policy allows its action (CloudWatch's act on no resource). */
    void authorizeCloudWatch(Signed signed, String uri, String target, String contentType, byte[] body) {
        if (signed.caller().identity() == null) {
            return;
        }
        String operation = CloudWatchApi.operationOf(uri, target, contentType, body);
        if (operation == null) {
            return; // the call itself answers that it names no action
        }
        Account scope = signed.scope() != null ? signed.scope() : new Account(Account.LEGACY_REGION,
                signed.caller().identity().accountId());
        gatekeeper.authorize(signed.caller(), "cloudwatch:" + operation, "*", scope, null);
    }

    /** {@code e} as Kinesis answers it, in the request's format. */
    static KinesisHttpHandler.Reply kinesis(WireFormat format, KinesisException e) {
        return new KinesisHttpHandler.Reply(KinesisApi.error(format, e), format.contentType(), Map.of());
    }

    static KinesisHttpHandler.Reply dynamo(KinesisException e) {
        DynamoApi.Result r = DynamoApi.securityError(e.errorType(), e.getMessage(), 400);
        return new KinesisHttpHandler.Reply(new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType()),
                DynamoApi.CONTENT_TYPE, Map.of());
    }

    static KinesisHttpHandler.Reply glue(KinesisException e) {
        GlueApi.Result r = GlueApi.securityError(e.errorType(), e.getMessage(), e.httpStatus());
        return new KinesisHttpHandler.Reply(new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType()),
                GlueApi.CONTENT_TYPE, Map.of());
    }

    /**
     * {@code e} as Lambda answers it: its authentication and authorization failures are 403 on AWS (an incomplete
     * signature 400), where Kinesis answers 400.
     */
    static KinesisHttpHandler.Reply lambda(KinesisException e) {
        int status = e.httpStatus() >= 500 ? e.httpStatus()
                : "IncompleteSignatureException".equals(e.errorType()) ? 400 : 403;
        return KinesisHttpHandler.lambdaReply(LambdaApi.securityError(e.errorType(), e.getMessage(), status));
    }

    static KinesisHttpHandler.Reply cloudWatch(KinesisException e, String uri, String target, String contentType,
                                               String requestId) {
        String code = QUERY_CODES.getOrDefault(e.errorType(), e.errorType());
        CloudWatchApi.Result r = CloudWatchApi.securityError(uri, target, contentType, e.errorType(), code,
                queryStatus(code), e.getMessage(), requestId);
        return new KinesisHttpHandler.Reply(new KinesisApi.Result(r.httpStatus(), r.body(), null), r.contentType(),
                r.headers());
    }

    static KinesisHttpHandler.Reply sts(KinesisException e, String requestId) {
        String code = QUERY_CODES.getOrDefault(e.errorType(), e.errorType());
        StsApi.Result r = StsApi.securityError(code, e.getMessage(), queryStatus(code), requestId);
        return new KinesisHttpHandler.Reply(new KinesisApi.Result(r.httpStatus(), r.body(), null),
                StsApi.CONTENT_TYPE, Map.of());
    }

    private static int queryStatus(String code) {
        return "IncompleteSignature".equals(code) ? 400 : 403;
    }

    /** Whether the connection comes from a loopback address of this machine. */
    static boolean fromThisMachine(Channel channel) {
        Channel connection = connectionOf(channel);
        return connection.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                && a.getAddress().isLoopbackAddress();
    }

    /**
     * The TCP connection a request came on: an HTTP/2 stream's parent, else the channel itself (whose own parent is
     * the listening socket).
     */
    private static Channel connectionOf(Channel channel) {
        return channel instanceof Http2StreamChannel ? channel.parent() : channel;
    }

    private static String sourceIp(Channel channel) {
        Channel connection = connectionOf(channel);
        return connection.remoteAddress() instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : null;
    }

    private static boolean secure(Channel channel) {
        Channel connection = connectionOf(channel);
        return connection.pipeline().get(SslHandler.class) != null;
    }
}
