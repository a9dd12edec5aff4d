package dev.millrace.server.http;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A client's names reach the request log as one short line: no forged lines, no megabyte lines. */
class RequestLogPrintableTest {
    @Test
    void namesAndArnsPassAsTheyAre() {
        assertThat(RequestLog.printable("orders_2026.v1-a")).isEqualTo("orders_2026.v1-a");
        assertThat(RequestLog.printable("arn:aws:kinesis:us-east-1:000000000000:stream/s")).isEqualTo(
                "arn:aws:kinesis:us-east-1:000000000000:stream/s");
        assertThat(RequestLog.printable(null)).isNull();
    }

    @Test
    void lineBreaksAndControlCharactersCannotForgeALine() {
        String forged = "x\n2026-12-06 INFO remote=10.0.0.1 service=kinesis operation=DeleteStream\r\u001b[2J";
        String shown = RequestLog.printable(forged);
        assertThat(shown).doesNotContain("\n", "\r", "\u001b", " ").startsWith("x?2026-12-06?INFO?remote=");
    }

    @Test
    void aHugeNameIsCutShort() {
        String shown = RequestLog.printable("a".repeat(1_000_000));
        assertThat(shown).hasSize(RequestLog.MAX_LOGGED_CHARS + 3).endsWith("...");
    }
}
