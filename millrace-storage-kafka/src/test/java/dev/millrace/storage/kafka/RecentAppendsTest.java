package dev.millrace.storage.kafka;

import dev.millrace.storage.crypto.KeyRing;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.contract.TestKeyRing;
import dev.millrace.storage.crypto.KeyUnavailableException;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the recent appends hold and answer, without a broker; {@code KafkaShardLogTest} checks against a real one that
 * their answers equal Kafka's.
 */
class RecentAppendsTest {
    private static final long NO_CUTOFF = Long.MIN_VALUE;

    private static List<AppendRecord> records(String prefix, int count, int dataBytes) {
        List<AppendRecord> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[dataBytes];
            byte[] name = (prefix + i).getBytes(StandardCharsets.UTF_8);
            System.arraycopy(name, 0, data, 0, Math.min(name.length, dataBytes));
            out.add(new AppendRecord("k" + i, i % 2 == 0 ? null : "12345", data));
        }
        return out;
    }

    private static AppendResult at(long... positions) {
        long[] arrivals = new long[positions.length];
        for (int i = 0; i < positions.length; i++) {
            arrivals[i] = 1_000 + positions[i];
        }
        return AppendResult.of(positions, arrivals);
    }

    private static List<Long> positions(List<StoredRecord> records) {
        return records == null ? null : records.stream().map(StoredRecord::position).toList();
    }

    @Test
    void answersFromAHeldPositionWithinCountAndByteBudgetAsKafkaReadsDo() {
        RecentAppends recent = new RecentAppends(new RecentAppends.Budget(1 << 20), 1 << 20);
        List<AppendRecord> batch = records("a", 5, 10);
        recent.add(batch, at(10, 11, 12, 13, 14), 0);

        List<StoredRecord> all = recent.read(10, 100, Long.MAX_VALUE, NO_CUTOFF);
        assertThat(positions(all)).containsExactly(10L, 11L, 12L, 13L, 14L);
        assertThat(all.get(1).arrivalMs()).isEqualTo(1_011);
        assertThat(all.get(1).partitionKey()).isEqualTo("k1");
        assertThat(all.get(1).explicitHashKey()).isEqualTo("12345");
        assertThat(all.get(0).explicitHashKey()).isNull();
        assertThat(all.get(3).data()).isEqualTo(batch.get(3).data());
        assertThat(positions(recent.read(12, 2, Long.MAX_VALUE, NO_CUTOFF))).containsExactly(12L, 13L);
        // The first record always; the others while their data fits.
        assertThat(positions(recent.read(11, 100, 1, NO_CUTOFF))).containsExactly(11L);
        assertThat(positions(recent.read(11, 100, 25, NO_CUTOFF))).containsExactly(11L, 12L);
        assertThat(recent.read(9, 100, Long.MAX_VALUE, NO_CUTOFF)).isNull();
        assertThat(recent.read(15, 100, Long.MAX_VALUE, NO_CUTOFF)).isNull();
    }

    @Test
    void stopsAtAGapAndRunsOnAcrossAppendsAddedOutOfOrder() {
        RecentAppends recent = new RecentAppends(new RecentAppends.Budget(1 << 20), 1 << 20);
        // Another writer's record (issue 15) fell at 12: that append is held as two runs.
        recent.add(records("a", 4, 10), at(10, 11, 13, 14), 0);
        assertThat(positions(recent.read(10, 100, Long.MAX_VALUE, NO_CUTOFF))).containsExactly(10L, 11L);
        assertThat(recent.read(12, 100, Long.MAX_VALUE, NO_CUTOFF)).isNull();
        assertThat(positions(recent.read(13, 100, Long.MAX_VALUE, NO_CUTOFF))).containsExactly(13L, 14L);

        // A later append acknowledged first, then the one before it.
        recent.add(records("c", 2, 10), at(17, 18), 0);
        recent.add(records("b", 2, 10), at(15, 16), 0);
        assertThat(positions(recent.read(13, 100, Long.MAX_VALUE, NO_CUTOFF)))
                .containsExactly(13L, 14L, 15L, 16L, 17L, 18L);
    }

    @Test
    void aReadThatWouldTakeMoreThanTheHeldRunsBeforeTheKnownEndGoesToKafka() {
        RecentAppends recent = new RecentAppends(new RecentAppends.Budget(1 << 20), 1 << 20);
        recent.add(records("a", 2, 10), at(10, 11), 0);
        recent.add(records("b", 2, 10), at(14, 15), 0); // 12 and 13 are only in Kafka (say, a failed append's)
        assertThat(recent.read(10, 100, Long.MAX_VALUE, NO_CUTOFF, KeyRing.NONE, 16))
                .as("a gap before the end: Kafka answers the whole read").isNull();
        assertThat(positions(recent.read(10, 2, Long.MAX_VALUE, NO_CUTOFF, KeyRing.NONE, 16)))
                .as("the limit is reached before the gap").containsExactly(10L, 11L);
        assertThat(positions(recent.read(14, 100, Long.MAX_VALUE, NO_CUTOFF, KeyRing.NONE, 16)))
                .as("up to the known end").containsExactly(14L, 15L);
        assertThat(recent.read(14, 100, Long.MAX_VALUE, NO_CUTOFF, KeyRing.NONE, 17))
                .as("Kafka has a record past the newest run").isNull();
    }

    @Test
    void aRecordPastRetentionSendsTheReadToKafka() {
        RecentAppends recent = new RecentAppends(new RecentAppends.Budget(1 << 20), 1 << 20);
        recent.add(records("a", 3, 10), at(0, 1, 2), 0); // arrivals 1000, 1001, 1002
        assertThat(recent.read(0, 100, Long.MAX_VALUE, 1_001)).isNull();
        assertThat(positions(recent.read(1, 100, Long.MAX_VALUE, 1_001))).containsExactly(1L, 2L);
    }

    @Test
    void aShardKeepsAtMostItsBytesDroppingTheOldestFirst() {
        long recordBytes = 1_000;
        RecentAppends recent = new RecentAppends(new RecentAppends.Budget(1 << 20), 3_500);
        for (int i = 0; i < 5; i++) {
            recent.add(records("r" + i, 1, (int) recordBytes), at(i), 0);
            assertThat(recent.heldBytes()).isLessThanOrEqualTo(3_500);
        }
        assertThat(recent.read(0, 100, Long.MAX_VALUE, NO_CUTOFF)).isNull();
        assertThat(recent.read(1, 100, Long.MAX_VALUE, NO_CUTOFF)).isNull();
        assertThat(positions(recent.read(2, 100, Long.MAX_VALUE, NO_CUTOFF))).containsExactly(2L, 3L, 4L);
        // An append larger than a shard keeps is not kept, and leaves what was kept alone.
        recent.add(records("big", 1, 10_000), at(5), 0);
        assertThat(recent.read(5, 100, Long.MAX_VALUE, NO_CUTOFF)).isNull();
        assertThat(positions(recent.read(2, 100, Long.MAX_VALUE, NO_CUTOFF))).containsExactly(2L, 3L, 4L);
    }

    @Test
    void shardsShareTheStoresBudgetAndGiveItBackWhenTheyDrop() {
        RecentAppends.Budget budget = new RecentAppends.Budget(2_500);
        RecentAppends first = new RecentAppends(budget, 1 << 20);
        RecentAppends second = new RecentAppends(budget, 1 << 20);
        first.add(records("a", 2, 1_000), at(0, 1), 100);
        assertThat(budget.heldBytes()).isEqualTo(first.heldBytes()).isGreaterThan(2_000);

        second.add(records("b", 1, 1_000), at(0), 200);
        assertThat(second.read(0, 10, Long.MAX_VALUE, NO_CUTOFF)).as("no room left in the store").isNull();
        assertThat(second.heldBytes()).isZero();

        // A shard short of the store's budget makes room from its own oldest runs only.
        first.add(records("c", 1, 1_000), at(2), 300);
        assertThat(positions(first.read(0, 10, Long.MAX_VALUE, NO_CUTOFF))).isNull();
        assertThat(positions(first.read(1, 10, Long.MAX_VALUE, NO_CUTOFF))).isNull();
        assertThat(positions(first.read(2, 10, Long.MAX_VALUE, NO_CUTOFF))).containsExactly(2L);
        assertThat(budget.heldBytes()).isEqualTo(first.heldBytes());

        first.dropOlderThan(300);
        assertThat(first.read(2, 10, Long.MAX_VALUE, NO_CUTOFF)).isNotNull();
        first.dropOlderThan(301);
        assertThat(first.read(2, 10, Long.MAX_VALUE, NO_CUTOFF)).isNull();
        assertThat(budget.heldBytes()).isZero();

        second.add(records("d", 2, 1_000), at(1, 2), 400);
        assertThat(positions(second.read(1, 10, Long.MAX_VALUE, NO_CUTOFF))).containsExactly(1L, 2L);
        second.clear();
        assertThat(second.read(1, 10, Long.MAX_VALUE, NO_CUTOFF)).isNull();
        assertThat(budget.heldBytes()).isZero();
    }

    @Test
    void encryptedRunsAnswerOnlyWhileTheirKeyIsAvailableAndExpiryComesFirst() {
        RecentAppends recent = new RecentAppends(new RecentAppends.Budget(1 << 20), 1 << 20);
        TestKeyRing keys = new TestKeyRing();
        keys.add("key-1");
        recent.add(records("p", 2, 10), at(0, 1), 0);
        recent.add(records("e", 2, 10), at(2, 3), 0, "key-1");
        recent.add(records("q", 1, 10), at(4), 0);
        assertThat(positions(recent.read(0, 100, Long.MAX_VALUE, NO_CUTOFF, keys)))
                .containsExactly(0L, 1L, 2L, 3L, 4L);

        keys.disable("key-1");
        assertThat(positions(recent.read(0, 100, Long.MAX_VALUE, NO_CUTOFF, keys)))
                .as("the plain records before the run, then a stop").containsExactly(0L, 1L);
        assertThat(positions(recent.read(0, 2, Long.MAX_VALUE, NO_CUTOFF, keys)))
                .as("a read the count ends before the run does not ask").containsExactly(0L, 1L);
        assertThatThrownBy(() -> recent.read(3, 100, Long.MAX_VALUE, NO_CUTOFF, keys))
                .isInstanceOfSatisfying(KeyUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(KeyUnavailableException.Reason.DISABLED));
        assertThat(recent.read(2, 100, Long.MAX_VALUE, 1_003, keys))
                .as("an expired record is left to Kafka's read, which skips it without a key").isNull();
        assertThat(positions(recent.read(4, 100, Long.MAX_VALUE, NO_CUTOFF, keys))).containsExactly(4L);
        assertThatThrownBy(() -> recent.read(2, 100, Long.MAX_VALUE, NO_CUTOFF))
                .as("no key ring: no key").isInstanceOf(KeyUnavailableException.class);
    }
}
