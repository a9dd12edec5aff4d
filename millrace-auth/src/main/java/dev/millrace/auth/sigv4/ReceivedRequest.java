package dev.millrace.auth.sigv4;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A request as it was received, before anything in it is trusted: the method, the raw request target (path and query
 * exactly as sent, %-escapes and all), every header value under its case-insensitive name, and the body bytes. For
 * HTTP/2 the server passes {@code :authority} as a {@code host} header, which is what the client signed.
 *
 * <p>Immutable once built, thread-safe; the body array is not copied (the caller must not change it afterwards).
 */
public final class ReceivedRequest {
    private static final byte[] NO_BODY = new byte[0];

    private final String method;
    private final String rawPath;
    private final String rawQuery;
    private final Map<String, List<String>> headers;
    private final byte[] body;

    /**
     * @param method  the HTTP method, e.g. {@code POST}
     * @param rawUri  the request target as received: {@code /path?query}, or the absolute form
     *                {@code http://host/path?query} a client may send through a proxy
     * @param headers every header as received, in order; a name may repeat (Netty's {@code HttpHeaders} is such an
     *                iterable)
     * @param body    the body, or {@code null} for none
     */
    public ReceivedRequest(String method, String rawUri, Iterable<? extends Map.Entry<String, String>> headers,
                           byte[] body) {
        this.method = Objects.requireNonNull(method, "method");
        String target = originForm(Objects.requireNonNull(rawUri, "rawUri"));
        int question = target.indexOf('?');
        this.rawPath = question < 0 ? target : target.substring(0, question);
        this.rawQuery = question < 0 ? null : target.substring(question + 1);
        Map<String, List<String>> byName = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, String> header : headers) {
            byName.computeIfAbsent(header.getKey(), name -> new ArrayList<>(1))
                    .add(header.getValue() == null ? "" : header.getValue());
        }
        byName.replaceAll((name, values) -> Collections.unmodifiableList(values));
        this.headers = Collections.unmodifiableMap(byName);
        this.body = body == null ? NO_BODY : body;
    }

    /** A request from headers already grouped by name (names compared without case; values kept in order). */
    public static ReceivedRequest of(String method, String rawUri, Map<String, List<String>> headers, byte[] body) {
        List<Map.Entry<String, String>> entries = new ArrayList<>();
        headers.forEach((name, values) -> values.forEach(value -> entries.add(Map.entry(name, value))));
        return new ReceivedRequest(method, rawUri, entries, body);
    }

    /** The path part of an absolute-form target ({@code http://host:port/p?q} becomes {@code /p?q}). */
    private static String originForm(String rawUri) {
        int schemeEnd = rawUri.indexOf("://");
        if (rawUri.startsWith("/") || schemeEnd < 0) {
            return rawUri;
        }
        int pathStart = rawUri.indexOf('/', schemeEnd + 3);
        int queryStart = rawUri.indexOf('?', schemeEnd + 3);
        if (pathStart < 0 || (queryStart >= 0 && queryStart < pathStart)) {
            return "/" + (queryStart < 0 ? "" : rawUri.substring(queryStart));
        }
        return rawUri.substring(pathStart);
    }

    public String method() {
        return method;
    }

    /** The path as received, still %-encoded; empty when the target had none. */
    public String rawPath() {
        return rawPath;
    }

    /** The query as received after the {@code ?}, still %-encoded; {@code null} when there was no {@code ?}. */
    public String rawQuery() {
        return rawQuery;
    }

    /** Every value of the header {@code name} (any case), in the order received; empty when it is absent. */
    public List<String> headerValues(String name) {
        return headers.getOrDefault(name, List.of());
    }

    /** The first value of the header {@code name} (any case), or {@code null} when it is absent. */
    public String firstHeader(String name) {
        List<String> values = headers.get(name);
        return values == null ? null : values.get(0);
    }

    public byte[] body() {
        return body;
    }
}
