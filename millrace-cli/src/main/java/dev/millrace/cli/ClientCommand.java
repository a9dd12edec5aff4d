package dev.millrace.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What the client commands share: the endpoint options ({@link KinesisOptions}), the standard streams, and the one
 * place where a failure becomes an exit code ({@link ExitCode}) and a line on stderr, never a stack trace.
 *
 * <p>Standard output carries the command's results only: before any client is built, {@link System#out} is pointed
 * at stderr, so that whatever a library prints (the server's logging configuration writes to System.out) cannot mix
 * with the records a script reads; results go to the real standard output through a stream of its own.
 *
 * <p>The fields below the options are seams for tests (streams, environment, clock, connection, stop signal).
 * Not thread-safe: picocli fills and calls a command once.
 */
abstract class ClientCommand implements Callable<Integer> {
    static final String EXIT_CODES_HEADING = "%nExit codes:%n";
    static final String EXIT_0 = "  0:done";
    static final String EXIT_1 = "  1:another AWS error, or the endpoint could not be reached";
    static final String EXIT_2 = "  2:usage error (bad options, no region)";
    static final String EXIT_3 = "  3:stream or consumer not found";
    static final String EXIT_4 = "  4:access denied, or no usable credentials";
    static final String EXIT_5 = "  5:put only: some records could not be put";
    static final String EXIT_130 = "130:interrupted (Ctrl-C, SIGINT)";
    static final String EXIT_143 = "143:terminated (SIGTERM)";

    @Mixin
    KinesisOptions kinesisOptions = new KinesisOptions();

    @Spec
    CommandSpec spec;

    PrintStream out;
    PrintStream err;
    InputStream in;
    Map<String, String> env = System.getenv();
    Clock clock = Clock.systemUTC();
    Function<KinesisOptions.Resolved, KinesisConnection> connector = KinesisConnection::new;
    /** Completed with the signal's name ({@code "INT"}, {@code "TERM"}) when the command is told to stop. */
    CompletableFuture<String> stop;

    @Override
    public final Integer call() {
        if (out == null) {
            out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
                    false, StandardCharsets.UTF_8);
            err = System.err;
            System.setOut(System.err);
        }
        if (err == null) {
            err = System.err;
        }
        if (in == null) {
            in = System.in;
        }
        try {
            KinesisOptions.Resolved where = kinesisOptions.resolve(env);
            try (KinesisConnection kinesis = connector.apply(where)) {
                return execute(kinesis);
            }
        } catch (UsageException e) {
            err.println(name() + ": " + e.getMessage());
            return ExitCode.USAGE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return stoppedCode();
        } catch (Exception e) {
            int code = ExitCode.of(e);
            err.println(name() + ": " + ExitCode.describe(e) + hint(code));
            return code;
        } finally {
            out.flush();
        }
    }

    /** The command's work; returns its exit code. Failures thrown become exit codes in {@link #call()}. */
    abstract int execute(KinesisConnection kinesis) throws Exception;

    /** The future a long command stops on: a signal, unless a test gave one. */
    CompletableFuture<?> stopSignal() {
        if (stop == null) {
            stop = Interruption.install();
        }
        return stop;
    }

    /** The exit code of a run ended by the stop signal: 130 for SIGINT, 143 for SIGTERM. */
    int stoppedCode() {
        return ExitCode.ofSignal(stop == null ? null : stop.getNow(null));
    }

    /** Whether to show progress on stderr: {@code --progress}/{@code --no-progress}, else if stderr is a tty. */
    boolean progressWanted(Boolean option) {
        return option != null ? option : err == System.err && Terminal.isTerminal(2);
    }

    String name() {
        return "millrace " + (spec == null ? "command" : spec.name());
    }

    private static String hint(int code) {
        if (code == ExitCode.ACCESS_DENIED) {
            return " (check the credentials: --profile, AWS_PROFILE, AWS_ACCESS_KEY_ID..., and what they may do)";
        }
        return "";
    }
}
