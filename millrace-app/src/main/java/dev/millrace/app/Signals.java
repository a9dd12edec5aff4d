package dev.millrace.app;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * SIGTERM and SIGINT handling with {@link Signal} (module {@code jdk.unsupported}) instead of a shutdown hook: a hook
 * runs while the JVM is already exiting with status 143 (130 for SIGINT), whereas a handler lets {@code main} drain
 * and flush the server and then exit 0 on its own.
 *
 * <p>The first signal runs the given action (which must only wake the main thread). A second one more than
 * {@link #FORCE_AFTER_NANOS one second} later (Ctrl-C again, while a clean stop hangs) ends the process at once with
 * status 1; repeats within that second are ignored, because one signal often arrives twice (sent to the process and to
 * its process group, as {@code timeout} and some supervisors do). Forcing is safe for the data: acknowledged writes
 * are already durable, and recovery treats it like a crash.
 *
 * <p>Thread-safe: the JVM runs each handler on a thread of its own.
 */
final class Signals {
    private static final Logger log = LoggerFactory.getLogger(Signals.class);
    static final long FORCE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long NOT_YET = Long.MIN_VALUE;

    private Signals() {
    }

    /** Installs handlers for TERM and INT; signals the platform does not have are skipped. */
    static void onTermination(Runnable action) {
        AtomicLong firstAt = new AtomicLong(NOT_YET);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    long now = System.nanoTime();
                    if (firstAt.compareAndSet(NOT_YET, now)) {
                        log.info("Received SIG{}", signal.getName());
                        action.run();
                    } else if (now - firstAt.get() > FORCE_AFTER_NANOS) {
                        log.warn("Received SIG{} again while stopping; exiting now", signal.getName());
                        Runtime.getRuntime().halt(1);
                    }
                });
            } catch (IllegalArgumentException e) {
                log.debug("Signal {} is not available here: {}", name, e.getMessage());
            }
        }
    }

    /**
     * Runs {@code action} on each SIGHUP (the identities file is re-read then); a platform without SIGHUP skips it.
     * The action runs on the JVM's signal thread, so it must not block for long.
     */
    static void onHangup(Runnable action) {
        try {
            Signal.handle(new Signal("HUP"), signal -> {
                log.info("Received SIGHUP");
                action.run();
            });
        } catch (IllegalArgumentException e) {
            // Most often the process was started with SIGHUP ignored (nohup, some service managers): the JVM then
            // leaves it ignored, and a reload by SIGHUP would silently do nothing.
            log.warn("SIGHUP cannot be handled here ({}): --identities and --kms-keys will not be re-read on SIGHUP;"
                    + " restart the server to change them (was it started with nohup?)", e.getMessage());
        }
    }
}
