package dev.millrace.auth.sigv4;

import dev.millrace.protocol.KinesisException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The shape checks moved from the server keep the server's expectations (AWS's texts, from kinesalite). */
class SigV4ShapeTest {
    private static final String ALL_HEADER_PARTS_MISSING = "Authorization header requires 'Credential' parameter. "
            + "Authorization header requires 'Signature' parameter. "
            + "Authorization header requires 'SignedHeaders' parameter. "
            + "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    private static final String ALL_QUERY_PARTS_MISSING = "AWS query-string parameters must include 'X-Amz-Algorithm'. "
            + "AWS query-string parameters must include 'X-Amz-Credential'. "
            + "AWS query-string parameters must include 'X-Amz-Signature'. "
            + "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
            + "AWS query-string parameters must include 'X-Amz-Date'. "
            + "Re-examine the query-string parameters.";
    private static final String AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=abc";

    private static KinesisException problem(String authorization, String query, boolean hasDate) {
        return SigV4Shape.problem(authorization, QueryParameters.parse(query), hasDate);
    }

    private static void assertProblem(KinesisException e, String type, String message) {
        assertThat(e).isNotNull();
        assertThat(e.errorType()).isEqualTo(type);
        assertThat(e.getMessage()).isEqualTo(message);
        assertThat(e.httpStatus()).isEqualTo(400);
    }

    @Test
    void headerForms() {
        assertProblem(problem("X", null, false), "IncompleteSignatureException", ALL_HEADER_PARTS_MISSING
                + "Authorization=X");
        assertProblem(problem("X", "X-Amz-Algorith", false), "IncompleteSignatureException",
                ALL_HEADER_PARTS_MISSING + "Authorization=X");
        for (String header : List.of("AWS4- Signature=b Credential=a", "AWS4- Signature=b,Credential=a",
                "AWS4- Signature=b, Credential=a")) {
            assertProblem(problem(header, null, true), "IncompleteSignatureException",
                    "Authorization header requires 'SignedHeaders' parameter. Authorization=" + header);
        }
        assertProblem(problem(AUTH, null, false), "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                        + "Authorization=" + AUTH);
        assertThat(problem(AUTH, null, true)).isNull();
        assertProblem(problem("AWS4-HMAC-SHA256 Credential=a, Credential=, SignedHeaders=b, Signature=c", null, true),
                "IncompleteSignatureException", "Authorization header requires 'Credential' parameter. "
                        + "Authorization=AWS4-HMAC-SHA256 Credential=a, Credential=, SignedHeaders=b, Signature=c");
        assertProblem(problem("Basic dXNlcjpwYXNz", null, true), "IncompleteSignatureException",
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
                        + "parameter. Authorization header requires 'SignedHeaders' parameter. "
                        + "Authorization=Basic dXNlcjpwYXNz");
    }

    @Test
    void queryForms() {
        assertProblem(problem(null, "X-Amz-Algorithm", false), "IncompleteSignatureException",
                ALL_QUERY_PARTS_MISSING);
        assertProblem(problem(null, "X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d", false),
                "IncompleteSignatureException", "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
                        + "Re-examine the query-string parameters.");
        assertProblem(problem(null, "X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d",
                false), "MissingAuthenticationTokenException", "Missing Authentication Token");
        assertProblem(problem("X", "X-Amz-Algorithm", false), "InvalidSignatureException",
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
        assertThat(problem(null, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Signature=b"
                + "&X-Amz-SignedHeaders=host&X-Amz-Date=20260101T000000Z", false)).isNull();
        assertProblem(problem(null, null, true), "MissingAuthenticationTokenException", "Missing Authentication Token");
        assertProblem(problem("", "", true), "MissingAuthenticationTokenException", "Missing Authentication Token");
    }

    @Test
    void queryParametersDecodeLeniently() {
        QueryParameters q = QueryParameters.parse("a=1&b=%2F%zz%&c=x+y%20z&&d&e=%E2%82%AC%C3&a=2&=v&f=g=h");
        assertThat(q.first("a")).isEqualTo("1");
        assertThat(q.first("b")).isEqualTo("/%zz%");
        assertThat(q.first("c")).isEqualTo("x y z");
        assertThat(q.first("d")).isEmpty();
        assertThat(q.first("e")).isEqualTo("\u20ac\ufffd");
        assertThat(q.first("f")).isEqualTo("g=h");
        assertThat(q.first("")).isEqualTo("v");
        assertThat(q.first("missing")).isNull();
        assertThat(q.all()).hasSize(8);
        assertThat(QueryParameters.parse("\uD834\uDD1E=%F0%9D%84%9E").first("\uD834\uDD1E")).isEqualTo("\uD834\uDD1E");
        assertThat(QueryParameters.parse(null).all()).isEmpty();
    }

    @Test
    void receivedRequestsSplitTheirTarget() {
        ReceivedRequest proxied = new ReceivedRequest("POST", "http://127.0.0.1:4567/a/b?x=1", List.of(), null);
        assertThat(proxied.rawPath()).isEqualTo("/a/b");
        assertThat(proxied.rawQuery()).isEqualTo("x=1");
        assertThat(proxied.body()).isEmpty();
        ReceivedRequest bare = new ReceivedRequest("GET", "http://host?y=2", List.of(
                java.util.Map.entry("host", "a"), java.util.Map.entry("HOST", "b")), null);
        assertThat(bare.rawPath()).isEqualTo("/");
        assertThat(bare.rawQuery()).isEqualTo("y=2");
        assertThat(bare.headerValues("Host")).containsExactly("a", "b");
        assertThat(new ReceivedRequest("GET", "/p", List.of(), null).rawQuery()).isNull();
    }
}
