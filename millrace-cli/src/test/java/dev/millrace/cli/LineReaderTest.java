package dev.millrace.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** put's lines (bytes kept, CRLF, a last line without a break, the size limit) and tail's --from values. */
class LineReaderTest {
    private static LineReader reader(byte[] input, int maxBytes) {
        return new LineReader(new ByteArrayInputStream(input), maxBytes);
    }

    @Test
    void linesKeepTheirBytesAndLoseTheirBreaks() throws IOException {
        byte[] input = {'a', '\r', '\n', '\n', (byte) 0xFF, 'b', '\r', 'c', '\n', 'z'};
        LineReader lines = reader(input, 100);
        assertThat(lines.next().data()).containsExactly('a');
        assertThat(lines.next().data()).as("an empty line is a record too").isEmpty();
        assertThat(lines.next().data()).as("a \\r inside a line stays").containsExactly((byte) 0xFF, 'b', '\r', 'c');
        LineReader.Line last = lines.next();
        assertThat(last.data()).containsExactly('z');
        assertThat(last.number()).isEqualTo(4);
        assertThat(lines.next()).isNull();
    }

    @Test
    void aLineOverTheLimitIsReportedWithoutItsBytesAndTheNextOneIsRead() throws IOException {
        LineReader lines = reader("12345\nok\n".getBytes(StandardCharsets.UTF_8), 4);
        LineReader.Line tooLong = lines.next();
        assertThat(tooLong.tooLong()).isTrue();
        assertThat(tooLong.length()).isEqualTo(5);
        assertThat(new String(lines.next().data(), StandardCharsets.UTF_8)).isEqualTo("ok");
    }

    @Test
    void emptyInputHasNoLines() throws IOException {
        assertThat(reader(new byte[0], 10).next()).isNull();
    }

    @Test
    void fromAcceptsLatestTrimHorizonAndIsoTimes() {
        assertThat(StartPosition.parse("LATEST")).isEqualTo(StartPosition.LATEST);
        assertThat(StartPosition.parse("trim-horizon")).isEqualTo(StartPosition.TRIM_HORIZON);
        assertThat(StartPosition.parse("2026-12-06T15:00:00+01:00").timestamp())
                .isEqualTo(Instant.parse("2026-12-06T14:00:00Z"));
        assertThat(StartPosition.parse("2026-12-06T14:00:00.5Z").timestamp())
                .isEqualTo(Instant.parse("2026-12-06T14:00:00.500Z"));
        assertThatThrownBy(() -> StartPosition.parse("2026-12-06")).isInstanceOf(UsageException.class);
    }
}
