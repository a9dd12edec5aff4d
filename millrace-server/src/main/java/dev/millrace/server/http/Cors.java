package dev.millrace.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cross-origin resource sharing as AWS answers it (recorded by kinesalite's conformance tests), so that the AWS SDK
 * for JavaScript works from a browser page served by another origin. Any origin is allowed:
 * <pre>
 *   OPTIONS with Origin (a preflight): 200, empty body, no Content-Type, no x-amz-id-2,
 *     Access-Control-Allow-Origin: *
 *     Access-Control-Allow-Headers: (the request's Access-Control-Request-Headers, if any)
 *     Access-Control-Allow-Methods: (the request's Access-Control-Request-Method, if any)
 *     Access-Control-Max-Age: 172800
 *   any other request with Origin: its answer also carries
 *     Access-Control-Allow-Origin: *
 *     Access-Control-Expose-Headers: x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,
 *                                    x-amzn-ErrorMessage,Date
 * </pre>
 *
 * <p>Stateless, thread-safe.
 */
final class Cors {
    static final String ALLOW_ANY_ORIGIN = "*";
    static final String EXPOSED_HEADERS =
            "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date";
    static final String MAX_AGE_SECONDS = "172800";

    private Cors() {
    }

    /** Whether the request is a preflight, answered by {@link #preflightHeaders} alone. */
    static boolean isPreflight(HttpRequest request) {
        return request.method().equals(HttpMethod.OPTIONS) && hasOrigin(request.headers());
    }

    /** The headers of a preflight's answer. */
    static Map<String, String> preflightHeaders(HttpHeaders requestHeaders) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN.toString(), ALLOW_ANY_ORIGIN);
        String requested = requestHeaders.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS);
        if (requested != null && !requested.isEmpty()) {
            headers.put(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS.toString(), requested);
        }
        String method = requestHeaders.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        if (method != null && !method.isEmpty()) {
            headers.put(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS.toString(), method);
        }
        headers.put(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE.toString(), MAX_AGE_SECONDS);
        return headers;
    }

    /** The headers every other answer carries: none without an {@code Origin}. */
    static Map<String, String> responseHeaders(HttpHeaders requestHeaders) {
        if (!hasOrigin(requestHeaders)) {
            return Map.of();
        }
        return Map.of(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN.toString(), ALLOW_ANY_ORIGIN,
                HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS.toString(), EXPOSED_HEADERS);
    }

    private static boolean hasOrigin(HttpHeaders headers) {
        String origin = headers.get(HttpHeaderNames.ORIGIN);
        return origin != null && !origin.isEmpty();
    }
}
