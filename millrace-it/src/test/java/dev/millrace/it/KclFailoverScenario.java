package dev.millrace.it;

import dev.millrace.it.KclJournal.Event;
import dev.millrace.it.KclWorker.Retrieval;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker killed mid-run: one worker of two runs in a child JVM and is killed with SIGKILL
 * ({@link Process#destroyForcibly()}) while both are consuming, so it neither checkpoints nor lets go of its leases
 * nor, if it was the leader, of the leader lock. The surviving worker must take over the dead one's leases once they
 * expire, resume each of its shards from the dead worker's last checkpoint, and process every record; the lease
 * table ends with every lease owned by the survivor and checkpointed at its shard's last record.
 *
 * <p>Enhanced fan-out (KCL's default): the dead worker's subscriptions die with it, and the survivor subscribes to
 * the same shards under the same consumer.
 *
 * <p>Run by {@link KclDisruptionsTest}, at once with the other KCL disruptions. Stateless.
 */
final class KclFailoverScenario {
    private static final int RECORDS = 20_000;
    private static final String VICTIM = "worker-child";
    private static final String SURVIVOR = "worker-1";

    private KclFailoverScenario() {
    }

    /** Runs the scenario in {@code dir}, a directory of its own. */
    static void theSurvivorTakesTheKilledWorkersLeasesAndFinishes(Path dir) throws Exception {
        try (KclFixture f = new KclFixture(dir.resolve("data"), "kcl-failover", 4, Retrieval.FAN_OUT, false)) {
            Process victim = f.launchWorker(VICTIM);
            KclWorker survivor = f.startWorker(SURVIVOR);
            // Both must be consuming: the victim from at least one shard it still holds. The first half goes in
            // slowly until they are, so that the worker whose leases came later still finds records to process (the
            // victim, started first, once took all four shards and processed everything before the survivor got two).
            int put = 0;
            while (put < RECORDS / 2 && !bothConsuming(f)) {
                f.producer.put(put, put + 500, 0);
                put += 500;
                Thread.sleep(500);
            }
            f.producer.put(put, RECORDS / 2, 0);
            f.phases.done("workers started, " + RECORDS / 2 + " records put");
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> bothConsuming(f));
            f.producer.put(RECORDS / 2, RECORDS * 3 / 4, 50);
            Set<String> victimShards = ownedBy(f.owners(), VICTIM);
            victim.destroyForcibly().waitFor();
            long killedAt = KclHarness.nowMicros();
            f.phases.done("victim killed holding " + victimShards);
            f.producer.put(RECORDS * 3 / 4, RECORDS, 50);
            f.awaitAllProcessed(RECORDS);
            Map<String, String> last = f.awaitCheckpoints(f.producer.lastSequenceNumbers());
            assertThat(f.owners()).as("lease owners").containsOnlyKeys(last.keySet())
                    .allSatisfy((shard, owner) -> assertThat(owner).isEqualTo(SURVIVOR));
            survivor.shutdown();
            f.phases.done("survivor shut down");

            List<Event> events = f.events();
            int replays = KclHarness.assertEveryRecordProcessedAtLeastOnce(events, f.producer.puts());
            f.summary(events, replays);
            KclHarness.assertFirstProcessingInPutOrder(events);
            KclHarness.assertEachHoldReadsForward(events);
            assertResumedFromTheVictimsCheckpoints(events, victimShards, killedAt);
        }
    }

    private static boolean bothConsuming(KclFixture f) {
        return KclHarness.processedPerJournal(f.events()).size() == 2 && f.owners().containsValue(VICTIM);
    }

    private static Set<String> ownedBy(Map<String, String> owners, String worker) {
        return owners.entrySet().stream().filter(e -> worker.equals(e.getValue())).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
    }

    /**
     * For each shard the victim held when it died, the survivor initialized it after the kill, from a checkpoint no
     * older than the last one the victim's journal shows written (a checkpoint written but not yet journaled when
     * the victim died can only make it newer); so at most what the victim processed after its last checkpoint is
     * processed again.
     */
    private static void assertResumedFromTheVictimsCheckpoints(List<Event> events, Set<String> victimShards,
                                                               long killedAt) {
        Map<String, String> victimCheckpoints = new HashMap<>();
        for (Event e : events) {
            if (e.file() == 0 && e.type() == Event.Type.C) {
                victimCheckpoints.put(e.shardId(), e.sequenceNumber());
            }
        }
        for (String shard : victimShards) {
            Event takeover = events.stream().filter(e -> e.file() == 1 && e.type() == Event.Type.I
                    && e.shardId().equals(shard) && e.micros() > killedAt).findFirst().orElseThrow(() ->
                    new AssertionError("the survivor never initialized " + shard + " after the kill"));
            String victimLast = victimCheckpoints.get(shard);
            if (victimLast != null) {
                assertThat(takeover.sequenceNumber()).as("checkpoint %s resumed from", shard)
                        .matches("\\d+");
                assertThat(new BigInteger(takeover.sequenceNumber())).as("checkpoint %s resumed from", shard)
                        .isGreaterThanOrEqualTo(new BigInteger(victimLast));
            }
        }
    }
}
