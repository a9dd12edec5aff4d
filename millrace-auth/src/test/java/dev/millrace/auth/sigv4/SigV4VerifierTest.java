package dev.millrace.auth.sigv4;

import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

import static dev.millrace.auth.sigv4.Clients.KEY;
import static dev.millrace.auth.sigv4.Clients.SECRET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Requests signed as real clients sign them verify; each part tampered with fails with AWS's error.
 */
class SigV4VerifierTest {
    static final Instant T = Instant.parse("2026-12-06T10:15:30Z");
    static final String LOCAL = "http://127.0.0.1:4567/";
    static final String AWS = "https://kinesis.eu-west-1.amazonaws.com/";
    static final String MISMATCH = "The request signature we calculated does not match the signature you provided. "
            + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

    private final ManualClock clock = new ManualClock(T.toEpochMilli());
    private final SigV4Verifier verifier = new SigV4Verifier(clock,
            key -> KEY.equals(key) ? Optional.of(SECRET) : Optional.empty());

    static KinesisException failure(Runnable call) {
        return catchThrowableOfType(KinesisException.class, call::run);
    }

    private KinesisException refused(ReceivedRequest request, String service) {
        KinesisException e = failure(() -> verifier.verify(request, service));
        assertThat(e).as("refused").isNotNull();
        assertThat(e.httpStatus()).isEqualTo(400);
        return e;
    }

    private void assertRefused(ReceivedRequest request, String type, String message) {
        KinesisException e = refused(request, "kinesis");
        assertThat(e.errorType()).isEqualTo(type);
        assertThat(e.getMessage()).isEqualTo(message);
    }

