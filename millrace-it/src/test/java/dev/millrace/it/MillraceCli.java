package dev.millrace.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code java -jar millrace.jar <command> ... --endpoint-url ENDPOINT} as a child process, the way a user runs
 * {@code ./millrace tail}: stdin from bytes, stdout and stderr into files of the test's directory (read while it runs
 * with {@link #stdout()}). The environment carries keys and a region, and nothing else of AWS's, so that the
 * machine's own configuration cannot change what is tested.
 *
 * <p>Not thread-safe; one per command run.
 */
final class MillraceCli implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Process process;
    private final Path out;
    private final Path err;
    private final List<String> command;

    /** What a finished command left behind. */
    record Result(int exitCode, String stdout, String stderr) {
    }

    private MillraceCli(Process process, Path out, Path err, List<String> command) {
        this.process = process;
        this.out = out;
        this.err = err;
        this.command = command;
    }

    /** Starts {@code millrace <args> --endpoint-url endpoint} with {@code stdin} as its input. */
    static MillraceCli start(Path dir, URI endpoint, byte[] stdin, String... args) {
        List<String> command = new ArrayList<>(MillraceProcess.javaJar("256m"));
        command.addAll(List.of(args));
        command.addAll(List.of("--endpoint-url", endpoint.toString()));
        int n = COUNTER.incrementAndGet();
        try {
            Path in = dir.resolve("cli-" + n + ".in");
            Files.write(in, stdin);
            Path out = dir.resolve("cli-" + n + ".out");
            Path err = dir.resolve("cli-" + n + ".err");
            ProcessBuilder pb = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("AWS_") && !k.equals("AWS_EC2_METADATA_DISABLED"));
            env.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
            env.put("AWS_SECRET_ACCESS_KEY", "secret");
            env.put("AWS_REGION", "us-east-1");
            env.put("AWS_CONFIG_FILE", dir.resolve("no-aws-config").toString());
            env.put("AWS_SHARED_CREDENTIALS_FILE", dir.resolve("no-aws-credentials").toString());
            return new MillraceCli(pb.start(), out, err, command);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Runs {@code millrace <args>} to its end (at most {@code timeoutS}). */
    static Result run(Path dir, URI endpoint, byte[] stdin, long timeoutS, String... args) {
        try (MillraceCli cli = start(dir, endpoint, stdin, args)) {
            return cli.awaitExit(timeoutS);
        }
    }

    static Result run(Path dir, URI endpoint, String... args) {
        return run(dir, endpoint, new byte[0], 60, args);
    }

    /** What it printed on stdout so far. */
    String stdout() {
        try {
            return Files.readString(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String stderr() {
        try {
            return Files.readString(err, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends SIGINT, as Ctrl-C does. Check {@link #ignoresSigint()} first: an ignored SIGINT does nothing. */
    void interrupt() throws IOException, InterruptedException {
        signal("INT");
    }

    /** Sends SIGTERM, as {@code kill PID}, {@code timeout} and supervisors do. */
    void terminate() throws IOException, InterruptedException {
        signal("TERM");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " failed");
        }
    }

    /** Whether the command runs with SIGINT ignored, so that {@link #interrupt()} cannot stop it ({@link Signals}). */
    boolean ignoresSigint() {
        return Signals.ignoresSigint(process.pid());
    }

    Result awaitExit(long timeoutS) {
        try {
            if (!process.waitFor(timeoutS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(command + " did not end within " + timeoutS + " s; stderr:\n" + stderr());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Result r = new Result(process.exitValue(), stdout(), stderr());
        System.out.println("$ " + String.join(" ", command) + " -> " + r.exitCode() + "\n" + r.stderr());
        return r;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
