package dev.millrace.cloudwatch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * ListMetrics: the metrics of this account, published with PutMetricData or recorded by the server (AWS/Kinesis),
 * filtered by namespace, name, dimensions and recent activity (RecentlyActive PT3H: data received in the last three
 * hours), 500 per page; a metric is listed until the store forgets it. The page token is the last key returned
 * (see {@link MetricStore}), so pages stay correct while metrics are added.
 *
 * <p>https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html
 *
 * <p>Thread-safe: state lives in the store.
 */
final class ListMetricsHandler implements CloudWatchOperation {
    static final int PAGE_SIZE = 500;
    static final int MAX_DIMENSION_FILTERS = 10;
    private static final long RECENT_MS = 3L * 3600 * 1000;

    private final MetricStore store;

    ListMetricsHandler(MetricStore store) {
        this.store = store;
    }

    @Override
    public Map<String, Object> handle(Map<String, Object> input) {
        Predicate<MetricStore.Metric> filter = filter(input);
        String afterKey = decodeToken(Inputs.string(input, "NextToken", "NextToken", 1, 4096));
        List<Map.Entry<String, MetricStore.Metric>> page = store.page(afterKey, PAGE_SIZE + 1, filter);
        List<Object> metrics = new ArrayList<>();
        for (int i = 0; i < Math.min(PAGE_SIZE, page.size()); i++) {
            metrics.add(describe(page.get(i).getValue().id()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("Metrics", metrics);
        if (page.size() > PAGE_SIZE) {
            out.put("NextToken", Base64.getUrlEncoder().withoutPadding().encodeToString(
                    page.get(PAGE_SIZE - 1).getKey().getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private Predicate<MetricStore.Metric> filter(Map<String, Object> input) {
        String namespace = Inputs.string(input, "Namespace", "Namespace", 1, 255);
        String name = Inputs.string(input, "MetricName", "MetricName", 1, 255);
        List<?> rawFilters = Inputs.list(input, "Dimensions", "Dimensions");
        if (rawFilters.size() > MAX_DIMENSION_FILTERS) {
            throw CloudWatchException.invalidValue("The collection Dimensions must not have a size greater than "
                    + MAX_DIMENSION_FILTERS + ".");
        }
        List<String[]> dimensionFilters = new ArrayList<>();
        for (int i = 0; i < rawFilters.size(); i++) {
            String path = "Dimensions.member." + (i + 1);
            Map<String, Object> f = Inputs.struct(rawFilters.get(i), path);
            dimensionFilters.add(new String[] {Inputs.requiredString(f, "Name", path + ".Name", 1, 255),
                    Inputs.string(f, "Value", path + ".Value", 1, 1024)});
        }
        String recentlyActive = Inputs.string(input, "RecentlyActive", "RecentlyActive", 1, 16);
        if (recentlyActive != null && !recentlyActive.equals("PT3H")) {
            throw CloudWatchException.invalidValue("The value " + recentlyActive
                    + " for parameter RecentlyActive is invalid. The only valid value is PT3H.");
        }
        long activeSinceMs = recentlyActive == null ? Long.MIN_VALUE : store.nowMs() - RECENT_MS;
        return m -> (namespace == null || namespace.equals(m.id().namespace()))
                && (name == null || name.equals(m.id().name()))
                && m.lastReceivedMs() >= activeSinceMs
                && dimensionFilters.stream().allMatch(f -> hasDimension(m.id(), f[0], f[1]));
    }

    private static boolean hasDimension(MetricStore.MetricId id, String name, String value) {
        for (MetricStore.Dimension d : id.dimensions()) {
            if (d.name().equals(name) && (value == null || d.value().equals(value))) {
                return true;
            }
        }
        return false;
    }

    private static String decodeToken(String token) {
        if (token == null) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw CloudWatchException.invalidNextToken();
        }
    }

    private static Map<String, Object> describe(MetricStore.MetricId id) {
        Map<String, Object> metric = new LinkedHashMap<>();
        metric.put("Namespace", id.namespace());
        metric.put("MetricName", id.name());
        List<Object> dimensions = new ArrayList<>();
        for (MetricStore.Dimension d : id.dimensions()) {
            Map<String, Object> dimension = new LinkedHashMap<>();
            dimension.put("Name", d.name());
            dimension.put("Value", d.value());
            dimensions.add(dimension);
        }
        metric.put("Dimensions", dimensions);
        return metric;
    }
}
