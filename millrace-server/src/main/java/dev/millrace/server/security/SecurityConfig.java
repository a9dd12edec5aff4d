package dev.millrace.server.security;

/**
 * How the server authenticates and authorizes: {@code --auth none}, or {@code --auth sigv4} with the identities of
 * {@code --identities FILE} (loaded by the caller, so that a bad file stops the start with its reason).
 *
 * <p>Immutable, thread-safe.
 */
public record SecurityConfig(AuthMode auth, ServerIdentities identities) {
    public static final SecurityConfig NONE = new SecurityConfig(AuthMode.NONE, null);

    public SecurityConfig {
        if (auth == AuthMode.SIGV4 && identities == null) {
            throw new IllegalArgumentException("--auth sigv4 needs identities (--identities FILE)");
        }
    }

    public static SecurityConfig sigv4(ServerIdentities identities) {
        return new SecurityConfig(AuthMode.SIGV4, identities);
    }
}
