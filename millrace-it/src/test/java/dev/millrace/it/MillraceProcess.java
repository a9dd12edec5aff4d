package dev.millrace.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Millrace server run as a child process from {@code millrace-app/target/millrace.jar} (system property
 * {@code millrace.jar}), never inside the test JVM: the server runs on Netty 4.2, the AWS SDK's client on 4.1.
 *
 * <p>{@link #start} launches {@code java -jar millrace.jar server --port 0 --host 127.0.0.1 --data-dir DIR
 * --transition-delay-ms 0} (with {@link #java}'s JVM options; {@link #startWithTransitionDelay} with another delay)
 * and reads the child's output (stdout and stderr, merged) until the line
 * {@code Millrace listening on http://HOST:PORT (data dir DIR)}, which gives the port actually bound. The output is
 * kept ({@link #output()}), echoed to the test's stdout and written to {@code target/millrace-logs/}.
 * {@link #startOnPort} starts on a given port instead, for a restart that clients must not notice but as a pause. In
 * a class marked {@link OnKafka} every server keeps its streams on that class's Kafka broker
 * ({@code --storage kafka ...}, from {@link KafkaBackend#serverArgs}), under a topic prefix of its data
 * directory's own.
 * {@link #stop()} sends SIGTERM and returns the exit status (0 after a clean stop), {@link #interrupt()} the same with
 * SIGINT; {@link #kill9()} sends SIGKILL.
 *
 * <p>Thread-safe: the output is collected by a reader thread and read under a lock.
 */
public final class MillraceProcess implements AutoCloseable {
    /**
     * The ready line; the port is the one actually bound. Also as {@code --log-format json} writes it, with its
     * slashes escaped ({@code http:\/\/}).
     */
    static final Pattern LISTENING = Pattern.compile(
            "Millrace listening on http:\\\\?/\\\\?/(\\S+):(\\d+) \\(data dir (.*)\\)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Process process;
    private final String name;
    private final List<String> lines = new ArrayList<>();
    private final CompletableFuture<Matcher> ready = new CompletableFuture<>();
    private final Thread reader;
    private URI endpoint;

    private MillraceProcess(Process process, String name, PrintWriter log) {
        this.process = process;
        this.name = name;
        this.reader = new Thread(() -> pump(log), "millrace-output-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** The jar built by millrace-app. */
    public static Path jar() {
        String jar = System.getProperty("millrace.jar");
        if (jar == null) {
            throw new IllegalStateException("system property millrace.jar is not set (run the tests with Maven)");
        }
        Path path = Path.of(jar).toAbsolutePath().normalize();
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException(path + " does not exist: build millrace-app first (mvn -pl millrace-app "
                    + "-am package)");
        }
        return path;
    }

    /** The repository root (the directory holding the {@code ./millrace} launcher). */
    public static Path repo() {
        return Path.of(System.getProperty("millrace.repo", "..")).toAbsolutePath().normalize();
    }

    /**
     * Starts {@code java -jar millrace.jar server} on a free port of 127.0.0.1, with no transition delay and, unless
     * {@code extraArgs} say otherwise, without throughput limits: most suites write in bulk and test the API, not
     * the limits, which have their own tests.
     */
    public static MillraceProcess start(Path dataDir, String... extraArgs) {
        return startWithTransitionDelay(dataDir, 0, extraArgs);
    }

    /**
     * {@link #start}, but streams stay CREATING, UPDATING and DELETING for {@code transitionDelayMs}
     * ({@code --transition-delay-ms}).
     */
    public static MillraceProcess startWithTransitionDelay(Path dataDir, long transitionDelayMs, String... extraArgs) {
        return startServer(dataDir, 0, transitionDelayMs, extraArgs);
    }

    /**
     * {@link #start}, but on a given port of 127.0.0.1: a restart on the data directory and port of a stopped server
     * ({@code startOnPort(dir, stopped.port())}) is the same endpoint to clients that keep running across it.
     */
    public static MillraceProcess startOnPort(Path dataDir, int port, String... extraArgs) {
        return startServer(dataDir, port, 0, extraArgs);
    }

    /**
     * {@link #start}, with {@code env} added to the child's environment (the {@code MILLRACE_*} variables that set
     * options).
     */
    public static MillraceProcess startWithEnv(Path dataDir, java.util.Map<String, String> env, String... extraArgs) {
        return launch(serverCommand(dataDir, 0, 0, extraArgs), null, env);
    }

    private static MillraceProcess startServer(Path dataDir, int port, long transitionDelayMs, String... extraArgs) {
        return launch(serverCommand(dataDir, port, transitionDelayMs, extraArgs), null);
    }

    private static List<String> serverCommand(Path dataDir, int port, long transitionDelayMs, String... extraArgs) {
        List<String> command = new ArrayList<>(javaJar("512m"));
        command.addAll(List.of("server", "--port", Integer.toString(port), "--host",
                "127.0.0.1", "--data-dir", dataDir.toString(), "--transition-delay-ms",
                Long.toString(transitionDelayMs)));
        command.addAll(KafkaBackend.serverArgs(dataDir));
        if (!List.of(extraArgs).contains("--throughput-limits")) {
            command.addAll(List.of("--throughput-limits", "off"));
        }
        command.addAll(List.of(extraArgs));
        return command;
    }

    /** Runs any command (the {@code ./millrace} launcher, say) in {@code workDir} without waiting for readiness. */
    public static MillraceProcess launch(List<String> command, Path workDir) {
        return launch(command, workDir, java.util.Map.of());
    }

    /** {@link #launch(List, Path)} with {@code env} added to the child's environment. */
    public static MillraceProcess launch(List<String> command, Path workDir, java.util.Map<String, String> env) {
        String name = "millrace-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        if (workDir != null) {
            pb.directory(workDir.toFile());
        }
        try {
            Path logDir = Path.of(System.getProperty("millrace.it.logs", "target/millrace-logs"));
            Files.createDirectories(logDir);
            PrintWriter log = new PrintWriter(Files.newBufferedWriter(logDir.resolve(name + ".log")), true);
            log.println("$ " + String.join(" ", command));
            return new MillraceProcess(pb.start(), name, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * {@code java -Xmx<maxHeap>} with the options of every JVM the tests start (servers, CLI commands, KCL workers,
     * the load generator): C1 only and the serial collector, as the child Kafka brokers have. A child lives seconds
     * to a couple of minutes on two cores shared by two test classes, so start-up CPU is what the tests wait for, and
     * C2's compilations were about 40% of a server's CPU until it listened (3.1 s against 1.9 s with C1 only).
     * Nothing here measures peak speed.
     */
    static List<String> java(String maxHeap) {
        return List.of(javaBinary(), "-Xmx" + maxHeap, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    }

    /** {@link #java} running millrace.jar, with its {@link ClassArchive}: {@code java ... -jar millrace.jar}. */
    static List<String> javaJar(String maxHeap) {
        List<String> command = new ArrayList<>(java(maxHeap));
        command.addAll(ClassArchive.options());
        command.addAll(List.of("-jar", jar().toString()));
        return command;
    }

    private void pump(PrintWriter log) {
        try (log; BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (lines) {
                    lines.add(line);
                }
                log.println(line);
                System.out.println("[" + name + "] " + line);
                Matcher m = LISTENING.matcher(line);
                if (!ready.isDone() && m.find()) {
                    ready.complete(m);
                }
            }
        } catch (IOException e) {
            // the stream closes when the process dies; nothing more to read
        } finally {
            ready.completeExceptionally(new IllegalStateException("millrace exited before it was ready"));
        }
    }

    /** Waits for the ready line and returns the endpoint, {@code http://127.0.0.1:PORT}. */
    public URI awaitReady() {
        if (endpoint != null) {
            return endpoint;
        }
        try {
            Matcher m = ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            endpoint = URI.create("http://" + m.group(1) + ":" + m.group(2));
            return endpoint;
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("millrace did not become ready (" + e.getMessage() + "); output:\n"
                    + output(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The endpoint, after {@link #awaitReady()} (called here if need be). */
    public URI endpoint() {
        return awaitReady();
    }

    public int port() {
        return awaitReady().getPort();
    }

    /** The data directory the server reported in its ready line. */
    public String reportedDataDir() {
        awaitReady();
        return ready.join().group(3).replace("\\/", "/");
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Everything the process printed so far. */
    public String output() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }

    /**
     * Sends SIGTERM and waits for the process to end; returns its exit status. The signal goes through the
     * {@link ProcessHandle}: {@link Process#destroy()} would also close our end of the output pipe, losing what the
     * server prints while it stops.
     */
    public int stop() {
        process.toHandle().destroy();
        return waitForExit();
    }

    /** Sends SIGINT (Ctrl-C) with {@code kill -INT} and waits for the process to end; returns its exit status. */
    public int interrupt() {
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -INT " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return waitForExit();
    }

    /** Sends SIGKILL ({@code kill -9}) and waits for the process to end. */
    public void kill9() {
        process.toHandle().destroyForcibly();
        waitForExit();
    }

    /** Waits for the process to end on its own (a usage error, say); returns its exit status. */
    public int waitForExit() {
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException("millrace did not exit within " + STOP_TIMEOUT + "; output:\n"
                        + output());
            }
            reader.join(5_000);
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kills the process if it is still running (a failed test must not leave servers behind). */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill9();
        }
    }
}
