package dev.millrace.app;

import dev.millrace.storage.kafka.KafkaStorageConfig;
import dev.millrace.storage.kafka.NodeInfo;
import dev.millrace.storage.log.FileModes;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The {@code --kafka-*} options of {@code millrace server} (a picocli mixin), and how they become a
 * {@link KafkaStorageConfig}: client properties from {@code --kafka-properties FILE} first, each
 * {@code --kafka-property KEY=VALUE} over them, and {@code --kafka-bootstrap-servers} over a {@code bootstrap.servers}
 * from either (one of the three must give it).
 *
 * <p>Not thread-safe; picocli fills it in once and {@link ServerCommand} reads it once.
 */
final class KafkaOptions {
    static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    static final long STARTUP_TIMEOUT_MS_DEFAULT = 30_000;

    @Option(names = "--kafka-bootstrap-servers", paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "With --storage kafka: brokers to connect to first (Kafka's bootstrap.servers); "
                    + "required unless a --kafka-properties file or --kafka-property gives bootstrap.servers.")
    String bootstrapServers;

    @Option(names = "--kafka-topic-prefix", defaultValue = KafkaStorageConfig.DEFAULT_TOPIC_PREFIX,
            paramLabel = "PREFIX",
            description = "With --storage kafka: leads the name of every topic this node creates and reads, at most "
                    + "40 of A-Z a-z 0-9 . _ - (default: ${DEFAULT-VALUE}). The nodes on one cluster and prefix form one cluster of Millrace nodes.")
    String topicPrefix;

    @Option(names = "--kafka-replication-factor", defaultValue = "0", paramLabel = "N",
            description = "With --storage kafka: copies of each topic Millrace creates; 0 for min(3, brokers in the "
                    + "cluster) (default: ${DEFAULT-VALUE}).")
    int replicationFactor;

