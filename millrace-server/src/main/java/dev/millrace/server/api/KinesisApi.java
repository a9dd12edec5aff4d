package dev.millrace.server.api;

import dev.millrace.protocol.ApiModel;
import dev.millrace.protocol.Failures;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.RequestReader;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.Validator;
import dev.millrace.protocol.WireFormat;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.fanout.EventSink;
import dev.millrace.protocol.Account;
import dev.millrace.server.records.StreamKeys;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.crypto.KeyUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One request, transport aside: resolve the operation from {@code X-Amz-Target}, read and validate the body against
 * the model, run the handler, and encode the result or the error in the request's format. This is the single place
 * where exceptions become AWS errors: modelled ones as they are; storage failures, bugs and any other throwable
 * (StackOverflowError included) as 500 {@code InternalFailure}, logged in one line with the request id, since the
 * client only sees the id. Neither method ever throws: every request gets an answer.
 *
 * <p>Thread-safe.
 */
public final class KinesisApi {
    private static final Logger log = LoggerFactory.getLogger(KinesisApi.class);

    /**
     * What to send back, as blocks of bytes (a large answer is never one array; see {@code ChunkedBytes}).
     * {@code errorType} is {@code null} on success.
     */
    public record Result(int httpStatus, List<ByteBuffer> chunks, String errorType) {
        public Result(int httpStatus, byte[] body, String errorType) {
            this(httpStatus, List.of(ByteBuffer.wrap(body)), errorType);
        }

        public long length() {
            long n = 0;
            for (ByteBuffer chunk : chunks) {
                n += chunk.remaining();
            }
            return n;
        }

        /** The whole body in one array: for small answers and tests. */
        public byte[] body() {
            byte[] all = new byte[Math.toIntExact(length())];
            int at = 0;
            for (ByteBuffer chunk : chunks) {
                chunk.duplicate().get(all, at, chunk.remaining());
                at += chunk.remaining();
            }
            return all;
        }
    }

    private final ApiModel model;
    private final RequestReader reader;
    private final Validator validator;
    private final Function<Account, OperationRouter> routers;
    /** The server's own account in the legacy region: where requests that name no account and region go. */
    private final Account home;
    private volatile Placement placement;
    private volatile Gatekeeper gatekeeper = Gatekeeper.OPEN;
    /** Whether an account id is one this server serves (its own is always); others are never addressed. */
    private volatile Predicate<String> knownAccounts = id -> false;

    /**
     * Where a call runs when what it reads lives on another node of a cluster: GetRecords runs on the owner of its
     * iterator's shard, which counts that shard's read limits.
     */
    @FunctionalInterface
    public interface Placement {
        /**
         * Another node's answer to the call, or null to run it here. Called after the request was read and
         * validated.
         */
        Result elsewhere(String target, String operation, Struct request, WireFormat format, byte[] body,
                         String requestId, Account scope);
    }

    /** One operation table for every region (tests, benchmarks). */
    public KinesisApi(ApiModel model, OperationRouter router) {
        this(model, scope -> router, Account.DEFAULT);
    }

    /**
     * An operation table per account's region: {@code routers} gives the table of the account and region a request
     * addresses; {@code home} is the server's own account in the legacy region.
     */
    public KinesisApi(ApiModel model, Function<Account, OperationRouter> routers, Account home) {
        this.home = home;
        this.model = model;
        this.reader = new RequestReader(model);
        this.validator = new Validator(model);
        this.routers = routers;
    }

    /** A request to the server's own account in the legacy region, {@code us-east-1}. */
    public Result handle(String target, WireFormat format, byte[] body, String requestId) {
        return handle(target, format, body, requestId, home);
    }

    /** The server's own account in the legacy region. */
    public Account home() {
        return home;
    }

    /**
     * Checks every call with {@code gatekeeper} from now on, and lets calls address the accounts {@code known}
     * accepts by ARN ({@link RequestTargets}); set once, at start.
     */
    public void secure(Gatekeeper gatekeeper, Predicate<String> known) {
        this.gatekeeper = gatekeeper;
        this.knownAccounts = known;
    }

    /** Places calls on other nodes of a cluster from now on ({@link Placement}); set once, at start. */
    public void place(Placement placement) {
        this.placement = placement;
    }

    public Result handle(String target, WireFormat format, byte[] body, String requestId, Account scope) {
        return handle(target, format, body, requestId, Caller.UNCHECKED, scope, false);
    }

