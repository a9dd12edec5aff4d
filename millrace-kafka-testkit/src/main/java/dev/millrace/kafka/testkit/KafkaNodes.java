package dev.millrace.kafka.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The shape both test clusters share ({@link KafkaTestCluster} in-process, {@link ChildKafkaCluster} as child JVMs):
 * {@code n} combined broker-and-controller KRaft nodes on 127.0.0.1, each with a broker port and a controller port
 * chosen once (so a restarted node comes back where the others expect it), static voters, a log directory per node
 * under one root, and the broker properties of node {@code i}. Also the readiness check both use.
 *
 * <p>Immutable after construction, thread-safe.
 */
final class KafkaNodes {
    private static final Logger log = LoggerFactory.getLogger(KafkaNodes.class);

    private final Path root;
    private final String clusterId = Uuid.randomUuid().toString();
    private final int[] brokerPorts;
    private final int[] controllerPorts;
    private final Map<String, String> overrides;

    KafkaNodes(int nodes, Path root, Map<String, String> overrides) {
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes " + nodes);
        }
        this.root = root;
        this.overrides = Map.copyOf(overrides);
        this.brokerPorts = new int[nodes];
        this.controllerPorts = new int[nodes];
        for (int i = 0; i < nodes; i++) {
            brokerPorts[i] = freePort();
            controllerPorts[i] = freePort();
        }
    }

    int size() {
        return brokerPorts.length;
    }

    Path root() {
        return root;
    }

    String clusterId() {
        return clusterId;
    }

    int brokerPort(int node) {
        return brokerPorts[node];
    }

    /** {@code host:port,...} of every broker, for {@code bootstrap.servers}. */
    String bootstrapServers() {
        List<String> all = new ArrayList<>();
        for (int port : brokerPorts) {
            all.add("127.0.0.1:" + port);
        }
        return String.join(",", all);
    }

    /** A fresh Admin client of the cluster; the caller closes it. */
    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    /** Node {@code i}'s broker properties: the defaults below, then the caller's overrides. */
    Properties properties(int i) {
        int n = brokerPorts.length;
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
        p.setProperty("log.dirs", logDir(i).toString());
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
        // Kafka's least is 6 s; tests give Millrace's writer election a 3 s session (--kafka-writer-session-timeout-ms
        // 3000), its own least, so that a killed writer is replaced in about 4 s rather than 11.
        p.setProperty("group.min.session.timeout.ms", "3000");
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

    Path logDir(int i) {
        return root.resolve("node-" + i);
    }

    /** Writes node {@code i}'s properties to {@code node-i.properties} under the root and returns the file. */
    Path writeProperties(int i) {
        Path file = root.resolve("node-" + i + ".properties");
        try (Writer w = Files.newBufferedWriter(file)) {
            properties(i).store(w, "Millrace test broker " + i);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Waits until every broker in {@code expected} is registered and unfenced, as a fresh Admin per attempt sees it: a
     * long-lived Admin that failed to bootstrap notices readiness seconds late. Brokers not in {@code expected} may be
     * listed too (a killed one stays registered until its session times out). Before asking Kafka, each expected
     * broker's port must accept a TCP connection, which is cheaper than an Admin that cannot bootstrap yet.
     */
    void awaitBrokers(Collection<Integer> expected, Duration timeout) {
        awaitBrokers(expected, timeout, () -> { });
    }

    /** {@link #awaitBrokers(Collection, Duration)}, running {@code check} (which may throw to give up) per attempt. */
    void awaitBrokers(Collection<Integer> expected, Duration timeout, Runnable check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            check.run();
            if (expected.stream().allMatch(i -> accepts(brokerPorts[i]))) {
                try (Admin admin = admin()) {
                    Set<Integer> seen = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).stream()
                            .map(Node::id).collect(Collectors.toSet());
                    if (seen.containsAll(expected)) {
                        return;
                    }
                    last = new IllegalStateException("registered: " + seen);
                } catch (Exception e) {
                    last = e;
                }
            }
            sleep(100);
        }
        throw new IllegalStateException("Kafka brokers " + expected + " not ready within " + timeout, last);
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
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

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
