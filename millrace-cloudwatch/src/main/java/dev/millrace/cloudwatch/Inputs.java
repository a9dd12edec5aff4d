package dev.millrace.cloudwatch;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * Typed reads from a decoded CloudWatch request. The three protocols decode to one tree of maps, lists and scalars,
 * but not with the same scalar types: the query protocol sends every number and timestamp as a string, CBOR sends
 * timestamps as epoch seconds (tag 1) and JSON as epoch-second numbers; these reads accept each form, and name a bad
 * parameter by its query-protocol path ({@code MetricData.member.1.Value}), as CloudWatch's messages do.
 *
 * <p>Stateless, thread-safe.
 */
final class Inputs {
    private Inputs() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> struct(Object value, String parameter) {
        if (value instanceof Map) {
            return (Map<String, Object>) value;
        }
        throw CloudWatchException.invalidValue("The parameter " + parameter + " must be a structure.");
    }

    static List<?> list(Map<String, Object> input, String key, String parameter) {
        Object value = input.get(key);
        if (value == null) {
            return List.of();
        }
        if (value instanceof List) {
            return (List<?>) value;
        }
        throw CloudWatchException.invalidValue("The parameter " + parameter + " must be a list.");
    }

    /** A string of {@code minChars..maxChars} characters, or null when absent. */
    static String string(Map<String, Object> input, String key, String parameter, int minChars, int maxChars) {
        Object value = input.get(key);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String)) {
            throw CloudWatchException.invalidValue("The parameter " + parameter + " must be a string.");
        }
        String s = (String) value;
        if (s.length() < minChars || s.length() > maxChars) {
            throw CloudWatchException.invalidValue("The parameter " + parameter + " must be between " + minChars
                    + " and " + maxChars + " characters long.");
        }
        return s;
    }

    static String requiredString(Map<String, Object> input, String key, String parameter, int minChars,
                                 int maxChars) {
        String s = string(input, key, parameter, minChars, maxChars);
        if (s == null) {
            throw CloudWatchException.missing(parameter);
        }
        return s;
    }

    /** A finite double: CloudWatch refuses NaN and the infinities. */
    static double number(Object value, String parameter) {
        double d;
        try {
            if (value instanceof Number) {
                d = ((Number) value).doubleValue();
            } else if (value instanceof String) {
                d = Double.parseDouble((String) value);
            } else {
                throw CloudWatchException.invalidValue("The parameter " + parameter + " must be a number.");
            }
        } catch (NumberFormatException e) {
            throw CloudWatchException.invalidValue("The value " + value + " for parameter " + parameter
                    + " is invalid.");
        }
        if (!Double.isFinite(d)) {
            throw CloudWatchException.invalidValue("The value " + value + " for parameter " + parameter
                    + " is invalid.");
        }
        return d;
    }

    static Boolean bool(Map<String, Object> input, String key, String parameter) {
        Object value = input.get(key);
        if (value == null || value instanceof Boolean) {
            return (Boolean) value;
        }
        if ("true".equals(value) || "false".equals(value)) {
            return Boolean.valueOf((String) value);
        }
        throw CloudWatchException.invalidValue("The value " + value + " for parameter " + parameter
                + " is invalid.");
    }

    /** Epoch milliseconds from epoch seconds (a number) or an ISO 8601 string (the query protocol). */
    static long epochMs(Object value, String parameter) {
        if (value instanceof Number) {
            return Math.round(number(value, parameter) * 1000);
        }
        if (value instanceof String) {
            try {
                return Instant.parse((String) value).toEpochMilli();
            } catch (DateTimeParseException e) {
                // Query clients may send a plain number of seconds as a string.
                return Math.round(number(value, parameter) * 1000);
            }
        }
        throw CloudWatchException.invalidValue("The parameter " + parameter + " must be a timestamp.");
    }
}