    /**
     * Runs a call, here if {@code here} (another node of the cluster placed it here, already authorized: it is never
     * sent on), else wherever its {@link Placement} says.
     *
     * @param signed the caller's account in the region the request was signed for; a call may address another
     *               account's resource by ARN ({@link RequestTargets})
     */
    public Result handle(String target, WireFormat format, byte[] body, String requestId, Caller caller,
                         Account signed, boolean here) {
        try {
            String operation = operationOf(target);
            ApiModel.Operation op = model.operation(operation);
            if (routers.apply(signed).handler(operation) == null) {
                throw KinesisException.client("UnknownOperationException",
                        "Operation " + operation + " is not implemented by Millrace yet.");
            }
            Struct request = reader.read(format, op.input(), body);
            validator.validate(request);
            OperationRouter router = authorized(operation, request, caller, signed, here);
            OperationHandler handler = router.handler(operation);
            Account scope = router.services() == null ? signed : router.services().streams().account();
            Placement elsewhere = placement;
            if (!here && elsewhere != null) {
                Result answered = elsewhere.elsewhere(target, operation, request, format, body, requestId, scope);
                if (answered != null) {
                    return answered;
                }
            }
            WireWriter out = new WireWriter(format).startObject();
            handler.handle(request, out);
            if (op.output() == null) {
                // AWS answers an operation without an output shape (CreateStream, PutResourcePolicy, ...) with an
                // empty body, not "{}"; clients that compare bodies notice.
                return new Result(200, new byte[0], null);
            }
            return new Result(200, out.endObject().toChunks(), null);
        } catch (KinesisException e) {
            return error(format, e);
        } catch (KeyUnavailableException e) {
            // Records encrypted with a key that is gone or disabled: AWS's KMS error, not a storage failure.
            return error(format, StreamKeys.unavailable(e));
        } catch (StorageException e) {
            if (!e.reported()) {
                // A reported one was logged by storage, rate-limited: a full disk fails every write until freed.
                log.error("Request {} failed in storage: {}", requestId, Failures.brief(e));
            }
            return error(format, KinesisException.internalFailure("Storage failure; request id " + requestId));
        } catch (Throwable e) {
            return internalFailure(format, requestId, e);
        }
    }

    /**
     * Any other throwable - a bug, a StackOverflowError, an OutOfMemoryError the JVM survived, an AssertionError -
     * still gets an answer: a retryable 500 InternalFailure, and one log line (see {@link Failures}). Letting it
     * escape would leave the client without an answer and kill the worker thread.
     */
    private static Result internalFailure(WireFormat format, String requestId, Throwable e) {
        log.error("Request {} failed: {}", requestId, Failures.brief(e));
        return error(format, KinesisException.internalFailure("Internal failure; request id " + requestId));
    }

    /**
     * Checks a call that another node will run (a metadata change forwarded to the writer): reads, validates and
     * authorizes it here, where the client was authenticated. Returns {@code null} if it may go on, else the answer.
     */
    public Result authorize(String target, WireFormat format, byte[] body, String requestId, Caller caller,
                            Account signed) {
        try {
            String operation = operationOf(target);
            Struct request = reader.read(format, model.operation(operation).input(), body);
            validator.validate(request);
            authorized(operation, request, caller, signed, false);
            return null;
        } catch (KinesisException e) {
            return error(format, e);
        } catch (Throwable e) {
            return internalFailure(format, requestId, e);
        }
    }

    /**
     * The operation table of the account's region the call addresses, once the caller is found allowed to run it
     * there (AccessDeniedException if not). A call placed here by another node was authorized there.
     */
    private OperationRouter authorized(String operation, Struct request, Caller caller, Account signed,
                                       boolean here) {
        OperationRouter signedRouter = routers.apply(signed);
        ApiServices signedServices = signedRouter.services();
        Gatekeeper checks = gatekeeper;
        if (signedServices == null || checks == Gatekeeper.OPEN) {
            // A bare table (tests), or --auth none: nothing is checked and no other account can be addressed, so
            // finding the targets (a GetRecords iterator's HMAC among them) would be work for nothing.
            return signedRouter;
        }
        Account scope = RequestTargets.scope(operation, request, signed, signedServices.iterators(), knownAccounts);
        OperationRouter router = scope.equals(signed) ? signedRouter : routers.apply(scope);
        if (!here) {
            checks.check(caller, operation, RequestTargets.resourceArn(operation, request, router.services()),
                    scope, router.services());
            for (RequestTargets.Also also : RequestTargets.also(operation, request, router.services())) {
                checks.check(caller, also.operation(), also.resourceArn(), scope, router.services());
            }
        }
        return router;
    }

    /** Whether the target's answer is an event stream (SubscribeToShard). */
    public boolean streams(String target) {
        String prefix = model.targetPrefix() + ".";
        return target != null && target.startsWith(prefix)
                && routers.apply(home).streaming(target.substring(prefix.length())) != null;
    }

    /**
     * Starts an event-stream operation. Returns {@code null} once the stream has started (everything after that
     * travels in it), or the error to answer instead. Event-stream requests are always JSON.
     */
    public Result subscribe(String target, byte[] body, EventSink sink, String requestId, Caller caller,
                            Account signed) {
        try {
            String operation = operationOf(target);
            Struct request = reader.read(WireFormat.JSON, model.operation(operation).input(), body);
            validator.validate(request);
            authorized(operation, request, caller, signed, false).streaming(operation).subscribe(request, sink,
                    requestId);
            return null;
        } catch (KinesisException e) {
            return error(WireFormat.JSON, e);
        } catch (Throwable e) {
            return internalFailure(WireFormat.JSON, requestId, e);
        }
    }

    /**
     * The operation an {@code X-Amz-Target} names, or UnknownOperationException. Public so that the HTTP layer can
     * check the target in AWS's order, before authentication.
     */
    public String operationOf(String target) {
        String prefix = model.targetPrefix() + ".";
        if (target == null || !target.startsWith(prefix)) {
            throw KinesisException.unknownOperation();
        }
        String operation = target.substring(prefix.length());
        if (model.operation(operation) == null) {
            throw KinesisException.unknownOperation();
        }
        return operation;
    }

    public static Result error(WireFormat format, KinesisException e) {
        return new Result(e.httpStatus(), WireWriter.error(format, e), e.errorType());
    }
}
