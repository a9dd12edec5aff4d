package dev.millrace.server.http;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * At most one line per interval for a condition a client can cause as often as it likes (refused connections,
 * failed handshakes, broken HTTP/2 connections: WARN; calls of unknown operations: INFO); the next line says how many
 * were left out meanwhile. Never a stack trace: the cause's class and message are enough to tell what the client
 * did.
 *
 * <p>Thread-safe (lock-free).
 */
final class RateLimitedLog {
    static final long INTERVAL_NANOS_DEFAULT = 10_000_000_000L;
    private static final int MAX_CHARS = 160;

    private final Logger log;
    private final LongSupplier nanoTime;
    private final long intervalNanos;
    private final AtomicLong nextAllowedNanos;
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(Logger log, LongSupplier nanoTime, long intervalNanos) {
        this.log = log;
        this.nanoTime = nanoTime;
        this.intervalNanos = intervalNanos;
        this.nextAllowedNanos = new AtomicLong(nanoTime.getAsLong());
    }

    RateLimitedLog(Logger log) {
        this(log, System::nanoTime, INTERVAL_NANOS_DEFAULT);
    }

    /** Logs {@code message} (SLF4J placeholders, no throwable) unless a line was logged within the interval. */
    void warn(String message, Object... args) {
        String line = admit(message);
        if (line != null) {
            log.warn(line, args);
        }
    }

    /** {@link #warn}'s limit, at INFO. */
    void info(String message, Object... args) {
        String line = admit(message);
        if (line != null) {
            log.info(line, args);
        }
    }

    /** The line to log now, with the count of lines left out before it; {@code null} within the interval. */
    private String admit(String message) {
        long now = nanoTime.getAsLong();
        long allowed = nextAllowedNanos.get();
        if (now - allowed < 0 || !nextAllowedNanos.compareAndSet(allowed, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return null;
        }
        long left = suppressed.getAndSet(0);
        return left == 0 ? message : message + " (" + left + " more like it not logged)";
    }

    /** The cause in one line: its class and message, without the stack. */
    static String oneLine(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
        // Some messages quote what the client sent (NotSslRecordException dumps the whole record in hex).
        if (text.length() > MAX_CHARS) {
            text = text.substring(0, MAX_CHARS) + "...";
        }
        return text.replace('\n', ' ').replace('\r', ' ');
    }
}
