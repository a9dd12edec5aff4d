package dev.millrace.lambda;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The model's constraint violations of one request, collected and answered at once in the format of AWS's
 * validation layer (Coral): {@code 2 validation errors detected: Value '0' at 'batchSize' failed to satisfy
 * constraint: Member must have value greater than or equal to 1; Value ...}. Members are named in lower camel case
 * as AWS names them ({@code uUID} for UUID, {@code destinationConfig.onFailure.destination} for a nested one).
 *
 * <p>Not thread-safe: one per request.
 */
final class Violations {
    /** A value longer than this is shortened in the message: a 10,000-character ARN need not be echoed whole. */
    private static final int MAX_ECHO_CHARS = 256;
    private final List<String> found = new ArrayList<>();

    void add(Object value, String member, String constraint) {
        found.add("Value " + echo(value) + " at '" + member + "' failed to satisfy constraint: " + constraint);
    }

    private static String echo(Object value) {
        if (value == null) {
            return "null";
        }
        String s = String.valueOf(value);
        return "'" + (s.length() <= MAX_ECHO_CHARS ? s : s.substring(0, MAX_ECHO_CHARS) + "...") + "'";
    }

    void range(Integer value, String member, long min, long max) {
        if (value == null) {
            return;
        }
        if (value < min) {
            add(value, member, "Member must have value greater than or equal to " + min);
        } else if (value > max) {
            add(value, member, "Member must have value less than or equal to " + max);
        }
    }

    void length(String value, String member, int min, int max) {
        if (value == null) {
            return;
        }
        if (value.length() < min) {
            add(value, member, "Member must have length greater than or equal to " + min);
        } else if (value.length() > max) {
            add(value, member, "Member must have length less than or equal to " + max);
        }
    }

    /** {@code regex} as the model spells it, which is what AWS's message quotes. */
    void pattern(String value, String member, Pattern pattern, String regex) {
        if (value != null && !pattern.matcher(value).matches()) {
            add(value, member, "Member must satisfy regular expression pattern: " + regex);
        }
    }

    void oneOf(String value, String member, List<String> allowed) {
        if (value != null && !allowed.contains(value)) {
            add(value, member, enumConstraint(allowed));
        }
    }

    static String enumConstraint(List<String> allowed) {
        return "Member must satisfy enum value set: [" + String.join(", ", allowed) + "]";
    }

    /**
     * A list's members' enum: AWS names every constraint of the member shape, as it answered for Lambda's
     * CreateFunctionUrlConfig ({@code Member must satisfy constraint: [..., Member must not be null]}).
     */
    static String listEnumConstraint(List<String> allowed) {
        return "Member must satisfy constraint: [" + enumConstraint(allowed) + ", Member must not be null]";
    }

    /**
     * @throws LambdaException ValidationException naming every violation, if there is one
     */
    void throwIfAny() {
        if (found.isEmpty()) {
            return;
        }
        int n = found.size();
        throw LambdaException.validation(n + " validation error" + (n == 1 ? "" : "s") + " detected: "
                + String.join("; ", found));
    }
}
