package dev.millrace.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.millrace.auth.sigv4.SigV4Shape;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.WireFormat;
import dev.millrace.server.api.KinesisApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Locale;

/**
 * What AWS checks, and in which order, before a request addressed to Kinesis reaches its operation (recorded from
 * AWS by kinesalite's conformance tests, test/connection.js). The first check that fails answers:
 * <pre>
 *   1. method is not POST                 refuse (below)
 *   2. body is empty                      UnknownOperationException, or SerializationException if the target is a
 *                                           Kinesis operation; JSON for application/x-amz-json-1.1, CBOR otherwise
 *   3. Content-Type is none of x-amz-json-1.1, x-amz-cbor-1.1, application/json
 *                                         refuse (except a form body with a Kinesis target: see below)
 *   4. body is not a JSON / CBOR object   SerializationException (Coral JSON 1.0 for application/json)
 *   5. Content-Type is application/json   Coral JSON 1.0 UnknownOperationException, 404
 *   6. target is not a Kinesis operation  UnknownOperationException (and a log line, at most one per 10 s: a newer
 *                                           SDK may be calling an operation this Millrace does not know)
 *   7. SigV4 header or query malformed    SigV4Shape's errors
 * </pre>
 * 2 to 7 answer 400 in the request's format. "Refuse" is what AWS says when it cannot tell which operation to
 * authorize, in XML without a Content-Type: first the authentication's shape (403, SigV4Shape's errors), then the
 * target: none or half a one is 403 AccessDeniedException, an unknown service 403 UnrecognizedClientException, a
 * Kinesis operation 404 UnknownOperationException, an unknown Kinesis operation 500 InternalFailure.
 *
 * <p>{@code curl -d} sends {@code application/x-www-form-urlencoded} unless told otherwise. AWS refuses that; Millrace
 * lets it through as JSON when the target is a Kinesis operation, so hand-made calls work without a {@code -H}.
 *
 * <p>Check 4 needs a full parse of the body. The operation's own reader parses it anyway and answers the same
 * SerializationException, so the gate parses only when check 6 or 7 is about to fail, and a good request is parsed
 * once.
 *
 * <p>Stateless apart from the API it asks about targets; thread-safe.
 */
final class KinesisGate {
    private static final Logger log = LoggerFactory.getLogger(KinesisGate.class);
    /** A client can call unknown operations as fast as it likes; the log says so once per interval. */
    private final RateLimitedLog unknownOperations;
    private static final String AMZ_JSON = WireFormat.JSON.contentType();
    private static final String AMZ_CBOR = WireFormat.CBOR.contentType();
    private static final String FORM = "application/x-www-form-urlencoded";
    private static final JsonFactory JSON = new JsonFactory();
    private static final CBORFactory CBOR = new CBORFactory();
    private static final int MAX_LOGGED_TARGET_CHARS = 200;

    /** The request as far as the gate looks at it. */
    record Request(boolean post, String uri, String contentType, String target, byte[] body, String authorization,
                   boolean hasDateHeader, String requestId) {
    }

    /**
     * Either an answer to send ({@code answer} with its Content-Type, {@code null} for none) or, when
     * {@code answer} is {@code null}, the format in which the operation reads the body and answers.
     */
    record Verdict(WireFormat format, KinesisApi.Result answer, String contentType) {
        static Verdict proceed(WireFormat format) {
            return new Verdict(format, null, null);
        }

        static Verdict answer(KinesisApi.Result answer, String contentType) {
            return new Verdict(null, answer, contentType);
        }

        static Verdict answer(WireFormat format, KinesisException e) {
            return answer(KinesisApi.error(format, e), format.contentType());
        }
    }

    private final KinesisApi api;
    private final String service;

    /** {@code service} is the target prefix of Kinesis's operations, {@code Kinesis_20131202}. */
    KinesisGate(KinesisApi api, String service) {
        this(api, service, new RateLimitedLog(log));
    }

    /** With the log of unknown operations given (tests: its clock). */
    KinesisGate(KinesisApi api, String service, RateLimitedLog unknownOperations) {
        this.api = api;
        this.service = service;
        this.unknownOperations = unknownOperations;
    }

