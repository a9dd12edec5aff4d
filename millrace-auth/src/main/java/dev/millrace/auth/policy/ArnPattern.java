package dev.millrace.auth.policy;

/**
 * The policy value of an {@code ArnEquals}/{@code ArnLike} condition. IAM compares an ARN's six colon-separated parts
 * ({@code arn:partition:service:region:account:resource}) one by one, each may hold {@code *} and {@code ?}, and a
 * wildcard does not reach into the next part (the resource part, the sixth, keeps any further colons). ArnEquals and
 * ArnLike behave the same, as IAM documents. A policy value that is not six parts is compared as one glob.
 *
 * <p>Immutable, thread-safe.
 */
final class ArnPattern {
    private static final int PARTS = 6;

    /** Six per-part globs, or one whole-value glob. */
    private final WildcardPattern[] parts;

    private ArnPattern(WildcardPattern[] parts) {
        this.parts = parts;
    }

    static ArnPattern compile(String policyValue) {
        String[] texts = policyValue.split(":", PARTS);
        if (texts.length != PARTS) {
            return new ArnPattern(new WildcardPattern[] {WildcardPattern.caseSensitive(policyValue)});
        }
        WildcardPattern[] parts = new WildcardPattern[PARTS];
        for (int i = 0; i < PARTS; i++) {
            parts[i] = WildcardPattern.caseSensitive(texts[i]);
        }
        return new ArnPattern(parts);
    }

    /** 1 if the request value matches, else 0; a request value that is not an ARN never matches a six-part one. */
    int test(String requestValue) {
        if (parts.length == 1) {
            return parts[0].matches(requestValue) ? 1 : 0;
        }
        String[] texts = requestValue.split(":", PARTS);
        if (texts.length != PARTS) {
            return 0;
        }
        for (int i = 0; i < PARTS; i++) {
            if (!parts[i].matches(texts[i])) {
                return 0;
            }
        }
        return 1;
    }
}
