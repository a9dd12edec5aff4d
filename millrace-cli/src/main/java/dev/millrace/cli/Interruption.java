package dev.millrace.cli;

import sun.misc.Signal;

import java.util.concurrent.CompletableFuture;

/**
 * SIGINT (Ctrl-C) and SIGTERM as a future a command waits on next to its work, so that it stops where it is,
 * flushes what it printed and returns its exit code itself ({@link ExitCode#ofSignal}: 130 for SIGINT, 143 for
 * SIGTERM, as shells report a program those signals end), with no stack trace: a shutdown hook would
 * run while the JVM is already exiting. {@link sun.misc.Signal} is in module {@code jdk.unsupported}, as for the
 * server's own handling. A second signal while stopping ends the process at once, with that signal's code.
 *
 * <p>A signal the process was started with ignored (SIGINT for a background job of a non-interactive shell, as
 * POSIX has it) stays ignored: the JVM does not take it over, so only SIGTERM stops such a run.
 *
 * <p>Thread-safe: the JVM runs each handler on a thread of its own; the future is thread-safe.
 */
final class Interruption {
    private Interruption() {
    }

    /** A future completed with the signal's name when SIGINT or SIGTERM arrives. */
    static CompletableFuture<String> install() {
        CompletableFuture<String> signalled = new CompletableFuture<>();
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (!signalled.complete(signal.getName())) {
                        Runtime.getRuntime().halt(ExitCode.ofSignal(signal.getName()));
                    }
                });
            } catch (IllegalArgumentException e) {
                // A platform without this signal: Ctrl-C then ends the JVM the default way.
            }
        }
        return signalled;
    }
}
