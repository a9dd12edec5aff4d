package dev.millrace.server.http;

import dev.millrace.auth.sigv4.SigV4Shape;
import dev.millrace.dynamodb.DynamoApi;
import dev.millrace.metrics.PrometheusExposition;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.Failures;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.KinesisApi;
import dev.millrace.server.api.Regions;
import dev.millrace.server.security.RequestAuthenticator;
import dev.millrace.auth.sigv4.ReceivedRequest;
import dev.millrace.server.cluster.ClusterCalls;
import dev.millrace.server.cluster.NodeUnavailableException;
import dev.millrace.cloudwatch.CloudWatchApi;
import dev.millrace.glue.GlueApi;
import dev.millrace.lambda.LambdaApi;
import dev.millrace.sts.StsApi;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns an aggregated HTTP request (HTTP/1.1, or one HTTP/2 stream converted to HTTP/1.1 objects) into an API call
 * and writes the answer. CORS preflights are answered here ({@link Cors}); DynamoDB targets go to {@link DynamoApi},
 * CloudWatch calls to {@link CloudWatchApi}, STS calls to {@link StsApi}, Glue targets to {@link GlueApi},
 * Lambda's event source mapping paths (any method) to {@link LambdaApi}; everything else is addressed to Kinesis
 * and passes {@link KinesisGate}, which answers malformed and unauthenticated requests as AWS does. The call runs on
 * the API executor, not the event loop, because appends wait for fsync.
 *
 * <p>Buffer ownership: {@link SimpleChannelInboundHandler} releases the request after {@code channelRead0}, so the
 * body is copied out first; the response buffer is owned by the pipeline once written.
 *
 * <p>Sharable and thread-safe.
 */
