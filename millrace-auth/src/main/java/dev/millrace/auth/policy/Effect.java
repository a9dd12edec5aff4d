package dev.millrace.auth.policy;

/** A statement's {@code Effect}. */
public enum Effect {
    ALLOW, DENY
}
