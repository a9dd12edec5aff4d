package dev.millrace.channels.table;

import dev.millrace.channels.table.GsrRecords.Decoded;
import dev.millrace.channels.table.GsrRecords.Payload;
import dev.millrace.channels.table.GsrRecords.Problem;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GsrRecordsTest {
    private static final UUID VERSION = UUID.fromString("b7b4a7f0-0afa-4c3d-9f4c-1a2b3c4d5e6f");
    private static final byte[] JSON = "{\"ts\":\"2026-12-06T20:00:00Z\",\"n\":1}".getBytes(StandardCharsets.UTF_8);

    @Test
    void theHeaderIsVersionCompressionAndTheUuidBigEndianThenThePayload() {
        byte[] record = GsrRecords.encode(VERSION, JSON, false);
        // Laid out by hand, as AWS's serializer writes it: 03 00 <msb><lsb> payload.
        String expectedHeader = "0300" + "b7b4a7f00afa4c3d" + "9f4c1a2b3c4d5e6f";
        assertThat(HexFormat.of().formatHex(record, 0, GsrRecords.HEADER_BYTES)).isEqualTo(expectedHeader);
        Decoded decoded = GsrRecords.decode(record, 1024);
        assertThat(decoded).isInstanceOfSatisfying(Payload.class, p -> {
            assertThat(p.schemaVersionId()).isEqualTo(VERSION);
            assertThat(p.json()).isEqualTo(JSON);
        });
    }

    @Test
    void aZlibPayloadIsInflated() {
        byte[] record = GsrRecords.encode(VERSION, JSON, true);
        assertThat(record[1]).isEqualTo(GsrRecords.COMPRESSION_ZLIB);
        assertThat(Arrays.copyOfRange(record, GsrRecords.HEADER_BYTES, record.length)).isNotEqualTo(JSON);
        assertThat(GsrRecords.decode(record, 1024)).isInstanceOfSatisfying(Payload.class,
                p -> assertThat(p.json()).isEqualTo(JSON));
    }

    @Test
    void plainJsonHasNoHeaderAndIsAnInvalidSchemaForAGsrChannel() {
        assertThat(GsrRecords.decode(JSON, 1024)).isInstanceOfSatisfying(Problem.class,
                p -> assertThat(p.errorCode()).isEqualTo("INVALID_SCHEMA"));
        assertThat(GsrRecords.decode(new byte[] {3, 0, 1}, 1024)).isInstanceOf(Problem.class);
    }

    @Test
    void anUnknownCompressionByteOrADamagedOrTruncatedZlibPayloadIsADeserializationError() {
        byte[] unknown = GsrRecords.encode(VERSION, JSON, false);
        unknown[1] = 7;
        byte[] zlib = GsrRecords.encode(VERSION, JSON, true);
        byte[] truncated = Arrays.copyOf(zlib, zlib.length - 4);
        byte[] damaged = zlib.clone();
        damaged[GsrRecords.HEADER_BYTES] ^= 0x55;
        for (byte[] record : new byte[][] {unknown, truncated, damaged}) {
            assertThat(GsrRecords.decode(record, 1024)).isInstanceOfSatisfying(Problem.class,
                    p -> assertThat(p.errorCode()).isEqualTo("DESERIALIZATION_ERROR"));
        }
    }

    @Test
    void aPayloadThatInflatesBeyondTheLimitIsTooLargeWithoutBeingInflatedWhole() {
        byte[] bomb = GsrRecords.encode(VERSION, new byte[4 * 1024 * 1024], true);
        assertThat(bomb.length).isLessThan(10_000);
        assertThat(GsrRecords.decode(bomb, 1024 * 1024)).isInstanceOfSatisfying(Problem.class,
                p -> assertThat(p.errorCode()).isEqualTo("RECORD_TOO_LARGE"));
        assertThat(GsrRecords.decode(GsrRecords.encode(VERSION, JSON, false), JSON.length - 1))
                .isInstanceOfSatisfying(Problem.class, p -> assertThat(p.errorCode()).isEqualTo("RECORD_TOO_LARGE"));
        assertThat(GsrRecords.decode(GsrRecords.encode(VERSION, JSON, false), JSON.length))
                .isInstanceOf(Payload.class);
    }
}
