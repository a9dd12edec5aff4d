package dev.millrace.cloudwatch;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PutMetricData: validates a batch of data points as CloudWatch does and records them in the {@link MetricCatalog}.
 * KCL and other apps publish their metrics with it; a batch with any invalid datum is refused whole, as CloudWatch
 * does, so nothing of a refused call is recorded.
 *
 * <p>https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 *
 * <p>Thread-safe: state lives in the catalog.
 */
final class PutMetricDataHandler implements CloudWatchOperation {
    static final int MAX_DATUMS = 1000;
    static final int MAX_DIMENSIONS = 30;
    static final int MAX_VALUES = 150;
    private static final long PAST_LIMIT_MS = 14L * 24 * 3600 * 1000;
    private static final long FUTURE_LIMIT_MS = 2L * 3600 * 1000;
    private static final Set<String> UNITS = Set.of("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
            "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent",
            "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
            "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
            "Count/Second", "None");

    /** A validated datum, recorded only once the whole batch has passed. */
    private record Datum(MetricCatalog.MetricId id, double samples, double sum, long timestampMs) {
    }

    private final MetricCatalog catalog;

    PutMetricDataHandler(MetricCatalog catalog) {
        this.catalog = catalog;
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
        long nowMs = catalog.nowMs();
        List<Datum> datums = new ArrayList<>();
        readData(namespace, data, "MetricData", nowMs, datums);
        for (int i = 0; i < entityData.size(); i++) {
            String path = "EntityMetricData.member." + (i + 1);
            Map<String, Object> entity = Inputs.struct(entityData.get(i), path);
            readData(namespace, Inputs.list(entity, "MetricData", path + ".MetricData"), path + ".MetricData", nowMs,
                    datums);
        }
        for (Datum d : datums) {
            catalog.record(d.id(), d.samples(), d.sum(), d.timestampMs());
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
        List<MetricCatalog.Dimension> dimensions = readDimensions(datum, path);
        String unit = Inputs.string(datum, "Unit", path + ".Unit", 1, 64);
        if (unit != null && !UNITS.contains(unit)) {
            throw CloudWatchException.invalidValue("The value " + unit + " for parameter " + path
                    + ".Unit is invalid.");
        }
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
            if (timestampMs < nowMs - PAST_LIMIT_MS || timestampMs > nowMs + FUTURE_LIMIT_MS) {
                throw CloudWatchException.invalidValue("The parameter " + path + ".Timestamp must specify a time no"
                        + " more than two weeks in the past and no more than two hours in the future.");
            }
        }
        double[] samplesAndSum = readValues(datum, path);
        return new Datum(new MetricCatalog.MetricId(namespace, name, dimensions), samplesAndSum[0], samplesAndSum[1],
                timestampMs);
    }

    private static List<MetricCatalog.Dimension> readDimensions(Map<String, Object> datum, String path) {
        List<?> raw = Inputs.list(datum, "Dimensions", path + ".Dimensions");
        if (raw.size() > MAX_DIMENSIONS) {
            throw CloudWatchException.invalidValue("The collection " + path + ".Dimensions must not have a size"
                    + " greater than " + MAX_DIMENSIONS + ".");
        }
        List<MetricCatalog.Dimension> dimensions = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int j = 0; j < raw.size(); j++) {
            String dimPath = path + ".Dimensions.member." + (j + 1);
            Map<String, Object> d = Inputs.struct(raw.get(j), dimPath);
            String dimName = Inputs.requiredString(d, "Name", dimPath + ".Name", 1, 255);
            String dimValue = Inputs.requiredString(d, "Value", dimPath + ".Value", 1, 1024);
            if (!names.add(dimName)) {
                throw CloudWatchException.invalidValue("The value " + dimName + " for parameter " + dimPath
                        + ".Name is invalid: dimension names must be unique within a metric.");
            }
            dimensions.add(new MetricCatalog.Dimension(dimName, dimValue));
        }
        dimensions.sort((a, b) -> a.name().compareTo(b.name()));
        return dimensions;
    }

    /** {sample count, sum} from exactly one of Value, StatisticValues and Values (+ Counts). */
    private static double[] readValues(Map<String, Object> datum, String path) {
        Object value = datum.get("Value");
        Object statistics = datum.get("StatisticValues");
        List<?> values = Inputs.list(datum, "Values", path + ".Values");
        List<?> counts = Inputs.list(datum, "Counts", path + ".Counts");
        exclusive(path, "Value", value != null, "StatisticValues", statistics != null);
        exclusive(path, "Value", value != null, "Values", !values.isEmpty());
        exclusive(path, "StatisticValues", statistics != null, "Values", !values.isEmpty());
        if (value != null) {
            return new double[] {1, Inputs.number(value, path + ".Value")};
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
                read[k] = Inputs.number(v, path + ".StatisticValues." + fields[k]);
            }
            if (read[0] <= 0 || read[2] > read[3]) {
                throw CloudWatchException.invalidValue("The parameter " + path + ".StatisticValues is invalid:"
                        + " SampleCount must be positive and Minimum no greater than Maximum.");
            }
            return new double[] {read[0], read[1]};
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
        double samples = 0;
        double sum = 0;
        for (int k = 0; k < values.size(); k++) {
            double v = Inputs.number(values.get(k), path + ".Values.member." + (k + 1));
            double c = counts.isEmpty() ? 1 : Inputs.number(counts.get(k), path + ".Counts.member." + (k + 1));
            samples += c;
            sum += v * c;
        }
        return new double[] {samples, sum};
    }

    private static void exclusive(String path, String a, boolean hasA, String b, boolean hasB) {
        if (hasA && hasB) {
            throw CloudWatchException.combination("The parameters " + path + "." + a + " and " + path + "." + b
                    + " are mutually exclusive and you have specified both.");
        }
    }
}
