package dev.millrace.auth.policy;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * IAM's condition operators (the base names, without {@code IfExists} or a set qualifier). A policy value is compiled
 * once, when the policy is parsed (a number, an instant, a CIDR block, a glob); a request value is read at each
 * request, and one that does not read as the operator's type (a date key holding {@code "soon"}) matches nothing,
 * for the negated operators too: a malformed request value never satisfies a condition.
 *
 * <p>Immutable, thread-safe.
 */
enum ConditionOperator {
    STRING_EQUALS("StringEquals", Type.STRING, false, Comparison.EQUAL),
    STRING_NOT_EQUALS("StringNotEquals", Type.STRING, true, Comparison.EQUAL),
    STRING_EQUALS_IGNORE_CASE("StringEqualsIgnoreCase", Type.STRING_IGNORE_CASE, false, Comparison.EQUAL),
    STRING_NOT_EQUALS_IGNORE_CASE("StringNotEqualsIgnoreCase", Type.STRING_IGNORE_CASE, true, Comparison.EQUAL),
    STRING_LIKE("StringLike", Type.GLOB, false, Comparison.EQUAL),
    STRING_NOT_LIKE("StringNotLike", Type.GLOB, true, Comparison.EQUAL),
    NUMERIC_EQUALS("NumericEquals", Type.NUMBER, false, Comparison.EQUAL),
    NUMERIC_NOT_EQUALS("NumericNotEquals", Type.NUMBER, true, Comparison.EQUAL),
    NUMERIC_LESS_THAN("NumericLessThan", Type.NUMBER, false, Comparison.LESS),
    NUMERIC_LESS_THAN_EQUALS("NumericLessThanEquals", Type.NUMBER, false, Comparison.LESS_OR_EQUAL),
    NUMERIC_GREATER_THAN("NumericGreaterThan", Type.NUMBER, false, Comparison.GREATER),
    NUMERIC_GREATER_THAN_EQUALS("NumericGreaterThanEquals", Type.NUMBER, false, Comparison.GREATER_OR_EQUAL),
    DATE_EQUALS("DateEquals", Type.DATE, false, Comparison.EQUAL),
    DATE_NOT_EQUALS("DateNotEquals", Type.DATE, true, Comparison.EQUAL),
    DATE_LESS_THAN("DateLessThan", Type.DATE, false, Comparison.LESS),
    DATE_LESS_THAN_EQUALS("DateLessThanEquals", Type.DATE, false, Comparison.LESS_OR_EQUAL),
    DATE_GREATER_THAN("DateGreaterThan", Type.DATE, false, Comparison.GREATER),
    DATE_GREATER_THAN_EQUALS("DateGreaterThanEquals", Type.DATE, false, Comparison.GREATER_OR_EQUAL),
    BOOL("Bool", Type.BOOLEAN, false, Comparison.EQUAL),
    BINARY_EQUALS("BinaryEquals", Type.BINARY, false, Comparison.EQUAL),
    IP_ADDRESS("IpAddress", Type.IP, false, Comparison.EQUAL),
    NOT_IP_ADDRESS("NotIpAddress", Type.IP, true, Comparison.EQUAL),
    ARN_EQUALS("ArnEquals", Type.ARN, false, Comparison.EQUAL),
    ARN_LIKE("ArnLike", Type.ARN, false, Comparison.EQUAL),
    ARN_NOT_EQUALS("ArnNotEquals", Type.ARN, true, Comparison.EQUAL),
    ARN_NOT_LIKE("ArnNotLike", Type.ARN, true, Comparison.EQUAL),
    /** Special: tests presence of the key, not its value; no {@code IfExists}, no set qualifier. */
    NULL("Null", Type.BOOLEAN, false, Comparison.EQUAL);

    enum Type { STRING, STRING_IGNORE_CASE, GLOB, NUMBER, DATE, BOOLEAN, BINARY, IP, ARN }

    private enum Comparison { EQUAL, LESS, LESS_OR_EQUAL, GREATER, GREATER_OR_EQUAL }

    /** {@link #test}'s answer for a request value that does not read as the operator's type. */
    static final int UNREADABLE = -1;

    private final String iamName;
    private final Type type;
    private final boolean negated;
    private final Comparison comparison;

    ConditionOperator(String iamName, Type type, boolean negated, Comparison comparison) {
        this.iamName = iamName;
        this.type = type;
        this.negated = negated;
        this.comparison = comparison;
    }

    String iamName() {
        return iamName;
    }

