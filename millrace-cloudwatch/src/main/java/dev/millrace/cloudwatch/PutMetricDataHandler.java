package dev.millrace.cloudwatch;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PutMetricData: validates a batch of data points as CloudWatch does and adds them to the {@link MetricStore}. KCL
 * and other apps publish their metrics with it; a batch with any invalid datum is refused whole, as CloudWatch does,
 * so nothing of a refused call is recorded. A single Value, Values with Counts and a StatisticValues set all become
 * a (SampleCount, Sum, Minimum, Maximum) added to the datum's minute in its unit ({@code None} when it names none);
 * StorageResolution 1 is accepted and its data points kept at the minute, like the rest.
 *
 * <p>https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 *
 * <p>Thread-safe: state lives in the store.
 */
final class PutMetricDataHandler implements CloudWatchOperation {
    static final int MAX_DATUMS = 1000;
    static final int MAX_VALUES = 150;
    private static final long PAST_LIMIT_MS = 14L * 24 * 3600 * 1000;
    /** CloudWatch refuses values of a greater magnitude. */
    private static final double MAX_MAGNITUDE = Math.pow(2, 360);

    /** A validated datum, recorded only once the whole batch has passed. */
    private record Datum(MetricStore.MetricId id, String unit, long timestampMs, double[] statistics) {
    }

    private final MetricStore store;

    PutMetricDataHandler(MetricStore store) {
        this.store = store;
    }

    @Override
    public Map<String, Object> handle(Map<String, Object> input) {
        String namespace = Inputs.requiredString(input, "Namespace", "Namespace", 1, 255);
        if (namespace.startsWith(":") || namespace.startsWith("AWS/")) {
            throw CloudWatchException.invalidValue("The value " + namespace + " for parameter Namespace is invalid.");
        }
        List<?> data = Inputs.list(input, "MetricData", "MetricData");
        List<?> entityData = Inputs.list(input, "EntityMetricData", "EntityMetricData");
        if (data.isEmpty() && entityData.isEmpty()) {
            throw CloudWatchException.missing("MetricData");
        }
        long nowMs = store.nowMs();
        List<Datum> datums = new ArrayList<>();
        readData(namespace, data, "MetricData", nowMs, datums);
        for (int i = 0; i < entityData.size(); i++) {
            String path = "EntityMetricData.member." + (i + 1);
            Map<String, Object> entity = Inputs.struct(entityData.get(i), path);
            readData(namespace, Inputs.list(entity, "MetricData", path + ".MetricData"), path + ".MetricData", nowMs,
                    datums);
        }
        for (Datum d : datums) {
            double[] s = d.statistics();
            if (s[0] > 0) {
                store.add(d.id(), d.unit(), d.timestampMs(), s[0], s[1], s[2], s[3]);
            }
        }
        return Map.of();
    }

    private static void readData(String namespace, List<?> data, String path, long nowMs, List<Datum> out) {
        if (data.size() > MAX_DATUMS) {
            throw CloudWatchException.invalidValue("The collection " + path + " must not have a size greater than "
                    + MAX_DATUMS + ".");
        }
        for (int i = 0; i < data.size(); i++) {
            String datumPath = path + ".member." + (i + 1);
            out.add(readDatum(namespace, Inputs.struct(data.get(i), datumPath), datumPath, nowMs));
        }
    }

    private static Datum readDatum(String namespace, Map<String, Object> datum, String path, long nowMs) {
        String name = Inputs.requiredString(datum, "MetricName", path + ".MetricName", 1, 255);
        List<MetricStore.Dimension> dimensions = Inputs.dimensions(datum, "Dimensions", path + ".Dimensions");
        String unit = Inputs.unit(datum, "Unit", path + ".Unit");
        Object resolution = datum.get("StorageResolution");
        if (resolution != null) {
            double r = Inputs.number(resolution, path + ".StorageResolution");
            if (r != 1 && r != 60) {
                throw CloudWatchException.invalidValue("The value " + resolution + " for parameter " + path
                        + ".StorageResolution is invalid. Valid values are 1 and 60.");
            }
        }
        long timestampMs = nowMs;
        if (datum.get("Timestamp") != null) {
            timestampMs = Inputs.epochMs(datum.get("Timestamp"), path + ".Timestamp");
            if (timestampMs < nowMs - PAST_LIMIT_MS || timestampMs > nowMs + MetricStore.FUTURE_LIMIT_MS) {
                throw CloudWatchException.invalidValue("The parameter " + path + ".Timestamp must specify a time no"
                        + " more than two weeks in the past and no more than two hours in the future.");
            }
        }
        return new Datum(new MetricStore.MetricId(namespace, name, dimensions), unit == null ? "None" : unit,
                timestampMs, readValues(datum, path));
    }

