package dev.millrace.cloudwatch;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * GetMetricData: up to 500 MetricStat queries (a metric, a Period, a Stat of SampleCount, Average, Sum, Minimum or
 * Maximum, an optional Unit) answered as time series of the periods that have data, newest first unless ScanBy says
 * TimestampAscending, at most MaxDatapoints (default and ceiling 100,800) per call. Without a Unit, data of every
 * unit is folded together, as CloudWatch does. Math and Metrics Insights {@code Expression}s, and percentile or other
 * extended statistics, are refused with a message that says so; AccountId and LabelOptions are accepted and have no
 * effect (one account's metrics, labels are never dynamic).
 *
 * <p>Paging: queries are answered in order, each one's points in scan order, until MaxDatapoints is reached; the query
 * cut there answers PartialData, those after it answer PartialData with no points (Complete if they have none to
 * give), and the NextToken says where to go on. Every page lists every query that returns data, so clients that merge
 * pages by Id see each query on each page. The token carries the position and a fingerprint of the request, and a
 * token from another request is an InvalidNextToken:
 * <pre>
 *   base64url(UTF-8 "QUERY_INDEX:AFTER_TIMESTAMP_MS:FINGERPRINT")     AFTER_TIMESTAMP_MS "-" for "from the first"
 * </pre>
 *
 * <p>https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 *
 * <p>Thread-safe: state lives in the store.
 */
final class GetMetricDataHandler implements CloudWatchOperation {
    static final int MAX_QUERIES = 500;
    static final int MAX_DATAPOINTS = 100_800;
    private static final Pattern ID = Pattern.compile("[a-z][a-zA-Z0-9_]*");

    private record Query(String id, String label, MetricStore.MetricId metric, long periodMs, String stat,
                         String unit) {
    }

    /** Where a page starts: a query's index, and the last timestamp already given for it (null: none). */
    private record Position(int queryIndex, Long afterMs) {
    }

    private final MetricStore store;

    GetMetricDataHandler(MetricStore store) {
        this.store = store;
    }

    @Override
    public Map<String, Object> handle(Map<String, Object> input) {
        List<Query> queries = queries(input);
        long[] window = MetricReads.window(input, store.nowMs());
        String scanBy = Inputs.string(input, "ScanBy", "ScanBy", 1, 255);
        if (scanBy != null && !scanBy.equals("TimestampDescending") && !scanBy.equals("TimestampAscending")) {
            throw CloudWatchException.invalidValue("The value " + scanBy + " for parameter ScanBy is invalid. Valid"
                    + " values are TimestampDescending and TimestampAscending.");
        }
        boolean descending = !"TimestampAscending".equals(scanBy);
        int budget = MAX_DATAPOINTS;
        if (input.get("MaxDatapoints") != null) {
            int max = Inputs.integer(input.get("MaxDatapoints"), "MaxDatapoints");
            if (max < 1) {
                throw CloudWatchException.invalidValue("The parameter MaxDatapoints must be greater than 0.");
            }
            budget = Math.min(max, MAX_DATAPOINTS);
        }
        String fingerprint = fingerprint(queries, window, descending);
        Position from = decodeToken(Inputs.string(input, "NextToken", "NextToken", 1, 4096), fingerprint,
                queries.size());

        List<Object> results = new ArrayList<>();
        String nextToken = null;
        for (int i = 0; i < queries.size(); i++) {
            Query q = queries.get(i);
            if (q == null) {
                continue; // ReturnData false
            }
            if (i < from.queryIndex()) {
                results.add(result(q, List.of(), true)); // Given on earlier pages.
                continue;
            }
            if (nextToken != null) {
                // Past the cut: only whether there is more to come, not the points themselves, which could be many.
                boolean more = MetricReads.hasData(store, q.metric(), window[0], window[1], q.unit());
                results.add(result(q, List.of(), !more));
                continue;
            }
            List<MetricReads.Aggregate> points = new ArrayList<>(MetricReads.aggregate(store, q.metric(), window[0],
                    window[1], q.periodMs(), q.unit(), false));
            if (descending) {
                Collections.reverse(points);
            }
            Long afterMs = i == from.queryIndex() ? from.afterMs() : null;
            int first = skipThrough(points, afterMs, descending);
            int take = Math.min(budget, points.size() - first);
            budget -= take;
            boolean complete = first + take == points.size();
            if (!complete) {
                Long lastGivenMs = take > 0 ? Long.valueOf(points.get(first + take - 1).startMs()) : afterMs;
                nextToken = encodeToken(new Position(i, lastGivenMs), fingerprint);
            }
            results.add(result(q, points.subList(first, first + take), complete));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("MetricDataResults", results);
        if (nextToken != null) {
            out.put("NextToken", nextToken);
        }
        out.put("Messages", List.of());
        return out;
    }

    /** Index of the first point after {@code afterMs} in scan order (0 when null). */
    private static int skipThrough(List<MetricReads.Aggregate> points, Long afterMs, boolean descending) {
        int i = 0;
        while (afterMs != null && i < points.size()
                && (descending ? points.get(i).startMs() >= afterMs : points.get(i).startMs() <= afterMs)) {
            i++;
        }
        return i;
    }

    private static Map<String, Object> result(Query q, List<MetricReads.Aggregate> points, boolean complete) {
        List<Object> timestamps = new ArrayList<>(points.size());
        List<Object> values = new ArrayList<>(points.size());
        for (MetricReads.Aggregate a : points) {
            timestamps.add(Instant.ofEpochMilli(a.startMs()));
            values.add(a.statistic(q.stat()));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("Id", q.id());
        r.put("Label", q.label());
        r.put("Timestamps", timestamps);
        r.put("Values", values);
        r.put("StatusCode", complete ? "Complete" : "PartialData");
        r.put("Messages", List.of());
        return r;
    }

    /** The queries, in order; null for one with ReturnData false (it is validated, and not answered). */
    private static List<Query> queries(Map<String, Object> input) {
        List<?> raw = Inputs.list(input, "MetricDataQueries", "MetricDataQueries");
        if (raw.isEmpty()) {
            throw CloudWatchException.missing("MetricDataQueries");
        }
        if (raw.size() > MAX_QUERIES) {
            throw CloudWatchException.invalidValue("The collection MetricDataQueries must not have a size greater"
                    + " than " + MAX_QUERIES + ".");
        }
        List<Query> queries = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            String path = "MetricDataQueries.member." + (i + 1);
            Map<String, Object> q = Inputs.struct(raw.get(i), path);
            String id = Inputs.requiredString(q, "Id", path + ".Id", 1, 255);
            if (!ID.matcher(id).matches()) {
                throw CloudWatchException.invalidValue("The value " + id + " for parameter " + path + ".Id is"
                        + " invalid: an Id starts with a lowercase letter and has only letters, digits and"
                        + " underscores.");
            }
            if (!ids.add(id)) {
                throw CloudWatchException.invalidValue("The value " + id + " for parameter " + path + ".Id is"
                        + " invalid: Ids must be unique within a call.");
            }
            Query query = query(q, id, path);
            Boolean returnData = Inputs.bool(q, "ReturnData", path + ".ReturnData");
            queries.add(Boolean.FALSE.equals(returnData) ? null : query);
        }
        return queries;
    }

    private static Query query(Map<String, Object> q, String id, String path) {
        Object expression = q.get("Expression");
        Object metricStat = q.get("MetricStat");
        if (expression != null && metricStat != null) {
            throw CloudWatchException.combination("The parameters " + path + ".MetricStat and " + path
                    + ".Expression are mutually exclusive and you have specified both.");
        }
        if (expression != null) {
            throw CloudWatchException.invalidValue("The parameter " + path + ".Expression is not supported:"
                    + " Millrace does not evaluate metric math or Metrics Insights queries. Ask for each metric"
                    + " with a MetricStat instead.");
        }
        if (metricStat == null) {
            throw CloudWatchException.combination("One of the parameters " + path + ".MetricStat and " + path
                    + ".Expression must be specified.");
        }
        if (q.get("Period") != null) {
            MetricReads.periodMs(q.get("Period"), path + ".Period"); // Expressions' period: checked, not used.
        }
        String label = Inputs.string(q, "Label", path + ".Label", 0, 2048);
        String statPath = path + ".MetricStat";
        Map<String, Object> stat = Inputs.struct(metricStat, statPath);
        Object metric = stat.get("Metric");
        if (metric == null) {
            throw CloudWatchException.missing(statPath + ".Metric");
        }
        MetricStore.MetricId metricId = MetricReads.metric(Inputs.struct(metric, statPath + ".Metric"),
                statPath + ".Metric.");
        long periodMs = MetricReads.periodMs(stat.get("Period"), statPath + ".Period");
        String statistic = Inputs.requiredString(stat, "Stat", statPath + ".Stat", 1, 255);
        if (!MetricReads.STATISTICS.contains(statistic)) {
            throw CloudWatchException.invalidValue("The value " + statistic + " for parameter " + statPath
                    + ".Stat is invalid: Millrace serves SampleCount, Average, Sum, Minimum and Maximum (percentiles"
                    + " and the other extended statistics need raw values, which it does not keep).");
        }
        String unit = Inputs.unit(stat, "Unit", statPath + ".Unit");
        return new Query(id, label == null ? metricId.name() : label, metricId, periodMs, statistic, unit);
    }

    private static String fingerprint(List<Query> queries, long[] window, boolean descending) {
        StringBuilder b = new StringBuilder().append(window[0]).append(',').append(window[1]).append(',')
                .append(descending);
        for (Query q : queries) {
            b.append(',').append(q == null ? "-" : q.id() + "/" + q.metric().key() + "/" + q.periodMs() + "/"
                    + q.stat() + "/" + q.unit());
        }
        return Integer.toHexString(b.toString().hashCode());
    }

    private static String encodeToken(Position p, String fingerprint) {
        String token = p.queryIndex() + ":" + (p.afterMs() == null ? "-" : p.afterMs()) + ":" + fingerprint;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(token.getBytes(StandardCharsets.UTF_8));
    }

    private static Position decodeToken(String token, String fingerprint, int queryCount) {
        if (token == null) {
            return new Position(0, null);
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":", -1);
            if (parts.length == 3 && parts[2].equals(fingerprint)) {
                int index = Integer.parseInt(parts[0]);
                if (index >= 0 && index < queryCount) {
                    return new Position(index, parts[1].equals("-") ? null : Long.valueOf(parts[1]));
                }
            }
        } catch (IllegalArgumentException e) {
            // Reported below: NumberFormatException is one too.
        }
        throw CloudWatchException.invalidNextToken();
    }
}
