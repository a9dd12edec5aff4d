package dev.millrace.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code AWS/Kinesis} metrics as Prometheus sees them at a scrape: every metric of {@link KinesisMetric} with a
 * series per account, region, stream and, at the consumer, shard and channel levels, consumer, shard or channel
 * (labels {@code account}, {@code region}, {@code stream}, {@code consumer}, {@code shard}, {@code channel} and
 * {@code channel_id}), and the {@code AWS/Lambda} metrics of event source mappings with a series per mapping (labels
 * {@code account}, {@code region}, {@code function}, {@code mapping_uuid}). Totals are all-time on this node:
 * published minutes and the minutes being recorded.
 *
 * <p>Thread-safe: reads the series under their own locks.
 */
final class KinesisCollector implements MultiCollector {
    private final KinesisMetrics metrics;

    KinesisCollector(KinesisMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public MetricSnapshots collect() {
        Map<KinesisMetric, List<Object>> points = new EnumMap<>(KinesisMetric.class);
        for (AccountMetrics account : metrics.accounts()) {
            for (StreamMeter meter : account.streams()) {
                meter.forEachSeries((level, series) -> {
                    Labels labels = labels(account, meter, level, series);
                    for (KinesisMetric m : KinesisMetric.of(level)) {
                        Object point = point(m, series.totals(m), labels);
                        if (point != null) {
                            points.computeIfAbsent(m, k -> new ArrayList<>()).add(point);
                        }
                    }
                });
            }
            for (MappingMeter meter : account.mappings()) {
                Labels labels = Labels.of("account", account.accountId(), "region", account.region(), "function",
                        meter.functionName(), "mapping_uuid", meter.uuid());
                for (KinesisMetric m : KinesisMetric.of(KinesisMetric.Level.MAPPING)) {
                    Object point = point(m, meter.series().totals(m), labels);
                    if (point != null) {
                        points.computeIfAbsent(m, k -> new ArrayList<>()).add(point);
                    }
                }
            }
        }
        List<MetricSnapshot> snapshots = new ArrayList<>(points.size());
        points.forEach((m, list) -> snapshots.add(snapshot(m, list)));
        return new MetricSnapshots(snapshots);
    }

    private static Labels labels(AccountMetrics account, StreamMeter meter, KinesisMetric.Level level,
                                 Series series) {
        return switch (level) {
            case STREAM -> Labels.of("account", account.accountId(), "region", account.region(), "stream",
                    meter.streamName());
            case CONSUMER -> Labels.of("account", account.accountId(), "region", account.region(), "stream",
                    meter.streamName(), "consumer", series.dimensions.get("ConsumerName"));
            case SHARD -> Labels.of("account", account.accountId(), "region", account.region(), "stream",
                    meter.streamName(), "shard", series.dimensions.get("ShardId"));
            case CHANNEL -> Labels.of("account", account.accountId(), "region", account.region(), "stream",
                    meter.streamName(), "channel", series.dimensions.get("ChannelName"), "channel_id",
                    series.dimensions.get("ChannelId"));
            case MAPPING -> throw new IllegalArgumentException("a mapping's series is not a stream's");
        };
    }

    /** One series' data point of {@code m}, or null when it has none yet. */
    private static Object point(KinesisMetric m, Series.Totals totals, Labels labels) {
        return switch (m.kind()) {
            case SUM -> totals.count() == 0 ? null : CounterSnapshot.CounterDataPointSnapshot.builder()
                    .value(totals.sum()).labels(labels).build();
            case LATENCY, SAMPLES -> totals.count() == 0 ? null : SummarySnapshot.SummaryDataPointSnapshot
                    .builder().count(totals.count()).sum(totals.sum() / m.recordedPerUnit()).labels(labels).build();
            case AGE -> totals.last() == Long.MIN_VALUE ? null : GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .value(totals.last() / m.recordedPerUnit()).labels(labels).build();
        };
    }

    private static MetricSnapshot snapshot(KinesisMetric m, List<Object> points) {
        String help = m.help() + " " + m.namespace() + " " + m.awsName() + ".";
        switch (m.kind()) {
            case SUM -> {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(m.prometheusName()).help(help);
                points.forEach(p -> b.dataPoint((CounterSnapshot.CounterDataPointSnapshot) p));
                return b.build();
            }
            case LATENCY, SAMPLES -> {
                SummarySnapshot.Builder b = SummarySnapshot.builder().name(m.prometheusName()).help(help);
                points.forEach(p -> b.dataPoint((SummarySnapshot.SummaryDataPointSnapshot) p));
                return b.build();
            }
            default -> {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(m.prometheusName()).help(help);
                points.forEach(p -> b.dataPoint((GaugeSnapshot.GaugeDataPointSnapshot) p));
                return b.build();
            }
        }
    }
}
