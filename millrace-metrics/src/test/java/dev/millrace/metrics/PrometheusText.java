package dev.millrace.metrics;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads samples out of a Prometheus text exposition (format 0.0.4), for tests: this module's and, through its test
 * jar, millrace-it's (the Prometheus Java client writes the format but has no parser). Knows the sample lines
 * {@code name{label="value",...} number}; comments and other lines are skipped.
 *
 * <p>Stateless, thread-safe.
 */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private PrometheusText() {
    }

    /** The value of the one sample of {@code name} whose labels are exactly {@code labels}; fails if none. */
    public static double value(String exposition, String name, Map<String, String> labels) {
        for (String line : exposition.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> found = new HashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    found.put(l.group(1), l.group(2));
                }
            }
            if (found.equals(labels)) {
                return Double.parseDouble(m.group(4));
            }
        }
        throw new AssertionError("no sample " + name + labels + " in:\n" + exposition);
    }
}
