package dev.millrace.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.millrace.storage.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A periodic task that keeps failing logs a few lines, not one per run, and still runs every time. */
class PeriodicTaskTest {
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(PeriodicTask.class);

    @BeforeEach
    void listen() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void stopListening() {
        logger.detachAppender(logged);
    }

    @Test
    void aPersistentFailureIsLoggedOnceAMinuteAndItsEndOnce() {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        AtomicBoolean broken = new AtomicBoolean(true);
        AtomicInteger runs = new AtomicInteger();
        PeriodicTask task = new PeriodicTask("transitions", () -> {
            runs.incrementAndGet();
            if (broken.get()) {
                throw new IllegalStateException("No space left on device");
            }
        }, clock);
        for (int i = 0; i < 1_200; i++) { // two minutes at ten runs a second
            task.run();
            clock.advanceMs(100);
        }
        broken.set(false);
        task.run();
        task.run();
        assertThat(runs).hasValue(1_202);
        assertThat(logged.list).hasSize(3);
        assertThat(logged.list.get(0).getFormattedMessage()).contains("failed");
        assertThat(logged.list.get(1).getFormattedMessage()).contains("still failing", "599 failures not logged");
        assertThat(logged.list.get(2).getFormattedMessage()).contains("works again", "599 failures not logged");
    }
}