    /**
     * {SampleCount, Sum, Minimum, Maximum} from exactly one of Value, StatisticValues and Values (+ Counts); a
     * SampleCount of 0 (every count 0) records nothing.
     */
    private static double[] readValues(Map<String, Object> datum, String path) {
        Object value = datum.get("Value");
        Object statistics = datum.get("StatisticValues");
        List<?> values = Inputs.list(datum, "Values", path + ".Values");
        List<?> counts = Inputs.list(datum, "Counts", path + ".Counts");
        exclusive(path, "Value", value != null, "StatisticValues", statistics != null);
        exclusive(path, "Value", value != null, "Values", !values.isEmpty());
        exclusive(path, "StatisticValues", statistics != null, "Values", !values.isEmpty());
        if (value != null) {
            double v = value(value, path + ".Value");
            return new double[] {1, v, v, v};
        }
        if (statistics != null) {
            Map<String, Object> s = Inputs.struct(statistics, path + ".StatisticValues");
            double[] read = new double[4];
            String[] fields = {"SampleCount", "Sum", "Minimum", "Maximum"};
            for (int k = 0; k < fields.length; k++) {
                Object v = s.get(fields[k]);
                if (v == null) {
                    throw CloudWatchException.missing(path + ".StatisticValues." + fields[k]);
                }
                read[k] = value(v, path + ".StatisticValues." + fields[k]);
            }
            if (read[0] <= 0 || read[2] > read[3]) {
                throw CloudWatchException.invalidValue("The parameter " + path + ".StatisticValues is invalid:"
                        + " SampleCount must be positive and Minimum no greater than Maximum.");
            }
            return read;
        }
        if (values.isEmpty()) {
            throw CloudWatchException.combination("One of the parameters " + path + ".Value, " + path
                    + ".StatisticValues and " + path + ".Values must be specified.");
        }
        return readValueList(values, counts, path);
    }

    private static double[] readValueList(List<?> values, List<?> counts, String path) {
        if (values.size() > MAX_VALUES) {
            throw CloudWatchException.invalidValue("The collection " + path + ".Values must not have a size greater"
                    + " than " + MAX_VALUES + ".");
        }
        if (!counts.isEmpty() && counts.size() != values.size()) {
            throw CloudWatchException.invalidValue("The parameters " + path + ".Values and " + path
                    + ".Counts must be arrays of the same length.");
        }
        double[] out = {0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int k = 0; k < values.size(); k++) {
            double v = value(values.get(k), path + ".Values.member." + (k + 1));
            double c = 1;
            if (!counts.isEmpty()) {
                String countPath = path + ".Counts.member." + (k + 1);
                c = Inputs.number(counts.get(k), countPath);
                if (c < 0 || c > MAX_MAGNITUDE) {
                    throw CloudWatchException.invalidValue("The value " + counts.get(k) + " for parameter "
                            + countPath + " is invalid: a count must not be negative.");
                }
            }
            if (c > 0) {
                out[0] += c;
                out[1] += v * c;
                out[2] = Math.min(out[2], v);
                out[3] = Math.max(out[3], v);
            }
        }
        return out;
    }

    /** A data point's value: finite, and within CloudWatch's range of -2^360 to 2^360. */
    private static double value(Object raw, String parameter) {
        double v = Inputs.number(raw, parameter);
        if (Math.abs(v) > MAX_MAGNITUDE) {
            throw CloudWatchException.invalidValue("The value " + raw + " for parameter " + parameter
                    + " is invalid: values must be in the range of -2^360 to 2^360.");
        }
        return v;
    }

    private static void exclusive(String path, String a, boolean hasA, String b, boolean hasB) {
        if (hasA && hasB) {
            throw CloudWatchException.combination("The parameters " + path + "." + a + " and " + path + "." + b
                    + " are mutually exclusive and you have specified both.");
        }
    }
}
