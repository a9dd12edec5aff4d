package dev.millrace.cloudwatch;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed reads from a decoded CloudWatch request. The three protocols decode to one tree of maps, lists and scalars,
 * but not with the same scalar types: the query protocol sends every number and timestamp as a string, CBOR sends
 * timestamps as epoch seconds (tag 1) and JSON as epoch-second numbers; these reads accept each form, and name a bad
 * parameter by its query-protocol path ({@code MetricData.member.1.Value}), as CloudWatch's messages do.
 *
 * <p>Stateless, thread-safe.
 */
final class Inputs {
    static final int MAX_DIMENSIONS = 30;

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

    static long requiredEpochMs(Map<String, Object> input, String key, String parameter) {
        Object value = input.get(key);
        if (value == null) {
            throw CloudWatchException.missing(parameter);
        }
        return epochMs(value, parameter);
    }

    /** A unit of {@link MetricStore#UNITS}, or null when absent. */
    static String unit(Map<String, Object> input, String key, String parameter) {
        String unit = string(input, key, parameter, 1, 64);
        if (unit != null && !MetricStore.UNITS.contains(unit)) {
            throw CloudWatchException.invalidValue("The value " + unit + " for parameter " + parameter
                    + " is invalid.");
        }
        return unit;
    }

    /** A whole number, e.g. a Period; CloudWatch's integers are 32-bit. */
    static int integer(Object value, String parameter) {
        double d = number(value, parameter);
        if (d != Math.rint(d) || d > Integer.MAX_VALUE || d < Integer.MIN_VALUE) {
            throw CloudWatchException.invalidValue("The value " + value + " for parameter " + parameter
                    + " is invalid: it must be a whole number.");
        }
        return (int) d;
    }

    /**
     * A metric's dimensions (at most 30, names unique), sorted by name as {@link MetricStore.MetricId} wants them.
     */
    static List<MetricStore.Dimension> dimensions(Map<String, Object> input, String key, String parameter) {
        List<?> raw = list(input, key, parameter);
        if (raw.size() > MAX_DIMENSIONS) {
            throw CloudWatchException.invalidValue("The collection " + parameter + " must not have a size"
                    + " greater than " + MAX_DIMENSIONS + ".");
        }
        List<MetricStore.Dimension> dimensions = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int j = 0; j < raw.size(); j++) {
            String dimPath = parameter + ".member." + (j + 1);
            Map<String, Object> d = struct(raw.get(j), dimPath);
            String dimName = requiredString(d, "Name", dimPath + ".Name", 1, 255);
            String dimValue = requiredString(d, "Value", dimPath + ".Value", 1, 1024);
            if (!names.add(dimName)) {
                throw CloudWatchException.invalidValue("The value " + dimName + " for parameter " + dimPath
                        + ".Name is invalid: dimension names must be unique within a metric.");
            }
            dimensions.add(new MetricStore.Dimension(dimName, dimValue));
        }
        dimensions.sort((a, b) -> a.name().compareTo(b.name()));
        return dimensions;
    }
}
