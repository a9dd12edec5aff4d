package dev.millrace.auth.policy;

/**
 * IAM's policy evaluation logic, for the two policy types Millrace has (identity policies and resource policies; no
 * organizations, permission boundaries or session policies):
 * <ol>
 * <li>an explicit Deny in any applicable policy wins (an identity policy's deny is reported first when both deny);</li>
 * <li>in the resource's own account, the request is allowed if the identity policy allows it, or if a resource
 *     policy statement allows it and names the caller itself (its ARN or {@code "*"}); a statement naming only the
 *     account ({@code 123456789012}, {@code arn:aws:iam::123456789012:root}) delegates to the identity policy and
 *     grants nothing by itself;</li>
 * <li>across accounts, both must allow: the caller's identity policy, and a resource policy statement that names the
 *     caller, its account, or everyone. Without an identity allow the refusal names the identity policy first.</li>
 * </ol>
 * Nothing is compiled or allocated on the allow path.
 *
 * <p>Stateless, thread-safe.
 */
public final class PolicyEvaluator {
    private enum Verdict { NOT_APPLICABLE, ALLOW_ACCOUNT, ALLOW_DIRECT, DENY }

    private PolicyEvaluator() {
    }

    /**
     * @param action            the IAM action, e.g. {@code kinesis:PutRecord}, as it appears in refusals
     * @param resource          the resource ARN, or {@code null} (or {@code "*"}) for an action on no resource
     * @param resourceAccountId the account owning the resource, or {@code null} for the caller's own account
     * @param resourcePolicy    the resource's policy, or {@code null}
     */
    public static Decision evaluate(Caller caller, String action, String resource, String resourceAccountId,
            PolicyDocument resourcePolicy, RequestContext context) {
        if (resourcePolicy != null && resourcePolicy.kind() != PolicyDocument.Kind.RESOURCE) {
            throw new IllegalArgumentException("a resource policy must be parsed as one");
        }
        String target = resource == null || resource.equals("*") ? null : resource;
        Verdict identity = caller.identityPolicy() == null ? Verdict.NOT_APPLICABLE
                : evaluateIdentity(caller.identityPolicy(), action, target, context);
        String principal = caller.principalArn();
        if (identity == Verdict.DENY) {
            return Decision.deny(Decision.Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY, principal, action, target);
        }
        Verdict onResource = resourcePolicy == null ? Verdict.NOT_APPLICABLE
                : evaluateResource(resourcePolicy, caller, action, target, context);
        if (onResource == Verdict.DENY) {
            return Decision.deny(Decision.Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY, principal, action, target);
        }
        boolean identityAllows = identity == Verdict.ALLOW_DIRECT;
        boolean sameAccount = resourceAccountId == null || resourceAccountId.equals(caller.accountId());
        if (sameAccount) {
            return identityAllows || onResource == Verdict.ALLOW_DIRECT ? Decision.ALLOW
                    : Decision.deny(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS, principal, action, target);
        }
        if (!identityAllows) {
            return Decision.deny(Decision.Reason.NO_IDENTITY_POLICY_ALLOWS, principal, action, target);
        }
        return onResource == Verdict.NOT_APPLICABLE
                ? Decision.deny(Decision.Reason.NO_RESOURCE_POLICY_ALLOWS, principal, action, target)
                : Decision.ALLOW;
    }

    private static Verdict evaluateIdentity(PolicyDocument policy, String action, String resource,
            RequestContext context) {
        Verdict verdict = Verdict.NOT_APPLICABLE;
        for (Statement statement : policy.statements()) {
            if (statement.covers(action, resource, context)) {
                if (statement.effect() == Effect.DENY) {
                    return Verdict.DENY;
                }
                verdict = Verdict.ALLOW_DIRECT;
            }
        }
        return verdict;
    }

    private static Verdict evaluateResource(PolicyDocument policy, Caller caller, String action, String resource,
            RequestContext context) {
        Verdict verdict = Verdict.NOT_APPLICABLE;
        for (Statement statement : policy.statements()) {
            PrincipalMatch match = statement.principalMatch(caller.principalArn(), caller.accountId());
            if (match == PrincipalMatch.NONE || !statement.covers(action, resource, context)) {
                continue;
            }
            if (statement.effect() == Effect.DENY) {
                return Verdict.DENY;
            }
            if (match == PrincipalMatch.DIRECT) {
                verdict = Verdict.ALLOW_DIRECT;
            } else if (verdict == Verdict.NOT_APPLICABLE) {
                verdict = Verdict.ALLOW_ACCOUNT;
            }
        }
        return verdict;
    }
}
