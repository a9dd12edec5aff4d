package dev.millrace.auth.sigv4;

import dev.millrace.protocol.KinesisException;

import java.util.ArrayList;
import java.util.List;

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
 * may be separated by commas, spaces or both. What the parameters say is {@link SigV4Verifier}'s business.
 *
 * <p>Moved here from the server's {@code http} package with its texts unchanged; the query string is now parsed by
 * {@link QueryParameters} (no Netty), which splits parameters on {@code &} only, as SigV4 does.
 *
 * <p>Stateless, thread-safe.
 */
public final class SigV4Shape {
    static final String QUERY_ALGORITHM = "X-Amz-Algorithm";
    private static final List<String> HEADER_PARAMETERS = List.of("Credential", "Signature", "SignedHeaders");
    private static final List<String> QUERY_PARAMETERS = List.of(QUERY_ALGORITHM, "X-Amz-Credential",
            "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date");

    private SigV4Shape() {
    }

    /**
     * The error AWS answers for the authentication of a request whose target is {@code rawUri} (path and raw query),
     * or {@code null} when it is well formed: the checks AWS makes before it knows the operation, also with
     * {@code --auth none}, where nothing more is checked.
     */
    public static KinesisException problem(String authorization, String rawUri, boolean hasDateHeader) {
        int question = rawUri == null ? -1 : rawUri.indexOf('?');
        return problem(authorization, QueryParameters.parse(question < 0 ? null : rawUri.substring(question + 1)),
                hasDateHeader);
    }

    /**
     * The error AWS answers for this authentication, or {@code null} when it is well formed.
     *
     * @param authorization the {@code Authorization} header, or {@code null}
     * @param query         the request's query parameters, which may carry a presigned request's
     * @param hasDateHeader whether a non-empty {@code X-Amz-Date} or {@code Date} header is present
     */
    static KinesisException problem(String authorization, QueryParameters query, boolean hasDateHeader) {
        boolean byHeader = authorization != null && !authorization.isEmpty();
        boolean byQuery = query.contains(QUERY_ALGORITHM);
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
        String[] words = words(authorization);
        StringBuilder missing = new StringBuilder();
        for (String parameter : HEADER_PARAMETERS) {
            if (value(words, parameter).isEmpty()) {
                missing.append("Authorization header requires '").append(parameter).append("' parameter. ");
            }
        }
        if (!hasDateHeader) {
            missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ");
        }
        return missing.isEmpty() ? "" : missing.append("Authorization=").append(authorization).toString();
    }

    /** The header's words: the algorithm first, then {@code name=value} parameters, split at commas and spaces. */
    static String[] words(String authorization) {
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= authorization.length(); i++) {
            if (i == authorization.length() || authorization.charAt(i) == ',' || authorization.charAt(i) == ' ') {
                words.add(authorization.substring(start, i));
                start = i + 1;
            }
        }
        return words.toArray(new String[0]);
    }

    /**
     * The value of {@code name=value} among the words after the first (the algorithm), or {@code ""} when it is
     * absent or empty; when a name repeats, the last occurrence counts. The value ends at a further {@code =}.
     */
    static String value(String[] words, String name) {
        String value = "";
        for (int i = 1; i < words.length; i++) {
            String word = words[i].trim();
            if (!word.startsWith(name)) {
                continue;
            }
            if (word.length() == name.length()) {
                value = "";
            } else if (word.charAt(name.length()) == '=') {
                int end = word.indexOf('=', name.length() + 1);
                value = word.substring(name.length() + 1, end < 0 ? word.length() : end);
            }
        }
        return value;
    }

    private static String queryMissing(QueryParameters query) {
        StringBuilder missing = new StringBuilder();
        for (String parameter : QUERY_PARAMETERS) {
            String value = query.first(parameter);
            if (value == null || value.isEmpty()) {
                missing.append("AWS query-string parameters must include '").append(parameter).append("'. ");
            }
        }
        return missing.isEmpty() ? "" : missing.append("Re-examine the query-string parameters.").toString();
    }
}
