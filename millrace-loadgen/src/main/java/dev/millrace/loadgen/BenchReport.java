package dev.millrace.loadgen;

import dev.millrace.loadgen.LatencyHistogram.LatencySummary;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The result of a run, as text for people and as JSON ({@code --json}) for scripts. Both come from
 * {@link #toMap()}, so they cannot disagree.
 *
 * <p>Definitions. The measurement window starts when the warm-up ends. Put throughput counts acknowledged records
 * (failed entries of PutRecords excluded) over the window up to the last measured response. Read throughput counts
 * this run's measured records over the window up to the last one read (a backlog read: every record of the run,
 * from when the readers started). MB = 10^6 bytes of record data; partition keys and framing are not counted.
 * CPU-seconds per 1,000 records divide the CPU time used from the start of the window until the last record was
 * read (or, without readers, answered) by the records put in the window. A throttled run says why and what to do
 * ({@link Throttling}): its figures are the endpoint's limits, not its speed.
 *
 * <p>Immutable once built.
 */
final class BenchReport {
    /**
     * What {@link BenchRun} measured.
     *
     * <p>Immutable, apart from the counters inside {@code producer} and the read stats, which no longer change.
     */
    record Measurement(BenchSettings settings, long runId, List<String> streamNames, int totalShards,
                       boolean backlog, long measureStartNanos, long putEndNanos, long readStartNanos,
                       Producer producer, ReadStats polling, ReadStats fanOut,
                       CpuSample atMeasureStart, CpuSample atPutEnd, CpuSample atEnd,
                       Long serverPeakRssKib, Long serverRssKib, ErrorCounts errors, List<String> notes) {
    }

    private final Measurement m;
    private final Map<String, Object> map;

    BenchReport(Measurement m) {
        this.m = m;
        this.map = build();
    }

    Map<String, Object> toMap() {
        return map;
    }

    String toJson() {
        return Json.write(map);
    }

    long totalErrors() {
        return m.errors().totalErrors();
    }

