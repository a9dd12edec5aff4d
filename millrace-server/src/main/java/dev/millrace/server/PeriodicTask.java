package dev.millrace.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;

/**
 * A task the node runs every period (stream transitions, retention, on-demand scaling). A failure is caught, so the
 * next run still happens (an exception escaping a scheduled task would silently cancel every later run), and a
 * failure that persists (a full disk under the metadata store, say) is logged once with its stack trace, then at most
 * once a minute with a count, and once more when the task works again: the transitions pass runs ten times a second,
 * and its log must not fill the disk too.
 *
 * <p>Not thread-safe: a scheduled executor runs one instance on one thread at a time.
 */
final class PeriodicTask implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);
    static final long FAILURE_LOG_INTERVAL_MS = 60_000;

    private final String what;
    private final Runnable task;
    private final Clock clock;
    private boolean failing;
    private long lastLoggedMs;
    private long suppressed;

    PeriodicTask(String what, Runnable task, Clock clock) {
        this.what = what;
        this.task = task;
        this.clock = clock;
    }

    @Override
    public void run() {
        try {
            task.run();
            if (failing) {
                log.info("Periodic {} works again ({} failures not logged)", what, suppressed);
                failing = false;
                suppressed = 0;
            }
        } catch (RuntimeException e) {
            long now = clock.millis();
            if (!failing) {
                log.error("Periodic {} failed; retrying at the next period", what, e);
                failing = true;
                lastLoggedMs = now;
            } else if (now - lastLoggedMs >= FAILURE_LOG_INTERVAL_MS) {
                log.error("Periodic {} still failing: {} ({} failures not logged)", what, e, suppressed);
                lastLoggedMs = now;
                suppressed = 0;
            } else {
                suppressed++;
            }
        }
    }
}
