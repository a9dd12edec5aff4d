package dev.millrace.it;

import dev.millrace.it.KclHarness.Put;
import dev.millrace.it.KclJournal.Event;
import dev.millrace.it.KclJournal.Event.Type;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The KCL scenarios' checks on journals, without KCL or a server: they accept what at-least-once delivery allows
 * (a replay from a checkpoint) and reject what it does not (a skipped record, a record jumping ahead of its key's
 * previous one, a worker reading backwards, a record never processed).
 */
class KclHarnessChecksTest {
    private static int line;

    private static Event event(long micros, int file, Type type, String shard, String seq, String data) {
        return new Event(micros, type, shard, seq, data, file, line++);
    }

    private static Event p(long micros, int file, String seq, String data) {
        return event(micros, file, Type.P, "shardId-0", seq, data);
    }

    @Test
    void journalsAreMergedInTimeOrderAndATornLastLineIsSkipped(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.journal");
        Path b = dir.resolve("b.journal");
        Files.writeString(a, "5 I shardId-0 TRIM_HORIZON\n7 P shardId-0 10 key-1/0\n9 P shardId-0 11 key-1/1\n");
        Files.writeString(b, "6 I shardId-1 TRIM_HORIZON\n7 P shardId-1 20 key-2/0\n8 P shardId-1 2");
        List<Event> events = KclJournal.read(List.of(a, b));
        assertThat(events).extracting(e -> e.micros() + "/" + e.file() + "/" + e.type())
                .containsExactly("5/0/I", "6/1/I", "7/0/P", "7/1/P", "9/0/P");
    }

    @Test
    void aReplayFromACheckpointIsAllowedButASkipIsNot() {
        List<Event> replayed = List.of(
                event(1, 0, Type.I, "shardId-0", "TRIM_HORIZON", null),
                p(2, 0, "10", "key-1/0"), p(2, 0, "11", "key-1/1"), p(2, 0, "12", "key-1/2"),
                event(3, 1, Type.I, "shardId-0", "11", null),
                p(4, 1, "12", "key-1/2"), p(4, 1, "13", "key-1/3"));
        KclHarness.assertFirstProcessingInPutOrder(replayed);
        KclHarness.assertEachHoldReadsForward(replayed);
        Map<String, Put> puts = Map.of("key-1/0", new Put("key-1/0", "shardId-0", "10"),
                "key-1/1", new Put("key-1/1", "shardId-0", "11"), "key-1/2", new Put("key-1/2", "shardId-0", "12"),
                "key-1/3", new Put("key-1/3", "shardId-0", "13"));
        assertThat(KclHarness.assertEveryRecordProcessedAtLeastOnce(replayed, puts)).isEqualTo(1);

        List<Event> skipped = List.of(p(1, 0, "10", "key-1/0"), p(2, 0, "12", "key-1/2"), p(3, 0, "11", "key-1/1"));
        assertThatThrownBy(() -> KclHarness.assertFirstProcessingInPutOrder(skipped))
                .hasMessageContaining("first processing of key-1/2");
    }

    @Test
    void aHoldThatReadsBackwardsOrBeforeItsCheckpointFails() {
        List<Event> backwards = List.of(event(1, 0, Type.I, "shardId-0", "TRIM_HORIZON", null),
                p(2, 0, "11", "key-1/1"), p(3, 0, "10", "key-1/0"));
        assertThatThrownBy(() -> KclHarness.assertEachHoldReadsForward(backwards)).isInstanceOf(AssertionError.class);

        List<Event> beforeCheckpoint = List.of(event(1, 0, Type.I, "shardId-0", "11", null),
                p(2, 0, "11", "key-1/1"));
        assertThatThrownBy(() -> KclHarness.assertEachHoldReadsForward(beforeCheckpoint))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void aRecordNeverProcessedOrProcessedUnderAnotherSequenceNumberFails() {
        Map<String, Put> puts = Map.of("key-1/0", new Put("key-1/0", "shardId-0", "10"),
                "key-1/1", new Put("key-1/1", "shardId-0", "11"));
        assertThatThrownBy(() -> KclHarness.assertEveryRecordProcessedAtLeastOnce(
                List.of(p(1, 0, "10", "key-1/0")), puts)).hasMessageContaining("records processed");
        assertThatThrownBy(() -> KclHarness.assertEveryRecordProcessedAtLeastOnce(
                List.of(p(1, 0, "10", "key-1/0"), p(2, 0, "12", "key-1/1")), puts))
                .hasMessageContaining("sequence number of key-1/1");
    }

    @Test
    void twoWorkersHoldingOneShardAtOnceFailsButAHandoverDoesNot() {
        List<Event> handover = List.of(
                event(1_000, 0, Type.I, "shardId-0", "TRIM_HORIZON", null), p(2_000, 0, "10", "key-1/0"),
                event(2_500, 0, Type.C, "shardId-0", "10", null), event(9_000, 0, Type.L, "shardId-0", null, null),
                event(3_000, 1, Type.I, "shardId-0", "10", null), p(4_000, 1, "11", "key-1/1"),
                event(1_500, 1, Type.I, "shardId-1", "TRIM_HORIZON", null), p(5_000, 1, "20", "key-2/0"));
        List<Event> sorted = handover.stream().sorted((a, b) -> Long.compare(a.micros(), b.micros())).toList();
        assertThat(KclHarness.assertNoShardHeldByTwoWorkersAtOnce(sorted, 0)).as("gap between the holds")
                .isEqualTo(2_500 - 3_000);
        assertThat(KclHarness.leaseMoves(sorted)).isEqualTo(1);

        List<Event> both = List.of(event(1_000, 0, Type.I, "shardId-0", "TRIM_HORIZON", null),
                event(3_000, 1, Type.I, "shardId-0", "10", null), p(4_000, 1, "11", "key-1/1"),
                p(6_000, 0, "11", "key-1/1"));
        assertThat(KclHarness.assertNoShardHeldByTwoWorkersAtOnce(both, 3_000)).isEqualTo(1_000);
        assertThatThrownBy(() -> KclHarness.assertNoShardHeldByTwoWorkersAtOnce(both, 999))
                .hasMessageContaining("shardId-0 held by two workers at once");
    }
}
