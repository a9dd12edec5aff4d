package dev.millrace.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** What tail prints per record in each format, with the hard cases: invalid UTF-8, control characters, KPL. */
class RecordFormatTest {
    private static final Instant AT = Instant.parse("2026-12-06T14:00:00.120Z");

    private static TailRecord record(byte[] data, Long sub) {
        return new TailRecord("shardId-000000000001", "4950", sub, "key\n1", null, AT, data);
    }

    @Test
    void textShowsUtf8AndEscapesWhatWouldBreakALineOrTheTerminal() {
        byte[] data = {'a', (byte) 0xC3, (byte) 0xA9, '\n', 'b', (byte) 0xFF, 0x1B, '[', '\t', '\\', (byte) 0xC2,
            (byte) 0x85};
        assertThat(RecordFormat.TEXT.format(record(data, null))).isEqualTo("aé\\nb\\xff\\x1b[\t\\\\u0085\n");
    }

    @Test
    void textOfATruncatedMultibyteCharacterShowsItsBytes() {
        assertThat(RecordFormat.TEXT.format(record(new byte[] {'x', (byte) 0xE2, (byte) 0x82}, null)))
                .isEqualTo("x\\xe2\\x82\n");
    }

    @Test
    void jsonHasEveryFieldAndUtf8DataAsText() {
        String line = RecordFormat.JSON.format(record("{\"a\":1}".getBytes(StandardCharsets.UTF_8), 2L));
        assertThat(line).isEqualTo("{\"shardId\":\"shardId-000000000001\",\"sequenceNumber\":\"4950\","
                + "\"subSequenceNumber\":2,\"partitionKey\":\"key\\n1\","
                + "\"approximateArrivalTimestamp\":\"2026-12-06T14:00:00.120Z\",\"data\":\"{\\\"a\\\":1}\","
                + "\"dataEncoding\":\"utf-8\"}\n");
    }

    @Test
    void jsonOfBinaryDataIsBase64AndHasNoSubSequenceNumberForAPlainRecord() {
        byte[] data = {0, (byte) 0xFF, 0x10};
        String line = RecordFormat.JSON.format(record(data, null));
        assertThat(line).contains("\"data\":\"" + Base64.getEncoder().encodeToString(data) + "\"",
                "\"dataEncoding\":\"base64\"").doesNotContain("subSequenceNumber");
    }

    @Test
    void hexHasAHeaderAndAHexdumpWithAscii() {
        byte[] data = "hello, world! 0123".getBytes(StandardCharsets.UTF_8);
        assertThat(RecordFormat.HEX.format(record(data, 0L))).isEqualTo(
                "shardId-000000000001 4950 sub 0 key key\\n1 2026-12-06T14:00:00.120Z 18 bytes\n"
                + "00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 20 30 31  |hello, world! 01|\n"
                + "00000010  32 33                                             |23|\n");
    }
}
