package dev.millrace.loadgen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Why a run was throttled and what to do about it, for the report: a run against an endpoint that enforces Kinesis's
 * per-shard limits (AWS; Millrace by default) measures those limits rather than the endpoint, and its report should
 * say so instead of leaving a low records/s figure to be read as the server's speed.
 *
 * <p>Thread-safe: stateless.
 */
final class Throttling {
    static final String PROVISIONED = "ProvisionedThroughputExceededException";
    /** Kinesis's write limits per shard (records/s, MiB/s); reads are 5 calls/s and 2 MiB/s per shard. */
    static final int WRITE_RECORDS_PER_S_PER_SHARD = 1_000;
    static final int WRITE_MIB_PER_S_PER_SHARD = 1;

    private Throttling() {
    }

    /**
     * {@code why} and {@code whatToDo} for the throttles of a run ({@code Operation:ErrorCode} counts, as
     * {@link ErrorCounts#throttles()}), or {@code null} when nothing was throttled.
     *
     * @param shards      the open shards the run put to
     * @param awsEndpoint whether the run went to AWS itself (whose limits cannot be switched off)
     */
    static Map<String, Object> explain(Map<String, Long> throttles, int shards, boolean awsEndpoint) {
        if (throttles.isEmpty()) {
            return null;
        }
        List<String> provisioned = new ArrayList<>();
        List<String> others = new ArrayList<>();
        long provisionedTotal = 0;
        for (Map.Entry<String, Long> e : throttles.entrySet()) {
            String[] opAndCode = e.getKey().split(":", 2);
            String operation = opAndCode[0];
            String code = opAndCode.length > 1 ? opAndCode[1] : "?";
            if (code.equals(PROVISIONED)) {
                provisionedTotal += e.getValue();
                // A PutRecords answer fails entries one by one; every other operation fails the whole call.
                provisioned.add(operation + " " + count(e.getValue())
                        + (operation.startsWith("PutRecord") ? " records" : " calls"));
            } else {
                others.add(operation + " " + count(e.getValue()) + " (" + code + ")");
            }
        }
        List<String> why = new ArrayList<>();
        if (!provisioned.isEmpty()) {
            why.add(PROVISIONED + " " + count(provisionedTotal) + " times (" + String.join(", ", provisioned)
                    + "): the endpoint enforces Kinesis's per-shard limits (writes "
                    + count(WRITE_RECORDS_PER_S_PER_SHARD) + " records/s and " + WRITE_MIB_PER_S_PER_SHARD
                    + " MiB/s, reads 5 calls/s and 2 MiB/s, per shard), so " + shards + " shard(s) take at most "
                    + count((long) shards * WRITE_RECORDS_PER_S_PER_SHARD) + " records/s: this run measured those "
                    + "limits, not how fast the endpoint is");
        }
        if (!others.isEmpty()) {
            why.add("throttled " + String.join(", ", others) + ": the endpoint limits how often these calls may be "
                    + "made");
        }
        String whatToDo = awsEndpoint
                ? "put to more shards (--shards N: one per " + count(WRITE_RECORDS_PER_S_PER_SHARD)
                        + " records/s or " + WRITE_MIB_PER_S_PER_SHARD + " MiB/s you want to put), or send less "
                        + "(--rate)"
                : "to measure the server, start it with --throughput-limits off (Millrace enforces AWS's limits by "
                        + "default), or put to more shards (--shards N: one per "
                        + count(WRITE_RECORDS_PER_S_PER_SHARD) + " records/s or " + WRITE_MIB_PER_S_PER_SHARD
                        + " MiB/s you want to put)";
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("why", String.join("; ", why));
        out.put("whatToDo", whatToDo);
        return out;
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