    @Option(names = "--kafka-min-insync-replicas", defaultValue = "0", paramLabel = "N",
            description = "With --storage kafka: copies a write needs before it is acknowledged (the topics' "
                    + "min.insync.replicas); 0 for 2 when the replication factor is 3 or more, else 1 "
                    + "(default: ${DEFAULT-VALUE}).")
    int minInsyncReplicas;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "With --storage kafka: a Kafka client property given to every producer, consumer and admin "
                    + "client (SASL, TLS, timeouts), e.g. security.protocol=SASL_SSL; repeatable, and wins over "
                    + "--kafka-properties. Merged key by key with MILLRACE_KAFKA_PROPERTY and the config file's "
                    + "kafka-property (command line over environment over file, for each key).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--kafka-properties", paramLabel = "FILE",
            description = "With --storage kafka: a Java properties file of Kafka client properties (a Kafka "
                    + "client.properties), given to every client.")
    Path propertiesFile;

    @Option(names = "--advertised-endpoint", paramLabel = "URL",
            description = "With --storage kafka: where the other Millrace nodes on the same Kafka cluster and topic "
                    + "prefix reach this node's API, e.g. http://10.0.0.5:4567 (default: http://HOST:PORT from --host "
                    + "and --port, with this machine's name for a wildcard --host).")
    String advertisedEndpoint;

    @Option(names = "--node-id", paramLabel = "ID",
            description = "With --storage kafka: this node's name among the nodes of its cluster, 1 to 64 of "
                    + "A-Z a-z 0-9 . _ -, unique among running nodes (default: the one kept in the data directory, "
                    + "made at the first start from the advertised endpoint's host and port).")
    String nodeId;

    /** Where the default node id is kept, so that a node restarted on its data directory is the same node. */
    static final String NODE_ID_FILE = "node-id";

    @Option(names = "--kafka-startup-timeout-ms", defaultValue = "" + STARTUP_TIMEOUT_MS_DEFAULT, paramLabel = "MS",
            description = "With --storage kafka: how long to wait at start for the cluster to answer before giving "
                    + "up with exit status 1 (default: ${DEFAULT-VALUE}).")
    long startupTimeoutMs;

    @Option(names = "--kafka-writer-session-timeout-ms", paramLabel = "MS",
            defaultValue = "" + KafkaStorageConfig.DEFAULT_WRITER_SESSION_TIMEOUT_MS,
            description = "With --storage kafka: how long the metadata writer's node may be silent before another "
                    + "node is elected writer (a crashed writer is replaced 1 to 2 s after this), "
                    + KafkaStorageConfig.MIN_WRITER_SESSION_TIMEOUT_MS + " to "
                    + KafkaStorageConfig.MAX_WRITER_SESSION_TIMEOUT_MS + ", and within the brokers' "
                    + "group.min.session.timeout.ms and group.max.session.timeout.ms (6000 to 1800000 by default). "
                    + "Shorter replaces a crashed writer sooner, but also a writer paused that long by a GC or a busy "
                    + "machine (default: ${DEFAULT-VALUE}).")
    long writerSessionTimeoutMs;

    /**
     * The storage configuration these options describe; {@code usage} builds the usage error (exit 2) for a value
     * out of range, and a missing or unreadable file or missing bootstrap servers is a {@link StartupProblem}.
     */
    KafkaStorageConfig config(Function<String, CommandLine.ParameterException> usage)
            throws StartupProblem {
        if (replicationFactor < 0 || replicationFactor > Short.MAX_VALUE) {
            throw usage.apply("--kafka-replication-factor must be between 0 (automatic) and " + Short.MAX_VALUE
                    + ", not " + replicationFactor);
        }
        if (minInsyncReplicas < 0) {
            throw usage.apply("--kafka-min-insync-replicas must be 0 (automatic) or more, not " + minInsyncReplicas);
        }
        if (replicationFactor > 0 && minInsyncReplicas > replicationFactor) {
            throw usage.apply("--kafka-min-insync-replicas " + minInsyncReplicas + " is more than "
                    + "--kafka-replication-factor " + replicationFactor + ": no write could ever be acknowledged");
        }
        if (startupTimeoutMs < 1) {
            throw usage.apply("--kafka-startup-timeout-ms must be positive, not " + startupTimeoutMs);
        }
        if (writerSessionTimeoutMs < KafkaStorageConfig.MIN_WRITER_SESSION_TIMEOUT_MS
                || writerSessionTimeoutMs > KafkaStorageConfig.MAX_WRITER_SESSION_TIMEOUT_MS) {
            throw usage.apply("--kafka-writer-session-timeout-ms must be between "
                    + KafkaStorageConfig.MIN_WRITER_SESSION_TIMEOUT_MS + " and "
                    + KafkaStorageConfig.MAX_WRITER_SESSION_TIMEOUT_MS + ", not " + writerSessionTimeoutMs);
        }
        if (properties.keySet().stream().anyMatch(String::isBlank)) {
            throw usage.apply("--kafka-property needs KEY=VALUE with a key, like security.protocol=SSL");
        }
        Map<String, String> client = new LinkedHashMap<>();
        if (propertiesFile != null) {
            client.putAll(readPropertiesFile(propertiesFile));
        }
        client.putAll(properties);
        String fromProperties = client.remove(BOOTSTRAP_SERVERS);
        String servers = bootstrapServers != null ? bootstrapServers : fromProperties;
        if (servers == null || servers.isBlank()) {
            throw new StartupProblem("--storage kafka needs the cluster's brokers: add --kafka-bootstrap-servers "
                    + "HOST:PORT[,HOST:PORT...]");
        }
        try {
            return new KafkaStorageConfig(servers.strip(), topicPrefix, replicationFactor, minInsyncReplicas, client,
                    writerSessionTimeoutMs);
        } catch (IllegalArgumentException e) {
            throw usage.apply("--kafka-topic-prefix: " + e.getMessage());
        }
    }

    /**
     * This node as the others of its cluster will know it: {@code --advertised-endpoint} (or one made of {@code host}
     * and {@code port}) and {@code --node-id} (or one made of the endpoint's host and port).
     */
    NodeInfo node(String host, int port, long startedMs, Path dataDir,
                  Function<String, CommandLine.ParameterException> usage) throws StartupProblem {
        String endpoint = advertisedEndpoint != null ? advertisedEndpoint.strip()
                : "http://" + endpointHost(host) + ":" + port;
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw usage.apply("--advertised-endpoint " + endpoint + " is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 1
                || (uri.getPath() != null && !uri.getPath().isEmpty())) {
            throw usage.apply("--advertised-endpoint must be http://HOST:PORT (the plain-HTTP port the other nodes"
                    + " reach this one on), not " + endpoint);
        }
        String id = nodeId != null ? nodeId : keptNodeId(dataDir, uri);
        if (!NodeInfo.validNodeId(id)) {
            throw usage.apply("--node-id must be 1 to 64 of the characters A-Z a-z 0-9 . _ -, not '" + id + "'");
        }
        return new NodeInfo(id, endpoint, startedMs);
    }

    /**
     * The node id kept in {@code dataDir}, made from the endpoint's host and port at the first start. Kept, not
     * derived anew, because a node restarted on another port (with {@code --port 0}, say) must be the same node to the
     * others: a new id would leave its old self counted as alive, and owning shards, until its heartbeats expire.
     */
    private static String keptNodeId(Path dataDir, URI endpoint) throws StartupProblem {
        Path file = dataDir.resolve(NODE_ID_FILE);
        try {
            if (Files.exists(file)) {
                String kept = Files.readString(file, java.nio.charset.StandardCharsets.UTF_8).strip();
                if (!NodeInfo.validNodeId(kept)) {
                    throw new StartupProblem(file + " holds no node id ('" + kept + "'): delete it to have one made,"
                            + " or give --node-id");
                }
                return kept;
            }
            String made = (endpoint.getHost() + "-" + endpoint.getPort()).replaceAll("[^A-Za-z0-9._-]", "-");
            if (made.length() > 64) {
                made = made.substring(made.length() - 64);
            }
            // Private like everything in the data dir (FileModes), whatever the umask.
            Files.createFile(file, FileModes.privateFileAttributes(file));
            Files.writeString(file, made + "\n", java.nio.charset.StandardCharsets.UTF_8);
            return made;
        } catch (IOException e) {
            throw new StartupProblem("cannot keep this node's id in " + file + ": " + StartupProblem.reason(e));
        }
    }

    /** The host of the default endpoint: {@code host} itself, or this machine's name when it is a wildcard. */
    private static String endpointHost(String host) {
        if (!host.equals("0.0.0.0") && !host.equals("::") && !host.equals("[::]")) {
            return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    /** The properties in {@code file}, read as Kafka's own tools read a {@code client.properties} (ISO-8859-1). */
    static Map<String, String> readPropertiesFile(Path file) throws StartupProblem {
        String why;
        if (!Files.exists(file)) {
            why = "no such file";
        } else if (Files.isDirectory(file)) {
            why = "a directory, not a file";
        } else if (!Files.isReadable(file)) {
            why = "permission denied";
        } else {
            Properties loaded = new Properties();
            try (InputStream in = Files.newInputStream(file)) {
                loaded.load(in);
                Map<String, String> sorted = new TreeMap<>();
                loaded.stringPropertyNames().forEach(k -> sorted.put(k, loaded.getProperty(k)));
                return sorted;
            } catch (IOException e) {
                why = StartupProblem.reason(e);
            } catch (IllegalArgumentException e) {
                why = "not a Java properties file (" + e.getMessage() + ")";
            }
        }
        throw new StartupProblem("--kafka-properties " + file + ": " + why + "; give the path of a Java properties "
                + "file of Kafka client settings, or pass them one by one with --kafka-property KEY=VALUE");
    }
}
