package dev.millrace.loadgen;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The record layout: a reader finds the run id and send time the producer wrote, and ignores other runs' records.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class RecordPayloadTest {
    @Test
    void shouldCarryRunIdAndSendTimeInTheFirst16BytesBigEndian() {
        byte[] record = RecordPayload.newBuffer(100, 0x0102030405060708L, new SplittableRandom(1));
        RecordPayload.stampSendNanos(record, 0x1122334455667788L);
        assertThat(record).hasSize(100);
        assertThat(record[0]).isEqualTo((byte) 0x01);
        assertThat(record[7]).isEqualTo((byte) 0x08);
        assertThat(record[8]).isEqualTo((byte) 0x11);
        assertThat(RecordPayload.isFromRun(record, 0x0102030405060708L)).isTrue();
        assertThat(RecordPayload.sendNanos(record)).isEqualTo(0x1122334455667788L);
        // Restamping (the next request from the same slot) changes only the time.
        RecordPayload.stampSendNanos(record, 42);
        assertThat(RecordPayload.sendNanos(record)).isEqualTo(42);
        assertThat(RecordPayload.isFromRun(record, 0x0102030405060708L)).isTrue();
    }

    @Test
    void shouldNotTakeOtherRunsOrShortRecordsForItsOwn() {
        byte[] record = RecordPayload.newBuffer(16, 7, new SplittableRandom(1));
        assertThat(RecordPayload.isFromRun(record, 8)).isFalse();
        assertThat(RecordPayload.isFromRun(new byte[15], 0)).isFalse();
        assertThat(RecordPayload.isFromRun(new byte[0], 0)).isFalse();
    }

    @Test
    void shouldFillTheRestWithRandomBytes() {
        byte[] record = RecordPayload.newBuffer(1024, 7, new SplittableRandom(1));
        long distinct = new String(record, 16, 1008, java.nio.charset.StandardCharsets.ISO_8859_1).chars()
                .distinct().count();
        assertThat(distinct).isGreaterThan(200);
    }

    @Test
    void shouldRefuseRecordsTooShortForTheHeader() {
        assertThatThrownBy(() -> RecordPayload.newBuffer(15, 1, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