    private Map<String, Object> build() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("settings", settings());
        out.put("streams", m.streamNames());
        out.put("shards", m.totalShards());
        out.put("put", put());
        Map<String, Object> reads = new LinkedHashMap<>();
        if (m.polling() != null) {
            Map<String, Object> polling = read(m.polling());
            polling.put("getRecordsClient", m.settings().readClient().name().toLowerCase(Locale.ROOT));
            reads.put("polling", polling);
        }
        if (m.fanOut() != null) {
            reads.put("fanOut", read(m.fanOut()));
        }
        out.put("reads", reads);
        out.put("errors", m.errors().errors());
        out.put("throttles", m.errors().throttles());
        out.put("errorMessages", m.errors().firstMessages());
        out.put("throttling", Throttling.explain(m.errors().throttles(), m.totalShards(),
                m.settings().endpoint() == null));
        out.put("generator", generator());
        out.put("server", server());
        out.put("notes", m.notes());
        return out;
    }

    private Map<String, Object> settings() {
        BenchSettings s = m.settings();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("endpoint", s.endpoint() == null ? "aws" : s.endpoint().toString());
        out.put("region", s.region());
        out.put("operation", s.singleRecordPuts() ? "PutRecord" : "PutRecords");
        out.put("streams", s.streams());
        out.put("shardsPerStream", s.shards());
        out.put("recordBytes", s.recordBytes());
        out.put("payload", s.payload().name().toLowerCase(java.util.Locale.ROOT));
        out.put("batchSize", s.batchSize());
        out.put("partitionKeys", s.partitionKeys());
        out.put("concurrency", s.concurrency());
        out.put("senderThreads", s.senderThreads());
        out.put("load", s.openLoop() ? "open loop" : "closed loop");
        out.put("rateRequestsPerS", s.rate().isPresent() ? s.rate().getAsDouble() : null);
        out.put("durationS", s.records().isPresent() ? null : s.durationS());
        out.put("records", s.records().isPresent() ? s.records().getAsLong() : null);
        out.put("warmupS", s.warmupS());
        out.put("readers", s.readers().name().toLowerCase(Locale.ROOT));
        out.put("readBacklog", s.readBacklog());
        out.put("getRecordsLimit", s.getRecordsLimit());
        out.put("pollIdleMs", s.pollIdleMs());
        out.put("protocol", s.protocol().name().toLowerCase(Locale.ROOT));
        out.put("http", s.http().label());
        out.put("readClient", s.readClient().name().toLowerCase(Locale.ROOT));
        out.put("putClient", s.putClient().name().toLowerCase(Locale.ROOT));
        out.put("runId", Long.toHexString(m.runId()));
        return out;
    }

    private Map<String, Object> put() {
        Producer p = m.producer();
        long acked = p.recordsAckedMeasured.sum();
        double windowS = seconds(m.putEndNanos() - m.measureStartNanos());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("requests", p.requestsMeasured.sum());
        out.put("recordsAttempted", p.recordsAttemptedMeasured.sum());
        out.put("recordsAcknowledged", acked);
        out.put("recordsFailed", p.recordsFailedMeasured.sum());
        out.put("windowS", round(windowS, 3));
        out.put("recordsPerS", rate(acked, windowS));
        out.put("mbPerS", mb(rate(p.bytesAckedMeasured.sum(), windowS)));
        out.put("requestsPerS", rate(p.requestsMeasured.sum(), windowS));
        out.put("requestLatencyMs", latency(p.requestLatency.summary()));
        // An overloaded endpoint answers some calls at once with 503 and serves the rest: the two latencies tell
        // different stories, so they are kept apart as well.
        out.put("servedLatencyMs", latency(p.servedLatency.summary()));
        out.put("shedLatencyMs", latency(p.shedLatency.summary()));
        out.put("failedLatencyMs", latency(p.failedLatency.summary()));
        out.put("servedFromSendMs", latency(p.servedFromSend.summary()));
        out.put("shedFromSendMs", latency(p.shedFromSend.summary()));
        long requests = p.requestsMeasured.sum();
        out.put("shedShare", requests > 0 ? round((double) p.shedLatency.count() / requests, 4) : null);
        m.settings().recovery().ifPresent(r -> out.put("recovery", recovery(p, r)));
        if (m.settings().openLoop()) {
            out.put("sendLagMs", latency(p.sendLag.summary()));
            out.put("maxBacklogRequests", p.maxBacklogRequests.get());
        }
        return out;
    }

    private static Map<String, Object> recovery(Producer p, BenchSettings.Recovery r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rateRequestsPerS", r.requestsPerS());
        out.put("durationS", r.durationS());
        out.put("recoveredLatencyMs", r.recoveredLatencyMs());
        out.put("overloadRequestsUnsentAtDrop", p.unsentAtDrop.sum());
        out.put("served", p.recoveryServed.sum());
        out.put("servedSlowerThanRecovered", p.recoverySlow.sum());
        out.put("shed", p.recoveryShed.sum());
        out.put("failed", p.recoveryFailed.sum());
        out.put("latencyMs", latency(p.recoveryLatency.summary()));
        long recoveryNanos = p.recoveryNanos();
        // A last unrecovered call in the final second says the endpoint had not recovered when the run ended.
        boolean recovered = recoveryNanos < TimeUnit.SECONDS.toNanos(r.durationS() - 1);
        out.put("recovered", recovered);
        out.put("recoveryMs", ms(recoveryNanos));
        return out;
    }

    private Map<String, Object> read(ReadStats stats) {
        long records = m.backlog() ? stats.recordsAll.sum() : stats.recordsMeasured.sum();
        long bytes = m.backlog() ? stats.bytesAll.sum() : stats.bytesMeasured.sum();
        long last = m.backlog() ? stats.lastReadNanos.get() : stats.lastMeasuredReadNanos.get();
        long from = m.backlog() ? m.readStartNanos() : m.measureStartNanos();
        double windowS = records == 0 ? 0 : seconds(last - from);
        long expected = m.backlog() ? m.producer().recordsAckedAll.sum() : m.producer().recordsAckedMeasured.sum();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", m.backlog() ? "backlog from TRIM_HORIZON after the puts" : "following the stream from LATEST");
        out.put("records", records);
        out.put("recordsExpected", expected);
        out.put("missingRecords", Math.max(0, expected - records));
        out.put("bytes", bytes);
        out.put("windowS", round(windowS, 3));
        out.put("recordsPerS", rate(records, windowS));
        out.put("mbPerS", mb(rate(bytes, windowS)));
        out.put("calls", stats.calls.sum());
        out.put("foreignRecords", stats.foreignRecords.sum());
        out.put("putToReadMs", stats.latencies() ? latency(stats.putToRead.summary()) : null);
        return out;
    }

    private interface CpuOf {
        long nanos(CpuSample sample);
    }

    private Map<String, Object> cpu(CpuOf of) {
        long records = m.producer().recordsAckedMeasured.sum();
        double totalS = seconds(of.nanos(m.atEnd()) - of.nanos(m.atMeasureStart()));
        double wallS = seconds(m.atEnd().wallNanos() - m.atMeasureStart().wallNanos());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cpuS", round(totalS, 3));
        out.put("wallS", round(wallS, 3));
        out.put("cores", wallS > 0 ? round(totalS / wallS, 3) : null);
        out.put("cpuSPer1000Records", per1000(totalS, records));
        if (m.backlog()) {
            double putS = seconds(of.nanos(m.atPutEnd()) - of.nanos(m.atMeasureStart()));
            double readS = seconds(of.nanos(m.atEnd()) - of.nanos(m.atPutEnd()));
            long read = Math.max(m.polling() == null ? 0 : m.polling().recordsAll.sum(),
                    m.fanOut() == null ? 0 : m.fanOut().recordsAll.sum());
            out.put("putPhaseCpuS", round(putS, 3));
            out.put("putPhaseCpuSPer1000Records", per1000(putS, records));
            out.put("readPhaseCpuS", round(readS, 3));
            out.put("readPhaseCpuSPer1000RecordsRead", per1000(readS, read));
        }
        return out;
    }

    private Map<String, Object> generator() {
        Map<String, Object> out = cpu(CpuSample::generatorCpuNanos);
        if (m.atEnd().generatorJitCpuNanos() >= 0) {
            out.put("jitCompilerCpuS", round(seconds(m.atEnd().generatorJitCpuNanos()
                    - m.atMeasureStart().generatorJitCpuNanos()), 3));
        }
        return out;
    }

    private Map<String, Object> server() {
        if (m.settings().serverPid().isEmpty()) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("pid", m.settings().serverPid().getAsLong());
        out.putAll(cpu(CpuSample::serverCpuNanos));
        out.put("peakRssKib", m.serverPeakRssKib());
        out.put("peakRssNote", "VmHWM: the peak since the server process started, not since this run started");
        out.put("rssAtEndKib", m.serverRssKib());
        return out;
    }

    private static Map<String, Object> latency(LatencySummary s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", s.count());
        out.put("p50", ms(s.p50Nanos()));
        out.put("p99", ms(s.p99Nanos()));
        out.put("p999", ms(s.p999Nanos()));
        out.put("max", ms(s.maxNanos()));
        out.put("mean", ms(s.meanNanos()));
        return out;
    }

    private static double ms(long nanos) {
        return round(nanos / 1e6, 3);
    }

    private static double seconds(long nanos) {
        return Math.max(0, nanos) / 1e9;
    }

    private static Double rate(double count, double windowS) {
        return windowS > 0 ? round(count / windowS, 1) : null;
    }

    private static Double mb(Double bytesPerS) {
        return bytesPerS == null ? null : round(bytesPerS / 1e6, 3);
    }

    private static Double per1000(double cpuS, long records) {
        return records > 0 ? round(cpuS / (records / 1000.0), 5) : null;
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    /** The report for people; the same numbers as {@link #toJson()}. */
    String toText() {
        return TextReport.render(map);
    }
}
