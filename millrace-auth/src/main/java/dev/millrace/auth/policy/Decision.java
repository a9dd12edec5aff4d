package dev.millrace.auth.policy;

import dev.millrace.protocol.KinesisException;

/**
 * The answer to one authorization question: allowed, or denied for a reason with AWS's refusal message (the texts
 * AWS has written since 2021, which name the kind of policy: "User: arn:aws:iam::111122223333:user/producer is not
 * authorized to perform: kinesis:PutRecord on resource: arn:aws:kinesis:us-east-1:111122223333:stream/orders
 * because no identity-based policy allows the kinesis:PutRecord action"). For an action without a resource AWS
 * leaves out " on resource: ...".
 *
 * <p>Immutable, thread-safe.
 */
public final class Decision {
    /** Why, in AWS's terms. */
    public enum Reason {
        ALLOWED,
        /** No identity policy allows (and, in the resource's account, no resource policy grants either). */
        NO_IDENTITY_POLICY_ALLOWS,
        /** Cross-account: the identity policy allows, but no resource policy statement allows this principal. */
        NO_RESOURCE_POLICY_ALLOWS,
        EXPLICIT_DENY_IN_IDENTITY_POLICY,
        EXPLICIT_DENY_IN_RESOURCE_POLICY
    }

    /** Shared: the allow path, taken on every PutRecords, allocates nothing. */
    public static final Decision ALLOW = new Decision(Reason.ALLOWED, null);

    private final Reason reason;
    private final String message;

    private Decision(Reason reason, String message) {
        this.reason = reason;
        this.message = message;
    }

    static Decision deny(Reason reason, String principalArn, String action, String resource) {
        StringBuilder text = new StringBuilder(160).append("User: ").append(principalArn)
                .append(" is not authorized to perform: ").append(action);
        if (resource != null && !resource.equals("*")) {
            text.append(" on resource: ").append(resource);
        }
        switch (reason) {
            case NO_IDENTITY_POLICY_ALLOWS -> text.append(" because no identity-based policy allows the ")
                    .append(action).append(" action");
            case NO_RESOURCE_POLICY_ALLOWS -> text.append(" because no resource-based policy allows the ")
                    .append(action).append(" action");
            case EXPLICIT_DENY_IN_IDENTITY_POLICY -> text.append(" with an explicit deny in an identity-based policy");
            case EXPLICIT_DENY_IN_RESOURCE_POLICY -> text.append(" with an explicit deny in a resource-based policy");
            default -> throw new IllegalArgumentException("not a refusal: " + reason);
        }
        return new Decision(reason, text.toString());
    }

    public boolean allowed() {
        return reason == Reason.ALLOWED;
    }

    public Reason reason() {
        return reason;
    }

    /** AWS's refusal text, or {@code null} when allowed. */
    public String message() {
        return message;
    }

    /** The error Kinesis answers for a refusal: {@code AccessDeniedException}, HTTP 400 (as the API model says). */
    public KinesisException toException() {
        if (allowed()) {
            throw new IllegalStateException("an allowed request has no error");
        }
        return KinesisException.client("AccessDeniedException", message);
    }

    @Override
    public String toString() {
        return allowed() ? "ALLOW" : reason + ": " + message;
    }
}
