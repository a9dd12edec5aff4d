package dev.millrace.server.http;

import dev.millrace.protocol.Account;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.util.List;

/**
 * The region a request was signed for: the third part of the SigV4 credential scope
 * ({@code Credential=AKID/20261205/eu-west-1/kinesis/aws4_request}), from the {@code Authorization} header or, for a
 * presigned request, the {@code X-Amz-Credential} query parameter. Requests that carry no usable scope belong to
 * the legacy region; whether they are signed well enough to be served is {@link dev.millrace.auth.sigv4.SigV4Shape}'s business.
 *
 * <p>Stateless, thread-safe.
 */
final class SigningRegion {
    private SigningRegion() {
    }

    static String of(String authorization, String uri) {
        String scope = null;
        if (authorization != null) {
            int at = authorization.indexOf("Credential=");
            if (at >= 0) {
                int end = authorization.indexOf(',', at);
                scope = authorization.substring(at + "Credential=".length(), end < 0 ? authorization.length() : end);
            }
        } else if (uri != null && uri.indexOf('?') >= 0) {
            try {
                List<String> credential = new QueryStringDecoder(uri).parameters().get("X-Amz-Credential");
                scope = credential == null || credential.isEmpty() ? null : credential.get(0);
            } catch (IllegalArgumentException e) {
                return Account.LEGACY_REGION; // a malformed %-escape: no scope to read, SigV4Shape says the rest
            }
        }
        if (scope == null) {
            return Account.LEGACY_REGION;
        }
        String[] parts = scope.trim().split("/");
        return parts.length == 5 && !parts[2].isEmpty() ? parts[2] : Account.LEGACY_REGION;
    }
}
