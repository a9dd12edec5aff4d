package dev.millrace.auth.sigv4;

import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.auth.aws.internal.signer.CredentialScope;
import software.amazon.awssdk.http.auth.aws.internal.signer.V4Properties;
import software.amazon.awssdk.http.auth.aws.internal.signer.V4RequestSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner.AuthLocation;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Signs a received request again, with the AWS SDK's own SigV4 code, over exactly the headers its signature names and
 * with the values received, and returns the signature the client must have sent. Nothing of SigV4 is written here:
 * the canonical request, the string to sign, the key derivation (and its cache of derived keys per secret, region,
 * service and day) are all the SDK's.
 *
 * <p>Two ways in, because the SDK's public signer decorates what it signs:
 * <ul>
 *   <li>{@link AwsV4HttpSigner} (the public signer) whenever it can reproduce the client: every presigned request,
 *       and header-form requests that signed {@code host}, {@code x-amz-date} and {@code x-amz-content-sha256}, as
 *       the Java SDK v2 does. In header form it always adds and signs {@code x-amz-content-sha256} and
 *       {@code x-amz-date}, so it cannot reproduce a client that signed neither or only one of them;</li>
 *   <li>the SDK's signing core ({@code V4RequestSigner.create}, the step the public signer delegates to once it has
 *       added its headers) for the other header-form requests: botocore and the AWS CLI, the JS SDK v3, the Go SDK,
 *       and anything signing a {@code Date} header instead of {@code X-Amz-Date}. It is marked SDK-internal; the
 *       SDK's version is pinned by the build and the tests sign requests both ways, so a change shows at once.</li>
 * </ul>
 * Neither way can sign {@link #UNSIGNABLE} headers (the SDK leaves them out of every canonical request), so a client
 * that signed one cannot be verified; the verifier says so instead of answering a plain mismatch.
 *
 * <p>The payload hash is always the body's own SHA-256, never a value the client claims: a header-form request must
 * have signed its body (an {@code x-amz-content-sha256: UNSIGNED-PAYLOAD} claim does not verify). A presigned request
 * may have signed either its body's hash (botocore) or {@code UNSIGNED-PAYLOAD} (the Java SDK's presigners), so both
 * are computed.
 *
 * <p>Stateless, thread-safe (the SDK's signer is).
 */
final class SdkResigner {
    /** The headers the SDK never signs (its {@code V4CanonicalRequest.HEADERS_TO_IGNORE_IN_LOWER_CASE}). */
    static final Set<String> UNSIGNABLE = Set.of("connection", "x-amzn-trace-id", "user-agent", "expect");
    private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();
    private static final String SIGNATURE_PARAMETER = "X-Amz-Signature";
    /** Never updated, only cloned: so shared by every thread. */
    private static final MessageDigest SHA_256 = newSha256();

    /** A verified credential scope and the secret to sign with. */
    record Signing(String accessKeyId, String secretKey, String region, String service, Instant time) {
        AwsCredentialsIdentity credentials() {
            return AwsCredentialsIdentity.create(accessKeyId, secretKey);
        }

        Clock clock() {
            return Clock.fixed(time, ZoneOffset.UTC);
        }
    }

    /** HTTP/2's pseudo-header for the host; clients that sign it (the JS SDK v3 over HTTP/2) need not sign Host. */
    static final String AUTHORITY = ":authority";

    private SdkResigner() {
    }

    /**
     * The signature of a header-form request, or {@code null} when the SDK cannot sign it at all (a method or path it
     * refuses), which can only mean the client's signature is not one the SDK would make.
     *
     * @param signedHeaders the lower-case names the request's {@code SignedHeaders} lists, none of them
     *                      {@link #UNSIGNABLE}
     */
    static String headerSignature(ReceivedRequest request, QueryParameters query, List<String> signedHeaders,
                                  Signing signing) {
        try {
            SdkHttpFullRequest toSign = requestOf(request, query, signedHeaders, "http").build();
            // Always the SDK's signing core, also for what the public signer would reproduce (the Java SDK's requests,
            // which sign x-amz-content-sha256 and X-Amz-Date): the canonical request is identical (the payload line is
            // the body's real hash, which is also what a truthful x-amz-content-sha256 says, and a false one fails),
            // and the core costs 2 to 6 times less than the public signer, which hashes the body through a stream.
            V4Properties properties = V4Properties.builder()
                    .credentials(signing.credentials())
                    .credentialScope(new CredentialScope(signing.region(), signing.service(), signing.time()))
                    .signingClock(signing.clock())
                    .doubleUrlEncode(true)
                    .normalizePath(true)
                    .build();
            return V4RequestSigner.create(properties, sha256Hex(request.body())).sign(toSign.toBuilder())
                    .getSignature();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The signature of a presigned request, or {@code null} when the SDK cannot sign it.
     *
     * @param expires         {@code X-Amz-Expires}, already checked to be 1 s to 7 days, or {@code null}
     * @param unsignedPayload whether to sign {@code UNSIGNED-PAYLOAD} rather than the body's hash
     */
    static String presignedSignature(ReceivedRequest request, QueryParameters query, List<String> signedHeaders,
                                     Duration expires, boolean unsignedPayload, Signing signing) {
        try {
            // The SDK signs an unsigned payload only over https, and its https is nowhere else in what it signs.
            SdkHttpFullRequest toSign = requestOf(request, query, signedHeaders, unsignedPayload ? "https" : "http")
                    .build();
            SignedRequest signed = SIGNER.sign(r -> {
                r.identity(signing.credentials())
                        .request(toSign)
                        .putProperty(AwsV4HttpSigner.REGION_NAME, signing.region())
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, signing.service())
                        .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, signing.clock())
                        .putProperty(AwsV4HttpSigner.AUTH_LOCATION, AuthLocation.QUERY_STRING)
                        .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, !unsignedPayload);
                if (!unsignedPayload) {
                    r.payload(ContentStreamProvider.fromByteArrayUnsafe(request.body()));
                }
                if (expires != null) {
                    r.putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, expires);
                }
            });
            return signed.request().firstMatchingRawQueryParameter(SIGNATURE_PARAMETER).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The request as the SDK must see it to sign what the client signed: method, raw path, every query parameter but
     * the signature, and the signed headers with every value received ({@code ""} for a signed header that did not
     * arrive, which the client cannot have signed with a value). A signed {@code :authority} (HTTP/2's pseudo-header)
     * is the request's authority, which the server passes as {@code host}.
     */
    private static SdkHttpFullRequest.Builder requestOf(ReceivedRequest request, QueryParameters query,
                                                        List<String> signedHeaders, String protocol) {
        SdkHttpFullRequest.Builder builder = SdkHttpFullRequest.builder()
                .method(method(request.method()))
                .protocol(protocol)
                .host("localhost")
                .encodedPath(request.rawPath());
        for (Map.Entry<String, String> parameter : query.all()) {
            if (!parameter.getKey().equals(SIGNATURE_PARAMETER)) {
                builder.appendRawQueryParameter(parameter.getKey(), parameter.getValue());
            }
        }
        for (String name : signedHeaders) {
            List<String> values = request.headerValues(name);
            if (values.isEmpty() && AUTHORITY.equals(name)) {
                // HTTP/2's :authority, which the JS SDK v3 signs instead of Host; the server hands it over as Host.
                values = request.headerValues("host");
            }
            builder.putHeader(name, values.isEmpty() ? List.of("") : values);
        }
        return builder;
    }

    /** POST and GET without {@link SdkHttpMethod#fromValue}'s search of every method, which showed in profiles. */
    private static SdkHttpMethod method(String name) {
        return switch (name) {
            case "POST" -> SdkHttpMethod.POST;
            case "GET" -> SdkHttpMethod.GET;
            default -> SdkHttpMethod.fromValue(name);
        };
    }

    static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    /**
     * A fresh SHA-256 digest, cloned from one made at class load: {@code MessageDigest.getInstance} searches the
     * security providers on every call, which cost more than hashing a small request's body.
     */
    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the JDK's SHA-256 is cloneable", e);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Whether two signatures are equal, in time independent of where they differ. */
    static boolean sameSignature(String expected, String provided) {
        return expected != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                provided.getBytes(StandardCharsets.UTF_8));
    }
}
