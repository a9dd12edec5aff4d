package dev.millrace.auth.policy;

/**
 * Who makes a request, as policy evaluation sees it: the principal's ARN, its account, and its identity policy
 * ({@code null}: none, so it may do nothing on its own).
 *
 * <p>Immutable, thread-safe.
 */
public record Caller(String principalArn, String accountId, PolicyDocument identityPolicy) {
    public Caller {
        if (principalArn == null || accountId == null) {
            throw new IllegalArgumentException("a caller has a principal ARN and an account id");
        }
        if (identityPolicy != null && identityPolicy.kind() != PolicyDocument.Kind.IDENTITY) {
            throw new IllegalArgumentException("an identity policy must be parsed as one");
        }
    }
}
