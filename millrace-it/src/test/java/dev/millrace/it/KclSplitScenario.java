package dev.millrace.it;

import dev.millrace.it.KclJournal.Event;
import dev.millrace.it.KclWorker.Retrieval;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.model.Shard;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A shard split while two workers consume the stream (SplitShard through the SDK, between two halves of the
 * writes). KCL must finish the parent (its processor's {@code shardEnded}, a SHARD_END checkpoint) before any
 * record of either child is processed, find the children through the parent's end (ChildShards), and process every
 * record, so that each key whose records moved from the parent to a child still sees them in put order.
 *
 * <p>Enhanced fan-out (KCL's default): the end of the parent reaches KCL as the last SubscribeToShard event, with
 * no continuation and the two children.
 *
 * <p>Run by {@link KclDisruptionsTest}, at once with the other KCL disruptions. Stateless.
 */
final class KclSplitScenario {
    private static final int RECORDS = 20_000;
    private static final String PARENT = "shardId-000000000000";

    private KclSplitScenario() {
    }

    /** Runs the scenario in {@code dir}, a directory of its own. */
    static void childrenAreProcessedOnlyAfterTheirParentEnded(Path dir) throws Exception {
        try (KclFixture f = new KclFixture(dir.resolve("data"), "kcl-split", 4, Retrieval.FAN_OUT, false)) {
            KclWorker w1 = f.startWorker("worker-1");
            KclWorker w2 = f.startWorker("worker-2");
            f.producer.put(0, RECORDS / 2, 0);
            f.phases.done("workers started, " + RECORDS / 2 + " records put");
            f.awaitSomethingProcessed();
            f.producer.put(RECORDS / 2, RECORDS * 3 / 4, 50);
            Shard parent = Streams.shards(f.kinesis, f.stream).get(0);
            assertThat(parent.shardId()).isEqualTo(PARENT);
            BigInteger start = new BigInteger(parent.hashKeyRange().startingHashKey());
            BigInteger end = new BigInteger(parent.hashKeyRange().endingHashKey());
            f.kinesis.splitShard(b -> b.streamName(f.stream).shardToSplit(PARENT)
                    .newStartingHashKey(start.add(end).shiftRight(1).toString()));
            Streams.awaitActive(f.kinesis, f.stream);
            f.phases.done("split");
            f.producer.put(RECORDS * 3 / 4, RECORDS, 50);
            f.awaitAllProcessed(RECORDS);
            Map<String, String> expected = new HashMap<>(f.producer.lastSequenceNumbers());
            expected.put(PARENT, KclHarness.SHARD_END);
            assertThat(expected).as("shards written to").hasSize(6);
            f.awaitCheckpoints(expected);
            w1.shutdown();
            w2.shutdown();
            f.phases.done("workers shut down");

            List<Event> events = f.events();
            int replays = KclHarness.assertEveryRecordProcessedAtLeastOnce(events, f.producer.puts());
            f.summary(events, replays);
            KclHarness.assertFirstProcessingInPutOrder(events);
            KclHarness.assertEachHoldReadsForward(events);
            List<String> children = Streams.shards(f.kinesis, f.stream).stream()
                    .filter(s -> PARENT.equals(s.parentShardId())).map(Shard::shardId).toList();
            assertThat(children).hasSize(2);
            KclHarness.assertParentEndedBeforeChildren(events, PARENT, children);
            Map<String, Map<String, AttributeValue>> leases = KclHarness.leases(f.ddb, f.app.applicationName());
            for (String child : children) {
                assertThat(leases.get(child).get("parentShardId").ss()).as("parents of %s", child)
                        .containsExactly(PARENT);
            }
            assertThat(leases.get(PARENT).get("childShardIds").ss()).as("children of %s", PARENT)
                    .containsExactlyInAnyOrderElementsOf(children);
            assertThat(f.checkpoints()).as("checkpoints after a graceful shutdown").isEqualTo(expected);
        }
    }
}
