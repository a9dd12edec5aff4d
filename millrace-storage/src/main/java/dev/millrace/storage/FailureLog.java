package dev.millrace.storage;

import org.slf4j.Logger;

import java.time.Clock;

/**
 * The log lines of one failing thing (a shard, the metadata store), rate-limited: the first failure of an outage is
 * logged, then at most one line per interval, which counts the failures left unlogged since the previous line; healing
 * is logged once. A full disk fails every write for as long as it stays full; without this each failure logged a stack
 * trace (399 MB of log in 4.5 minutes, which helps to fill the disk).
 *
 * <p>Lines carry the failure's message, not its stack trace: the cause of an IO error is in its message ("No space left
 * on device"), and the stack of a write is always the same.
 *
 * <p>Thread-safe (synchronized).
 */
public final class FailureLog {
    private final Logger log;
    private final String subject;
    private final Clock clock;
    private final long intervalMs;
    private boolean failing;
    private long lastLineMs;
    private long unlogged;
    private long failuresThisOutage;

    public FailureLog(Logger log, String subject, Clock clock, long intervalMs) {
        this.log = log;
        this.subject = subject;
        this.clock = clock;
        this.intervalMs = intervalMs;
    }

    /** Records a failure; logs it if it is the first of an outage or the interval has passed since the last line. */
    public synchronized void failure(String what, Throwable cause) {
        long nowMs = clock.millis();
        failuresThisOutage++;
        if (failing && nowMs - lastLineMs < intervalMs) {
            unlogged++;
            return;
        }
        if (unlogged == 0) {
            log.error("{}: {}: {}", subject, what, cause.toString());
        } else {
            log.error("{}: {}: {} ({} more failures in the last {} s were not logged)", subject, what,
                    cause.toString(), unlogged, Math.max(1, (nowMs - lastLineMs) / 1000));
        }
        failing = true;
        lastLineMs = nowMs;
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

    /** Ends an outage: one line with how many failures it had. */
    public synchronized void healed(String how) {
        if (!failing) {
            return;
        }
        log.warn("{}: {} after {} failures", subject, how, failuresThisOutage);
        failing = false;
        unlogged = 0;
        failuresThisOutage = 0;
    }
}
