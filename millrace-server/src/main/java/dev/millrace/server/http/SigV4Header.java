package dev.millrace.server.http;

import dev.millrace.protocol.KinesisException;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks that an {@code Authorization} header is a well-formed AWS Signature Version 4 header. The signature itself
 * is not verified yet (any credentials are accepted); a header that is not SigV4 at all is answered as AWS does, with
 * {@code IncompleteSignatureException} naming what is missing.
 *
 * <p>Stateless, thread-safe.
 */
final class SigV4Header {
    private static final String ALGORITHM = "AWS4-HMAC-SHA256";

    private SigV4Header() {
    }

    /** Returns normally for a well-formed header; throws the client error otherwise. */
    static void check(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw KinesisException.missingAuthenticationToken();
        }
        String header = authorization.trim();
        if (!header.startsWith(ALGORITHM + " ")) {
            throw KinesisException.client("IncompleteSignatureException", "Authorization header requires the "
                    + ALGORITHM + " algorithm. Authorization=" + header);
        }
        List<String> missing = new ArrayList<>();
        for (String part : List.of("Credential", "Signature", "SignedHeaders")) {
            if (!header.contains(part + "=")) {
                missing.add("Authorization header requires '" + part + "' parameter.");
            }
        }
        if (!missing.isEmpty()) {
            throw KinesisException.client("IncompleteSignatureException",
                    String.join(" ", missing) + " Authorization=" + header);
        }
    }
}
