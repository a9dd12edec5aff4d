package dev.millrace.server.security;

/** How the server authenticates requests ({@code --auth}). */
public enum AuthMode {
    /** Anyone may do anything, as the server's own account; only the signature's shape is checked, as AWS does. */
    NONE,
    /** Every request must be signed (AWS Signature Version 4) with a known identity's key, and its policy decides. */
    SIGV4
}
