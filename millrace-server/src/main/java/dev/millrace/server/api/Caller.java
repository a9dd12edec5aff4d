package dev.millrace.server.api;

import dev.millrace.auth.Identity;

/**
 * Who sent a request and how it reached this server, as the HTTP layer authenticated it. The identity is
 * {@code null} when nobody was authenticated: the server runs with {@code --auth none}, or another node of the
 * cluster placed a call here that it had already authorized.
 *
 * @param identity        the identity whose key signed the request, or null
 * @param sourceIp        the client's address, for {@code aws:SourceIp}; null if unknown
 * @param secureTransport whether it came over TLS, for {@code aws:SecureTransport}
 *
 * <p>Immutable, thread-safe.
 */
public record Caller(Identity identity, String sourceIp, boolean secureTransport) {
    /** Nobody authenticated: with {@code --auth none}, or a call another node already authorized. */
    public static final Caller UNCHECKED = new Caller(null, null, false);
}