    /** The same request with its headers (those any test sends) rewritten; names as received. */
    static ReceivedRequest withHeaders(ReceivedRequest r, UnaryOperator<Map<String, String>> change) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : List.of("Authorization", "Host", "X-Amz-Date", "Date", "Content-Type", "X-Amz-Target",
                "x-amz-content-sha256", "Content-Length", "User-Agent", "amz-sdk-invocation-id", "amz-sdk-request",
                "x-amz-user-agent", "smithy-protocol", "Accept", "X-Amz-Security-Token")) {
            if (r.firstHeader(name) != null) {
                headers.put(name, r.firstHeader(name));
            }
        }
        Map<String, String> changed = change.apply(headers);
        return new ReceivedRequest(r.method(), target(r), new ArrayList<>(changed.entrySet()), r.body());
    }

    static String target(ReceivedRequest r) {
        return r.rawQuery() == null ? r.rawPath() : r.rawPath() + "?" + r.rawQuery();
    }

    /** The same headers with another request target and body. */
    static ReceivedRequest rebuilt(ReceivedRequest r, String target, byte[] body) {
        return new ReceivedRequest(r.method(), target, new ArrayList<>(headersOf(r).entrySet()), body);
    }

    static Map<String, String> headersOf(ReceivedRequest r) {
        Map<String, String> copy = new LinkedHashMap<>();
        withHeaders(r, h -> {
            copy.putAll(h);
            return h;
        });
        return copy;
    }

    @Test
    void theJavaSdkSigningKinesisJsonVerifiesWithAndWithoutAPortInHost() {
        for (String uri : List.of(LOCAL, AWS)) {
            ReceivedRequest r = Clients.javaSdk(Clients.kinesisJson(uri, "{\"StreamName\":\"s\",\"Data\":\"AA==\"}"),
                    "eu-west-1", "kinesis", T);
            assertThat(r.firstHeader("Authorization")).contains("x-amz-content-sha256");
            assertThat(verifier.verify(r, "kinesis"))
                    .isEqualTo(new VerifiedScope(KEY, "eu-west-1", "kinesis", LocalDate.of(2026, 12, 6)));
        }
    }

    @Test
    void cborBodiesAndEveryServiceVerify() {
        byte[] cbor = HexFormat.of().parseHex("bf6a53747265616d4e616d65617364446174614100ff");
        Clients.Unsigned kinesisCbor = new Clients.Unsigned("POST", LOCAL, Map.of("Content-Type",
                "application/x-amz-cbor-1.1", "X-Amz-Target", "Kinesis_20131202.PutRecord"), cbor);
        Clients.Unsigned dynamo = new Clients.Unsigned("POST", "http://localhost:4567/", Map.of("Content-Type",
                "application/x-amz-json-1.0", "X-Amz-Target", "DynamoDB_20120810.GetItem"),
                "{\"TableName\":\"t\"}".getBytes(StandardCharsets.UTF_8));
        Clients.Unsigned cloudWatchQuery = new Clients.Unsigned("POST", LOCAL, Map.of("Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8"),
                "Action=PutMetricData&Version=2010-08-01&Namespace=A%2FB&MetricData.member.1.MetricName=m"
                        .getBytes(StandardCharsets.UTF_8));
        Clients.Unsigned cloudWatchJson = new Clients.Unsigned("POST", LOCAL, Map.of("Content-Type",
                "application/x-amz-json-1.0", "X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData"),
                "{\"Namespace\":\"n\"}".getBytes(StandardCharsets.UTF_8));
        Clients.Unsigned cloudWatchCbor = new Clients.Unsigned("POST",
                "http://127.0.0.1:4567/service/GraniteServiceVersion20100801/operation/PutMetricData",
                Map.of("Content-Type", "application/cbor", "smithy-protocol", "rpc-v2-cbor", "Accept",
                        "application/cbor"), cbor);
        Clients.Unsigned sts = new Clients.Unsigned("POST", LOCAL, Map.of("Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8"),
                "Action=GetCallerIdentity&Version=2011-06-15".getBytes(StandardCharsets.UTF_8));
        Map<Clients.Unsigned, String> services = new LinkedHashMap<>();
        services.put(kinesisCbor, "kinesis");
        services.put(dynamo, "dynamodb");
        services.put(cloudWatchQuery, "monitoring");
        services.put(cloudWatchJson, "monitoring");
        services.put(cloudWatchCbor, "monitoring");
        services.put(sts, "sts");
        services.forEach((request, service) -> {
            for (ReceivedRequest signed : List.of(Clients.javaSdk(request, "us-east-1", service, T),
                    Clients.botocore(request, "us-east-1", service, T),
                    Clients.jsSdkV3(request, "us-east-1", service, T))) {
                assertThat(verifier.verify(signed, service).service()).as(request.uri()).isEqualTo(service);
                assertThat(refused(signed, service.equals("sts") ? "kinesis" : "sts").getMessage())
                        .as("scoped to another service").contains("Credential should be scoped to correct service");
            }
        });
    }

    @Test
    void botocoreAndJsSdkRequestsSignFewerHeadersAndStillVerify() {
        Clients.Unsigned request = Clients.kinesisJson(LOCAL, "{\"StreamName\":\"s\"}");
        ReceivedRequest boto = Clients.botocore(request, "us-west-2", "kinesis", T);
        assertThat(boto.firstHeader("Authorization"))
                .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target,");
        assertThat(boto.firstHeader("User-Agent")).isNotNull();
        assertThat(verifier.verify(boto, "kinesis").region()).isEqualTo("us-west-2");
        ReceivedRequest js = Clients.jsSdkV3(request, "us-west-2", "kinesis", T);
        assertThat(js.firstHeader("Authorization")).contains("SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;"
                + "content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent,");
        assertThat(verifier.verify(js, "kinesis").accessKeyId()).isEqualTo(KEY);
    }

    @Test
    void theJsSdkOverHttp2SignsAuthorityInsteadOfHostAndVerifies() {
        // Recorded from @aws-sdk/client-kinesis 3.1142 over HTTP/2 (its default): it signs the pseudo-header
        // :authority, not Host; the server passes the authority on as Host, as Netty's HTTP/2 adapter does.
        SigV4Verifier js = new SigV4Verifier(new ManualClock(Instant.parse("2026-12-06T10:21:48Z").toEpochMilli()),
                key -> "AKIAADMIN0000000001".equals(key) ? Optional.of("x") : Optional.empty());
        List<Map.Entry<String, String>> headers = new ArrayList<>(List.of(
                Map.entry("content-type", "application/x-amz-json-1.1"),
                Map.entry("x-amz-target", "Kinesis_20131202.ListStreams"),
                Map.entry("content-length", "2"),
                Map.entry("x-amz-user-agent", "aws-sdk-js/3.1142.0"),
                Map.entry("host", "127.0.0.1:9"),
                Map.entry("amz-sdk-invocation-id", "66e754dd-b3d3-4627-9591-43b17c9771ff"),
                Map.entry("amz-sdk-request", "attempt=1; max=1"),
                Map.entry("x-amz-date", "20261206T102148Z"),
                Map.entry("x-amz-content-sha256", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"),
                Map.entry("authorization", "AWS4-HMAC-SHA256 Credential=AKIAADMIN0000000001/20261206/us-east-1/"
                        + "kinesis/aws4_request, SignedHeaders=:authority;amz-sdk-invocation-id;amz-sdk-request;"
                        + "content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent, "
                        + "Signature=101e3ebda217abf21c2671bf9e2e1d346a2bdfb7bd4ad1fbdc9e4f35dde6c116")));
        byte[] body = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(js.verify(new ReceivedRequest("POST", "/", headers, body), "kinesis").accessKeyId())
                .isEqualTo("AKIAADMIN0000000001");
        headers.set(4, Map.entry("host", "127.0.0.1:10"));
        assertThat(failure(() -> js.verify(new ReceivedRequest("POST", "/", headers, body), "kinesis"))
                .getMessage()).as("the authority is signed").isEqualTo(MISMATCH);
    }

    @Test
    void awsPublishedTestSuiteSignaturesVerify() {
        // AWS's SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case, post-vanilla): signatures computed
        // by AWS, not by the SDK the verifier uses, with AWS's example key.
        SigV4Verifier suite = new SigV4Verifier(new ManualClock(Instant.parse("2015-08-30T12:36:00Z").toEpochMilli()),
                key -> "AKIDEXAMPLE".equals(key) ? Optional.of("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
                        : Optional.empty());
        String credential = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=";
        Map<String, String[]> vectors = new LinkedHashMap<>();
        vectors.put("get-vanilla", new String[] {"GET", "/",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"});
        vectors.put("get-vanilla-query-order-key-case", new String[] {"GET", "/?Param2=value2&Param1=value1",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"});
        vectors.put("post-vanilla", new String[] {"POST", "/",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"});
        vectors.forEach((name, v) -> {
            ReceivedRequest r = new ReceivedRequest(v[0], v[1], List.of(Map.entry("Host", "example.amazonaws.com"),
                    Map.entry("X-Amz-Date", "20150830T123600Z"), Map.entry("Authorization", credential + v[2])),
                    null);
            assertThat(suite.verify(r, "service").service()).as(name).isEqualTo("service");
            ReceivedRequest other = new ReceivedRequest(v[0], v[1] + (v[1].contains("?") ? "&" : "?") + "x=1",
                    List.of(Map.entry("Host", "example.amazonaws.com"), Map.entry("X-Amz-Date", "20150830T123600Z"),
                            Map.entry("Authorization", credential + v[2])), null);
            assertThat(failure(() -> suite.verify(other, "service")).getMessage()).as(name).isEqualTo(MISMATCH);
        });
    }

    @Test
    void presignedRequestsVerifyWithAndWithoutExpiry() {
        Clients.Unsigned get = new Clients.Unsigned("GET", "http://127.0.0.1:4567/?Action=ListStreams",
                Map.of("X-Amz-Target", "Kinesis_20131202.ListStreams"), new byte[0]);
        ReceivedRequest expiring = Clients.javaSdkPresigned(get, "eu-west-1", "kinesis", T, Duration.ofMinutes(15));
        assertThat(expiring.rawQuery()).contains("X-Amz-Expires=900").contains("X-Amz-SignedHeaders=host%3Bx-amz-target");
        assertThat(verifier.verify(expiring, "kinesis").region()).isEqualTo("eu-west-1");
        ReceivedRequest open = Clients.javaSdkPresigned(get, "eu-west-1", "kinesis", T, null);
        assertThat(open.rawQuery()).doesNotContain("X-Amz-Expires");
        assertThat(verifier.verify(open, "kinesis").accessKeyId()).isEqualTo(KEY);
        Clients.Unsigned post = Clients.kinesisJson(LOCAL, "{\"StreamName\":\"s\"}");
        ReceivedRequest presignedPost = Clients.javaSdkPresigned(post, "eu-west-1", "kinesis", T,
                Duration.ofSeconds(60));
        assertThat(verifier.verify(presignedPost, "kinesis").service()).isEqualTo("kinesis");

        clock.setMs(T.plus(Duration.ofMinutes(14)).toEpochMilli());
        assertThat(verifier.verify(expiring, "kinesis")).isNotNull();
        clock.setMs(T.plus(Duration.ofMinutes(15)).plusSeconds(1).toEpochMilli());
        assertRefused(expiring, "InvalidSignatureException", "Signature expired: 20261206T101530Z is now earlier "
                + "than 20261206T101531Z (20261206T103031Z - 900 sec.)");
        assertRefused(open, "InvalidSignatureException", "Signature expired: 20261206T101530Z is now earlier than "
                + "20261206T102531Z (20261206T103031Z - 5 min.)");
    }

    @Test
    void eachTamperedPartFails() {
        String body = "{\"StreamName\":\"s\",\"Data\":\"AAEC\",\"PartitionKey\":\"k\"}";
        Clients.Unsigned request = Clients.kinesisJson(LOCAL, body);
        for (ReceivedRequest good : List.of(Clients.javaSdk(request, "eu-west-1", "kinesis", T),
                Clients.botocore(request, "eu-west-1", "kinesis", T))) {
            assertThat(verifier.verify(good, "kinesis")).isNotNull();
            byte[] tamperedBody = good.body().clone();
            tamperedBody[tamperedBody.length - 3] ^= 1;
            assertRefused(rebuilt(good, target(good), tamperedBody), "InvalidSignatureException", MISMATCH);
            assertRefused(withHeaders(good, h -> put(h, "X-Amz-Target", "Kinesis_20131202.DeleteStream")),
                    "InvalidSignatureException", MISMATCH);
            assertRefused(withHeaders(good, h -> put(h, "Host", "127.0.0.1:4568")), "InvalidSignatureException",
                    MISMATCH);
            assertRefused(withHeaders(good, h -> put(h, "X-Amz-Date", "20261206T101531Z")),
                    "InvalidSignatureException", MISMATCH);
            assertRefused(withHeaders(good, h -> put(h, "Authorization",
                    h.get("Authorization").replace("/eu-west-1/", "/eu-west-2/"))), "InvalidSignatureException",
                    MISMATCH);
            assertRefused(withHeaders(good, h -> put(h, "Authorization",
                    h.get("Authorization").replace("content-type;", ""))), "InvalidSignatureException", MISMATCH);
            assertRefused(rebuilt(good, "/other", good.body()), "InvalidSignatureException", MISMATCH);
            assertRefused(rebuilt(good, "/?a=b", good.body()), "InvalidSignatureException", MISMATCH);
            String auth = good.firstHeader("Authorization");
            char last = auth.charAt(auth.length() - 1);
            assertRefused(withHeaders(good, h -> put(h, "Authorization",
                    auth.substring(0, auth.length() - 1) + (last == '0' ? '1' : '0'))), "InvalidSignatureException",
                    MISMATCH);
            SigV4Verifier wrongSecret = new SigV4Verifier(clock, key -> Optional.of(SECRET + "x"));
            assertThat(failure(() -> wrongSecret.verify(good, "kinesis")).getMessage()).isEqualTo(MISMATCH);
        }
    }

    @Test
    void aPresignedRequestTamperedWithFails() {
        Clients.Unsigned get = new Clients.Unsigned("GET", "http://127.0.0.1:4567/?Action=ListStreams",
                Map.of("X-Amz-Target", "Kinesis_20131202.ListStreams"), new byte[0]);
        ReceivedRequest good = Clients.javaSdkPresigned(get, "eu-west-1", "kinesis", T, Duration.ofMinutes(5));
        String target = target(good);
        assertRefused(rebuilt(good, target.replace("Action=ListStreams", "Action=DeleteStream"), good.body()),
                "InvalidSignatureException", MISMATCH);
        assertRefused(rebuilt(good, target.replace("X-Amz-Expires=300", "X-Amz-Expires=3000"), good.body()),
                "InvalidSignatureException", MISMATCH);
        assertRefused(withHeaders(good, h -> put(h, "X-Amz-Target", "Kinesis_20131202.DeleteStream")),
                "InvalidSignatureException", MISMATCH);
        assertRefused(rebuilt(good, target.replace("host%3Bx-amz-target", "host"), good.body()),
                "InvalidSignatureException", MISMATCH);
    }

    @Test
    void clockSkewOverFiveMinutesEitherWayIsRefusedWithAwsTexts() {
        ReceivedRequest r = Clients.botocore(Clients.kinesisJson(LOCAL, "{}"), "eu-west-1", "kinesis", T);
        clock.setMs(T.plus(Duration.ofMinutes(5)).toEpochMilli());
        assertThat(verifier.verify(r, "kinesis")).isNotNull();
        clock.setMs(T.plus(Duration.ofMinutes(5)).plusSeconds(1).toEpochMilli());
        assertRefused(r, "InvalidSignatureException", "Signature expired: 20261206T101530Z is now earlier than "
                + "20261206T101531Z (20261206T102031Z - 5 min.)");
        clock.setMs(T.minus(Duration.ofMinutes(5)).toEpochMilli());
        assertThat(verifier.verify(r, "kinesis")).isNotNull();
        clock.setMs(T.minus(Duration.ofMinutes(5)).minusSeconds(1).toEpochMilli());
        assertRefused(r, "InvalidSignatureException", "Signature not yet current: 20261206T101530Z is still later "
                + "than 20261206T101529Z (20261206T101029Z + 5 min.)");
    }

    @Test
    void malformedPartsGetAwsTexts() {
        ReceivedRequest good = Clients.botocore(Clients.kinesisJson(LOCAL, "{}"), "eu-west-1", "kinesis", T);
        String auth = good.firstHeader("Authorization");
        assertRefused(withHeaders(good, h -> put(h, "X-Amz-Date", "2026-12-06T10:15:30Z")),
                "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '2026-12-06T10:15:30Z'. "
                        + "See http://en.wikipedia.org/wiki/ISO_8601");
        assertRefused(withHeaders(good, h -> put(h, "X-Amz-Date", "20261306T101530Z")),
                "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '20261306T101530Z'. "
                        + "See http://en.wikipedia.org/wiki/ISO_8601");
        assertRefused(withHeaders(good, h -> put(h, "Authorization", auth.replace("AWS4-HMAC-SHA256",
                "AWS4-HMAC-SHA512"))), "IncompleteSignatureException",
                "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ");
        assertRefused(withHeaders(good, h -> put(h, "Authorization", auth.replace("/kinesis/aws4_request",
                "/aws4_request"))), "IncompleteSignatureException", "Credential must have exactly 5 slash-delimited "
                + "elements, e.g. keyid/date/region/service/term, got '" + KEY + "/20261206/eu-west-1/aws4_request'");
        assertThat(verifier.verify(withHeaders(good, h -> put(h, "Authorization",
                auth.replace("aws4_request", "aws4_request//"))), "kinesis"))
                .as("trailing slashes in the credential do not count, as for AWS").isNotNull();
        assertRefused(withHeaders(good, h -> put(h, "Authorization", auth.replace("/20261206/eu-west-1/kinesis/"
                + "aws4_request", "/20261205/mars-1/kinsis/aws5_request"))), "InvalidSignatureException",
                "Credential should be scoped to a valid region, not 'mars-1'. Credential should be scoped to correct "
                        + "service: 'kinesis'. Credential should be scoped with a valid terminator: 'aws4_request', "
                        + "not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                        + "version of date from HTTP: '20261205' != '20261206', from '20261206T101530Z'.");
        assertRefused(withHeaders(good, h -> put(h, "Authorization", auth.replace("SignedHeaders=content-type;host;",
                "SignedHeaders=content-type;"))), "InvalidSignatureException",
                "'Host' must be a 'SignedHeader' in the AWS Authorization.");
        assertRefused(withHeaders(good, h -> put(h, "Authorization", auth.replace(KEY, "AKIDUNKNOWN"))),
                "UnrecognizedClientException", "The security token included in the request is invalid.");
    }

    @Test
    void checksRunInAwsOrder() {
        ReceivedRequest good = Clients.botocore(Clients.kinesisJson(LOCAL, "{}"), "eu-west-1", "kinesis", T);
        String auth = good.firstHeader("Authorization");
        String everythingWrong = auth.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1").replace(KEY, "AKIDUNKNOWN")
                .replace("host;", "").replace("/kinesis/", "/sts/");
        // date format, then the time window, then Host, then the algorithm, then the scope, then the key
        assertThat(refused(withHeaders(good, h -> put(put(h, "Authorization", everythingWrong), "X-Amz-Date",
                "x")), "kinesis").getMessage()).startsWith("Date must be in ISO-8601");
        clock.setMs(T.plus(Duration.ofHours(1)).toEpochMilli());
        assertThat(refused(withHeaders(good, h -> put(h, "Authorization", everythingWrong)), "kinesis").getMessage())
                .startsWith("Signature expired");
        clock.setMs(T.toEpochMilli());
        assertThat(refused(withHeaders(good, h -> put(h, "Authorization", everythingWrong)), "kinesis").getMessage())
                .startsWith("'Host' must be");
        String withHost = everythingWrong.replace("SignedHeaders=content-type;", "SignedHeaders=content-type;host;");
        assertThat(refused(withHeaders(good, h -> put(h, "Authorization", withHost)), "kinesis").getMessage())
                .startsWith("Unsupported AWS 'algorithm'");
        String withAlgorithm = withHost.replace("AWS4-HMAC-SHA1", "AWS4-HMAC-SHA256");
        assertThat(refused(withHeaders(good, h -> put(h, "Authorization", withAlgorithm)), "kinesis").getMessage())
                .startsWith("Credential should be scoped to correct service");
        String withService = withAlgorithm.replace("/sts/", "/kinesis/");
        assertThat(refused(withHeaders(good, h -> put(h, "Authorization", withService)), "kinesis").errorType())
                .isEqualTo("UnrecognizedClientException");
        String withKey = withService.replace("AKIDUNKNOWN", KEY);
        assertThat(withKey).isEqualTo(auth);
        assertThat(verifier.verify(good, "kinesis")).isNotNull();
        String badSignature = withKey.substring(0, withKey.length() - 1) + (withKey.endsWith("0") ? "1" : "0");
        assertThat(refused(withHeaders(good, h -> put(h, "Authorization", badSignature)), "kinesis").getMessage())
                .isEqualTo(MISMATCH);
    }

    @Test
    void sessionTokensAreRefusedAfterTheSignatureAsTemporaryCredentials() {
        Clients.Unsigned request = Clients.kinesisJson(LOCAL, "{}").with("X-Amz-Security-Token", "FwoGZXIvYXdzE");
        ReceivedRequest signed = Clients.javaSdk(request, "eu-west-1", "kinesis", T);
        assertRefused(signed, "UnrecognizedClientException", "The security token included in the request is "
                + "invalid: Millrace accepts long-term access keys only, not temporary credentials "
                + "(X-Amz-Security-Token).");
        assertRefused(withHeaders(signed, h -> put(h, "X-Amz-Security-Token", "other")), "InvalidSignatureException",
                MISMATCH);
        Clients.Unsigned get = new Clients.Unsigned("GET", "http://127.0.0.1:4567/?X-Amz-Security-Token=abc",
                Map.of(), new byte[0]);
        assertThat(refused(Clients.javaSdkPresigned(get, "eu-west-1", "kinesis", T, null), "kinesis").getMessage())
                .contains("not temporary credentials");
    }

    @Test
    void aSignedUserAgentCannotBeVerifiedAndSaysSo() {
        Clients.Unsigned request = Clients.kinesisJson(LOCAL, "{}");
        ReceivedRequest r = Clients.botocore(request, "eu-west-1", "kinesis", T);
        ReceivedRequest signsUserAgent = withHeaders(r, h -> put(h, "Authorization",
                h.get("Authorization").replace("host;", "host;user-agent;")));
        assertRefused(signsUserAgent, "InvalidSignatureException", MISMATCH + " Millrace cannot check a signature "
                + "over the 'user-agent' header, which the AWS SDK's signer never signs; sign the request without it.");
    }

    @Test
    void aDateHeaderServesWhenThereIsNoXAmzDate() {
        Clients.Unsigned request = Clients.kinesisJson(LOCAL, "{}");
        Map<String, String> signed = new LinkedHashMap<>(request.headers());
        signed.put("Host", "127.0.0.1:4567");
        signed.put("Date", "Sun, 06 Dec 2026 10:15:30 GMT");
        ReceivedRequest r = Clients.signedByCore(request, signed, Map.of(), "eu-west-1", "kinesis", T,
                SdkResigner.sha256Hex(request.body()));
        assertThat(r.firstHeader("Authorization")).contains("SignedHeaders=content-type;date;host;x-amz-target,");
        assertThat(verifier.verify(r, "kinesis").date()).isEqualTo(LocalDate.of(2026, 12, 6));
        assertRefused(withHeaders(r, h -> put(h, "Date", "Sun, 06 Dec 2026 10:15:31 GMT")),
                "InvalidSignatureException", MISMATCH);
    }

    @Test
    void anUnsignedPayloadClaimInAHeaderFormRequestDoesNotVerify() {
        Clients.Unsigned request = Clients.kinesisJson(LOCAL, "{\"StreamName\":\"s\"}");
        Map<String, String> signed = new LinkedHashMap<>(request.headers());
        signed.put("Host", "127.0.0.1:4567");
        signed.put("X-Amz-Date", "20261206T101530Z");
        signed.put("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        ReceivedRequest r = Clients.signedByCore(request, signed, Map.of(), "eu-west-1", "kinesis", T,
                "UNSIGNED-PAYLOAD");
        assertRefused(r, "InvalidSignatureException", MISMATCH);
    }

    @Test
    void bothFormsNeitherAndIncompleteOnesKeepTheServersTexts() {
        ReceivedRequest good = Clients.botocore(Clients.kinesisJson(LOCAL, "{}"), "eu-west-1", "kinesis", T);
        assertRefused(rebuilt(good, "/?X-Amz-Algorithm", good.body()), "InvalidSignatureException",
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
        assertRefused(withHeaders(good, h -> remove(h, "Authorization")), "MissingAuthenticationTokenException",
                "Missing Authentication Token");
        assertRefused(withHeaders(good, h -> put(remove(h, "X-Amz-Date"), "Authorization", "X")),
                "IncompleteSignatureException", "Authorization header requires 'Credential' parameter. "
                        + "Authorization header requires 'Signature' parameter. Authorization header requires "
                        + "'SignedHeaders' parameter. Authorization header requires existence of either a "
                        + "'X-Amz-Date' or a 'Date' header. Authorization=X");
        ReceivedRequest noAuth = withHeaders(good, h -> remove(h, "Authorization"));
        assertRefused(rebuilt(noAuth, "/?X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d",
                good.body()), "IncompleteSignatureException", "AWS query-string parameters must include "
                + "'X-Amz-SignedHeaders'. Re-examine the query-string parameters.");
        assertRefused(rebuilt(noAuth, "/?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d",
                good.body()), "MissingAuthenticationTokenException", "Missing Authentication Token");
    }

    @Test
    void limitsAreClearErrors() {
        ReceivedRequest good = Clients.botocore(Clients.kinesisJson(LOCAL, "{}"), "eu-west-1", "kinesis", T);
        String auth = good.firstHeader("Authorization");
        assertRefused(withHeaders(good, h -> put(h, "Authorization", auth + " " + "x".repeat(4096))),
                "IncompleteSignatureException", "The Authorization header is " + (auth.length() + 4097)
                        + " characters long; at most 4096 are accepted.");
        String many = "h;".repeat(64) + "host";
        assertRefused(withHeaders(good, h -> put(h, "Authorization", auth.replaceFirst("SignedHeaders=[^,]*",
                "SignedHeaders=" + many))), "IncompleteSignatureException",
                "A signature may name at most 64 signed headers.");
        ReceivedRequest presigned = Clients.javaSdkPresigned(new Clients.Unsigned("GET", LOCAL, Map.of(),
                new byte[0]), "eu-west-1", "kinesis", T, Duration.ofSeconds(30));
        assertRefused(rebuilt(presigned, target(presigned).replace("X-Amz-Expires=30", "X-Amz-Expires=604801"),
                new byte[0]), "IncompleteSignatureException", "X-Amz-Expires must be between 1 and 604800 seconds, "
                + "not 604801.");
        assertRefused(rebuilt(presigned, target(presigned).replace("X-Amz-Expires=30", "X-Amz-Expires=1e3"),
                new byte[0]), "IncompleteSignatureException", "X-Amz-Expires should be a number");
    }

    static Map<String, String> put(Map<String, String> headers, String name, String value) {
        headers.put(name, value);
        return headers;
    }

    static Map<String, String> remove(Map<String, String> headers, String name) {
        headers.remove(name);
        return headers;
    }
}
