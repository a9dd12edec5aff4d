package dev.millrace.auth.sigv4;

/**
 * What a well-shaped request says about its signature, read from one of the two places SigV4 allows:
 * <pre>
 *   header form:     Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261206/eu-west-1/kinesis/aws4_request,
 *                                   SignedHeaders=content-type;host;x-amz-date, Signature=&lt;64 hex&gt;
 *                    X-Amz-Date: 20261206T101500Z        (else Date: Sun, 06 Dec 2026 10:15:00 GMT)
 *                    X-Amz-Security-Token: ...           (temporary credentials only)
 *   presigned form:  ?X-Amz-Algorithm=AWS4-HMAC-SHA256&amp;X-Amz-Credential=AKID%2F20261206%2F...%2Faws4_request
 *                    &amp;X-Amz-Date=20261206T101500Z&amp;X-Amz-Expires=300&amp;X-Amz-SignedHeaders=host%3Bx-amz-target
 *                    &amp;X-Amz-Signature=&lt;64 hex&gt;[&amp;X-Amz-Security-Token=...]
 * </pre>
 * In the header, parameters after the algorithm are separated by commas, spaces or both; a repeated parameter counts
 * by its last occurrence (as {@link SigV4Shape} reads it). In the query, the first occurrence counts.
 *
 * @param presigned     whether the authentication came in the query string
 * @param algorithm     the header's first word or {@code X-Amz-Algorithm}
 * @param credential    {@code AKID/date/region/service/aws4_request}, unchecked
 * @param signedHeaders the {@code ;}-separated names of the signed headers, unchecked
 * @param signature     the hex signature, unchecked
 * @param date          the request's timestamp as sent ({@code X-Amz-Date}, else the {@code Date} header)
 * @param dateIsHttpDate whether {@code date} came from the {@code Date} header (which may be an RFC 1123 date)
 * @param expires       {@code X-Amz-Expires} as sent, or {@code null} (header form, or a presigned request without)
 * @param securityToken {@code X-Amz-Security-Token} from the header or the query, or {@code null}
 */
record AuthParameters(boolean presigned, String algorithm, String credential, String signedHeaders, String signature,
                      String date, boolean dateIsHttpDate, String expires, String securityToken) {
    static final String SECURITY_TOKEN = "X-Amz-Security-Token";

    /** The parameters of a header-form request that passed {@link SigV4Shape}. */
    static AuthParameters fromHeader(String authorization, ReceivedRequest request) {
        String[] words = SigV4Shape.words(authorization);
        String amzDate = request.firstHeader("X-Amz-Date");
        boolean httpDate = amzDate == null || amzDate.isEmpty();
        String date = httpDate ? request.firstHeader("Date") : amzDate;
        return new AuthParameters(false, words.length == 0 ? "" : words[0], SigV4Shape.value(words, "Credential"),
                SigV4Shape.value(words, "SignedHeaders"), SigV4Shape.value(words, "Signature"),
                date == null ? "" : date, httpDate, null, request.firstHeader(SECURITY_TOKEN));
    }

    /** The parameters of a presigned request that passed {@link SigV4Shape}. */
    static AuthParameters fromQuery(QueryParameters query, ReceivedRequest request) {
        String token = query.first(SECURITY_TOKEN);
        return new AuthParameters(true, query.first(SigV4Shape.QUERY_ALGORITHM), query.first("X-Amz-Credential"),
                query.first("X-Amz-SignedHeaders"), query.first("X-Amz-Signature"), query.first("X-Amz-Date"), false,
                query.first("X-Amz-Expires"), token != null ? token : request.firstHeader(SECURITY_TOKEN));
    }
}
