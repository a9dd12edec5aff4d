package dev.millrace.it;

import dev.millrace.it.KclJournal.Event;
import dev.millrace.it.KclWorker.Retrieval;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Millrace restarted under two running workers: a clean stop while they consume, the server down for longer than a
 * lease lasts, then a start on the same data directory and port. The workers are not restarted: their calls fail
 * meanwhile, their leases expire, and afterwards they must get their leases back, resume every shard from its
 * checkpoint (which survived the restart with the lease table), and process every record. No record at or before a
 * shard's checkpoint as it was when the server stopped is processed again.
 *
 * <p>Polling retrieval: shard iterators issued before the restart, if KCL still holds any, must also stay valid.
 * {@link KclDisruptionsTest} quiets the Netty warnings the outage causes.
 *
 * <p>Run by {@link KclDisruptionsTest}, at once with the other KCL disruptions. Stateless.
 */
final class KclRestartScenario {
    private static final int RECORDS = 20_000;

    private KclRestartScenario() {
    }

    /** Runs the scenario in {@code dir}, a directory of its own. */
    static void workersResumeFromTheirCheckpointsAfterARestart(Path dir) throws Exception {
        try (KclFixture f = new KclFixture(dir.resolve("data"), "kcl-restart", 4, Retrieval.POLLING, false)) {
            KclWorker w1 = f.startWorker("worker-1");
            KclWorker w2 = f.startWorker("worker-2");
            f.producer.put(0, RECORDS / 2, 0);
            f.phases.done("workers started, " + RECORDS / 2 + " records put");
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() ->
                    f.checkpoints().size() == 4 && f.checkpoints().values().stream()
                            .allMatch(c -> c.chars().allMatch(Character::isDigit)));
            f.producer.put(RECORDS / 2, RECORDS * 3 / 4, 0);
            f.phases.done(KclHarness.processed(f.events()).size() + " of " + RECORDS * 3 / 4 + " processed");
            Map<String, String> beforeStop = f.checkpoints();
            long stoppedAt = KclHarness.nowMicros();
            f.restartServer(Duration.ofMillis(KclWorker.FAILOVER_TIME_MILLIS + 1_000));
            long restartedAt = KclHarness.nowMicros();
            f.producer.put(RECORDS * 3 / 4, RECORDS, 50);
            f.awaitAllProcessed(RECORDS);
            Map<String, String> last = f.awaitCheckpoints(f.producer.lastSequenceNumbers());
            w1.shutdown();
            w2.shutdown();
            f.phases.done("workers shut down");

            List<Event> events = f.events();
            int replays = KclHarness.assertEveryRecordProcessedAtLeastOnce(events, f.producer.puts());
            f.summary(events, replays);
            KclHarness.assertFirstProcessingInPutOrder(events);
            KclHarness.assertEachHoldReadsForward(events);
            assertNothingBeforeTheCheckpointsAgain(events, beforeStop, stoppedAt);
            assertThat(events).as("shards initialized again after the restart, from a checkpoint")
                    .anyMatch(e -> e.type() == Event.Type.I && e.micros() > restartedAt);
            assertThat(f.checkpoints()).isEqualTo(last);
        }
    }

    /**
     * After the stop, no shard is initialized from a checkpoint older than the one it had when the server stopped,
     * and no record at or before that checkpoint is processed.
     */
    private static void assertNothingBeforeTheCheckpointsAgain(List<Event> events, Map<String, String> checkpoints,
                                                               long stoppedAt) {
        for (Event e : events) {
            if (e.micros() <= stoppedAt || (e.type() != Event.Type.I && e.type() != Event.Type.P)) {
                continue;
            }
            BigInteger checkpoint = new BigInteger(checkpoints.get(e.shardId()));
            assertThat(e.sequenceNumber()).as("%s %s after the stop", e.type(), e.shardId()).matches("\\d+");
            BigInteger at = new BigInteger(e.sequenceNumber());
            if (e.type() == Event.Type.I) {
                assertThat(at).as("%s resumed after the restart from", e.shardId())
                        .isGreaterThanOrEqualTo(checkpoint);
            } else {
                assertThat(at).as("%s (%s) processed after the stop", e.data(), e.shardId())
                        .isGreaterThan(checkpoint);
            }
        }
    }
}
