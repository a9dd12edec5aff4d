package dev.millrace.loadgen;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders {@link BenchReport#toMap()} for people: one line per measurement, units spelled out.
 *
 * <p>Thread-safe: stateless.
 */
final class TextReport {
    private TextReport() {
    }

    @SuppressWarnings("unchecked")
    static String render(Map<String, Object> report) {
        Map<String, Object> s = (Map<String, Object>) report.get("settings");
        Map<String, Object> put = (Map<String, Object>) report.get("put");
        StringBuilder out = new StringBuilder();
        line(out, "millrace bench: %s of %s × %s B records to %s stream(s), %s shards in all; %s, concurrency %s; "
                        + "%s over HTTP/%s; %s",
                s.get("operation"), s.get("batchSize"), s.get("recordBytes"), s.get("streams"), report.get("shards"),
                s.get("rateRequestsPerS") == null ? "back to back" : "open loop at " + s.get("rateRequestsPerS")
                        + " requests/s", s.get("concurrency"), upper(s.get("protocol")), s.get("http"),
                s.get("endpoint"));
        line(out, "measured %s s after %s s of warm-up", put.get("windowS"), s.get("warmupS"));
        line(out, "put        %s records acknowledged in %s requests: %s records/s, %s MB/s; %s records failed",
                put.get("recordsAcknowledged"), put.get("requests"), put.get("recordsPerS"), put.get("mbPerS"),
                put.get("recordsFailed"));
        line(out, "latency    %s%s %s", s.get("operation"), "lean".equals(s.get("putClient")) ? " (lean client)" : "",
                latency((Map<String, Object>) put.get("requestLatencyMs")));
        Map<String, Object> shed = (Map<String, Object>) put.get("shedLatencyMs");
        Map<String, Object> failed = (Map<String, Object>) put.get("failedLatencyMs");
        if (((Number) shed.get("count")).longValue() > 0 || ((Number) failed.get("count")).longValue() > 0) {
            line(out, "  served   %s", latency((Map<String, Object>) put.get("servedLatencyMs")));
            line(out, "  shed     %s; share shed %s", latency(shed), put.get("shedShare"));
            line(out, "  failed   %s", latency(failed));
            line(out, "  from the actual send: served %s; shed %s",
                    latency((Map<String, Object>) put.get("servedFromSendMs")),
                    latency((Map<String, Object>) put.get("shedFromSendMs")));
        }
        Map<String, Object> recovery = (Map<String, Object>) put.get("recovery");
        if (recovery != null) {
            line(out, "recovery   at %s requests/s for %s s: %s served (%s slower than %s ms), %s shed, %s failed; "
                            + "%s; %s", recovery.get("rateRequestsPerS"), recovery.get("durationS"),
                    recovery.get("served"), recovery.get("servedSlowerThanRecovered"),
                    recovery.get("recoveredLatencyMs"), recovery.get("shed"), recovery.get("failed"),
                    latency((Map<String, Object>) recovery.get("latencyMs")),
                    Boolean.TRUE.equals(recovery.get("recovered"))
                            ? "recovered " + recovery.get("recoveryMs") + " ms after the load dropped"
                            : "NOT recovered by the end");
        }
        if (put.containsKey("sendLagMs")) {
            line(out, "send lag   %s; most requests behind schedule: %s",
                    latency((Map<String, Object>) put.get("sendLagMs")), put.get("maxBacklogRequests"));
        }
        Map<String, Object> reads = (Map<String, Object>) report.get("reads");
        reads.forEach((kind, value) -> readLine(out, kind, (Map<String, Object>) value));
        counts(out, "errors", (Map<String, Object>) report.get("errors"));
        counts(out, "throttles", (Map<String, Object>) report.get("throttles"));
        ((Map<String, Object>) report.get("errorMessages")).forEach((k, v) -> line(out, "           %s: %s", k, v));
        Map<String, Object> throttling = (Map<String, Object>) report.get("throttling");
        if (throttling != null) {
            line(out, "throttled  %s", throttling.get("why"));
            line(out, "what to do %s", throttling.get("whatToDo"));
        }
        Map<String, Object> server = (Map<String, Object>) report.get("server");
        if (server != null) {
            line(out, "server     pid %s: %s CPU-s (%s cores) = %s CPU-s per 1,000 records%s; peak RSS %s MiB "
                            + "(VmHWM, since the server started)",
                    server.get("pid"), server.get("cpuS"), server.get("cores"), server.get("cpuSPer1000Records"),
                    phases(server), mib(server.get("peakRssKib")));
        }
        Map<String, Object> gen = (Map<String, Object>) report.get("generator");
        line(out, "generator  %s CPU-s (%s cores) = %s CPU-s per 1,000 records%s%s", gen.get("cpuS"), gen.get("cores"),
                gen.get("cpuSPer1000Records"), phases(gen), gen.get("jitCompilerCpuS") == null ? ""
                        : "; of which the JIT compiler " + gen.get("jitCompilerCpuS") + " CPU-s");
        ((List<Object>) report.get("notes")).forEach(n -> line(out, "note       %s", n));
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static void readLine(StringBuilder out, String kind, Map<String, Object> r) {
        String latency = r.get("putToReadMs") == null ? ""
                : "; put-to-read " + latency((Map<String, Object>) r.get("putToReadMs"));
        line(out, "read       %s (%s): %s of %s records in %s calls/events: %s records/s, %s MB/s%s%s", kind,
                r.containsKey("getRecordsClient") ? r.get("mode") + "; " + r.get("getRecordsClient") + " client"
                        : r.get("mode"), r.get("records"), r.get("recordsExpected"), r.get("calls"),
                r.get("recordsPerS"), r.get("mbPerS"), latency, ((Number) r.get("missingRecords")).longValue() > 0
                        ? "; MISSING " + r.get("missingRecords") : "");
    }

    private static String latency(Map<String, Object> l) {
        return String.format(Locale.ROOT, "p50 %s ms, p99 %s ms, p99.9 %s ms, max %s ms (%s samples)", l.get("p50"),
                l.get("p99"), l.get("p999"), l.get("max"), l.get("count"));
    }

    private static String phases(Map<String, Object> cpu) {
        if (!cpu.containsKey("putPhaseCpuS")) {
            return "";
        }
        return String.format(Locale.ROOT, " (puts %s CPU-s per 1,000 records put, backlog read %s per 1,000 read)",
                cpu.get("putPhaseCpuSPer1000Records"), cpu.get("readPhaseCpuSPer1000RecordsRead"));
    }

    private static void counts(StringBuilder out, String label, Map<String, Object> counts) {
        line(out, "%-10s %s", label, counts.isEmpty() ? "none" : counts.toString());
    }

    private static String mib(Object kib) {
        return kib == null ? "?" : String.format(Locale.ROOT, "%.1f", ((Number) kib).longValue() / 1024.0);
    }

    private static String upper(Object o) {
        return String.valueOf(o).toUpperCase(Locale.ROOT);
    }

    private static void line(StringBuilder out, String format, Object... args) {
        out.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
