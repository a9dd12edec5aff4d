package dev.millrace.cli;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * A progress line on stderr, redrawn at most once a second, for long work watched from a terminal; silent when
 * disabled (stderr is a file or a pipe, or {@code --no-progress}).
 *
 * <p>Thread-safe: synchronized.
 */
final class Progress {
    static final Duration INTERVAL = Duration.ofSeconds(1);

    private final PrintStream err;
    private final boolean enabled;
    private final Clock clock;
    private Instant lastAt = Instant.MIN;
    private boolean shown;

    Progress(PrintStream err, boolean enabled, Clock clock) {
        this.err = err;
        this.enabled = enabled;
        this.clock = clock;
    }

    /** Redraws the line with {@code text} if the last redraw was a second ago or more. */
    synchronized void update(Supplier<String> text) {
        if (!enabled) {
            return;
        }
        Instant now = clock.instant();
        if (now.isBefore(lastAt.plus(INTERVAL))) {
            return;
        }
        lastAt = now;
        err.print("\r\033[K" + text.get());
        err.flush();
        shown = true;
    }

    /** Clears the line, so that what follows on stderr starts clean. */
    synchronized void clear() {
        if (shown) {
            err.print("\r\033[K");
            err.flush();
            shown = false;
        }
    }
}