    /** A NotEquals/NotLike/NotIpAddress operator: true when no policy value matches, and when the key is absent. */
    boolean negated() {
        return negated;
    }

    /** The operator of an IAM name (case-sensitive, as IAM), or {@code null}. */
    static ConditionOperator byIamName(String name) {
        for (ConditionOperator operator : values()) {
            if (operator.iamName.equals(name)) {
                return operator;
            }
        }
        return null;
    }

    /** The policy value compiled for {@link #test}; a value that cannot be one is a malformed policy. */
    Object compile(String policyValue, String key) {
        Object compiled = switch (type) {
            case STRING -> policyValue;
            case STRING_IGNORE_CASE -> policyValue.toLowerCase(Locale.ROOT);
            case GLOB -> WildcardPattern.caseSensitive(policyValue);
            case NUMBER -> number(policyValue);
            case DATE -> instant(policyValue);
            case BOOLEAN -> bool(policyValue);
            case BINARY -> base64(policyValue);
            case IP -> CidrBlock.parse(policyValue);
            case ARN -> ArnPattern.compile(policyValue);
        };
        if (compiled == null) {
            throw new MalformedPolicyException("Invalid Condition value for " + iamName + " on key " + key + ": \""
                    + policyValue + "\" is not " + typeDescription());
        }
        return compiled;
    }

    private String typeDescription() {
        return switch (type) {
            case NUMBER -> "a number";
            case DATE -> "a date (ISO 8601, e.g. 2026-01-31T12:00:00Z, or epoch seconds)";
            case BOOLEAN -> "true or false";
            case BINARY -> "base64";
            case IP -> "an IP address or CIDR block";
            default -> "valid";
        };
    }

    /** 1 if the request value matches the compiled policy value (before negation), 0 if not, or UNREADABLE. */
    int test(Object compiled, String requestValue) {
        switch (type) {
            case STRING:
                return compiled.equals(requestValue) ? 1 : 0;
            case STRING_IGNORE_CASE:
                return ((String) compiled).equalsIgnoreCase(requestValue) ? 1 : 0;
            case GLOB:
                return ((WildcardPattern) compiled).matches(requestValue) ? 1 : 0;
            case NUMBER: {
                BigDecimal value = number(requestValue);
                return value == null ? UNREADABLE : compare(value.compareTo((BigDecimal) compiled));
            }
            case DATE: {
                Instant value = instant(requestValue);
                return value == null ? UNREADABLE : compare(value.compareTo((Instant) compiled));
            }
            case BOOLEAN: {
                Boolean value = bool(requestValue);
                return value == null ? UNREADABLE : (value.equals(compiled) ? 1 : 0);
            }
            case BINARY: {
                byte[] value = base64(requestValue);
                return value == null ? UNREADABLE : (Arrays.equals(value, (byte[]) compiled) ? 1 : 0);
            }
            case IP: {
                byte[] address = CidrBlock.address(requestValue);
                return address == null ? UNREADABLE : (((CidrBlock) compiled).contains(address) ? 1 : 0);
            }
            default:
                return ((ArnPattern) compiled).test(requestValue);
        }
    }

    private int compare(int requestVersusPolicy) {
        boolean result = switch (comparison) {
            case EQUAL -> requestVersusPolicy == 0;
            case LESS -> requestVersusPolicy < 0;
            case LESS_OR_EQUAL -> requestVersusPolicy <= 0;
            case GREATER -> requestVersusPolicy > 0;
            case GREATER_OR_EQUAL -> requestVersusPolicy >= 0;
        };
        return result ? 1 : 0;
    }

    private static BigDecimal number(String text) {
        // Bounded: BigDecimal's own parser is linear, but a huge exponent would make compareTo slow.
        if (text.length() > 64) {
            return null;
        }
        try {
            BigDecimal value = new BigDecimal(text.trim());
            return Math.abs(value.scale()) > 1000 ? null : value;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** ISO 8601 with or without an offset (UTC if none), a bare date (its midnight UTC), or epoch seconds. */
    static Instant instant(String text) {
        if (text.length() > 64) {
            return null;
        }
        String value = text.trim();
        if (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return value.length() > 12 ? null : Instant.ofEpochSecond(Long.parseLong(value));
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException notWithOffset) {
            try {
                return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException notLocal) {
                try {
                    return LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC);
                } catch (DateTimeParseException notDate) {
                    return null;
                }
            }
        }
    }

    private static Boolean bool(String text) {
        if (text.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
        }
        return text.equalsIgnoreCase("false") ? Boolean.FALSE : null;
    }

    private static byte[] base64(String text) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
