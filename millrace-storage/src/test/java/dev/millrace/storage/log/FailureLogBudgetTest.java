package dev.millrace.storage.log;

import dev.millrace.storage.FailureLog;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 10,000 shards failing on one full disk: each shard's failure log allows itself one line a minute, which is still
 * 10,000 lines a minute; the store's shared budget caps them all together, and what it left out is counted.
 */
class FailureLogBudgetTest {
    private static final long INTERVAL_MS = 60_000;
    private static final int SHARDS = 10_000;
    private static final int LINES = 20;

    private final AtomicLong nowMs = new AtomicLong(1_000_000);
    private final Clock clock = new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(nowMs.get());
        }
    };
    private final Logger logger = (Logger) LoggerFactory.getLogger("failure-log-budget-test");
    private final ListAppender<ILoggingEvent> events = new ListAppender<>();

    @BeforeEach
    void capture() {
        events.start();
        logger.addAppender(events);
    }

    @AfterEach
    void release() {
        logger.detachAppender(events);
    }

    private List<FailureLog> shards(FailureLog.Budget budget) {
        List<FailureLog> logs = new ArrayList<>();
        for (int i = 0; i < SHARDS; i++) {
            logs.add(new FailureLog(logger, "Shard s-" + i, clock, INTERVAL_MS, budget));
        }
        return logs;
    }

    private long lines(Level level) {
        return events.list.stream().filter(e -> e.getLevel() == level).count();
    }

    @Test
    void withoutABudgetEveryShardWritesItsLine() {
        shards(null).forEach(f -> f.failure("append failed", new IOException("No space left on device")));
        assertThat(lines(Level.ERROR)).isEqualTo(SHARDS);
    }

    @Test
    void tenThousandFailingShardsWriteAtMostTheStoresLinesPerInterval() {
        List<FailureLog> logs = shards(new FailureLog.Budget(clock, INTERVAL_MS, LINES));
        for (int round = 0; round < 3; round++) {
            logs.forEach(f -> f.failure("append failed", new IOException("No space left on device")));
            nowMs.addAndGet(1_000);
        }
        assertThat(lines(Level.ERROR)).isEqualTo(LINES);

        // A minute later: the store's next lines, the first of which counts what the store left out.
        nowMs.addAndGet(INTERVAL_MS);
        logs.forEach(f -> f.failure("append failed", new IOException("No space left on device")));
        assertThat(lines(Level.ERROR)).isEqualTo(2 * LINES);
        assertThat(events.list.get(LINES).getFormattedMessage())
                .contains("[" + (SHARDS - LINES) + " lines like it about other parts of the store were not logged]");

        // Healing: the store's budget again, not a line per shard.
        nowMs.addAndGet(INTERVAL_MS);
        logs.forEach(f -> f.healed("writable again"));
        assertThat(lines(Level.WARN)).isEqualTo(LINES);
    }
}
