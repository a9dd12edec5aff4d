package dev.millrace.auth.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A resource policy statement's {@code Principal} (or {@code NotPrincipal}): {@code "*"}, or {@code {"AWS": ...}}
 * with {@code "*"}, account ids, account root ARNs ({@code arn:aws:iam::123456789012:root}) and IAM user or role
 * ARNs. IAM allows no wildcard inside a principal ARN, and Millrace's identities are IAM users, so other principal
 * types ({@code Service}, {@code Federated}, {@code CanonicalUser}) are refused rather than kept as never-matching.
 *
 * <p>Immutable, thread-safe.
 */
final class PrincipalSet {
    private static final int MAX_PRINCIPALS = 1000;
    private static final Pattern ACCOUNT_ID = Pattern.compile("[0-9]{12}");
    private static final Pattern ROOT_ARN = Pattern.compile("arn:aws(-cn|-us-gov)?:iam::([0-9]{12}):root");
    private static final Pattern PRINCIPAL_ARN =
            Pattern.compile("arn:aws(-cn|-us-gov)?:(iam|sts)::[0-9]{12}:(user|role|assumed-role)/[^*?]{1,512}");

    private final boolean everyone;
    private final Set<String> accountIds;
    private final Set<String> arns;

    private PrincipalSet(boolean everyone, Set<String> accountIds, Set<String> arns) {
        this.everyone = everyone;
        this.accountIds = accountIds;
        this.arns = arns;
    }

    static PrincipalSet parse(Object json, String element) {
        if ("*".equals(json)) {
            return new PrincipalSet(true, Set.of(), Set.of());
        }
        if (!(json instanceof Map<?, ?>)) {
            throw new MalformedPolicyException("Invalid principal in policy: " + element + " must be \"*\" or an "
                    + "object such as {\"AWS\": \"arn:aws:iam::123456789012:root\"}, not " + PolicyJson.describe(json));
        }
        Map<String, Object> types = PolicyJson.object(json, element);
        if (types.isEmpty()) {
            throw new MalformedPolicyException("Invalid principal in policy: " + element + " is empty");
        }
        boolean everyone = false;
        Set<String> accountIds = new HashSet<>();
        Set<String> arns = new HashSet<>();
        for (Map.Entry<String, Object> type : types.entrySet()) {
            if (!type.getKey().equals("AWS")) {
                throw new MalformedPolicyException("Invalid principal in policy: \"" + type.getKey() + "\": Millrace "
                        + "identities are IAM users, so only \"AWS\" principals are supported");
            }
            List<String> values = PolicyJson.strings(type.getValue(), element + " AWS", MAX_PRINCIPALS);
            for (String value : values) {
                var root = ROOT_ARN.matcher(value);
                if (value.equals("*")) {
                    everyone = true;
                } else if (ACCOUNT_ID.matcher(value).matches()) {
                    accountIds.add(value);
                } else if (root.matches()) {
                    accountIds.add(root.group(2));
                } else if (PRINCIPAL_ARN.matcher(value).matches()) {
                    arns.add(value);
                } else {
                    throw new MalformedPolicyException("Invalid principal in policy: \"AWS\":\"" + value + "\"");
                }
            }
        }
        return new PrincipalSet(everyone, Set.copyOf(accountIds), Set.copyOf(arns));
    }

    PrincipalMatch match(String principalArn, String principalAccountId) {
        if (everyone || arns.contains(principalArn)) {
            return PrincipalMatch.DIRECT;
        }
        return accountIds.contains(principalAccountId) ? PrincipalMatch.ACCOUNT : PrincipalMatch.NONE;
    }
}
