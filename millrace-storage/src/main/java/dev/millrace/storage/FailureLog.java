package dev.millrace.storage;

import org.slf4j.Logger;

import java.time.Clock;

/**
 * The log lines of one failing thing (a shard, the metadata store), rate-limited: the first failure of an outage is
 * logged, then at most one line per interval, which counts the failures left unlogged since the previous line; healing
 * is logged once. A full disk fails every write for as long as it stays full; without this each failure logged a stack
 * trace (399 MB of log in 4.5 minutes, which helps to fill the disk).
 *
 * <p>The failure logs of one store may share a {@link Budget}: a full disk fails every shard at once, and one line per
 * shard per interval is still 10,000 lines a minute for 10,000 shards. Past the budget a shard's line is left out
 * (and counted in that shard's next line), and the store's next line says how many lines were left out store-wide.
 *
 * <p>Lines carry the failure's message, not its stack trace: the cause of an IO error is in its message ("No space left
 * on device"), and the stack of a write is always the same.
 *
 * <p>Thread-safe (synchronized; a log then its budget, never the other way round).
 */
public final class FailureLog {
    private final Logger log;
    private final String subject;
    private final Clock clock;
    private final long intervalMs;
    private final Budget budget;
    private boolean failing;
    private long lastLineMs;
    private long unlogged;
    private long failuresThisOutage;

    /**
     * Lines that all the failure logs sharing it may write per interval together.
     *
     * <p>Thread-safe (synchronized).
     */
    public static final class Budget {
        private final Clock clock;
        private final long intervalMs;
        private final int linesPerInterval;
        private boolean started;
        private long windowStartMs;
        private int lines;
        private long leftOut;

        public Budget(Clock clock, long intervalMs, int linesPerInterval) {
            if (intervalMs <= 0 || linesPerInterval < 1) {
                throw new IllegalArgumentException("a failure log budget needs a positive interval and line count");
            }
            this.clock = clock;
            this.intervalMs = intervalMs;
            this.linesPerInterval = linesPerInterval;
        }

        /** Takes one line: the lines left out since the last one taken, or -1 if none may be written now. */
        synchronized long take() {
            long nowMs = clock.millis();
            if (!started || nowMs - windowStartMs >= intervalMs) {
                started = true;
                windowStartMs = nowMs;
                lines = 0;
            }
            if (lines >= linesPerInterval) {
                leftOut++;
                return -1;
            }
            lines++;
            long left = leftOut;
            leftOut = 0;
            return left;
        }
    }

    public FailureLog(Logger log, String subject, Clock clock, long intervalMs) {
        this(log, subject, clock, intervalMs, null);
    }

    /** A failure log whose lines also count against {@code budget}, shared with others ({@code null}: none). */
    public FailureLog(Logger log, String subject, Clock clock, long intervalMs, Budget budget) {
        this.log = log;
        this.subject = subject;
        this.clock = clock;
        this.intervalMs = intervalMs;
        this.budget = budget;
    }

    /** Records a failure; logs it if it is the first of an outage or the interval has passed since the last line. */
    public synchronized void failure(String what, Throwable cause) {
        long nowMs = clock.millis();
        failuresThisOutage++;
        if (failing && nowMs - lastLineMs < intervalMs) {
            unlogged++;
            return;
        }
        long previousLineMs = lastLineMs;
        failing = true;
        lastLineMs = nowMs;
        long othersLeftOut = budget == null ? 0 : budget.take();
        if (othersLeftOut < 0) {
            unlogged++;
            return;
        }
        String others = othersLeftOut == 0 ? "" : " [" + othersLeftOut + " lines like it about other parts of the "
                + "store were not logged]";
        if (unlogged == 0) {
            log.error("{}: {}: {}{}", subject, what, cause.toString(), others);
        } else {
            log.error("{}: {}: {} ({} more failures in the last {} s were not logged){}", subject, what,
                    cause.toString(), unlogged, Math.max(1, (nowMs - previousLineMs) / 1000), others);
        }
        unlogged = 0;
    }

    /** Records a repeat of a known failure (an append refused while offline): counted, logged only by interval. */
    public synchronized void repeated(String what, Throwable cause) {
        if (failing && clock.millis() - lastLineMs < intervalMs) {
            failuresThisOutage++;
            unlogged++;
            return;
        }
        failure(what, cause);
    }

    /** Ends an outage: one line with how many failures it had (unless the shared budget is spent). */
    public synchronized void healed(String how) {
        if (!failing) {
            return;
        }
        long othersLeftOut = budget == null ? 0 : budget.take();
        if (othersLeftOut >= 0) {
            log.warn("{}: {} after {} failures{}", subject, how, failuresThisOutage, othersLeftOut == 0 ? ""
                    : " [" + othersLeftOut + " lines about other parts of the store were not logged]");
        }
        failing = false;
        unlogged = 0;
        failuresThisOutage = 0;
    }
}