@ChannelHandler.Sharable
final class KinesisHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(KinesisHttpHandler.class);
    /** AWS's x-amz-id-2 is base64 of 64 to 80 bytes; Millrace's is random, so it only has to look alike. */
    private static final int EXTENDED_ID_BYTES = 72;
    private static final int SERVICE_UNAVAILABLE = 503;

    private final KinesisApi api;
    private final KinesisGate gate;
    private final PerAccount<DynamoApi> dynamo;
    private final PerAccount<CloudWatchApi> cloudWatch;
    private final StsApi sts;
    /** Null when the port does not serve the Glue Schema Registry subset. */
    private final PerAccount<GlueApi> glue;
    /** Null when the port does not serve Lambda's event source mappings. */
    private final PerAccount<LambdaApi> lambda;
    /** Null on a node alone on its storage (and in tests that build the handler bare): nothing is forwarded. */
    private final ClusterCalls calls;
    private final Authentication authentication;
    private final ExecutorService executor;
    private final long maxQueueWaitNanos;
    /** Null when this port does not serve {@code GET /metrics}. */
    private final PrometheusExposition metrics;
    private final Readiness readiness;
    private final ConsoleFiles console = new ConsoleFiles(KinesisHttpHandler.class.getClassLoader());

    KinesisHttpHandler(Apis apis, ExecutorService executor) {
        this(apis, executor, HttpLimits.MAX_QUEUE_WAIT_MS_DEFAULT);
    }

    /** @param maxQueueWaitMs see {@link HttpLimits#maxQueueWaitMs()} */
    KinesisHttpHandler(Apis apis, ExecutorService executor, long maxQueueWaitMs) {
        this.api = apis.kinesis();
        this.gate = new KinesisGate(api, ApiModel.kinesis().targetPrefix());
        this.dynamo = apis.dynamoOfAccount();
        this.cloudWatch = apis.cloudWatchOfAccount();
        this.sts = apis.sts();
        this.glue = apis.glueOfAccount();
        this.lambda = apis.lambdaOfAccount();
        this.calls = apis.cluster();
        this.authentication = new Authentication(apis.authenticator(), apis.gatekeeper(), api.home().id());
        this.executor = executor;
        this.maxQueueWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxQueueWaitMs);
        this.metrics = apis.metrics();
        this.readiness = apis.readiness() != null ? apis.readiness() : Readiness.ALWAYS;
    }

    /** An answer with its content type ({@code null}: none) and the headers it adds to the common ones. */
    record Reply(KinesisApi.Result result, String contentType, Map<String, String> headers) {
        static Reply of(ClusterCalls.Answer a) {
            String errorType = a.headers().get("x-amzn-ErrorType");
            Map<String, String> rest = new LinkedHashMap<>(a.headers());
            rest.remove("x-amzn-ErrorType");
            return new Reply(new KinesisApi.Result(a.status(), a.body(), errorType), a.contentType(), rest);
        }
    }

    /**
     * One request's connection, the headers every answer to it carries, and its request log entry ({@code null}
     * while the request log is off: {@link RequestLog}).
     */
    record Exchange(ChannelHandlerContext ctx, boolean keepAlive, String requestId,
                            Map<String, String> headers, RequestLog.Entry logEntry) {
        Exchange(ChannelHandlerContext ctx, boolean keepAlive, String requestId, Map<String, String> headers) {
            this(ctx, keepAlive, requestId, headers, null);
        }

        /** The same exchange, answered on the event loop (answers are computed on the API executor). */
        void respond(KinesisApi.Result result, String contentType) {
            ctx.executor().execute(() -> KinesisHttpHandler.respond(this, result, contentType, Map.of()));
        }

        void respond(Reply reply) {
            ctx.executor().execute(() -> KinesisHttpHandler.respond(this, reply.result(), reply.contentType(),
                    reply.headers()));
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String requestId = requestId();
        HttpHeaders headers = request.headers();
        byte[] sent = ByteBufUtil.getBytes(request.content());
        RequestLog.Entry entry = RequestLog.start(ctx, request, sent, requestId);
        if (Cors.isPreflight(request)) {
            // AWS's preflight answer has no x-amz-id-2.
            respond(new Exchange(ctx, keepAlive, requestId, Cors.preflightHeaders(headers), entry),
                    new KinesisApi.Result(200, new byte[0], null), null, Map.of());
            return;
        }
        Map<String, String> common = new LinkedHashMap<>(Cors.responseHeaders(headers));
        common.put("x-amz-id-2", extendedRequestId());
        Exchange x = new Exchange(ctx, keepAlive, requestId, common, entry);
        if (request.method() == HttpMethod.GET && answeredHere(ctx, request.uri(), headers, x)) {
            return;
        }
        String contentType = headers.get(HttpHeaderNames.CONTENT_TYPE);
        if (request.decoderResult().isFailure()) {
            // The framing is lost (a malformed chunk, headers too long): what follows cannot be trusted as a request.
            WireFormat format = WireFormat.fromContentType(contentType);
            respond(new Exchange(ctx, false, requestId, common, entry), KinesisApi.error(format, KinesisException
                    .serialization("The request could not be read: " + RateLimitedLog.oneLine(
                            request.decoderResult().cause()))), format.contentType(), Map.of());
            return;
        }
        String target = target(headers);
        String uri = request.uri();
        String authorization = headers.get(HttpHeaderNames.AUTHORIZATION);
        boolean hasDate = hasValue(headers, "X-Amz-Date") || hasValue(headers, HttpHeaderNames.DATE.toString());
        boolean post = request.method() == HttpMethod.POST;
        // Only CloudWatch's calls may come compressed (in its query and RPC v2 protocols they carry no target).
        byte[] body = target == null || target.startsWith(CloudWatchApi.SERVICE)
                ? GzipBodies.inflate(headers.get(HttpHeaderNames.CONTENT_ENCODING), sent) : sent;
        String region = SigningRegion.of(authorization, uri);
        // With --auth sigv4 the request is verified on the API executor (hashing a large body is no work for the
        // event loop); what it needs of the request is copied here, before the request is released.
        ReceivedRequest received = authentication.enabled()
                ? new ReceivedRequest(request.method().name(), uri, headers, sent) : null;
        try {
            if (post && ClusterCalls.PATH.equals(uri)) {
                ForwardedCalls.runHere(this, x, headers, sent);
                return;
            }
            if (lambda != null && LambdaApi.isLambdaPath(uri)) {
                lambdaCall(x, request.method().name(), uri, contentType, authorization, hasDate, region, received,
                        sent);
                return;
            }
            boolean isSts = post && StsApi.isSts(target, contentType, body);
            boolean isGlue = glue != null && GlueApi.isGlueTarget(target);
            if (post && (DynamoApi.isDynamoTarget(target) || isSts || isGlue || CloudWatchApi.isCloudWatch(uri,
                    target, contentType, body))) {
                KinesisException auth = authentication.enabled() ? null
                        : SigV4Shape.problem(authorization, uri, hasDate);
                if (auth != null) {
                    WireFormat format = WireFormat.fromContentType(contentType);
                    respond(x, KinesisApi.error(format, auth), format.contentType(), Map.of());
                    return;
                }
                OtherService service = new OtherService(DynamoApi.isDynamoTarget(target)
                        ? ClusterCalls.Service.DYNAMODB : isGlue ? ClusterCalls.Service.GLUE : isSts ? null
                        : ClusterCalls.Service.CLOUDWATCH, uri, target, contentType, region, body);
                onExecutor(x, contentType, () -> x.respond(otherService(ctx, received, service, requestId)));
                return;
            }
            KinesisGate.Verdict verdict = gate.check(new KinesisGate.Request(post, uri, contentType, target, body,
                    authorization, hasDate, requestId));
            if (verdict.answer() != null) {
                respond(x, verdict.answer(), verdict.contentType(), Map.of());
                return;
            }
            boolean streams = api.streams(target);
            WireFormat format = streams ? WireFormat.JSON : verdict.format();
            // A monotonic reading, not the injected clock: this measures a wait on this machine, never a date.
            long queuedAtNanos = System.nanoTime();
            KinesisCall call = new KinesisCall(uri, target, contentType, body, region, received, streams, format,
                    queuedAtNanos);
            onExecutor(x, contentType, () -> kinesis(ctx, x, call));
        } catch (RejectedExecutionException e) {
            // A server that is shutting down refuses work, and so does one whose queue of waiting requests is full
            // (load shedding, HttpLimits.maxQueuedRequests). Either way 503 is what the SDKs retry (on another node,
            // or here a moment later), and the requests already running still complete.
            WireFormat format = WireFormat.fromContentType(contentType);
            KinesisException error = executor.isShutdown() ? new KinesisException("ServiceUnavailableException",
                    "The server is shutting down.", SERVICE_UNAVAILABLE) : busy();
            respond(new Exchange(ctx, executor.isShutdown() ? false : keepAlive, requestId, common, entry),
                    KinesisApi.error(format, error), format.contentType(), Map.of());
        } catch (Throwable e) {
            // Whatever the routing above throws on the event loop (a bug, a decoder on a hostile header) must still
            // answer: exceptionCaught would close the connection without a word.
            failedBeforeDispatch(new Exchange(ctx, false, requestId, common, entry), contentType, e);
        }
    }

    /**
     * Answers the node's own GET endpoints: {@code /health}, {@code /health/live} and {@code /health/ready} (for
     * anyone: load balancers; {@link HealthEndpoints}), the node's view of its cluster (with {@code --auth sigv4} only
     * for this machine and the cluster's nodes) and the web console's files ({@link ConsoleFiles}, for anyone). False
     * for any other GET.
     */
    private boolean answeredHere(ChannelHandlerContext ctx, String uri, HttpHeaders headers, Exchange x) {
        if (uri.equals(ClusterCalls.STATUS_PATH)) {
            if (authentication.enabled() && !Authentication.fromThisMachine(ctx.channel())
                    && (calls == null || !calls.authentic(headers.get(ClusterCalls.TOKEN_HEADER)))) {
                // A node's addresses and role are for its operators and its peers, not for any signed-in client.
                respond(x, KinesisApi.error(WireFormat.JSON, new KinesisException("AccessDeniedException",
                        "Only this node's own machine and the other nodes of its cluster may read "
                                + ClusterCalls.STATUS_PATH + ".", 403)), WireFormat.JSON.contentType(), Map.of());
                return true;
            }
            respond(x, new KinesisApi.Result(200, calls != null ? calls.statusJson()
                    : ClusterCalls.statusJson(dev.millrace.storage.Cluster.solo()), null), "application/json",
                    Map.of());
            return true;
        }
        if (metrics != null && MetricsListener.isMetricsPath(uri)) {
            if (authentication.enabled() && !Authentication.fromThisMachine(ctx.channel())) {
                // Stream names, accounts and traffic are not for every signed-in client: with --auth sigv4 the API
                // port shows them to this machine only (--metrics-address gives them a listener of their own).
                respond(x, KinesisApi.error(WireFormat.JSON, new KinesisException("AccessDeniedException",
                        "Only this node's own machine may read /metrics on the API port; see --metrics-address.",
                        403)), WireFormat.JSON.contentType(), Map.of());
                return true;
            }
            try {
                // Off the event loop: a scrape lists the shards' directories for their disk use.
                onExecutor(x, null, () -> x.respond(new KinesisApi.Result(200, metrics.scrape(), null),
                        PrometheusExposition.CONTENT_TYPE));
            } catch (RejectedExecutionException e) {
                respond(x, KinesisApi.error(WireFormat.JSON, busy()), WireFormat.JSON.contentType(), Map.of());
            }
            return true;
        }
        HealthEndpoints.Answer health = HealthEndpoints.answer(uri, readiness,
                !authentication.enabled() || Authentication.fromThisMachine(ctx.channel()));
        if (health != null) {
            respond(x, new KinesisApi.Result(health.status(), health.body(), null), health.contentType(), Map.of());
            return true;
        }
        if (ConsoleFiles.isConsole(uri)) {
            ConsoleFiles.Answer page = console.answer(uri, headers.get(HttpHeaderNames.ACCEPT_ENCODING));
            respond(x, page.result(), page.contentType(), page.headers());
            return true;
        }
        return false;
    }

    /** A Kinesis call past the gate, as the API executor runs it ({@link #kinesis}). */
    private record KinesisCall(String uri, String target, String contentType, byte[] body, String region,
                               ReceivedRequest received, boolean streams, WireFormat format, long queuedAtNanos) {
    }

    /**
     * Runs a Kinesis call on the API executor: shed if it waited too long, authenticated, then a SubscribeToShard
     * started, run here, or authorized here and forwarded to the metadata writer.
     */
    private void kinesis(ChannelHandlerContext ctx, Exchange x, KinesisCall k) {
        WireFormat format = k.format();
        if (!k.streams() && System.nanoTime() - k.queuedAtNanos() > maxQueueWaitNanos) {
            // Waited past the bound in the queue: answered as shed, not run, so that under overload the calls that
            // are run do not each wait the whole queue's worth of work first.
            x.respond(KinesisApi.error(format, busy()), format.contentType());
            return;
        }
        Authentication.Signed signed;
        try {
            signed = authentication.authenticate(ctx, k.received(), RequestAuthenticator.KINESIS, k.region());
            if (signed.scope() == null) {
                throw Regions.invalidRegion(k.region());
            }
        } catch (KinesisException e) {
            x.respond(Authentication.kinesis(format, e));
            return;
        }
        if (k.streams()) {
            KinesisApi.Result error = api.subscribe(k.target(), k.body(), new HttpEventSink(ctx.channel(),
                    requestHeaders(x), x.logEntry()), x.requestId(), signed.caller(), signed.scope());
            if (error != null) {
                x.respond(error, WireFormat.JSON.contentType());
            }
            return;
        }
        ClusterCalls.Call call = new ClusterCalls.Call(ClusterCalls.Service.KINESIS, k.uri(), k.target(),
                k.contentType(), signed.scope(), x.requestId(), k.body(), signed.caller());
        if (!forwarded(call)) {
            x.respond(local(call));
            return;
        }
        // Authorized here, where the client was authenticated; the writer trusts the internal route.
        KinesisApi.Result refused = api.authorize(k.target(), format, k.body(), x.requestId(), signed.caller(),
                signed.scope());
        x.respond(refused != null ? new Reply(refused, format.contentType(), Map.of()) : forward(call));
    }

    /**
     * Answers 500 InternalFailure, with one log line, for a request whose routing, authentication or dispatch threw
     * (on the event loop or on the API executor): the client still gets an answer, and the connection is closed.
     */
    private static void failedBeforeDispatch(Exchange x, String contentType, Throwable e) {
        log.error("Request {} failed before dispatch: {}", x.requestId(), Failures.brief(e));
        WireFormat format = WireFormat.fromContentType(contentType);
        Exchange closing = new Exchange(x.ctx(), false, x.requestId(), x.headers(), x.logEntry());
        try {
            closing.respond(KinesisApi.error(format, KinesisException.internalFailure("Internal failure; request id "
                    + x.requestId())), format.contentType());
        } catch (Throwable again) {
            x.ctx().close();
        }
    }

    /**
     * Sends a call of Lambda's event source mapping API (its method and path name the operation; its body is read as
     * received, never inflated) to the API executor, as the other services' calls go ({@link #otherService}); with
     * {@code --auth none} a malformed signature is still answered as AWS does, in Lambda's error shape.
     */
    private void lambdaCall(Exchange x, String method, String uri, String contentType, String authorization,
                            boolean hasDate, String region, ReceivedRequest received, byte[] body) {
        KinesisException auth = authentication.enabled() ? null : SigV4Shape.problem(authorization, uri, hasDate);
        if (auth != null) {
            Reply reply = Authentication.lambda(auth);
            respond(x, reply.result(), reply.contentType(), Map.of());
            return;
        }
        // The operation is the method and the path, so the method travels where other services carry their target.
        OtherService service = new OtherService(ClusterCalls.Service.LAMBDA, uri, method, contentType, region, body);
        onExecutor(x, contentType, () -> x.respond(otherService(x.ctx(), received, service, x.requestId())));
    }

    /** Runs {@code task} on the API executor; whatever it throws is still answered ({@link #failedBeforeDispatch}). */
    private void onExecutor(Exchange x, String contentType, Runnable task) {
        executor.execute(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                failedBeforeDispatch(x, contentType, e);
            }
        });
    }

    /**
     * A DynamoDB ({@code service} DYNAMODB), CloudWatch (CLOUDWATCH), Glue (GLUE), Lambda (LAMBDA, {@code target}
     * holding the HTTP method) or STS (null) call, as received.
     */
    private record OtherService(ClusterCalls.Service service, String uri, String target, String contentType,
                                String region, byte[] body) {
    }

    /**
     * Authenticates and authorizes a DynamoDB, CloudWatch or STS call, then runs it here or on the metadata writer;
     * on the API executor. Failures are answered in the service's own format ({@link Authentication}).
     */
    private Reply otherService(ChannelHandlerContext ctx, ReceivedRequest received, OtherService call,
                               String requestId) {
        try {
            if (call.service() == null) {
                Authentication.Signed signed = authentication.authenticate(ctx, received, RequestAuthenticator.STS,
                        call.region());
                dev.millrace.auth.Identity who = signed.caller().identity();
                StsApi.Result r = sts.handle(call.body(), call.region(), requestId,
                        who == null ? null : who.accountId(), who == null ? null : who.name());
                return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), null), StsApi.CONTENT_TYPE,
                        Map.of());
            }
            boolean dynamoDb = call.service() == ClusterCalls.Service.DYNAMODB;
            boolean isGlue = call.service() == ClusterCalls.Service.GLUE;
            boolean isLambda = call.service() == ClusterCalls.Service.LAMBDA;
            Authentication.Signed signed = authentication.authenticate(ctx, received, dynamoDb
                    ? RequestAuthenticator.DYNAMODB : isGlue ? RequestAuthenticator.GLUE
                    : isLambda ? RequestAuthenticator.LAMBDA : RequestAuthenticator.CLOUDWATCH, call.region());
            if (dynamoDb) {
                authentication.authorizeDynamo(signed, call.target(), call.body());
            } else if (isGlue || isLambda) {
                if (signed.scope() == null) {
                    // Registries and mappings are kept per account and region: a region AWS does not have names none.
                    throw Regions.invalidRegion(call.region());
                }
                if (isGlue) {
                    authentication.authorizeGlue(signed, call.target(), call.body());
                } else {
                    authentication.authorizeLambda(signed, call.target(), call.uri());
                }
            } else {
                authentication.authorizeCloudWatch(signed, call.uri(), call.target(), call.contentType(),
                        call.body());
            }
            ClusterCalls.Call c = new ClusterCalls.Call(call.service(), call.uri(), call.target(), call.contentType(),
                    signed.scope(), requestId, call.body(), signed.caller());
            return forwarded(c) ? forward(c) : local(c);
        } catch (KinesisException e) {
            if (call.service() == null) {
                return Authentication.sts(e, requestId);
            }
            if (call.service() == ClusterCalls.Service.GLUE) {
                return Authentication.glue(e);
            }
            if (call.service() == ClusterCalls.Service.LAMBDA) {
                return Authentication.lambda(e);
            }
            return call.service() == ClusterCalls.Service.DYNAMODB ? Authentication.dynamo(e)
                    : Authentication.cloudWatch(e, call.uri(), call.target(), call.contentType(), requestId);
        }
    }

    /**
     * The answer of a request shed because the API's queue is full (here, or at its headers: BodyAggregator), or
     * because it waited in that queue longer than {@link HttpLimits#maxQueueWaitMs()}.
     */
    static KinesisException busy() {
        return new KinesisException("ServiceUnavailableException",
                "The server is busy: too many requests are waiting. Retry with backoff.", SERVICE_UNAVAILABLE);
    }

    /**
     * The X-Amz-Target. Sent twice, it is what HTTP makes of any repeated header (RFC 9110 5.3): the values joined
     * with commas, which names no operation, so the request is answered as one for an unknown operation rather
     * than run as whichever copy a proxy or this server happened to read first.
     */
    private static String target(HttpHeaders headers) {
        List<String> all = headers.getAll("X-Amz-Target");
        return all.isEmpty() ? null : all.size() == 1 ? all.get(0) : String.join(",", all);
    }

    /**
     * Answers a request refused before it was read whole ({@link BodyAggregator}), with the headers of any other
     * answer; {@code close} ends the connection after it.
     */
    static void refuse(ChannelHandlerContext ctx, HttpRequest request, KinesisException error, boolean close) {
        Map<String, String> common = new LinkedHashMap<>(Cors.responseHeaders(request.headers()));
        common.put("x-amz-id-2", extendedRequestId());
        WireFormat format = WireFormat.fromContentType(request.headers().get(HttpHeaderNames.CONTENT_TYPE));
        String requestId = requestId();
        respond(new Exchange(ctx, !close && HttpUtil.isKeepAlive(request), requestId, common,
                        RequestLog.start(ctx, request, null, requestId)),
                KinesisApi.error(format, error), format.contentType(), Map.of());
    }

    /** Whether this node sends {@code call} to the metadata writer rather than running it ({@link ClusterCalls}). */
    private boolean forwarded(ClusterCalls.Call call) {
        if (calls == null) {
            return false;
        }
        if (call.service() == ClusterCalls.Service.LAMBDA && !LambdaApi.changes(call.target(), call.uri())) {
            // A read: this node's view holds what the writer committed (it waited for that, for changes made here).
            return false;
        }
        String operation = null;
        if (call.service() == ClusterCalls.Service.KINESIS) {
            try {
                operation = api.operationOf(call.target());
            } catch (KinesisException unknown) {
                return false; // answered here, as everywhere
            }
        }
        return calls.forwards(call.service(), operation);
    }

    /** Sends {@code call} to the writer; its answer, or the service's retryable error if it cannot be had. */
    private Reply forward(ClusterCalls.Call call) {
        try {
            return Reply.of(calls.forward(call));
        } catch (NodeUnavailableException e) {
            return unavailable(call, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable(call, "The server is shutting down.");
        }
    }

    /** The account a call is for: its signer's, or the server's own when it names none. */
    private String accountOf(ClusterCalls.Call call) {
        return call.scope() != null ? call.scope().id() : api.home().id();
    }

    /** Runs {@code call} on this node. */
    Reply local(ClusterCalls.Call call) {
        switch (call.service()) {
            case DYNAMODB: {
                DynamoApi.Result r = dynamo.of(accountOf(call)).handle(call.target(), call.body());
                return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType()),
                        DynamoApi.CONTENT_TYPE, Map.of());
            }
            case GLUE: {
                GlueApi.Result r;
                try {
                    r = glue.of(PerAccount.regional(call.scope() != null ? call.scope() : api.home()))
                            .handle(call.target(), call.body());
                } catch (KinesisException tooManyRegions) {
                    return Authentication.glue(tooManyRegions);
                }
                return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType()),
                        GlueApi.CONTENT_TYPE, Map.of());
            }
            case LAMBDA:
                return lambdaHere(call);
            case CLOUDWATCH: {
                CloudWatchApi regional;
                try {
                    regional = cloudWatch.of(PerAccount.regional(call.scope() != null ? call.scope() : api.home()));
                } catch (KinesisException tooManyRegions) {
                    return Authentication.cloudWatch(tooManyRegions, call.uri(), call.target(), call.contentType(),
                            call.requestId());
                }
                CloudWatchApi.Result r = regional.handle(call.uri(), call.target(), call.contentType(), call.body(),
                        call.requestId());
                return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), null), r.contentType(), r.headers());
            }
            default: {
                WireFormat format = WireFormat.fromContentType(call.contentType());
                boolean here = call.service() == ClusterCalls.Service.KINESIS_HERE;
                return new Reply(api.handle(call.target(), format, call.body(), call.requestId(), call.caller(),
                        call.scope() != null ? call.scope() : api.home(),
                        here), format.contentType(), Map.of());
            }
        }
    }

    /** The service's retryable 5xx, for a call that could not be run on the writer. */
    static Reply unavailable(ClusterCalls.Call call, String message) {
        switch (call.service()) {
            case DYNAMODB: {
                DynamoApi.Result r = DynamoApi.internalError(message);
                return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType()),
                        DynamoApi.CONTENT_TYPE, Map.of());
            }
            case GLUE: {
                GlueApi.Result r = GlueApi.internalError(message);
                return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType()),
                        GlueApi.CONTENT_TYPE, Map.of());
            }
            case LAMBDA:
                return lambdaReply(LambdaApi.serviceError(message));
            case CLOUDWATCH: {
                CloudWatchApi.Result r = CloudWatchApi.internalError(call.uri(), call.target(), call.contentType(),
                        message, call.requestId());
                return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), null), r.contentType(), r.headers());
            }
            default: {
                WireFormat format = WireFormat.fromContentType(call.contentType());
                return new Reply(KinesisApi.error(format, new KinesisException("ServiceUnavailableException",
                        message, SERVICE_UNAVAILABLE)), format.contentType(), Map.of());
            }
        }
    }

    /** Runs a Lambda call ({@code target}: its HTTP method) on this node's LambdaApi of the call's account's region. */
    private Reply lambdaHere(ClusterCalls.Call call) {
        LambdaApi regional;
        try {
            regional = lambda.of(PerAccount.regional(call.scope() != null ? call.scope() : api.home()));
        } catch (KinesisException tooManyRegions) {
            return Authentication.lambda(tooManyRegions);
        }
        Map<String, List<String>> query;
        try {
            query = new QueryStringDecoder(call.uri()).parameters();
        } catch (IllegalArgumentException malformed) {
            return lambdaReply(LambdaApi.securityError("InvalidRequestContentException", "The query string could"
                    + " not be decoded: " + malformed.getMessage(), 400));
        }
        return lambdaReply(regional.handle(call.target(), call.uri(), query, call.body()));
    }

    static Reply lambdaReply(LambdaApi.Result r) {
        return new Reply(new KinesisApi.Result(r.httpStatus(), r.body(), r.errorType()), LambdaApi.CONTENT_TYPE,
                Map.of());
    }

    ClusterCalls calls() {
        return calls;
    }

    ExecutorService executor() {
        return executor;
    }

    private static boolean hasValue(HttpHeaders headers, String name) {
        String value = headers.get(name);
        return value != null && !value.isEmpty();
    }

    /** The identifying headers of an answer, for the event-stream answer that writes its own head. */
    private static Map<String, String> requestHeaders(Exchange x) {
        Map<String, String> headers = new LinkedHashMap<>(x.headers());
        headers.put("x-amzn-RequestId", x.requestId());
        return headers;
    }

    /**
     * A version-4 UUID like AWS's request ids. Ids only need to be unique enough to find a request in the log, so
     * they come from the thread's fast generator, not {@link UUID#randomUUID}'s shared SecureRandom.
     */
    static String requestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /** An x-amz-id-2 value of AWS's length (the SDKs report it as the extended request id). */
    static String extendedRequestId() {
        byte[] id = new byte[EXTENDED_ID_BYTES];
        ThreadLocalRandom.current().nextBytes(id);
        return Base64.getEncoder().encodeToString(id);
    }

    /** Writes an answer; {@code contentType} {@code null} sends none (AWS's XML errors have none). */
    private static void respond(Exchange x, KinesisApi.Result result, String contentType,
                                Map<String, String> extraHeaders) {
        List<ByteBuffer> chunks = result.chunks();
        HttpResponseStatus status = HttpResponseStatus.valueOf(result.httpStatus());
        HttpResponse response = chunks.size() <= 1
                ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                        chunks.isEmpty() ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(chunks.get(0)))
                : new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        response.headers()
                .set(HttpHeaderNames.CONTENT_LENGTH, result.length())
                .set("x-amzn-RequestId", x.requestId());
        x.headers().forEach(response.headers()::set);
        if (result.errorType() != null) {
            response.headers().set("x-amzn-ErrorType", result.errorType());
        }
        extraHeaders.forEach(response.headers()::set);
        HttpUtil.setKeepAlive(response, x.keepAlive());
        RequestLog.answered(x.logEntry(), result.httpStatus(), result.errorType(), result.length());
        ChannelHandlerContext ctx = x.ctx();
        ChannelFuture future;
        if (response instanceof FullHttpResponse) {
            future = ctx.writeAndFlush(response);
        } else {
            // A large answer goes out block by block (each becomes one HTTP/1.1 write or HTTP/2 DATA frame), so it is
            // never copied into one buffer on its way to the socket.
            ctx.write(response);
            for (int i = 0; i < chunks.size() - 1; i++) {
                ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(chunks.get(i))));
            }
            ByteBuffer last = chunks.get(chunks.size() - 1);
            future = ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(last)));
        }
        if (!x.keepAlive()) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            Runnable waiting = ctx.channel().attr(HttpEventSink.ON_WRITABLE).getAndSet(null);
            if (waiting != null) {
                waiting.run();
            }
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A broken connection (reset, malformed HTTP) ends only that connection; the cause is worth a debug line.
        log.debug("Closing connection {} after error", ctx.channel(), cause);
        ctx.close();
    }
}
