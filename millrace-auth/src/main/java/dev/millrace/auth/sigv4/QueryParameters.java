package dev.millrace.auth.sigv4;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A raw query string ({@code a=1&X-Amz-Credential=AKID%2F20261206%2F...}) split into its parameters, names and values
 * %-decoded (and {@code +} read as a space, as form encoding and every AWS SDK's encoder agree), in the order sent.
 *
 * <p>Decoding is lenient on purpose: a {@code %} not followed by two hex digits stays as it is, and bytes that are not
 * UTF-8 become U+FFFD. A hostile query therefore never throws here; whatever it decodes to is then simply not what the
 * client signed. The work is linear in the query's length.
 *
 * <p>Immutable, thread-safe.
 */
final class QueryParameters {
    static final QueryParameters NONE = new QueryParameters(List.of());

    private final List<Map.Entry<String, String>> parameters;

    private QueryParameters(List<Map.Entry<String, String>> parameters) {
        this.parameters = parameters;
    }

    /** The parameters of {@code rawQuery} (the part after {@code ?}); none for {@code null} or an empty query. */
    static QueryParameters parse(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return NONE;
        }
        List<Map.Entry<String, String>> parameters = new ArrayList<>();
        int start = 0;
        while (start <= rawQuery.length()) {
            int end = rawQuery.indexOf('&', start);
            if (end < 0) {
                end = rawQuery.length();
            }
            if (end > start) {
                int equals = rawQuery.indexOf('=', start);
                boolean hasValue = equals >= 0 && equals < end;
                String name = decode(rawQuery, start, hasValue ? equals : end);
                String value = hasValue ? decode(rawQuery, equals + 1, end) : "";
                parameters.add(Map.entry(name, value));
            }
            start = end + 1;
        }
        return new QueryParameters(List.copyOf(parameters));
    }

    private static String decode(String raw, int from, int to) {
        boolean plain = true;
        for (int i = from; i < to && plain; i++) {
            char c = raw.charAt(i);
            plain = c != '%' && c != '+';
        }
        if (plain) {
            return raw.substring(from, to);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(to - from);
        for (int i = from; i < to; i++) {
            char c = raw.charAt(i);
            int high = i + 2 < to ? Character.digit(raw.charAt(i + 1), 16) : -1;
            int low = i + 2 < to ? Character.digit(raw.charAt(i + 2), 16) : -1;
            if (c == '%' && high >= 0 && low >= 0) {
                bytes.write(high << 4 | low);
                i += 2;
            } else if (c == '+') {
                bytes.write(' ');
            } else {
                int codePoint = raw.codePointAt(i);
                byte[] encoded = Character.toString(codePoint).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                i += Character.charCount(codePoint) - 1;
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The value of the first parameter named exactly {@code name}, or {@code null} when there is none. */
    String first(String name) {
        for (Map.Entry<String, String> parameter : parameters) {
            if (parameter.getKey().equals(name)) {
                return parameter.getValue();
            }
        }
        return null;
    }

    boolean contains(String name) {
        return first(name) != null;
    }

    /** Every parameter in the order sent, decoded. */
    List<Map.Entry<String, String>> all() {
        return parameters;
    }
}
