package dev.millrace.loadgen;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The record layouts: a reader finds the run id and send time the producer wrote, and ignores other runs' records;
 * JSON records are JSON a parser accepts, of exactly the size asked for.
 *
 * <p>Not thread-safe; JUnit runs the tests one at a time.
 */
class RecordPayloadTest {
    private static final Instant NOW = Instant.parse("2026-12-06T23:05:00Z");

    @Test
    void binaryShouldCarryRunIdAndSendTimeInTheFirst16BytesBigEndian() {
        RecordPayload binary = RecordPayload.BINARY;
        byte[] record = binary.newBuffer(100, 0x0102030405060708L, new SplittableRandom(1), NOW);
        binary.stampSendNanos(record, 0x1122334455667788L);
        assertThat(record).hasSize(100);
        assertThat(record[0]).isEqualTo((byte) 0x01);
        assertThat(record[7]).isEqualTo((byte) 0x08);
        assertThat(record[8]).isEqualTo((byte) 0x11);
        assertThat(binary.isFromRun(record, 0x0102030405060708L)).isTrue();
        assertThat(binary.sendNanos(record)).isEqualTo(0x1122334455667788L);
        // Restamping (the next request from the same slot) changes only the time.
        binary.stampSendNanos(record, 42);
        assertThat(binary.sendNanos(record)).isEqualTo(42);
        assertThat(binary.isFromRun(record, 0x0102030405060708L)).isTrue();
    }

    @Test
    void shouldNotTakeOtherRunsOrShortRecordsForItsOwn() {
        for (RecordPayload payload : RecordPayload.values()) {
            byte[] record = payload.newBuffer(payload.minBytes(), 7, new SplittableRandom(1), NOW);
            assertThat(payload.isFromRun(record, 7)).as(payload.name()).isTrue();
            assertThat(payload.isFromRun(record, 8)).as(payload.name()).isFalse();
            assertThat(payload.isFromRun(new byte[payload.minBytes() - 1], 0)).as(payload.name()).isFalse();
            assertThat(payload.isFromRun(new byte[0], 0)).as(payload.name()).isFalse();
        }
        byte[] json = RecordPayload.JSON.newBuffer(200, 7, new SplittableRandom(1), NOW);
        assertThat(RecordPayload.BINARY.isFromRun(json, 7)).isFalse();
    }

    @Test
    void binaryShouldFillTheRestWithRandomBytes() {
        byte[] record = RecordPayload.BINARY.newBuffer(1024, 7, new SplittableRandom(1), NOW);
        long distinct = new String(record, 16, 1008, StandardCharsets.ISO_8859_1).chars().distinct().count();
        assertThat(distinct).isGreaterThan(200);
    }

    @Test
    void jsonShouldBeOneObjectOfExactlyTheSizeWithTheRunTheSendTimeAndADateTime() throws IOException {
        RecordPayload json = RecordPayload.JSON;
        for (int size : new int[] {93, 94, 1024}) {
            byte[] record = json.newBuffer(size, 0xfedcba9876543210L, new SplittableRandom(size), NOW);
            json.stampSendNanos(record, -5L);
            assertThat(record).hasSize(size);
            Map<String, String> fields = parse(record);
            assertThat(fields).containsOnlyKeys("ts", "run", "sent", "pad");
            assertThat(fields.get("ts")).isEqualTo("2026-12-06T23:05:00.000Z");
            assertThat(Instant.parse(fields.get("ts"))).isEqualTo(NOW);
            assertThat(fields.get("run")).isEqualTo("fedcba9876543210");
            assertThat(fields.get("sent")).isEqualTo("fffffffffffffffb");
            assertThat(json.isFromRun(record, 0xfedcba9876543210L)).isTrue();
            assertThat(json.sendNanos(record)).isEqualTo(-5L);
            json.stampSendNanos(record, 0x0123456789abcdefL);
            assertThat(json.sendNanos(record)).isEqualTo(0x0123456789abcdefL);
            assertThat(parse(record).get("sent")).isEqualTo("0123456789abcdef");
        }
    }

    @Test
    void shouldRefuseRecordsTooShortForTheLayout() {
        assertThatThrownBy(() -> RecordPayload.BINARY.newBuffer(15, 1, new SplittableRandom(1), NOW))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RecordPayload.JSON.newBuffer(92, 1, new SplittableRandom(1), NOW))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("93");
    }

    private static Map<String, String> parse(byte[] record) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        try (JsonParser parser = new JsonFactory().createParser(record)) {
            assertThat(parser.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                assertThat(parser.nextToken()).isEqualTo(JsonToken.VALUE_STRING);
                fields.put(name, parser.getText());
            }
            assertThat(parser.nextToken()).isNull();
        }
        return fields;
    }
}
