package dev.millrace.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a standard stream is a terminal, for progress lines that only a person watching wants. Java has no isatty:
 * on Linux the answer is where {@code /proc/self/fd/N} points (a tty or pseudo-tty device); elsewhere, no.
 *
 * <p>Stateless, thread-safe.
 */
final class Terminal {
    private Terminal() {
    }

    /** True if file descriptor {@code fd} (2 for stderr) is a terminal. */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }
}
