package dev.millrace.auth.sigv4;

import java.util.Optional;

/**
 * The secret access keys the verifier checks signatures against, looked up by access key id. The server backs it with
 * its identities; a test with a map.
 *
 * <p>Implementations must be thread-safe: the verifier calls them from every request thread.
 */
@FunctionalInterface
public interface SigningKeys {
    /** The secret access key of {@code accessKeyId}, or empty when no identity has that key. */
    Optional<String> secretKeyOf(String accessKeyId);
}
