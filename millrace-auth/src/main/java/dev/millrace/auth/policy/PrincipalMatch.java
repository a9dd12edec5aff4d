package dev.millrace.auth.policy;

/**
 * How a resource policy statement's principal names the caller. The difference matters in the caller's own account:
 * naming the account ({@code 123456789012} or {@code arn:aws:iam::123456789012:root}) only delegates to the account's
 * identity policies, while naming the caller itself (its ARN, or {@code "*"}) grants on its own, as in IAM.
 *
 * <p>Immutable, thread-safe.
 */
public enum PrincipalMatch {
    /** The statement does not apply to the caller. */
    NONE,
    /** The statement names the caller's account. */
    ACCOUNT,
    /** The statement names the caller, or everyone. */
    DIRECT
}
