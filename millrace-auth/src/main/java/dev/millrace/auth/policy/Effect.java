package dev.millrace.auth.policy;

/** A statement's {@code Effect}, written {@code "Allow"} or {@code "Deny"} (case-sensitive, as IAM). Immutable. */
public enum Effect {
    ALLOW, DENY
}
