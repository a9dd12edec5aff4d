package dev.millrace.server.http;

import dev.millrace.protocol.KinesisException;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;
import java.util.Map;

/**
 * Checks that a request carries AWS Signature Version 4 authentication of the right shape, either as an
 * {@code Authorization} header or as a presigned query string, and answers as AWS does when it does not (texts
 * recorded from AWS by kinesalite's conformance tests):
 * <pre>
 *   header and ?X-Amz-Algorithm       InvalidSignatureException   "Found both 'X-Amz-Algorithm' as a query-string
 *                                                                  param and 'Authorization' as HTTP header."
 *   neither                           MissingAuthenticationTokenException "Missing Authentication Token"
 *   header without Credential=, ...   IncompleteSignatureException "Authorization header requires 'Credential'
 *                                       parameter. ... Authorization=&lt;header&gt;"
 *   query without X-Amz-Credential... IncompleteSignatureException "AWS query-string parameters must include
 *                                       'X-Amz-Credential'. ... Re-examine the query-string parameters."
 * </pre>
 * The header's first word (the algorithm) is not checked, as AWS does not at this stage; the parameters after it
 * may be separated by commas, spaces or both. The signature itself is not verified yet: any credentials are accepted.
 *
 * <p>Stateless, thread-safe.
 */
final class SigV4Shape {
    static final String QUERY_ALGORITHM = "X-Amz-Algorithm";
    private static final List<String> HEADER_PARAMETERS = List.of("Credential", "Signature", "SignedHeaders");
    private static final List<String> QUERY_PARAMETERS = List.of(QUERY_ALGORITHM, "X-Amz-Credential",
            "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date");

    private SigV4Shape() {
    }

    /** The query's parameters; none when it has none, or when a malformed %-escape leaves nothing readable. */
    private static Map<String, List<String>> queryOf(String uri) {
        if (uri.indexOf('?') < 0) {
            return Map.of();
        }
        try {
            return new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
    }

    /**
     * The error AWS answers for this authentication, or {@code null} when it is well formed.
     *
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param uri           the request URI, whose query string may carry a presigned request's parameters
     * @param hasDateHeader whether an {@code X-Amz-Date} or {@code Date} header is present
     */
    static KinesisException problem(String authorization, String uri, boolean hasDateHeader) {
        boolean byHeader = authorization != null && !authorization.isEmpty();
        Map<String, List<String>> query = queryOf(uri);
        boolean byQuery = query.containsKey(QUERY_ALGORITHM);
        if (byHeader && byQuery) {
            return KinesisException.client("InvalidSignatureException", "Found both '" + QUERY_ALGORITHM
                    + "' as a query-string param and 'Authorization' as HTTP header.");
        }
        if (!byHeader && !byQuery) {
            return KinesisException.missingAuthenticationToken();
        }
        String missing = byHeader ? headerMissing(authorization, hasDateHeader) : queryMissing(query);
        return missing.isEmpty() ? null : KinesisException.client("IncompleteSignatureException", missing);
    }

    private static String headerMissing(String authorization, boolean hasDateHeader) {
        String[] words = authorization.split("[, ]");
        StringBuilder missing = new StringBuilder();
        for (String parameter : HEADER_PARAMETERS) {
            if (!hasValue(words, parameter)) {
                missing.append("Authorization header requires '").append(parameter).append("' parameter. ");
            }
        }
        if (!hasDateHeader) {
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
        }
        return missing.isEmpty() ? "" : missing.append("Authorization=").append(authorization).toString();
    }

    /**
     * Whether {@code name=value} with a non-empty value is among the words after the first (the algorithm); when a
     * name repeats, the last occurrence counts. The value ends at a further {@code =}.
     */
    private static boolean hasValue(String[] words, String name) {
        String value = "";
        for (int i = 1; i < words.length; i++) {
            String[] keyValue = words[i].trim().split("=", -1);
            if (keyValue[0].equals(name)) {
                value = keyValue.length > 1 ? keyValue[1] : "";
            }
        }
        return !value.isEmpty();
    }

    private static String queryMissing(Map<String, List<String>> query) {
        StringBuilder missing = new StringBuilder();
        for (String parameter : QUERY_PARAMETERS) {
            List<String> values = query.get(parameter);
            if (values == null || values.isEmpty() || values.get(0).isEmpty()) {
                missing.append("AWS query-string parameters must include '").append(parameter).append("'. ");
            }
        }
        return missing.isEmpty() ? "" : missing.append("Re-examine the query-string parameters.").toString();
    }
}
