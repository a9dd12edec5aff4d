package dev.millrace.loadgen;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What one {@code millrace bench} run does, checked as a whole by {@link #validate()} (the rules that span options
 * live here rather than in picocli, so that they can be tested without a command line).
 *
 * @param endpoint        the Kinesis endpoint; {@code null} for AWS's own endpoint of {@code region}
 * @param records         measured records to put (a multiple of {@code batchSize}), or empty to run for
 *                        {@code durationS}
 * @param rate            requests per second for an open-loop run, or empty for back-to-back requests
 * @param recovery        after an open-loop run's measured part, a second part at a lower rate that measures how
 *                        soon the endpoint recovers from the first; or empty
 * @param serverPid       the server's process id, for its CPU time and peak RSS, or empty
 *
 * <p>Immutable.
 */
public record BenchSettings(
        URI endpoint,
        String region,
        boolean defaultCredentials,
        int streams,
        String streamPrefix,
        int shards,
        boolean keepStreams,
        int recordBytes,
        RecordPayload payload,
        int batchSize,
        int partitionKeys,
        int concurrency,
        int senderThreads,
        long durationS,
        OptionalLong records,
        long warmupS,
        OptionalDouble rate,
        Optional<Recovery> recovery,
        Readers readers,
        boolean readBacklog,
        int getRecordsLimit,
        long pollIdleMs,
        long drainTimeoutS,
        WireProtocol protocol,
        HttpVersion http,
        ReadClient readClient,
        PutClient putClient,
        int eventLoopThreads,
        OptionalLong serverPid,
        boolean json) {

    /** Kinesis's PutRecords limits: 500 entries, 10 MiB per request. */
    static final int MAX_BATCH = 500;
    static final long MAX_REQUEST_BYTES = 10L * 1024 * 1024;
    /** Kinesis's largest record (1 MiB by default; streams may raise it to 10 MiB). */
    static final int MAX_RECORD_BYTES = 10 * 1024 * 1024;

    /**
     * The load drops to {@code requestsPerS} for {@code durationS} after the measured part: the endpoint has recovered
     * once its calls are served again within {@code recoveredLatencyMs} (a shed or failed call, or a slower one, is
     * not recovered).
     */
    public record Recovery(double requestsPerS, long durationS, long recoveredLatencyMs) {
    }

    /** Which readers run alongside the producer. */
    public enum Readers {
        POLLING, FANOUT, BOTH, NONE;

        boolean polling() {
            return this == POLLING || this == BOTH;
        }

        boolean fanOut() {
            return this == FANOUT || this == BOTH;
        }
    }

    /** The body format: CBOR is the Java SDK's default; kinesalite needs JSON (its CBOR answers break the SDK). */
    public enum WireProtocol { CBOR, JSON }

    /**
     * What the polling readers call GetRecords with: the generator's own lean HTTP/1.1 client (the default, so that
     * the generator is not what limits a read-throughput run) or the SDK's client, as a Kinesis application would.
     */
    public enum ReadClient { LEAN, SDK }

    /**
     * What PutRecord and PutRecords are sent with: the SDK's client (the default: what a producer application runs)
     * or the generator's lean HTTP/1.1 client, which leaves the server's own latency in the measurement and, on a
     * machine the server shares, leaves the cores to the server (the SDK spends about as much CPU on a PutRecords of
     * 500 records of 100 B as the server spends storing them). Both count failed entries by their ErrorCode.
     */
    public enum PutClient { SDK, LEAN }

    /** The HTTP version for puts and GetRecords (SubscribeToShard is always HTTP/2). */
    public enum HttpVersion {
        HTTP_1_1("1.1"), HTTP_2("2");

        private final String label;

        HttpVersion(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static HttpVersion parse(String label) {
            for (HttpVersion v : values()) {
                if (v.label.equals(label) || v.label.equals(label.replaceFirst("(?i)^http/", ""))) {
                    return v;
                }
            }
            throw new IllegalArgumentException("expected 1.1 or 2, was '" + label + "'");
        }
    }

    /** PutRecord (one record per call) when the batch size is 1, PutRecords otherwise. */
    public boolean singleRecordPuts() {
        return batchSize == 1;
    }

    public boolean openLoop() {
        return rate.isPresent();
    }

    /** Every rule an option breaks, each naming its option; empty when the settings can run. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        check(problems, streams >= 1, "--streams must be at least 1");
        check(problems, shards >= 1 && shards <= 10_000, "--shards must be 1..10000");
        check(problems, streamPrefix.matches("[a-zA-Z0-9_.-]{1,100}"),
                "--stream-prefix must be 1..100 characters of [a-zA-Z0-9_.-]");
        check(problems, recordBytes >= payload.minBytes() && recordBytes <= MAX_RECORD_BYTES,
                "--record-bytes must be " + payload.minBytes() + ".." + MAX_RECORD_BYTES + " (each "
                        + payload.name().toLowerCase(java.util.Locale.ROOT)
                        + " record carries its run id and send time)");
        check(problems, batchSize >= 1 && batchSize <= MAX_BATCH, "--batch-size must be 1..500");
        check(problems, (long) batchSize * recordBytes <= MAX_REQUEST_BYTES,
                "--batch-size × --record-bytes must be at most 10 MiB (Kinesis's PutRecords limit)");
        check(problems, partitionKeys >= 1 && partitionKeys <= 1_000_000, "--partition-keys must be 1..1000000");
        check(problems, concurrency >= 1 && concurrency <= 10_000, "--concurrency must be 1..10000");
        check(problems, senderThreads >= 1 && senderThreads <= concurrency,
                "--sender-threads must be 1..--concurrency");
        check(problems, durationS >= 1, "--duration-s must be at least 1");
        records.ifPresent(n -> {
            check(problems, n >= 1, "--records must be at least 1");
            check(problems, n % batchSize == 0, "--records must be a multiple of --batch-size (" + batchSize + ")");
        });
        check(problems, warmupS >= 0, "--warmup-s must not be negative");
        rate.ifPresent(r -> check(problems, r > 0 && r <= 1_000_000, "--rate must be in (0, 1000000] requests/s"));
        recovery.ifPresent(r -> {
            check(problems, rate.isPresent() && records.isEmpty(),
                    "--recovery-rate needs an open-loop run of a duration: --rate and --duration-s");
            check(problems, r.requestsPerS() > 0 && r.requestsPerS() <= 1_000_000,
                    "--recovery-rate must be in (0, 1000000] requests/s");
            check(problems, r.durationS() >= 1, "--recovery-s must be at least 1");
            check(problems, r.recoveredLatencyMs() >= 1, "--recovered-latency-ms must be at least 1");
        });
        check(problems, !readBacklog || readers != Readers.NONE, "--read-backlog needs --readers");
        check(problems, getRecordsLimit >= 1 && getRecordsLimit <= 10_000, "--get-records-limit must be 1..10000");
        check(problems, pollIdleMs >= 0, "--poll-idle-ms must not be negative");
        check(problems, drainTimeoutS >= 1, "--drain-timeout-s must be at least 1");
        check(problems, readClient != ReadClient.LEAN || !readers.polling() || http == HttpVersion.HTTP_1_1,
                "--read-client lean speaks HTTP/1.1 only: add --read-client sdk to read with --http 2");
        check(problems, putClient != PutClient.LEAN || http == HttpVersion.HTTP_1_1,
                "--put-client lean speaks HTTP/1.1 only");
        check(problems, eventLoopThreads >= 0, "--event-loop-threads must not be negative (0: the SDK's default)");
        serverPid.ifPresent(pid -> check(problems, pid > 0, "--server-pid must be a process id"));
        check(problems, endpoint == null || "http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()),
                "--endpoint must be an http:// or https:// URL, or 'aws'");
        return problems;
    }

    /** Throws {@link IllegalArgumentException} listing every {@link #problems()} if there are any. */
    public BenchSettings validate() {
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return this;
    }

    private static void check(List<String> problems, boolean ok, String problem) {
        if (!ok) {
            problems.add(problem);
        }
    }
}
