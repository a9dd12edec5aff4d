package dev.millrace.lambda;

import dev.millrace.lambda.mapping.MappingStore;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.Failures;
import dev.millrace.storage.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Lambda's event source mapping API for Kinesis sources, of one account's region, in Lambda's REST JSON protocol:
 * <pre>
 *   POST   /2015-03-31/event-source-mappings[/]          CreateEventSourceMapping   202
 *   GET    /2015-03-31/event-source-mappings[/]?...      ListEventSourceMappings    200
 *   GET    /2015-03-31/event-source-mappings/{UUID}      GetEventSourceMapping      200
 *   PUT    /2015-03-31/event-source-mappings/{UUID}      UpdateEventSourceMapping   202
 *   DELETE /2015-03-31/event-source-mappings/{UUID}      DeleteEventSourceMapping   202
 *   error  status, x-amzn-ErrorType: &lt;type&gt; (Result.errorType), {"__type":..,"Type":"User","message":..}
 * </pre>
 * The collection's path is routed with and without a trailing slash: SDKs built from Lambda's model before July 2025
 * send the slash. Transport-free: the server hands each call in and writes the {@link Result} out with
 * {@link #CONTENT_TYPE}. Mappings are kept in the metadata store given ({@link MappingStore}), so they survive restarts
 * and every node reads them; a change that lost a race to another commit is run again from its reads.
 *
 * <p>Every failure is one of Lambda's errors: ValidationException (400) for the model's constraints,
 * InvalidParameterValueException (400) for Lambda's rules, InvalidRequestContentException (400) for a body that is
 * not JSON or has a member of the wrong type (Lambda's answer to an unparsable body), RequestTooLargeException (413)
 * past {@link #MAX_BODY_BYTES}, ResourceNotFoundException (404), ResourceConflictException (409),
 * ResourceInUseException (400), UnknownOperationException (404) for another method or path under the API's prefix,
 * TooManyRequestsException (429) when the store kept changing, ServiceException (500) for a fault of the server only.
 *
 * <p>Thread-safe.
 */
public final class LambdaApi {
    private static final Logger log = LoggerFactory.getLogger(LambdaApi.class);
    public static final String CONTENT_TYPE = "application/json";
    static final String BASE = "/2015-03-31/event-source-mappings";
    /**
     * Far above any valid request (five 4,096-character patterns escaped, 50 tags, 10,000-character ARNs come to
     * ~100 KB) and small enough to read whole.
     */
    static final int MAX_BODY_BYTES = 256 * 1024;
    /** How often a change that lost a race to another commit of the store is run again before giving up. */
    static final int MAX_ATTEMPTS = 8;

    /** An answer: HTTP status, JSON body, and the error type (null on success). */
    public record Result(int httpStatus, byte[] body, String errorType) {
    }

    /** One row of the dispatch table: a method on the collection's path or on a mapping's. */
    private record Route(String method, boolean onMapping, String operation, int successStatus, boolean changes,
                         Function<LambdaServices, LambdaHandler> factory) {
    }

    private static final List<Route> ROUTES = List.of(
            new Route("POST", false, "CreateEventSourceMapping", 202, true, CreateEventSourceMappingHandler::new),
            new Route("GET", false, "ListEventSourceMappings", 200, false, ListEventSourceMappingsHandler::new),
            new Route("GET", true, "GetEventSourceMapping", 200, false, GetEventSourceMappingHandler::new),
            new Route("PUT", true, "UpdateEventSourceMapping", 202, true, UpdateEventSourceMappingHandler::new),
            new Route("DELETE", true, "DeleteEventSourceMapping", 202, true, DeleteEventSourceMappingHandler::new));

    private final LambdaServices services;
    private final Map<String, LambdaHandler> handlers = new HashMap<>();

    /**
     * @param store     the account's region's metadata (the server's RegionMetadata view)
     * @param account   the account and region its ARNs name
     * @param functions the functions the server's configuration registers
     * @param streams   the account's region's streams and consumers
     */
    public LambdaApi(MetadataStore store, Clock clock, Account account, FunctionRegistry functions,
                     StreamLookup streams) {
        this(store, clock, account, functions, streams, LambdaServices.MAX_MAPPINGS);
    }

    /** With another bound on the mappings of the region (tests). */
    LambdaApi(MetadataStore store, Clock clock, Account account, FunctionRegistry functions, StreamLookup streams,
              int maxMappings) {
        services = new LambdaServices(new MappingStore(store, clock), clock, account, functions, streams,
                maxMappings);
        for (Route r : ROUTES) {
            handlers.put(r.operation(), r.factory().apply(services));
        }
    }

    /** The mappings' store, for the processing engine. */
    public MappingStore mappings() {
        return services.store;
    }

    /** A call's route and its path's UUID (null on the collection's path). */
    private record Match(Route route, String uuid) {
    }

    /** The path without its query, or null when it is not under {@link #BASE}. */
    private static String pathOf(String rawPath) {
        if (rawPath == null) {
            return null;
        }
        int q = rawPath.indexOf('?');
        String path = q < 0 ? rawPath : rawPath.substring(0, q);
        return path.equals(BASE) || path.startsWith(BASE + "/") ? path : null;
    }

    private static void pauseAfterLostRace(int attempt) {
        try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(1, 4L * attempt + 2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw LambdaException.tooManyRequests("Interrupted while retrying; retry the request.");
        }
    }

    /** True when {@code rawPath} is under the mapping API's prefix, so a server sharing one port routes it here. */
    public static boolean isLambdaPath(String rawPath) {
        return pathOf(rawPath) != null;
    }

    private static Match match(String method, String rawPath) {
        String path = pathOf(rawPath);
        if (path == null || method == null) {
            return null;
        }
        String rest = path.length() <= BASE.length() + 1 ? "" : path.substring(BASE.length() + 1);
        if (rest.contains("/")) {
            return null;
        }
        boolean onMapping = !rest.isEmpty();
        String m = method.toUpperCase(Locale.ROOT);
        for (Route r : ROUTES) {
            if (r.method().equals(m) && r.onMapping() == onMapping) {
                return new Match(r, onMapping ? rest : null);
            }
        }
        return null;
    }

    /** The operation a call names ({@code CreateEventSourceMapping}, ...), for IAM's lambda:&lt;Op&gt;; or null. */
    public static String operationOf(String method, String rawPath) {
        Match m = match(method, rawPath);
        return m == null ? null : m.route().operation();
    }

    /** Whether the call changes mappings (a cluster runs it on the metadata writer). */
    public static boolean changes(String method, String rawPath) {
        Match m = match(method, rawPath);
        return m != null && m.route().changes();
    }

    /**
     * The ARNs a call acts on, for its IAM check ({@code lambda:<Operation>} on each): the mapping's ARN for Get,
     * Update and Delete; {@code *} for Create and List, which IAM authorises on no mapping (its reference lists them
     * with resource {@code *}), and for a call that names no operation (the call itself answers that).
     */
    public static List<String> resourcesOf(String method, String rawPath, String region, String accountId) {
        Match m = match(method, rawPath);
        if (m == null || m.uuid() == null || !Account.isRegion(region)) {
            return List.of("*");
        }
        try {
            return List.of(LambdaServices.mappingArn(new Account(region, accountId), m.uuid()));
        } catch (IllegalArgumentException notAnAccount) {
            return List.of("*");
        }
    }

    /**
     * Handles one call; never throws.
     *
     * @param query the query string's parameters, decoded (null: none)
     */
    public Result handle(String method, String rawPath, Map<String, List<String>> query, byte[] body) {
        Match m = match(method, rawPath);
        try {
            if (m == null) {
                throw LambdaException.unknownOperation("Millrace serves Lambda's event source mapping API here: POST "
                        + "and GET " + BASE + ", GET, PUT and DELETE " + BASE + "/{UUID}; not " + method + " "
                        + rawPath + ".");
            }
            if (body != null && body.length > MAX_BODY_BYTES) {
                throw LambdaException.tooLarge("The request body is " + body.length + " bytes; Millrace reads at "
                        + "most " + MAX_BODY_BYTES + " bytes for event source mapping calls.");
            }
            // Only Create and Update have body members; a body sent with a GET or DELETE is not read.
            boolean hasMembers = m.route().method().equals("POST") || m.route().method().equals("PUT");
            LambdaHandler.Call call = new LambdaHandler.Call(m.uuid(), query == null ? Map.of() : query,
                    hasMembers ? JsonBody.parse(body) : JsonBody.EMPTY);
            LambdaHandler handler = handlers.get(m.route().operation());
            for (int attempt = 1; ; attempt++) {
                try {
                    return new Result(m.route().successStatus(), handler.handle(call), null);
                } catch (MappingStore.Stale lost) {
                    if (attempt == MAX_ATTEMPTS) {
                        throw LambdaException.tooManyRequests("The metadata store kept changing while the request "
                                + "was applied (" + MAX_ATTEMPTS + " attempts); retry it.");
                    }
                    // The version is the whole store's, which checkpoints move on every batch: a short random
                    // pause lets a burst of commits pass instead of losing to it eight times in a row.
                    pauseAfterLostRace(attempt);
                }
            }
        } catch (LambdaException e) {
            return error(e);
        } catch (Throwable e) {
            // A storage failure or a bug: the client gets Lambda's fault, the log one line.
            log.error("Lambda {} {} failed: {}", method, rawPath, Failures.brief(e));
            return error(LambdaException.service("Internal service error"));
        }
    }

    /** An authentication or authorization failure, in Lambda's error shape ({@code message} member). */
    public static Result securityError(String errorType, String message, int httpStatus) {
        return error(new LambdaException(errorType, httpStatus, false, message));
    }

    /** Lambda's fault (a call that could not reach the metadata writer). */
    public static Result serviceError(String message) {
        return error(LambdaException.service(message));
    }

    private static Result error(LambdaException e) {
        return new Result(e.httpStatus(), LambdaJson.error(e), e.errorType());
    }
}
