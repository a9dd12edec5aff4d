package dev.millrace.auth.sigv4;

import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.internal.signer.CredentialScope;
import software.amazon.awssdk.http.auth.aws.internal.signer.V4Properties;
import software.amazon.awssdk.http.auth.aws.internal.signer.V4RequestSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner.AuthLocation;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Signs requests the way real clients do, for tests: the Java SDK v2 (its public {@link AwsV4HttpSigner}, header form
 * and presigned), and botocore/the AWS CLI and the JS SDK v3, which sign fewer headers and no
 * {@code x-amz-content-sha256}: their signature is computed with the SDK's signing core over only the headers they
 * sign. Stateless, thread-safe.
 */
final class Clients {
    static final String KEY = "AKIDMILLRACE0001";
    static final String SECRET = "millrace/secret+key/0001";

    /** A request before signing: method, absolute URI (with port or not), headers and body. */
    record Unsigned(String method, String uri, Map<String, String> headers, byte[] body) {
        Unsigned with(String header, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(header, value);
            return new Unsigned(method, uri, more, body);
        }

        SdkHttpFullRequest.Builder sdk() {
            SdkHttpFullRequest.Builder builder = SdkHttpFullRequest.builder().method(SdkHttpMethod.fromValue(method))
                    .uri(URI.create(uri));
            headers.forEach(builder::putHeader);
            return builder;
        }

        /** The Host header a client sends for this URI: the port only when it is not the scheme's default. */
        String host() {
            URI parsed = URI.create(uri);
            return parsed.getPort() < 0 ? parsed.getHost() : parsed.getHost() + ":" + parsed.getPort();
        }
    }

    private Clients() {
    }

    static Unsigned kinesisJson(String uri, String body) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/x-amz-json-1.1");
        headers.put("X-Amz-Target", "Kinesis_20131202.PutRecord");
        return new Unsigned("POST", uri, headers, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** As the Java SDK v2 sends it: user agent, invocation id and retry headers, all but the user agent signed. */
    static ReceivedRequest javaSdk(Unsigned request, String region, String service, Instant at) {
        Unsigned full = request.with("User-Agent", "aws-sdk-java/2.59.1 md/io#sync ua/2.1 os/Linux")
                .with("amz-sdk-invocation-id", "8b1a9953-c461-1fc8-0f3c-2d1e2a7c9ab2")
                .with("amz-sdk-request", "attempt=1; max=4")
                .with("Content-Length", Integer.toString(request.body().length));
        SdkHttpFullRequest toSign = full.sdk().build();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsCredentialsIdentity.create(KEY, SECRET))
                .request(toSign)
                .payload(ContentStreamProvider.fromByteArrayUnsafe(request.body()))
                .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, Clock.fixed(at, ZoneOffset.UTC)));
        return received(signed.request(), request.body());
    }

    /** A presigned request as the Java SDK's presigners make it (UNSIGNED-PAYLOAD); {@code expires} may be null. */
    static ReceivedRequest javaSdkPresigned(Unsigned request, String region, String service, Instant at,
                                            Duration expires) {
        SdkHttpFullRequest toSign = request.sdk().protocol("https").build();
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> {
            r.identity(AwsCredentialsIdentity.create(KEY, SECRET))
                    .request(toSign)
                    .putProperty(AwsV4HttpSigner.REGION_NAME, region)
                    .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                    .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, Clock.fixed(at, ZoneOffset.UTC))
                    .putProperty(AwsV4HttpSigner.AUTH_LOCATION, AuthLocation.QUERY_STRING)
                    .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false);
            if (expires != null) {
                r.putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, expires);
            }
        });
        return received(signed.request(), request.body());
    }

    /**
     * As botocore (boto3, the AWS CLI) signs: every header it has at signing time but the user agent, no
     * {@code x-amz-content-sha256}; the body's hash; Host with the port when not the default.
     */
    static ReceivedRequest botocore(Unsigned request, String region, String service, Instant at) {
        Map<String, String> signed = new LinkedHashMap<>(request.headers());
        signed.put("Host", request.host());
        signed.put("X-Amz-Date", basic(at));
        Map<String, String> unsigned = Map.of("User-Agent", "aws-cli/2.22.0 md/Botocore#1.35.0 ua/2.0",
                "Content-Length", Integer.toString(request.body().length));
        return signedByCore(request, signed, unsigned, region, service, at, SdkResigner.sha256Hex(request.body()));
    }

    /**
     * As the JS SDK v3 signs: its own {@code x-amz-user-agent} and {@code amz-sdk-*} headers and the content length,
     * not the browser's user agent, no {@code x-amz-content-sha256}.
     */
    static ReceivedRequest jsSdkV3(Unsigned request, String region, String service, Instant at) {
        Map<String, String> signed = new LinkedHashMap<>(request.headers());
        signed.put("host", request.host());
        signed.put("x-amz-date", basic(at));
        signed.put("x-amz-user-agent", "aws-sdk-js/3.700.0");
        signed.put("amz-sdk-invocation-id", "5f0a6c1e-0b9e-4e4e-9f3a-1b2c3d4e5f60");
        signed.put("amz-sdk-request", "attempt=1; max=3");
        signed.put("content-length", Integer.toString(request.body().length));
        Map<String, String> unsigned = Map.of("user-agent", "Mozilla/5.0 aws-sdk-js/3.700.0");
        return signedByCore(request, signed, unsigned, region, service, at, SdkResigner.sha256Hex(request.body()));
    }

    /** Signs exactly {@code signed} with the SDK's signing core and sends {@code unsigned} along, unsigned. */
    static ReceivedRequest signedByCore(Unsigned request, Map<String, String> signed, Map<String, String> unsigned,
                                        String region, String service, Instant at, String contentHash) {
        SdkHttpFullRequest.Builder builder = new Unsigned(request.method(), request.uri(), signed, request.body())
                .sdk();
        V4Properties properties = V4Properties.builder()
                .credentials(AwsCredentialsIdentity.create(KEY, SECRET))
                .credentialScope(new CredentialScope(region, service, at))
                .signingClock(Clock.fixed(at, ZoneOffset.UTC))
                .doubleUrlEncode(true)
                .normalizePath(true)
                .build();
        var result = V4RequestSigner.create(properties, contentHash).sign(builder);
        String authorization = "AWS4-HMAC-SHA256 Credential=" + KEY + "/" + properties.getCredentialScope().scope()
                + ", SignedHeaders=" + result.getCanonicalRequest().getSignedHeadersString()
                + ", Signature=" + result.getSignature();
        SdkHttpRequest.Builder sent = builder.putHeader("Authorization", authorization);
        unsigned.forEach(sent::putHeader);
        return received(sent.build(), request.body());
    }

    /** What the server hands the verifier for a request the SDK built: raw path and query, headers, body. */
    static ReceivedRequest received(SdkHttpRequest request, byte[] body) {
        URI uri = request.getUri();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        request.forEachHeader((name, values) -> values.forEach(value -> headers.add(Map.entry(name, value))));
        return new ReceivedRequest(request.method().name(), target, headers, body);
    }

    static String basic(Instant at) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
                .format(at);
    }
}
