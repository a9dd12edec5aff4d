package dev.millrace.kafka.testkit;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

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

    private final KafkaNodes nodes;
    private final KafkaRaftServer[] servers;

    private KafkaTestCluster(int nodes, Path root, Map<String, String> overrides) {
        this.nodes = new KafkaNodes(nodes, root, overrides);
        this.servers = new KafkaRaftServer[nodes];
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
            cluster.nodes.awaitBrokers(IntStream.range(0, nodes).boxed().toList(), READY_TIMEOUT);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The directory holding every node's data (their log directories): for tests that read what Kafka stored. */
    public Path root() {
        return nodes.root();
    }

    /** {@code host:port,...} of every broker, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return nodes.bootstrapServers();
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
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(nodes.properties(i), false), Time.SYSTEM);
        servers[i] = server;
        server.startup();
    }

    /** An Admin client of this cluster; the caller closes it. */
    public Admin admin() {
        return nodes.admin();
    }

    private void formatAll() {
        for (int i = 0; i < servers.length; i++) {
            Path config = nodes.writeProperties(i);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            String[] args = {"format", "-t", nodes.clusterId(), "-c", config.toString()};
            int rc = kafka.tools.StorageTool.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8));
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
        KafkaNodes.deleteTree(nodes.root());
    }

    private static void trapExit() {
        Exit.setExitProcedure((status, message) -> {
            throw new IllegalStateException("Kafka asked to exit(" + status + "): " + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            throw new IllegalStateException("Kafka asked to halt(" + status + "): " + message);
        });
    }
}
