package dev.millrace.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a child process does with signals, for tests that stop one with Ctrl-C's SIGINT.
 *
 * <p>Stateless, thread-safe.
 */
final class Signals {
    private Signals() {
    }

    /**
     * Whether process {@code pid} runs with SIGINT ignored, so that a SIGINT cannot stop it: a suite started in the
     * background by a non-interactive shell (as CIs do) has SIGINT ignored, POSIX passes that on through exec to every
     * child, and the JVM leaves an ignored SIGINT ignored. Read from bit 2 (mask 0x2) of SigIgn in
     * {@code /proc/PID/status}; false where there is no /proc.
     */
    static boolean ignoresSigint(long pid) {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        try {
            if (!Files.exists(status)) {
                return false;
            }
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << (2 - 1))) != 0;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
