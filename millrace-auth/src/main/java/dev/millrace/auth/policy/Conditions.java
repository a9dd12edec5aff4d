package dev.millrace.auth.policy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A statement's {@code Condition} block, compiled, with IAM's semantics:
 * <ul>
 * <li>every operator in the block, and every key under an operator, must hold (AND); a key's several policy values
 *     are alternatives (OR), and for a negated operator ({@code StringNotEquals}, {@code NotIpAddress}, ...) the
 *     request value must match none of them;</li>
 * <li>a key absent from the request makes a condition false, except: a negated operator is then true, an
 *     {@code ...IfExists} operator is then true, and {@code Null} tests exactly the absence (IAM's documented
 *     rule);</li>
 * <li>{@code ForAnyValue:} holds when some request value matches (false for an absent or empty key);
 *     {@code ForAllValues:} when every request value matches (true for an absent or empty key);</li>
 * <li>a plain operator on a key the request gives several values holds when any of them matches (none, negated).</li>
 * </ul>
 * Operator names are case-sensitive and an unknown one is a malformed policy (a typo must not silently never match).
 *
 * <p>Immutable, thread-safe.
 */
final class Conditions {
    static final Conditions NONE = new Conditions(List.of());

    private enum SetQualifier { SINGLE, FOR_ANY_VALUE, FOR_ALL_VALUES }

    private record Clause(ConditionOperator operator, SetQualifier qualifier, boolean ifExists, String lowerKey,
            Object[] policyValues) {
    }

    private final List<Clause> clauses;

    private Conditions(List<Clause> clauses) {
        this.clauses = clauses;
    }

    static Conditions parse(Object json, boolean variablesRefused) {
        Map<String, Object> block = PolicyJson.object(json, "Condition");
        List<Clause> clauses = new ArrayList<>();
        for (Map.Entry<String, Object> entry : block.entrySet()) {
            String operatorText = entry.getKey();
            Map<String, Object> keys = PolicyJson.object(entry.getValue(), "Condition " + operatorText);
            if (keys.isEmpty()) {
                throw new MalformedPolicyException("Condition " + operatorText + " names no condition key");
            }
            for (Map.Entry<String, Object> key : keys.entrySet()) {
                clauses.add(clause(operatorText, key.getKey(), key.getValue(), variablesRefused));
            }
        }
        return clauses.isEmpty() ? NONE : new Conditions(List.copyOf(clauses));
    }

    private static Clause clause(String operatorText, String key, Object valuesJson, boolean variablesRefused) {
        SetQualifier qualifier = SetQualifier.SINGLE;
        String rest = operatorText;
        if (rest.startsWith("ForAnyValue:")) {
            qualifier = SetQualifier.FOR_ANY_VALUE;
            rest = rest.substring("ForAnyValue:".length());
        } else if (rest.startsWith("ForAllValues:")) {
            qualifier = SetQualifier.FOR_ALL_VALUES;
            rest = rest.substring("ForAllValues:".length());
        }
        boolean ifExists = rest.endsWith("IfExists");
        if (ifExists) {
            rest = rest.substring(0, rest.length() - "IfExists".length());
        }
        ConditionOperator operator = ConditionOperator.byIamName(rest);
        boolean qualifiedNull = operator == ConditionOperator.NULL && (ifExists || qualifier != SetQualifier.SINGLE);
        if (operator == null || qualifiedNull) {
            throw new MalformedPolicyException("Invalid Condition type : " + operatorText);
        }
        if (key.indexOf(':') <= 0) {
            throw new MalformedPolicyException("Condition key " + key
                    + " must be prefaced by a vendor, e.g. aws:SourceIp or kinesis:...");
        }
        List<String> texts = values(valuesJson, operatorText + " " + key);
        Object[] compiled = new Object[texts.size()];
        for (int i = 0; i < compiled.length; i++) {
            if (variablesRefused) {
                PolicyDocument.refuseVariables(texts.get(i), "Condition " + operatorText + " " + key);
            }
            compiled[i] = operator.compile(texts.get(i), key);
        }
        return new Clause(operator, qualifier, ifExists, key.toLowerCase(Locale.ROOT), compiled);
    }

    /** A condition value: a string, number or boolean, or a non-empty array of them. */
    private static List<String> values(Object json, String where) {
        List<?> items = json instanceof List<?> list ? list : List.of(json == null ? new Object() : json);
        if (items.isEmpty()) {
            throw new MalformedPolicyException("Condition " + where + " has an empty list of values");
        }
        List<String> texts = new ArrayList<>(items.size());
        for (Object item : items) {
            if (item instanceof String s) {
                texts.add(s);
            } else if (item instanceof Boolean || item instanceof Long || item instanceof BigInteger) {
                texts.add(item.toString());
            } else if (item instanceof BigDecimal d) {
                texts.add(d.toPlainString());
            } else {
                throw new MalformedPolicyException("Condition " + where
                        + " values must be strings, numbers or booleans");
            }
        }
        return texts;
    }

    boolean isEmpty() {
        return clauses.isEmpty();
    }

    boolean matches(RequestContext context) {
        for (Clause clause : clauses) {
            if (!holds(clause, context.valuesOfLowerKey(clause.lowerKey))) {
                return false;
            }
        }
        return true;
    }

    private static boolean holds(Clause clause, List<String> requestValues) {
        boolean absent = requestValues == null || requestValues.isEmpty();
        ConditionOperator operator = clause.operator;
        if (operator == ConditionOperator.NULL) {
            for (Object wantsAbsent : clause.policyValues) {
                if ((Boolean) wantsAbsent == absent) {
                    return true;
                }
            }
            return false;
        }
        if (absent) {
            return switch (clause.qualifier) {
                case FOR_ALL_VALUES -> true;
                case FOR_ANY_VALUE -> clause.ifExists;
                case SINGLE -> clause.ifExists || operator.negated();
            };
        }
        switch (clause.qualifier) {
            case FOR_ANY_VALUE:
                for (String value : requestValues) {
                    if (holdsForValue(clause, value)) {
                        return true;
                    }
                }
                return false;
            case FOR_ALL_VALUES:
                for (String value : requestValues) {
                    if (!holdsForValue(clause, value)) {
                        return false;
                    }
                }
                return true;
            default:
                return operator.negated() ? allHold(clause, requestValues) : anyHolds(clause, requestValues);
        }
    }

    private static boolean anyHolds(Clause clause, List<String> requestValues) {
        for (String value : requestValues) {
            if (holdsForValue(clause, value)) {
                return true;
            }
        }
        return false;
    }

    private static boolean allHold(Clause clause, List<String> requestValues) {
        for (String value : requestValues) {
            if (!holdsForValue(clause, value)) {
                return false;
            }
        }
        return true;
    }

    /** One request value against the clause's policy values: any matches, or (negated) none does. */
    private static boolean holdsForValue(Clause clause, String requestValue) {
        boolean anyMatch = false;
        for (Object policyValue : clause.policyValues) {
            int result = clause.operator.test(policyValue, requestValue);
            if (result == ConditionOperator.UNREADABLE) {
                return false;
            }
            if (result == 1) {
                anyMatch = true;
                break;
            }
        }
        return clause.operator.negated() != anyMatch;
    }
}
