package dev.millrace.app;

import dev.millrace.auth.IdentitiesFileException;
import dev.millrace.channels.delivery.ChannelsConfig;
import dev.millrace.lambda.FunctionRegistry;
import dev.millrace.server.InitialStreams;
import dev.millrace.server.MillraceServer;
import dev.millrace.server.ServerConfig;
import dev.millrace.server.security.SecurityConfig;
import dev.millrace.server.security.ServerKeys;
import dev.millrace.server.security.ServerIdentities;
import dev.millrace.server.TlsConfig;
import dev.millrace.server.state.AutoScalingConfig;
import dev.millrace.server.state.ScalingLimits;
import dev.millrace.server.state.ThroughputLimits;
import dev.millrace.storage.Storage;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.embedded.EmbeddedStorage;
import dev.millrace.storage.kafka.KafkaStorage;
import dev.millrace.storage.kafka.KafkaStorageConfig;
import dev.millrace.storage.kafka.NodeInfo;
import dev.millrace.storage.log.DurabilityPolicy;
import dev.millrace.storage.log.FileModes;
import com.sun.management.UnixOperatingSystemMXBean;
import dev.millrace.storage.log.LogConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import dev.millrace.protocol.Account;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * {@code millrace server}: opens the data directory, starts a node and serves until SIGTERM or SIGINT. Then it stops
 * accepting, lets in-flight requests finish, flushes and closes storage ({@link MillraceServer#close()}) and exits 0.
 *
 * <p>When the node is ready it logs exactly one INFO line, {@code Millrace listening on http://HOST:PORT (data dir
 * DIR)}, with the port actually bound (so {@code --port 0} can be used by scripts and tests that read the line); on
 * Kafka one INFO line before it names the cluster, the topic prefix and the replication.
 *
 * <p>Storage is chosen here ({@code --storage}): the embedded engine in the data directory (the default), or an Apache
 * Kafka cluster ({@code --storage kafka} and the {@link KafkaOptions}), whose reachability is checked first
 * ({@link KafkaStartup}); with Kafka the data directory keeps only node-local files (the lock, TLS certificates).
 *
 * <p>When it cannot start because of the machine or the options (a data directory it cannot write, a missing TLS
 * file, a port in use, Kafka options without {@code --storage kafka}, a Kafka cluster it cannot reach:
 * {@link StartupProblem}) it prints one line on stderr that says what is wrong and what to do, and exits 1; any other
 * failure to start is logged with its stack trace and exits 1 too.
 *
 * <p>Not thread-safe; picocli calls {@link #call} once. The signal handlers only count down a latch.
 */
@Command(name = "server", mixinStandardHelpOptions = true, versionProvider = MillraceMain.Version.class,
        description = "Runs a Millrace node until SIGTERM or SIGINT (then it drains, flushes and exits 0).")
final class ServerCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServerCommand.class);

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Where streams, records and metadata are kept. */
    enum Backend { EMBEDDED, KAFKA }

    /** Options that only the embedded engine reads. */
    private static final List<String> EMBEDDED_ONLY_OPTIONS = List.of("--durability", "--max-open-files");

    @Option(names = "--storage", defaultValue = "embedded", paramLabel = "embedded|kafka",
            description = "Where streams and records are kept: embedded, the crash-safe log in --data-dir; kafka, "
                    + "topics on an Apache Kafka cluster (--kafka-bootstrap-servers), with only the lock and TLS "
                    + "certificates in --data-dir (default: ${DEFAULT-VALUE}).")
    Backend storage;

    @CommandLine.Mixin
    KafkaOptions kafka;

    @Option(names = "--port", defaultValue = "4567", paramLabel = "PORT",
            description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address to bind (default: ${DEFAULT-VALUE}; 0.0.0.0 exposes the server).")
    String host;

    @Option(names = "--data-dir", defaultValue = "./millrace-data", paramLabel = "DIR",
            description = "Where streams and records are kept (with --storage kafka: only this node's lock and TLS "
                    + "certificates); created if missing (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--transition-delay-ms", defaultValue = "" + ServerConfig.TRANSITION_DELAY_MS_DEFAULT,
            paramLabel = "MS",
            description = "How long CREATING, UPDATING and DELETING last; 0 makes changes immediate "
                    + "(default: ${DEFAULT-VALUE}).")
    long transitionDelayMs;

    @Option(names = "--durability", defaultValue = "sync", paramLabel = "sync|interval",
            description = "Embedded storage only. sync: acknowledge writes after the fsync of the write-ahead log "
                    + "the shards share (one per group commit); interval: acknowledge at "
                    + "once and fsync every "
                    + LogConfig.FLUSH_INTERVAL_MS_DEFAULT + " ms (default: ${DEFAULT-VALUE}).")
    DurabilityPolicy durability;

    @Option(names = "--max-open-files", paramLabel = "N",
            description = "Embedded storage only: log and index files held open at once (an LRU; shards beyond it "
                    + "reopen their files on use). "
                    + "Default: half this process's file-descriptor limit, between 512 and 32768.")
    Integer maxOpenFiles;

    @Option(names = "--shard-limit", defaultValue = "" + ServerConfig.SHARD_LIMIT_DEFAULT, paramLabel = "N",
            description = "The account's open-shard limit in each region: CreateStream, resharding, warm throughput "
                    + "and on-demand scaling stay within it (default: ${DEFAULT-VALUE}).")
    int shardLimit;

    @Option(names = "--throughput-limits", defaultValue = "on", paramLabel = "on|off",
            description = "AWS's per-shard limits (writes 1 MiB/s and 1,000 records/s, reads 2 MiB/s and 5 calls/s) "
                    + "and control-plane rates (default: ${DEFAULT-VALUE}).")
    String throughputLimits;

    @Option(names = "--throughput-scale", defaultValue = "1.0", paramLabel = "FACTOR",
            description = "Multiplies every throughput limit, e.g. 10 for ten times AWS's (default: ${DEFAULT-VALUE}).")
    double throughputScale;

    @Option(names = "--max-shards-per-stream", defaultValue = "10000", paramLabel = "N",
            description = "Most open shards a stream may get from UpdateShardCount or warm throughput "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxShardsPerStream;

    @Option(names = "--max-warm-throughput-mibps", defaultValue = "" + ScalingLimits.MAX_WARM_THROUGHPUT_MIBPS,
            paramLabel = "MIBPS",
            description = "Largest WarmThroughputMiBps of an on-demand stream; more is LimitExceededException "
                    + "(default: ${DEFAULT-VALUE}, AWS's 10 GiBps).")
    int maxWarmThroughputMiBps;

    @Option(names = "--shard-count-updates-per-day", defaultValue = "10", paramLabel = "N",
            description = "UpdateShardCount calls allowed per stream in any rolling 24 hours "
                    + "(default: ${DEFAULT-VALUE}).")
    int shardCountUpdatesPerDay;

    @Option(names = "--autoscale-interval-ms", defaultValue = "5000", paramLabel = "MS",
            description = "How often on-demand streams are looked at for scaling (default: ${DEFAULT-VALUE}).")
    long autoscaleIntervalMs;

    @Option(names = "--autoscale-window-s", defaultValue = "10", paramLabel = "S",
            description = "Seconds of write demand a scaling decision averages (default: ${DEFAULT-VALUE}).")
    int autoscaleWindowSeconds;

    @Option(names = "--autoscale-quiet-ms", defaultValue = "900000", paramLabel = "MS",
            description = "How long two adjacent on-demand shards must be idle before they are merged "
                    + "(default: ${DEFAULT-VALUE}).")
    long autoscaleQuietMs;

    @Option(names = "--account-id", defaultValue = Account.DEFAULT_ID, paramLabel = "ID",
            description = "The 12-digit account id in ARNs and messages (default: ${DEFAULT-VALUE}). The region is "
                    + "the one each request is signed for; each region's streams are its own.")
    String accountId;

    @Option(names = "--auth", paramLabel = "MODE",
            description = "sigv4: every request must be signed (AWS Signature Version 4) with the key of an identity "
                    + "of --identities, whose IAM policy decides what it may do. none: anyone may do anything. "
                    + "Default: none when --host is a loopback address; on any other address the server refuses "
                    + "to start unless --auth is given (none then logs a warning).")
    String auth;

    @Option(names = "--identities", paramLabel = "FILE",
            description = "The identities for --auth sigv4: a JSON file {\"identities\": [{\"name\", \"accountId\", "
                    + "\"accessKeyId\", \"secretAccessKey\", \"policy\": IAM policy document}]}. Re-read on "
                    + "SIGHUP; a bad file then keeps the identities in force and logs why.")
    Path identities;

    @Option(names = "--kms-keys", paramLabel = "FILE",
            description = "KMS keys for StartStreamEncryption: a JSON file {\"keys\": [{\"keyId\", \"aliases\", "
                    + "\"enabled\", \"material\": base64 of 32 random bytes}]}. Records of an encrypted stream are "
                    + "stored encrypted with its key; keep this file apart from the data directory. Re-read on SIGHUP.")
    Path kmsKeys;

    @Option(names = "--tls-port", defaultValue = "-1", paramLabel = "PORT",
            description = "Also serve HTTPS (ALPN h2 and http/1.1, and h2 without ALPN) on this port; 0 picks a free "
                    + "one, -1 turns it off (default: ${DEFAULT-VALUE}).")
    int tlsPort;

    @Option(names = "--tls-cert", paramLabel = "PEM",
            description = "Certificate chain for the TLS port; without it a self-signed one for localhost, 127.0.0.1 "
                    + "and ::1 is made on first start and kept in <data-dir>/tls (trust <data-dir>/tls/server.crt).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PKCS#8 PEM) for --tls-cert.")
    Path tlsKey;

    @Option(names = "--metrics-address", paramLabel = "HOST:PORT",
            description = "Serve GET /metrics (Prometheus text format) on a listener of its own at HOST:PORT (port 0 "
                    + "picks a free one) instead of the API port, which then answers /metrics as any unknown path. "
                    + "Without it, the API port serves /metrics; with --auth sigv4 to this machine only.")
    String metricsAddress;

    @Option(names = "--metrics-retention-hours", defaultValue = "" + ServerConfig.METRICS_RETENTION_HOURS_DEFAULT,
            paramLabel = "HOURS",
            description = "How long CloudWatch (GetMetricStatistics, GetMetricData) keeps each minute of a metric, "
                    + "Kinesis's own and those clients publish (default: ${DEFAULT-VALUE}, a stream's default "
                    + "retention). Memory: about 56 KB per metric and day of one data point a minute, at most about "
                    + "80 MB in all (2,000,000 metric-minutes).")
    long metricsRetentionHours;

    @CommandLine.Mixin
    HttpLimitOptions httpLimitOptions;

    @CommandLine.Mixin
    ChannelOptions channelOptions;

    @CommandLine.Mixin
    IcebergOptions icebergOptions;

    @Option(names = "--api-threads", defaultValue = "" + ServerConfig.API_THREADS_DEFAULT, paramLabel = "N",
            description = "Threads running API calls; a write waits for its fsync on one of them "
                    + "(default: ${DEFAULT-VALUE}).")
    int apiThreads;

    @Option(names = ConfigSources.CONFIG_OPTION, paramLabel = "FILE",
            description = "A YAML file of options, each key an option's long name without its dashes, e.g. "
                    + "'port: 4567', 'create-stream: [orders:4, events:on-demand]'; an unknown key stops the start. "
                    + "Every option may also come from an environment variable, MILLRACE_ and its name in capitals "
                    + "with underscores (MILLRACE_PORT, MILLRACE_CREATE_STREAM=a:2,b:1). The command line wins over "
                    + "the environment, which wins over the file, which wins over the default.")
    Path configFile;

    @Option(names = "--create-stream", split = ",", paramLabel = "NAME[:SHARDS|:on-demand]",
            description = "A stream to have at start, in the --account-id's default region (us-east-1): created if "
                    + "missing, with SHARDS shards (1 if not given) or in on-demand mode; one that exists is left as "
                    + "it is (with a warning if its shards or mode differ). Repeatable, or comma-separated. The node "
                    + "is ready (GET /health/ready) once they are all ACTIVE.")
    List<String> createStreams = new java.util.ArrayList<>();

    @Option(names = "--function", paramLabel = "NAME=URL",
            description = "A function Lambda's event source mappings may name (repeatable): NAME, 1 to 64 of "
                    + "a-z A-Z 0-9 - _, is its FunctionName in every account's region; URL, http or https, is where an "
                    + "invocation is POSTed, e.g. a Lambda Runtime Interface Emulator's "
                    + "http://127.0.0.1:9000/2015-03-31/functions/function/invocations. In the config file, a mapping "
                    + "of names to URLs.")
    Map<String, String> functions;

    @Option(names = "--function-timeout", paramLabel = "SECONDS",
            description = "How long a function invocation may run, as a Lambda function's Timeout (1 to 900; "
                    + "default: 60): a longer one counts as a function error, retried as event source mappings retry "
                    + "errors.")
    Integer functionTimeoutSeconds;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "The root log level: TRACE, DEBUG, INFO, WARN, ERROR or OFF (default: INFO; Netty and the "
                    + "Kafka clients log only warnings either way).")
    LogSetup.LogLevel logLevel;

    @Option(names = "--log-format", defaultValue = "text", paramLabel = "text|json",
            description = "text: one line per event; json: one JSON object per line (logback's JsonEncoder: "
                    + "timestamp, level, loggerName, kvpList, formattedMessage) for log collectors "
                    + "(default: ${DEFAULT-VALUE}).")
    LogSetup.Format logFormat;

    @Option(names = "--request-log",
            description = "Log one line per request on the logger dev.millrace.server.http.RequestLog: remote "
                    + "address, service, operation, stream, HTTP status, error type, latency, bytes in and out, "
                    + "request id (off by default).")
    boolean requestLog;

    @Override
    public Integer call() throws Exception {
        LogSetup.apply(logLevel, logFormat, requestLog);
        logSources();
        ServerConfig config = config();
        List<InitialStreams.Spec> initialStreams = initialStreams();
        try {
            checkTlsFiles();
            config = config.withSecurity(security());
            KafkaStorageConfig kafkaConfig = kafkaConfig();
            if (kafkaConfig != null && port == 0 && kafka.advertisedEndpoint == null) {
                // The other nodes must know this one's port before it is bound, so a free one is chosen now.
                port = freePort(host);
                config = config().withSecurity(config.security());
            }
            try (DataDirLock lock = openDataDir(config.dataDir())) {
                return serve(config, kafkaConfig, initialStreams);
            }
        } catch (StartupProblem problem) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("millrace: " + sources().annotate(problem.getMessage()));
            err.flush();
            return 1;
        }
    }

    /**
     * Starts the node and serves until a signal; a start that fails for a known reason is a {@link StartupProblem}.
     *
     * @param kafkaConfig the Kafka cluster to keep everything on, or {@code null} for the embedded engine
     */
    private int serve(ServerConfig config, KafkaStorageConfig kafkaConfig, List<InitialStreams.Spec> initialStreams)
            throws InterruptedException, StartupProblem {
        CountDownLatch stop = new CountDownLatch(1);
        Signals.onTermination(stop::countDown);
        SecurityConfig security = config.security();
        if (security.identities() != null || security.kmsKeys() != null) {
            Signals.onHangup(() -> {
                if (security.identities() != null) {
                    security.identities().reload();
                }
                if (security.kmsKeys() != null) {
                    security.kmsKeys().reload();
                }
            });
        }
        Clock clock = Clock.systemUTC();
        // The backend is chosen here, by the application; the server only ever sees the storage SPI.
        Supplier<Storage> opener;
        // Encrypted records are read with the --kms-keys file's keys; without one, none can be read (nor written).
        KeyRing keyRing = config.security().kmsKeys() != null ? config.security().kmsKeys() : KeyRing.NONE;
        if (kafkaConfig == null) {
            opener = () -> EmbeddedStorage.open(config.logConfig(), clock, keyRing);
        } else {
            KafkaStartup.Cluster cluster = KafkaStartup.check(kafkaConfig, kafka.startupTimeoutMs);
            log.info("Millrace storage: Kafka cluster at {} ({} broker{}), topic prefix '{}', replication factor {}, "
                    + "min.insync.replicas {}", kafkaConfig.bootstrapServers(), cluster.brokers(),
                    cluster.brokers() == 1 ? "" : "s",
                    kafkaConfig.topicPrefix(), cluster.replicationFactor(), cluster.minInsyncReplicas());
            NodeInfo self = kafka.node(host, port, clock.millis(), config.dataDir(), this::usage);
            log.info("Millrace node {} joins the nodes on that cluster and prefix, reachable at {}", self.nodeId(),
                    self.endpoint());
            opener = () -> KafkaStorage.openNode(kafkaConfig, clock, self, keyRing);
        }
        MillraceServer server = new MillraceServer(config, clock, opener);
        server.createAtStart(initialStreams);
        InetSocketAddress bound;
        try {
            bound = server.start();
        } catch (Exception e) {
            boolean plainPortBound = server.address() != null;
            server.close();
            StartupProblem problem = kafkaConfig == null || plainPortBound ? null
                    : KafkaStartup.explainOpenFailure(e, kafkaConfig);
            if (problem == null) {
                problem = StartupProblem.explain(e, config, plainPortBound, kafkaConfig == null);
            }
            if (problem != null) {
                throw problem;
            }
            log.error("Millrace could not start on {}:{} with data dir {}", host, port, config.dataDir(), e);
            return 1;
        }
        if (server.metricsAddress() != null) {
            // Before the ready line, which scripts wait for: by then the metrics port is known too.
            log.info("Millrace metrics on http://{}:{}/metrics", urlHost(config.metricsAddress().getHostString()),
                    server.metricsAddress().getPort());
        }
        log.info("Millrace listening on http://{}:{} (data dir {})", urlHost(host), bound.getPort(),
                config.dataDir());
        if (server.tlsAddress() != null) {
            log.info("Millrace TLS listening on https://{}:{}", urlHost(host), server.tlsAddress().getPort());
        }
        stop.await();
        log.info("Millrace stopping: finishing in-flight requests and flushing");
        server.close();
        log.info("Millrace stopped");
        return 0;
    }

    /**
     * The Kafka cluster to use, or {@code null} for the embedded engine. Kafka options without {@code --storage kafka}
     * (they would be ignored), embedded-engine options with it, or no bootstrap servers are a {@link StartupProblem};
     * values out of range are usage errors.
     */
    KafkaStorageConfig kafkaConfig() throws StartupProblem {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        ConfigSources sources = sources();
        // Key by key: the command line's --kafka-property over the environment's, over the file's.
        Map<String, String> properties = new LinkedHashMap<>(sources.entries("--kafka-property"));
        properties.putAll(kafka.properties);
        kafka.properties = properties;
        // Given on the command line, or set by the environment or the config file: either way they would be ignored.
        java.util.Set<String> set = new java.util.LinkedHashSet<>();
        given.matchedOptions().forEach(o -> set.add(o.longestName()));
        set.addAll(sources.provided());
        List<String> kafkaOptions = set.stream()
                .filter(name -> name.startsWith("--kafka-") || name.equals("--advertised-endpoint")
                        || name.equals("--node-id")).distinct().toList();
        if (storage == Backend.EMBEDDED) {
            if (!kafkaOptions.isEmpty()) {
                throw new StartupProblem(String.join(", ", kafkaOptions) + (kafkaOptions.size() == 1 ? " is" : " are")
                        + " for Kafka storage: add --storage kafka, or leave out the --kafka-* options to keep "
                        + "streams in --data-dir");
            }
            return null;
        }
        List<String> embeddedOptions = EMBEDDED_ONLY_OPTIONS.stream().filter(set::contains).toList();
        if (!embeddedOptions.isEmpty()) {
            throw new StartupProblem(String.join(" and ", embeddedOptions) + " only tune the embedded engine; with "
                    + "--storage kafka, Kafka keeps the data (acks=all, --kafka-min-insync-replicas): leave "
                    + (embeddedOptions.size() == 1 ? "it" : "them") + " out");
        }
        return kafka.config(this::usage);
    }

    /**
     * Who may call, from --auth and --identities. Without --auth the server serves anyone only on a loopback
     * address: reachable from other machines, it must be told, so that nobody exposes an open server by accident.
     */
    SecurityConfig security() throws StartupProblem {
        SecurityConfig security = authentication();
        if (kmsKeys == null) {
            return security;
        }
        try {
            return security.withKmsKeys(ServerKeys.load(kmsKeys.toAbsolutePath()));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new StartupProblem("--kms-keys " + kmsKeys + ": no such file");
        } catch (java.io.IOException e) {
            throw new StartupProblem("--kms-keys: " + e.getMessage());
        }
    }

    /** Who may call, from --auth and --identities. */
    private SecurityConfig authentication() throws StartupProblem {
        boolean loopback = isLoopback(host);
        if (auth == null) {
            if (!loopback) {
                throw new StartupProblem("--host " + host + " lets other machines reach this server: choose who may "
                        + "call it with --auth sigv4 --identities FILE (signed requests, IAM policies), or --auth "
                        + "none to let anyone do anything");
            }
            auth = "none";
        }
        switch (auth) {
            case "none" -> {
                if (identities != null) {
                    throw new StartupProblem("--identities is for --auth sigv4; with --auth none anyone may call");
                }
                if (!loopback) {
                    log.warn("--auth none on {}: anyone who can reach this address can read, write and delete every "
                            + "stream. Use --auth sigv4 --identities FILE on a network.", host);
                }
                return SecurityConfig.NONE;
            }
            case "sigv4" -> {
                if (identities == null) {
                    throw new StartupProblem("--auth sigv4 needs --identities FILE: the access keys that may sign "
                            + "requests, each with its IAM policy");
                }
                try {
                    return SecurityConfig.sigv4(ServerIdentities.load(identities.toAbsolutePath()));
                } catch (IdentitiesFileException e) {
                    throw new StartupProblem(e.getMessage());
                }
            }
            default -> throw new StartupProblem("--auth must be sigv4 or none, not " + auth);
        }
    }

    /** Whether {@code host} names only this machine (an unresolvable name is not: it fails at bind anyway). */
    static boolean isLoopback(String host) {
        try {
            for (java.net.InetAddress a : java.net.InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    /**
     * A port of {@code host} that is free now, for a node that must announce its port before it binds it. Chosen
     * below the kernel's ephemeral range (where {@code bind(0)} would pick it), at random: a port from that range
     * could meanwhile be taken by any outgoing connection on the machine (this node's own Kafka clients among them),
     * and the bind would then fail. Falls back to the kernel's choice if none is free there.
     */
    static int freePort(String host) throws StartupProblem {
        try {
            java.net.InetAddress address = java.net.InetAddress.getByName(host);
            int below = ephemeralRangeStart();
            java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
            for (int attempt = 0; attempt < 50 && below > FIRST_PICKED_PORT + 1; attempt++) {
                int candidate = random.nextInt(FIRST_PICKED_PORT, below);
                try (java.net.ServerSocket socket = new java.net.ServerSocket(candidate, 1, address)) {
                    return socket.getLocalPort();
                } catch (java.io.IOException taken) {
                    // in use: try another
                }
            }
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, address)) {
                return socket.getLocalPort();
            }
        } catch (java.io.IOException e) {
            throw new StartupProblem("cannot find a free port on " + host + " for --port 0: " + e.getMessage());
        }
    }

    /** Ports picked for --port 0 on Kafka storage start here: above the registered ports services commonly use. */
    private static final int FIRST_PICKED_PORT = 20_000;

    /** The first port of the kernel's ephemeral range (Linux's default 32768 where it cannot be read). */
    static int ephemeralRangeStart() {
        try {
            // Line by line: reading a /proc file whole by its size can come back short (its size is reported as 0).
            String range = java.nio.file.Files.readAllLines(java.nio.file.Path.of(
                    "/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return 32_768;
        }
    }

    /** A missing or unreadable --tls-cert/--tls-key, named before anything else is done. */
    private void checkTlsFiles() throws StartupProblem {
        if (tlsCert == null) {
            return;
        }
        StartupProblem problem = StartupProblem.unreadableTlsFile("--tls-cert", tlsCert,
                "the PEM certificate chain for the TLS port");
        if (problem == null) {
            problem = StartupProblem.unreadableTlsFile("--tls-key", tlsKey, "the certificate's PKCS#8 PEM private key");
        }
        if (problem != null) {
            throw problem;
        }
    }

    private static DataDirLock openDataDir(Path dataDir) throws StartupProblem {
        try {
            DataDirLock lock = DataDirLock.acquire(dataDir);
            String openToOthers = FileModes.openDataDirWarning(dataDir);
            if (openToOthers != null) {
                log.warn(openToOthers);
            }
            return lock;
        } catch (IOException e) {
            throw StartupProblem.dataDir(dataDir, e);
        } catch (DataDirLock.HeldException e) {
            throw StartupProblem.dataDirHeld(e);
        }
    }

    /** The node's configuration from the options; usage errors for values out of range. */
    ServerConfig config() {
        if (port < 0 || port > 65_535) {
            throw usage("--port must be between 0 and 65535, not " + port);
        }
        if (host == null || host.isBlank()) {
            throw usage("--host must not be empty");
        }
        if (transitionDelayMs < 0) {
            throw usage("--transition-delay-ms must be 0 or more, not " + transitionDelayMs);
        }
        if (shardLimit < 1) {
            throw usage("--shard-limit must be 1 or more, not " + shardLimit);
        }
        if (!throughputLimits.equals("on") && !throughputLimits.equals("off")) {
            throw usage("--throughput-limits must be on or off, not " + throughputLimits);
        }
        if (!(throughputScale > 0)) {
            throw usage("--throughput-scale must be positive, not " + throughputScale);
        }
        if (tlsPort < -1 || tlsPort > 65_535) {
            throw usage("--tls-port must be between -1 and 65535, not " + tlsPort);
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw usage("--tls-cert and --tls-key go together");
        }
        if (tlsCert != null && tlsPort < 0) {
            throw usage("--tls-cert and --tls-key are for the TLS port: add --tls-port PORT");
        }
        if (maxWarmThroughputMiBps < 0) {
            throw usage("--max-warm-throughput-mibps must be 0 or more, not " + maxWarmThroughputMiBps);
        }
        if (maxShardsPerStream < 1 || shardCountUpdatesPerDay < 1 || autoscaleIntervalMs < 1
                || autoscaleWindowSeconds < 1 || autoscaleQuietMs < 0) {
            throw usage("--max-shards-per-stream, --shard-count-updates-per-day, --autoscale-interval-ms and "
                    + "--autoscale-window-s must be positive, --autoscale-quiet-ms 0 or more");
        }
        if (!accountId.matches("[0-9]{12}")) {
            throw usage("--account-id must be 12 digits, like 123456789012");
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        ServerConfig config = ServerConfig.defaults(host, port, dir)
                .withAccount(new Account(Account.LEGACY_REGION, accountId))
                .withTransitionDelayMs(transitionDelayMs)
                .withShardLimit(shardLimit)
                .withThroughput(new ThroughputLimits(throughputLimits.equals("on"), throughputScale))
                .withScaling(new ScalingLimits(maxShardsPerStream, shardCountUpdatesPerDay,
                        ScalingLimits.AWS.minFactor(), ScalingLimits.AWS.maxFactor(), maxWarmThroughputMiBps))
                .withAutoScaling(new AutoScalingConfig(autoscaleIntervalMs, autoscaleWindowSeconds,
                        AutoScalingConfig.DEFAULT.hotFraction(), AutoScalingConfig.DEFAULT.coldFraction(),
                        autoscaleQuietMs, AutoScalingConfig.DEFAULT.minShards()))
                .withTls(new TlsConfig(tlsPort, tlsCert == null ? null : tlsCert.toAbsolutePath(),
                        tlsKey == null ? null : tlsKey.toAbsolutePath()));
        if (durability == DurabilityPolicy.INTERVAL) {
            config = config.withLogConfig(
                    config.logConfig().withDurability(DurabilityPolicy.INTERVAL, LogConfig.FLUSH_INTERVAL_MS_DEFAULT));
        }
        if (apiThreads < 1) {
            throw usage("--api-threads must be 1 or more, not " + apiThreads);
        }
        if (metricsAddress != null) {
            config = config.withMetricsAddress(metricsAddress(metricsAddress));
        }
        if (metricsRetentionHours < 1 || metricsRetentionHours > 24 * 455) {
            throw usage("--metrics-retention-hours must be 1 to " + 24 * 455 + " (CloudWatch's 15 months), not "
                    + metricsRetentionHours);
        }
        config = config.withMetricsRetentionHours(metricsRetentionHours);
        // Key by key, as --kafka-property: the command line's --iceberg-property over the environment's and the file's.
        Map<String, String> icebergProperties = new LinkedHashMap<>(sources().entries("--iceberg-property"));
        if (icebergOptions.properties != null) {
            icebergProperties.putAll(icebergOptions.properties);
        }
        icebergOptions.properties = icebergProperties.isEmpty() ? null : icebergProperties;
        ChannelsConfig channels = channelOptions.config(this::usage);
        config = config.withFunctions(functionRegistry()).withApiThreads(apiThreads)
                .withHttpLimits(httpLimitOptions.limits(config.maxBodyBytes(), this::usage))
                .withChannels(channels.withTables(icebergOptions.tables(dir, channels.s3(), storage == Backend.KAFKA,
                        this::usage)));
        if (maxOpenFiles != null && maxOpenFiles < 4) {
            throw usage("--max-open-files must be at least 4");
        }
        return config.withLogConfig(config.logConfig().withMaxOpenFiles(
                maxOpenFiles != null ? maxOpenFiles : defaultMaxOpenFiles()));
    }

    /** {@code --metrics-address HOST:PORT} ({@code [::1]:9400} for an IPv6 host), unresolved: bound at start. */
    private InetSocketAddress metricsAddress(String value) {
        int colon = value.lastIndexOf(':');
        String hostPart = colon < 0 ? "" : value.substring(0, colon);
        if (hostPart.startsWith("[") && hostPart.endsWith("]")) {
            hostPart = hostPart.substring(1, hostPart.length() - 1);
        }
        int portNumber;
        try {
            portNumber = colon < 0 ? -1 : Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            portNumber = -1;
        }
        if (hostPart.isEmpty() || portNumber < 0 || portNumber > 65535) {
            throw usage("--metrics-address must be HOST:PORT, like 127.0.0.1:9400, not " + value);
        }
        return InetSocketAddress.createUnresolved(hostPart, portNumber);
    }

    /**
     * Every shard written to needs its log and index file; when they do not fit the pool, each append reopens
     * them (measured: 10,000 shards written at random ran about 35 times the CPU per record with 512). Half the
     * descriptor limit leaves the rest to sockets.
     */
    static int defaultMaxOpenFiles() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        long limit = os instanceof UnixOperatingSystemMXBean
                ? ((UnixOperatingSystemMXBean) os).getMaxFileDescriptorCount() : 0;
        return (int) Math.max(LogConfig.MAX_OPEN_FILES_DEFAULT, Math.min(limit / 2, 32_768));
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), sources().annotate(message));
    }

    /** Where options came from besides the command line ({@link ConfigSources}); none outside {@link MillraceMain}. */
    private ConfigSources sources() {
        return spec.defaultValueProvider() instanceof ConfigSources c ? c
                : new ConfigSources(java.util.Map.of(), spec);
    }

    /** One line naming the options that came from the environment or the config file, if any did. */
    private void logSources() {
        ConfigSources sources = sources();
        if (!sources.provided().isEmpty()) {
            List<String> said = sources.provided().stream().map(o -> o + " (" + sources.sourceOf(o) + ")").toList();
            log.info("Options from the environment and the config file: {}", String.join(", ", said));
        }
    }

    /**
     * The functions of {@code --function}, key by key as {@code --iceberg-property}: the command line's over the
     * environment's and the file's; a usage error for an invalid name or URL.
     */
    FunctionRegistry functionRegistry() {
        Map<String, String> urls = new LinkedHashMap<>(sources().entries("--function"));
        if (functions != null) {
            urls.putAll(functions);
        }
        try {
            FunctionRegistry registry = FunctionRegistry.parse(urls.entrySet().stream()
                    .map(f -> f.getKey() + "=" + f.getValue()).toList());
            return functionTimeoutSeconds == null ? registry
                    : registry.withTimeout(Duration.ofSeconds(functionTimeoutSeconds));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage().startsWith("--function") ? e.getMessage() : "--function " + e.getMessage());
        }
    }

    /** The streams of {@code --create-stream}; usage errors for a malformed one. */
    List<InitialStreams.Spec> initialStreams() {
        List<InitialStreams.Spec> out = new java.util.ArrayList<>();
        for (String text : createStreams) {
            try {
                out.add(InitialStreams.Spec.parse(text));
            } catch (IllegalArgumentException e) {
                throw usage("--create-stream " + e.getMessage());
            }
        }
        try {
            new InitialStreams(out);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        return out;
    }

    /** A host as it goes in a URL: IPv6 literals in brackets. */
    static String urlHost(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
