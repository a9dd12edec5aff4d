package dev.millrace.auth;

import dev.millrace.auth.policy.Decision;
import dev.millrace.auth.policy.PolicyDocument;
import dev.millrace.auth.policy.PolicyEvaluator;
import dev.millrace.auth.policy.RequestContext;

/**
 * The server's per-request question: may this identity perform this action on this resource? It evaluates the
 * identity's policy and the resource's policy with IAM's logic ({@link PolicyEvaluator}); both were compiled when
 * they were loaded, so a check compiles nothing and an allowed request allocates nothing here.
 *
 * <p>Stateless, thread-safe.
 */
public final class Authorizer {
    private Authorizer() {
    }

    /**
     * @param action            e.g. {@code kinesis:PutRecords}
     * @param resourceArn       the resource's ARN, or {@code null} (or {@code "*"}) for an action on no resource
     * @param resourceAccountId the account owning the resource, or {@code null} for the identity's own
     * @param resourcePolicy    the resource's policy, or {@code null}
     * @param context           the request's condition keys; see {@link #contextFor}
     */
    public static Decision authorize(Identity identity, String action, String resourceArn, String resourceAccountId,
            PolicyDocument resourcePolicy, RequestContext context) {
        return PolicyEvaluator.evaluate(identity.caller(), action, resourceArn, resourceAccountId, resourcePolicy,
                context);
    }

    /** A context builder holding the identity's own keys (aws:PrincipalArn, aws:PrincipalAccount, aws:username). */
    public static RequestContext.Builder contextFor(Identity identity) {
        return RequestContext.builder().principal(identity.principalArn(), identity.accountId(), identity.name());
    }
}
