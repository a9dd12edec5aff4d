package dev.millrace.kafka.testkit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real Apache Kafka cluster whose nodes are child JVMs, so that a test can SIGKILL a broker: the same shape as
 * {@link KafkaTestCluster} ({@link KafkaNodes}: combined KRaft nodes on 127.0.0.1, ports chosen once, static voters),
 * each node run as {@code java -cp <this JVM's class path> kafka.Kafka node-i.properties} after
 * {@code kafka.tools.StorageTool format} (all nodes formatted at once: each format is a JVM start, 1.5 to 2 s).
 * {@link #kill} is a SIGKILL ({@link Process#destroyForcibly()}); {@link #startNode(int...)} brings a node back on
 * its old ports and log directory.
 *
 * <p>Costs: three nodes took 8 to 33 s to start on two shared cores (most of it JVM start-up and formatting), and
 * need about 300 to 400 MB of memory each, so a test class should share one cluster, and is tagged
 * {@code @Tag("chaos")} so that a quick build can leave it out ({@code mvn verify -DexcludedGroups=chaos}). Brokers
 * get {@value #HEAP} of heap, C1 only and the serial collector (start-up, not throughput, is what tests wait for).
 * Their output (WARN and above, whichever SLF4J binding the class path has: log4j2, logback or slf4j-simple) goes to
 * {@code node-i.log} under the cluster's directory; {@link #logTail} shows it, and {@link #close} copies the logs to
 * {@code target/kafka-logs/} when run from a Maven module.
 *
 * <p>No child outlives the test JVM: a shutdown hook SIGKILLs them, and each child runs under {@link OrphanGuard},
 * which halts it when the pipe from this JVM closes (a SIGKILLed test JVM runs no hooks).
 *
 * <p>Not thread-safe: one test thread starts, kills, stops and closes nodes; clients of the brokers may be on any
 * thread, and {@link #leaderOf}, {@link #isrOf} and the other queries may be called from any thread.
 */
public final class ChildKafkaCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChildKafkaCluster.class);
    private static final String HEAP = "384m";
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    /** How long a SIGTERMed broker may take over its controlled shutdown before it is SIGKILLed. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaNodes nodes;
    private final Process[] processes;
    private final Thread killOnExit;
    private final Path jvmArgs;

    private ChildKafkaCluster(KafkaNodes nodes) {
        this.nodes = nodes;
        this.processes = new Process[nodes.size()];
        this.jvmArgs = nodes.root().resolve("jvm.args");
        this.killOnExit = new Thread(this::killAll, "child-kafka-kill-on-exit");
    }

    /** Starts a cluster of {@code nodes} combined nodes and waits until every broker is registered. */
    public static ChildKafkaCluster start(int nodes) {
        return start(nodes, Map.of());
    }

    /** Like {@link #start(int)}, with broker properties that override the defaults (e.g. shorter timeouts). */
    public static ChildKafkaCluster start(int nodes, Map<String, String> brokerOverrides) {
        Path root;
        try {
            root = Files.createTempDirectory("millrace-child-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChildKafkaCluster cluster = new ChildKafkaCluster(new KafkaNodes(nodes, root, brokerOverrides));
        Runtime.getRuntime().addShutdownHook(cluster.killOnExit);
        try {
            long started = System.nanoTime();
            cluster.writeJvmFiles();
            cluster.formatAll();
            long formatted = System.nanoTime();
            cluster.startNode(IntStream.range(0, nodes).toArray());
            log.info("{} child Kafka nodes ready in {} ms (format {} ms): {}", nodes,
                    (System.nanoTime() - started) / 1_000_000, (formatted - started) / 1_000_000,
                    cluster.bootstrapServers());
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** {@code host:port,...} of every broker, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return nodes.bootstrapServers();
    }

    public int size() {
        return processes.length;
    }

    /** A fresh Admin client of this cluster; the caller closes it. */
    public Admin admin() {
        return nodes.admin();
    }

    /** Whether node {@code node}'s JVM is running (it may not be ready yet, or still be shutting down). */
    public boolean isAlive(int node) {
        Process p = processes[node];
        return p != null && p.isAlive();
    }

    /** The process id of node {@code node}'s JVM; it must be running. */
    public long pid(int node) {
        Process p = processes[node];
        if (p == null) {
            throw new IllegalStateException("node " + node + " is not running");
        }
        return p.pid();
    }

    /**
     * SIGKILLs node {@code node} and waits until its JVM is gone: no controlled shutdown, no flush, open sockets reset.
     * The cluster learns of it only when the broker's session times out ({@code broker.session.timeout.ms}, 9 s by
     * default). Idempotent.
     */
    public void kill(int node) {
        Process p = processes[node];
        processes[node] = null;
        if (p != null) {
            p.destroyForcibly();
            awaitExit(p, Duration.ofSeconds(30), node);
        }
    }

    /** Stops node {@code node} with SIGTERM (a controlled shutdown), SIGKILL if it takes over 30 s. Idempotent. */
    public void stopNode(int node) {
        Process p = processes[node];
        processes[node] = null;
        if (p != null) {
            terminate(p, node);
        }
    }

    /**
     * Starts the given nodes (again) on their old ports and log directories, all at once, and returns when every one
     * of them is registered with the cluster. A node that is running already is left alone. Starting a node that
     * lost the quorum's majority needs enough voters running to elect a controller, so bring such nodes back together.
     */
    public void startNode(int... toStart) {
        for (int node : toStart) {
            if (processes[node] == null || !processes[node].isAlive()) {
                processes[node] = launch(node, "kafka.Kafka", nodes.writeProperties(node).toString());
            }
        }
        List<Integer> expected = Arrays.stream(toStart).boxed().toList();
        try {
            nodes.awaitBrokers(expected, READY_TIMEOUT, () -> expected.forEach(this::checkRunning));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "\n" + expected.stream()
                    .map(n -> "node " + n + " log:\n" + logTail(n, 30)).collect(Collectors.joining("\n")), e);
        }
    }

    /** The id (= index) of the partition's leader as the cluster's metadata says now, or -1 if it has none. */
    public int leaderOf(String topic, int partition) {
        Node leader = partitionInfo(topic, partition).leader();
        return leader == null || leader.isEmpty() ? -1 : leader.id();
    }

    /** The ids of the partition's in-sync replicas, as the cluster's metadata says now. */
    public List<Integer> isrOf(String topic, int partition) {
        return partitionInfo(topic, partition).isr().stream().map(Node::id).sorted().toList();
    }

    /**
     * Waits until the partition has a leader other than {@code notNode} (pass -1 for any leader) and returns it. After
     * a SIGKILL the old leader stays in the metadata until its session times out, hence the exclusion.
     */
    public int awaitLeader(String topic, int partition, int notNode, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                int leader = leaderOf(topic, partition);
                if (leader >= 0 && leader != notNode) {
                    return leader;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            KafkaNodes.sleep(200);
        }
        throw new IllegalStateException(topic + "-" + partition + " has no leader but " + notNode + " after "
                + timeout, last);
    }

    /** Waits until the partition has at least {@code replicas} in-sync replicas (a restarted node caught up). */
    public void awaitIsr(String topic, int partition, int replicas, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Integer> isr = List.of();
        while (System.nanoTime() < deadline) {
            try {
                isr = isrOf(topic, partition);
                if (isr.size() >= replicas) {
                    return;
                }
            } catch (RuntimeException e) {
                // the metadata is asked again below
            }
            KafkaNodes.sleep(200);
        }
        throw new IllegalStateException(topic + "-" + partition + " has ISR " + isr + " after " + timeout
                + ", not " + replicas + " replicas");
    }

    /**
     * The ids of the brokers registered and unfenced now. A SIGKILLed broker stays in it until its session times out
     * ({@code broker.session.timeout.ms}, 9 s by default).
     */
    public Set<Integer> registeredBrokers() {
        try (Admin admin = admin()) {
            return admin.describeCluster().nodes().get(15, TimeUnit.SECONDS).stream().map(Node::id)
                    .collect(Collectors.toCollection(TreeSet::new));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe the cluster: " + e, e);
        }
    }

    /** With a fresh Admin each time, for the reason {@link KafkaNodes#awaitBrokers} gives. */
    private TopicPartitionInfo partitionInfo(String topic, int partition) {
        try (Admin admin = admin()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS).get(topic)
                    .partitions().get(partition);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot describe " + topic + ": " + e, e);
        }
    }

    /** The last {@code lines} lines node {@code node} printed (WARN and above), for a failing test's message. */
    public String logTail(int node, int lines) {
        Path file = logFile(node);
        try {
            if (!Files.exists(file)) {
                return "(no log)";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /**
     * Stops every node at once (SIGTERM to all, then SIGKILL to any still running after 30 s: one at a time, the last
     * ones would lose the quorum halfway through their controlled shutdown), keeps their logs, deletes their data.
     */
    @Override
    public void close() {
        long started = System.nanoTime();
        List<Process> stopping = new ArrayList<>();
        for (int i = 0; i < processes.length; i++) {
            if (processes[i] != null) {
                stopping.add(processes[i]);
                processes[i].destroy();
                processes[i] = null;
            }
        }
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (Process p : stopping) {
            try {
                if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    log.warn("Kafka node (pid {}) ignored SIGTERM for {}; SIGKILL", p.pid(), STOP_TIMEOUT);
                    p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopping.forEach(Process::destroyForcibly);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is shutting down; the hook runs anyway and finds nothing alive
        }
        log.info("{} child Kafka nodes stopped in {} ms", stopping.size(), (System.nanoTime() - started) / 1_000_000);
        keepLogs();
        KafkaNodes.deleteTree(nodes.root());
    }

    private void formatAll() {
        List<Process> formats = new ArrayList<>();
        for (int i = 0; i < processes.length; i++) {
            formats.add(launch(i, "kafka.tools.StorageTool", "format", "-t", nodes.clusterId(), "-c",
                    nodes.writeProperties(i).toString()));
        }
        for (int i = 0; i < formats.size(); i++) {
            int rc = awaitExit(formats.get(i), FORMAT_TIMEOUT, i);
            if (rc != 0) {
                throw new IllegalStateException("formatting node " + i + " failed (" + rc + "):\n" + logTail(i, 30));
            }
        }
    }

    /**
     * The JVM options every child shares, in an argument file ({@code java @file}): the test class path can be longer
     * than a single command-line argument may be. Also the logging configurations they point at.
     */
    private void writeJvmFiles() {
        Path root = nodes.root();
        Path log4j2 = root.resolve("log4j2.xml");
        Path logback = root.resolve("logback.xml");
        List<String> options = List.of("-Xms64m", "-Xmx" + HEAP, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:-UsePerfData", "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=" + log4j2, "-Dlogback.configurationFile=" + logback,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.logFile=System.out",
                "-cp", System.getProperty("java.class.path"));
        try {
            Files.writeString(log4j2, """
                    <Configuration status="ERROR">
                      <Appenders><Console name="out" target="SYSTEM_OUT">
                        <PatternLayout pattern="%d{HH:mm:ss.SSS} %-5level [%t] %c{1} - %m%n"/></Console></Appenders>
                      <Loggers><Root level="WARN"><AppenderRef ref="out"/></Root></Loggers>
                    </Configuration>
                    """);
            Files.writeString(logback, """
                    <configuration>
                      <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n</pattern></encoder>
                      </appender>
                      <root level="WARN"><appender-ref ref="out"/></root>
                    </configuration>
                    """);
            Files.write(jvmArgs, options.stream().map(ChildKafkaCluster::quote).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An argument-file token: quoted, with backslashes and quotes escaped as the java launcher expects. */
    private static String quote(String arg) {
        return '"' + arg.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** {@code java @jvm.args OrphanGuard <main> <args>}, output appended to the node's log, stdin a pipe held open. */
    private Process launch(int node, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "@" + jvmArgs, OrphanGuard.class.getName(), mainClass));
        command.addAll(List.of(args));
        try {
            return new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(node).toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    private Path logFile(int node) {
        return nodes.root().resolve("node-" + node + ".log");
    }

    private void checkRunning(int node) {
        Process p = processes[node];
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("Kafka node " + node + " exited"
                    + (p == null ? "" : " with status " + p.exitValue()) + " while starting:\n" + logTail(node, 40));
        }
    }

    private void terminate(Process p, int node) {
        p.destroy();
        try {
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("Kafka node {} ignored SIGTERM for {}; SIGKILL", node, STOP_TIMEOUT);
                p.destroyForcibly();
                awaitExit(p, Duration.ofSeconds(30), node);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static int awaitExit(Process p, Duration timeout, int node) {
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("Kafka node " + node + " process did not exit within " + timeout);
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void killAll() {
        for (Process p : processes) {
            if (p != null) {
                p.destroyForcibly();
            }
        }
    }

    /** Copies the nodes' logs to {@code target/kafka-logs/<cluster dir>/} when the working directory has a target. */
    private void keepLogs() {
        Path target = Path.of("target");
        if (!Files.isDirectory(target)) {
            return;
        }
        try {
            Path dir = Files.createDirectories(target.resolve("kafka-logs").resolve(nodes.root().getFileName()));
            for (int i = 0; i < processes.length; i++) {
                if (Files.exists(logFile(i))) {
                    Files.copy(logFile(i), dir.resolve(logFile(i).getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            log.warn("could not keep the Kafka nodes' logs", e);
        }
    }
}
