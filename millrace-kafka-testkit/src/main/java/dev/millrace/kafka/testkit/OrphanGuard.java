package dev.millrace.kafka.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * The main class of {@link ChildKafkaCluster}'s child JVMs: {@code OrphanGuard <main class> <args...>} runs the given
 * main class, and halts the JVM as soon as its standard input reaches end of file. The parent never writes to that
 * pipe and never closes it, so end of file means the parent is gone, however it went: a shutdown hook covers a
 * normal exit or SIGTERM of the test JVM, this covers SIGKILL and a surefire timeout, which would otherwise leave
 * brokers running (and holding ports and memory) until someone notices.
 *
 * <p>Stateless; its one thread only reads standard input.
 */
public final class OrphanGuard {
    /** The exit status of a child whose parent went away, as after SIGKILL. */
    static final int ORPHANED_STATUS = 137;

    private OrphanGuard() {
    }

    public static void main(String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: OrphanGuard <main class> [args...]");
            System.exit(2);
        }
        Thread watcher = new Thread(() -> watch(System.in), "orphan-guard");
        watcher.setDaemon(true);
        watcher.start();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static void watch(InputStream parent) {
        try {
            byte[] buffer = new byte[64];
            while (parent.read(buffer) >= 0) {
                // The parent writes nothing; anything read is ignored.
            }
        } catch (IOException e) {
            // A broken pipe says the same as end of file.
        }
        // halt, not exit: a broker's shutdown hooks could wait on peers that are being halted too.
        Runtime.getRuntime().halt(ORPHANED_STATUS);
    }
}
