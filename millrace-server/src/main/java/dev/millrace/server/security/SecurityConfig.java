package dev.millrace.server.security;

/**
 * How the server authenticates and authorizes, and the keys it encrypts at rest with: {@code --auth none}, or
 * {@code --auth sigv4} with the identities of {@code --identities FILE}; and the KMS keys of {@code --kms-keys FILE}
 * (null: none). Both files are loaded by the caller, so that a bad file stops the start with its reason.
 *
 * <p>Immutable, thread-safe.
 */
public record SecurityConfig(AuthMode auth, ServerIdentities identities, ServerKeys kmsKeys) {
    public static final SecurityConfig NONE = new SecurityConfig(AuthMode.NONE, null, null);

    public SecurityConfig {
        if (auth == AuthMode.SIGV4 && identities == null) {
            throw new IllegalArgumentException("--auth sigv4 needs identities (--identities FILE)");
        }
    }

    public static SecurityConfig sigv4(ServerIdentities identities) {
        return new SecurityConfig(AuthMode.SIGV4, identities, null);
    }

    public SecurityConfig withKmsKeys(ServerKeys keys) {
        return new SecurityConfig(auth, identities, keys);
    }
}
