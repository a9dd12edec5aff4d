package dev.millrace.metrics;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Everything {@code GET /metrics} shows, in the Prometheus text format (version 0.0.4): the {@code AWS/Kinesis}
 * metrics ({@link KinesisCollector}), the JVM's and the process's (the Prometheus Java client's standard set:
 * {@code jvm_*}, {@code process_*}), and the storage's: {@code millrace_storage_fsync_seconds} (a histogram of the
 * embedded engine's log fsyncs), {@code millrace_storage_open_files} and {@code millrace_storage_stream_disk_bytes}.
 * Each exposition has a registry of its own, so servers in one JVM (tests) do not see each other's metrics.
 *
 * <p>Thread-safe.
 */
public final class PrometheusExposition {
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
    /** From a page-cache hit on a fast SSD to a disk that has stalled. */
    private static final double[] FSYNC_BUCKETS_SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
            0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Histogram fsyncs;

    public PrometheusExposition(KinesisMetrics kinesis, StorageGauges storage) {
        registry.register(new KinesisCollector(kinesis));
        registry.register(storageCollector(storage));
        fsyncs = Histogram.builder().name("millrace_storage_fsync_seconds")
                .help("Time the embedded engine's fsyncs of shard logs took.")
                .classicOnly().classicUpperBounds(FSYNC_BUCKETS_SECONDS).register(registry);
        JvmMetrics.builder().register(registry);
    }

    /** What the storage engine calls with each fsync's duration in nanoseconds. */
    public LongConsumer fsyncNanos() {
        return nanos -> fsyncs.observe(nanos / 1e9);
    }

    /** The whole exposition, now. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    private static MultiCollector storageCollector(StorageGauges storage) {
        return () -> {
            List<MetricSnapshot> snapshots = new ArrayList<>(2);
            long openFiles = storage.openFiles();
            if (openFiles >= 0) {
                snapshots.add(GaugeSnapshot.builder().name("millrace_storage_open_files")
                        .help("File channels the embedded log engine holds open (bounded by its LRU).")
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(openFiles).build())
                        .build());
            }
            GaugeSnapshot.Builder disk = GaugeSnapshot.builder().name("millrace_storage_stream_disk_bytes")
                    .help("Bytes the files of a stream's shards take on this node's disk.");
            boolean[] any = {false};
            storage.diskBytesPerStream((accountId, region, stream, bytes) -> {
                any[0] = true;
                disk.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(bytes)
                        .labels(Labels.of("account", accountId, "region", region, "stream", stream)).build());
            });
            if (any[0]) {
                snapshots.add(disk.build());
            }
            return new MetricSnapshots(snapshots);
        };
    }
}
