package dev.millrace.it;

import dev.millrace.it.KclJournal.Event;
import dev.millrace.it.KclWorker.Retrieval;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The base scenario, run with each retrieval ({@link KclTwoWorkersTest}): two workers of one
 * KCL application (separate schedulers, same application name) consume a stream of 4 shards to which 20,000
 * records over 50 partition keys are put, half as they start and half while they run. Every record is processed,
 * exactly once unless a lease moved, each key's records first in put order; each worker reads forward, both take
 * part, and the lease table ends with every shard checkpointed at its last record, also after both workers shut
 * down gracefully.
 *
 * <p>Not thread-safe; one scenario per test instance.
 */
abstract class KclTwoWorkersScenario {
    static final int RECORDS = 20_000;

    @TempDir
    Path dir;

    /**
     * Runs the scenario; returns the calls its two workers made, by service and operation, for the
     * retrieval-specific checks of the subclasses (the workers' own counts: scenarios may run at once in one JVM).
     */
    Map<String, Integer> twoWorkersProcessEveryRecordOnce(String stream, Retrieval retrieval) throws Exception {
        try (KclFixture f = new KclFixture(dir.resolve("data"), stream, 4, retrieval, true)) {
            KclWorker w1 = f.startWorker("worker-1");
            KclWorker w2 = f.startWorker("worker-2");
            f.producer.put(0, RECORDS / 2, 0);
            f.phases.done("workers started, " + RECORDS / 2 + " records put");
            f.awaitSomethingProcessed();
            f.producer.put(RECORDS / 2, RECORDS, 100);
            f.awaitAllProcessed(RECORDS);
            Map<String, String> last = f.awaitCheckpoints(f.producer.lastSequenceNumbers());
            assertThat(last).hasSize(4);
            w1.shutdown();
            w2.shutdown();
            f.phases.done("workers shut down");
            List<Event> events = f.events();
            int replays = KclHarness.assertEveryRecordProcessedAtLeastOnce(events, f.producer.puts());
            f.summary(events, replays);
            if (KclHarness.eachShardInitializedOnce(events)) {
                // No lease moved, so nothing can have been read twice. (A lease that expires under load and moves
                // without a checkpoint legitimately replays; that is KCL's at-least-once, not a failure.)
                assertThat(replays).as("records processed more than once by workers that never lost a lease")
                        .isZero();
            }
            KclHarness.assertFirstProcessingInPutOrder(events);
            KclHarness.assertEachHoldReadsForward(events);
            assertThat(KclHarness.shardsPerJournal(events)).as("shards each worker held").hasSize(2);
            assertThat(f.checkpoints()).as("checkpoints after a graceful shutdown").isEqualTo(last);
            return f.operations();
        }
    }
}