    Verdict check(Request r) {
        if (!r.post()) {
            return refuse(r);
        }
        String mediaType = mediaType(r.contentType());
        boolean known = isOperation(r.target());
        if (r.body().length == 0) {
            WireFormat format = mediaType.equals(AMZ_JSON) ? WireFormat.JSON : WireFormat.CBOR;
            if (!known) {
                logUnknown(r);
            }
            return Verdict.answer(format, known ? serialization() : KinesisException.unknownOperation());
        }
        if (mediaType.equals(EdgeErrors.CORAL_CONTENT_TYPE)) {
            return isObject(JSON, r.body()) ? Verdict.answer(EdgeErrors.coral(404, "UnknownOperationException"),
                    EdgeErrors.CORAL_CONTENT_TYPE)
                    : Verdict.answer(EdgeErrors.coral(400, "SerializationException"), EdgeErrors.CORAL_CONTENT_TYPE);
        }
        WireFormat format;
        if (mediaType.equals(AMZ_JSON) || (known && mediaType.equals(FORM))) {
            format = WireFormat.JSON;
        } else if (mediaType.equals(AMZ_CBOR)) {
            format = WireFormat.CBOR;
        } else {
            return refuse(r);
        }
        if (!known) {
            if (!isObject(format, r.body())) {
                return Verdict.answer(format, serialization());
            }
            logUnknown(r);
            return Verdict.answer(format, KinesisException.unknownOperation());
        }
        KinesisException auth = SigV4Shape.problem(r.authorization(), r.uri(), r.hasDateHeader());
        if (auth != null) {
            return Verdict.answer(format, isObject(format, r.body()) ? auth : serialization());
        }
        return Verdict.proceed(format);
    }

    /** AWS's answer when it cannot tell which operation to authorize (see the class comment). */
    private Verdict refuse(Request r) {
        KinesisException auth = SigV4Shape.problem(r.authorization(), r.uri(), r.hasDateHeader());
        if (auth != null) {
            return Verdict.answer(EdgeErrors.xml(403, auth.errorType(), auth.getMessage()), null);
        }
        String target = r.target() == null ? "" : r.target();
        int dot = target.indexOf('.');
        int end = dot < 0 ? -1 : target.indexOf('.', dot + 1);
        String targetService = dot < 0 ? target : target.substring(0, dot);
        String operation = dot < 0 ? "" : target.substring(dot + 1, end < 0 ? target.length() : end);
        if (targetService.isEmpty() || operation.isEmpty()) {
            return Verdict.answer(EdgeErrors.xml(403, "AccessDeniedException",
                    "Unable to determine service/operation name to be authorized"), null);
        }
        if (!targetService.equals(service)) {
            return Verdict.answer(EdgeErrors.xml(403, "UnrecognizedClientException",
                    "No authorization strategy was found for service: " + targetService + ", operation: "
                            + operation), null);
        }
        if (isOperation(service + "." + operation)) {
            return Verdict.answer(EdgeErrors.xml(404, "UnknownOperationException"), null);
        }
        logUnknown(r);
        return Verdict.answer(EdgeErrors.xml(500, "InternalFailure"), null);
    }

    private boolean isOperation(String target) {
        if (target == null) {
            return false;
        }
        try {
            api.operationOf(target);
            return true;
        } catch (KinesisException e) {
            return false;
        }
    }

    private void logUnknown(Request r) {
        String target = r.target();
        if (target == null) {
            unknownOperations.info("Unknown operation: no X-Amz-Target header (request id {})", r.requestId());
            return;
        }
        if (target.length() > MAX_LOGGED_TARGET_CHARS) {
            target = target.substring(0, MAX_LOGGED_TARGET_CHARS) + "...";
        }
        unknownOperations.info("Unknown operation target '{}' (request id {}): not an operation of this Millrace's Kinesis API",
                target, r.requestId());
    }

    /** AWS's SerializationException at this stage carries no message. */
    private static KinesisException serialization() {
        return KinesisException.serialization(null);
    }

    /** The media type without parameters, trimmed and in lower case; "" for none. */
    static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    private static boolean isObject(WireFormat format, byte[] body) {
        return isObject(format == WireFormat.CBOR ? CBOR : JSON, body);
    }

    /** Whether the body is exactly one well-formed object (no trailing data). */
    private static boolean isObject(JsonFactory factory, byte[] body) {
        try (JsonParser p = factory.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
