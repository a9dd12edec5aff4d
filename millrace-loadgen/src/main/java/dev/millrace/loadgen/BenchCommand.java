package dev.millrace.loadgen;

import dev.millrace.loadgen.BenchSettings.HttpVersion;
import dev.millrace.loadgen.BenchSettings.PutClient;
import dev.millrace.loadgen.BenchSettings.ReadClient;
import dev.millrace.loadgen.BenchSettings.Readers;
import dev.millrace.loadgen.BenchSettings.WireProtocol;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/**
 * {@code millrace bench}: the options, turned into {@link BenchSettings}; a {@link BenchRun}; the report on stdout
 * (text, or JSON with {@code --json}), while progress goes to stderr. Exit status 0 when the run completed (its
 * errors, if any, are in the report), 1 when it could not be carried out, 2 for a usage error.
 *
 * <p>Not thread-safe; picocli calls {@link #call()} once.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = LoadgenMain.Version.class,
        sortOptions = false,
        description = {"Puts records into a Kinesis endpoint (Millrace, kinesalite, kinesis-mock or AWS) and reads "
                + "them back, then reports throughput, latency percentiles, errors and throttles, and CPU cost.",
                "Streams are created if missing and deleted afterwards (unless --keep-streams); only records this "
                        + "run wrote are counted. Latency is measured in this JVM: from the send time of each "
                        + "request (open loop: its intended send time) to its response, and to the moment each "
                        + "record is read back."})
final class BenchCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--endpoint", defaultValue = "http://127.0.0.1:4567", paramLabel = "URL|aws",
            description = "Kinesis endpoint; 'aws' for AWS's own endpoint of --region, with the default credential "
                    + "chain (default: ${DEFAULT-VALUE}).")
    String endpoint;

    @Option(names = "--region", defaultValue = "us-east-1", paramLabel = "REGION",
            description = "Region to sign for (default: ${DEFAULT-VALUE}).")
    String region;

    @Option(names = "--default-credentials",
            description = "Use the SDK's default credential chain also for a non-AWS endpoint (otherwise fixed dummy "
                    + "credentials: emulators do not check them).")
    boolean defaultCredentials;

    @Option(names = "--streams", defaultValue = "1", paramLabel = "N",
            description = "Streams, written round robin (default: ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--stream-prefix", defaultValue = "millrace-bench", paramLabel = "NAME",
            description = "Streams are named NAME-0, NAME-1, ... (default: ${DEFAULT-VALUE}).")
    String streamPrefix;

    @Option(names = "--shards", defaultValue = "4", paramLabel = "N",
            description = "Shards per stream when a stream is created (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = "--keep-streams", description = "Do not delete the streams this run created.")
    boolean keepStreams;

    @Option(names = "--record-bytes", defaultValue = "100", paramLabel = "BYTES",
            description = "Record size, at least 16: each record carries its run id and send time "
                    + "(default: ${DEFAULT-VALUE}).")
    int recordBytes;

    @Option(names = "--payload", defaultValue = "binary", paramLabel = "binary|json",
            description = "Record layout: binary (random bytes after a 16-byte header) or json (one JSON object "
                    + "with a date-time field ts, for channels that parse records; at least 93 bytes) "
                    + "(default: ${DEFAULT-VALUE}).")
    String payload;

    @Option(names = "--batch-size", defaultValue = "500", paramLabel = "N",
            description = "Records per request: 1 sends PutRecord, 2..500 PutRecords (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--partition-keys", defaultValue = "1024", paramLabel = "N",
            description = "Distinct partition keys, spread over the records (default: ${DEFAULT-VALUE}).")
    int partitionKeys;

    @Option(names = "--concurrency", defaultValue = "16", paramLabel = "N",
            description = "Put requests in flight at most (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--sender-threads", defaultValue = "1", paramLabel = "N",
            description = "Threads that hand requests to the SDK (default: ${DEFAULT-VALUE}).")
    int senderThreads;

    @Option(names = "--duration-s", paramLabel = "S",
            description = "Seconds of measured puts after the warm-up (default: 30 unless --records is given).")
    Long durationS;

    @Option(names = "--records", paramLabel = "N",
            description = "Measured records to put, a multiple of --batch-size, instead of --duration-s.")
    Long records;

    @Option(names = "--warmup-s", defaultValue = "10", paramLabel = "S",
            description = "Seconds of puts before the measurement, read back but not counted (default: "
                    + "${DEFAULT-VALUE}).")
    long warmupS;

    @Option(names = "--rate", paramLabel = "REQUESTS_PER_S",
            description = "Open loop: send requests at this fixed rate whatever the responses do, and measure latency "
                    + "from each request's intended send time. Without it requests go back to back (closed loop).")
    Double rate;

    @Option(names = "--recovery-rate", paramLabel = "REQUESTS_PER_S",
            description = "Open loop only: after the measured part, drop to this rate for --recovery-s and report "
                    + "how long the endpoint took to recover (every call served within --recovered-latency-ms "
                    + "from then on), e.g. after an overload at --rate.")
    Double recoveryRate;

    @Option(names = "--recovery-s", defaultValue = "20", paramLabel = "S",
            description = "Seconds at --recovery-rate (default: ${DEFAULT-VALUE}).")
    long recoveryS;

    @Option(names = "--recovered-latency-ms", defaultValue = "500", paramLabel = "MS",
            description = "A call at --recovery-rate answered slower than this, or shed, or failed, counts as not yet "
                    + "recovered (default: ${DEFAULT-VALUE}).")
    long recoveredLatencyMs;

    @Option(names = "--readers", defaultValue = "polling", paramLabel = "polling|fanout|both|none",
            description = "Read the records back with GetRecords (one reader per shard), with enhanced fan-out "
                    + "(SubscribeToShard over HTTP/2, one consumer per stream), both, or not at all "
                    + "(default: ${DEFAULT-VALUE}).")
    Readers readers;

    @Option(names = "--read-backlog",
            description = "Start the readers after the puts, at TRIM_HORIZON: measures read throughput on a backlog "
                    + "(no put-to-read latency).")
    boolean readBacklog;

    @Option(names = "--get-records-limit", defaultValue = "10000", paramLabel = "N",
            description = "Limit of each GetRecords call (default: ${DEFAULT-VALUE}).")
    int getRecordsLimit;

    @Option(names = "--poll-idle-ms", defaultValue = "200", paramLabel = "MS",
            description = "Pause of a polling reader after an empty GetRecords; AWS allows 5 calls/s per shard "
                    + "(default: ${DEFAULT-VALUE}). Put-to-read latency of polling readers includes it.")
    long pollIdleMs;

    @Option(names = "--drain-timeout-s", defaultValue = "60", paramLabel = "S",
            description = "How long readers may take, after the puts, to read every acknowledged record; what is "
                    + "left is counted as an error (default: ${DEFAULT-VALUE}).")
    long drainTimeoutS;

    @Option(names = "--protocol", defaultValue = "cbor", paramLabel = "cbor|json",
            description = "Request and response format; kinesalite needs json (default: ${DEFAULT-VALUE}).")
    WireProtocol protocol;

    @Option(names = "--http", defaultValue = "1.1", paramLabel = "1.1|2", converter = HttpConverter.class,
            description = "HTTP version of puts and GetRecords; SubscribeToShard always uses 2 "
                    + "(default: ${DEFAULT-VALUE}).")
    HttpVersion http;

    @Option(names = "--read-client", defaultValue = "lean", paramLabel = "lean|sdk",
            description = "What polling readers call GetRecords with: the generator's lean HTTP/1.1 client, which "
                    + "costs the generator a fraction of the SDK's CPU, or the SDK's client "
                    + "(default: ${DEFAULT-VALUE}).")
    ReadClient readClient;

    @Option(names = "--put-client", defaultValue = "sdk", paramLabel = "sdk|lean",
            description = "What PutRecord and PutRecords are sent with: the SDK's client, or the generator's lean "
                    + "HTTP/1.1 client (signed the same way, so it works against AWS too), whose latency is the "
                    + "server's and the network's only, and which costs the generator a fraction of the SDK's CPU; "
                    + "either counts failed entries by their ErrorCode (default: ${DEFAULT-VALUE}).")
    PutClient putClient;

    @Option(names = "--event-loop-threads", defaultValue = "0", paramLabel = "N",
            description = "Netty threads of each SDK HTTP client and of the lean client; 0 for the SDK's default "
                    + "and 2 for the lean client (default: ${DEFAULT-VALUE}).")
    int eventLoopThreads;

    @Option(names = "--server-pid", paramLabel = "PID",
            description = "The server's process id (same machine, Linux): report its CPU-seconds per 1,000 records "
                    + "and its peak RSS.")
    Long serverPid;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        BenchSettings settings = settings();
        BenchReport report = new BenchRun(settings).run();
        PrintWriter out = spec.commandLine().getOut();
        out.print(settings.json() ? report.toJson() : report.toText());
        out.flush();
        return 0;
    }

    /** The options as settings; a rule they break is a usage error naming the option. */
    BenchSettings settings() {
        if (durationS != null && records != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--duration-s and --records exclude each other");
        }
        BenchSettings settings = new BenchSettings(
                "aws".equalsIgnoreCase(endpoint) ? null : parseEndpoint(endpoint), region, defaultCredentials,
                streams, streamPrefix, shards, keepStreams, recordBytes, payloadOf(payload), batchSize, partitionKeys, concurrency,
                senderThreads, durationS == null ? 30 : durationS,
                records == null ? OptionalLong.empty() : OptionalLong.of(records), warmupS,
                rate == null ? OptionalDouble.empty() : OptionalDouble.of(rate),
                recoveryRate == null ? Optional.empty()
                        : Optional.of(new BenchSettings.Recovery(recoveryRate, recoveryS, recoveredLatencyMs)),
                readers, readBacklog,
                getRecordsLimit, pollIdleMs, drainTimeoutS, protocol, http, readClient, putClient, eventLoopThreads,
                serverPid == null ? OptionalLong.empty() : OptionalLong.of(serverPid), json);
        if (!settings.problems().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), String.join("\n", settings.problems()));
        }
        return settings;
    }

    private RecordPayload payloadOf(String value) {
        try {
            return RecordPayload.valueOf(value.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--payload must be binary or json, was "
                    + value);
        }
    }

    private URI parseEndpoint(String value) {
        try {
            return URI.create(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--endpoint is not a URL: " + value, e,
                    null, value);
        }
    }

    /** {@code 1.1} or {@code 2} (also {@code HTTP/1.1}, {@code HTTP/2}). */
    static final class HttpConverter implements CommandLine.ITypeConverter<HttpVersion> {
        @Override
        public HttpVersion convert(String value) {
            try {
                return HttpVersion.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
