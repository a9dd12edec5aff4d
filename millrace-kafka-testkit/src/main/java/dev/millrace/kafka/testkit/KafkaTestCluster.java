package dev.millrace.kafka.testkit;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Apache Kafka cluster inside the test's JVM: {@code nodes} combined broker-and-controller KRaft nodes on
 * 127.0.0.1, each with its own log directory under a temporary folder, formatted and started as Kafka's own scripts
 * would (StorageTool, then {@link KafkaRaftServer}). Brokers can be stopped and started again (gracefully: a test that
 * needs a SIGKILL uses {@link ChildKafkaCluster}).
 *
 * <p>Why in-process: one node starts in about half a second once the JVM is warm, against five to seven seconds
 * for a child JVM, and a test suite that starts a dozen clusters feels that. Kafka's fatal-error path calls
 * {@code Exit.exit/halt}; those are replaced so that a broker fault fails the test instead of killing surefire.
 *
 * <p>Not thread-safe: one test thread starts, stops and closes it; clients of the brokers may be on any thread.
 */
public final class KafkaTestCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KafkaTestCluster.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final Path root;
    private final String clusterId = Uuid.randomUuid().toString();
    private final int[] brokerPorts;
    private final int[] controllerPorts;
    private final KafkaRaftServer[] servers;
    private final Map<String, String> overrides;

    private KafkaTestCluster(int nodes, Path root, Map<String, String> overrides) {
        this.root = root;
        this.overrides = Map.copyOf(overrides);
        this.brokerPorts = new int[nodes];
        this.controllerPorts = new int[nodes];
        this.servers = new KafkaRaftServer[nodes];
        for (int i = 0; i < nodes; i++) {
            brokerPorts[i] = freePort();
            controllerPorts[i] = freePort();
        }
    }

    /** Starts a cluster of {@code nodes} combined nodes and waits until every broker is registered. */
    public static KafkaTestCluster start(int nodes) {
        return start(nodes, Map.of());
    }

    /** Like {@link #start(int)}, with broker properties that override the defaults (e.g. shorter timeouts). */
    public static KafkaTestCluster start(int nodes, Map<String, String> brokerOverrides) {
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes " + nodes);
        }
        trapExit();
        Path root;
        try {
            root = Files.createTempDirectory("millrace-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KafkaTestCluster cluster = new KafkaTestCluster(nodes, root, brokerOverrides);
        try {
            cluster.formatAll();
            cluster.startAll();
            cluster.awaitBrokers(nodes);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** {@code host:port,...} of every broker, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        List<String> all = new ArrayList<>();
        for (int port : brokerPorts) {
            all.add("127.0.0.1:" + port);
        }
        return String.join(",", all);
    }

    public int size() {
        return servers.length;
    }

    /** Stops node {@code i} gracefully (controlled shutdown) and waits until it has stopped. */
    public void stopNode(int i) {
        KafkaRaftServer server = servers[i];
        if (server != null) {
            servers[i] = null;
            server.shutdown();
            server.awaitShutdown();
        }
    }

    /** Starts node {@code i} again on its old ports and log directory; returns once it has rejoined. */
    public void startNode(int i) {
        if (servers[i] != null) {
            return;
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(properties(i), false), Time.SYSTEM);
        servers[i] = server;
        server.startup();
    }

    /** An Admin client of this cluster; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    private void formatAll() {
        for (int i = 0; i < servers.length; i++) {
            Path config = root.resolve("node-" + i + ".properties");
            writeProperties(properties(i), config);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int rc = kafka.tools.StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", config.toString()},
                    new PrintStream(out, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("formatting node " + i + " failed (" + rc + "): "
                        + out.toString(StandardCharsets.UTF_8));
            }
        }
    }

    /** Each node's startup blocks until the quorum has elected a leader, so all start at once on their own threads. */
    private void startAll() {
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            int node = i;
            starts.add(CompletableFuture.runAsync(() -> startNode(node), command -> {
                Thread t = new Thread(command, "kafka-test-start-" + node);
                t.setDaemon(true);
                t.start();
            }));
        }
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new))
                    .get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Kafka nodes did not start within " + READY_TIMEOUT + ": " + e, e);
        }
    }

    /** Until a fresh Admin sees every broker: a long-lived one that failed to bootstrap notices seconds late. */
    private void awaitBrokers(int expected) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                int seen = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                if (seen == expected) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            sleep(100);
        }
        throw new IllegalStateException("Kafka brokers not ready within " + READY_TIMEOUT, last);
    }

    private Properties properties(int i) {
        int n = servers.length;
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", Integer.toString(i));
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[i] + ",CONTROLLER://127.0.0.1:"
                + controllerPorts[i]);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPorts[i]);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        StringBuilder voters = new StringBuilder();
        for (int v = 0; v < n; v++) {
            voters.append(v == 0 ? "" : ",").append(v).append("@127.0.0.1:").append(controllerPorts[v]);
        }
        p.setProperty("controller.quorum.voters", voters.toString());
        p.setProperty("log.dirs", root.resolve("node-" + i).toString());
        String internalReplicas = Integer.toString(Math.min(3, n));
        String internalMinIsr = Integer.toString(Math.min(2, n));
        p.setProperty("offsets.topic.replication.factor", internalReplicas);
        p.setProperty("offsets.topic.num.partitions", "1");
        p.setProperty("transaction.state.log.replication.factor", internalReplicas);
        p.setProperty("transaction.state.log.min.isr", internalMinIsr);
        p.setProperty("transaction.state.log.num.partitions", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", internalReplicas);
        p.setProperty("share.coordinator.state.topic.min.isr", internalMinIsr);
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("auto.create.topics.enable", "false");
        // The cleaner's default dedupe buffer is 128 MiB per node, far more than a test's compacted topics need.
        p.setProperty("log.cleaner.dedupe.buffer.size", "2097152");
        p.setProperty("num.network.threads", "2");
        p.setProperty("num.io.threads", "2");
        p.setProperty("num.recovery.threads.per.data.dir", "1");
        p.setProperty("background.threads", "2");
        overrides.forEach(p::setProperty);
        return p;
    }

    private static void writeProperties(Properties p, Path file) {
        try (Writer w = Files.newBufferedWriter(file)) {
            p.store(w, "Millrace test broker");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops every node at once (one at a time loses the quorum halfway and the last shutdown hangs), then cleans up. */
    @Override
    public void close() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            int node = i;
            stops.add(CompletableFuture.runAsync(() -> stopNode(node)));
        }
        try {
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("Kafka test nodes did not all stop cleanly", e);
        }
        deleteTree(root);
    }

    private static void trapExit() {
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("Kafka asked to exit(" + status + "): " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("Kafka asked to halt(" + status + "): " + message);
        });
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("could not delete {}", dir, e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
