package dev.millrace.channels.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class RecordFormatTest {

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "[]", "1", "-0.5e3", "\"text\"", "true", "null", " {\"a\":[1,{\"b\":null}]} \n",
        "{\"dup\":1,\"dup\":2}", "\"caf\u00e9 \u2603 \uD83D\uDE00\""})
    void validJsonIsAccepted(String json) {
        assertThat(RecordFormat.JSON.problem(utf8(json))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"a\":}", "{a:1}", "'x'", "1 2", "{} {}", "[1,]", "NaN", "tru",
        "{\"a\":1}}", "// comment\n{}"})
    void invalidJsonIsRejected(String json) {
        assertThat(RecordFormat.JSON.problem(utf8(json))).hasValueSatisfying(m ->
                assertThat(m).startsWith("The record is not valid JSON"));
    }

    @Test
    void longValuesAreValidButDeepNestingIsBounded() {
        assertThat(RecordFormat.JSON.problem(utf8("[" + "9".repeat(5_000) + "]"))).isEmpty();
        assertThat(RecordFormat.JSON.problem(utf8("\"" + "s".repeat(25_000_000) + "\""))).isEmpty();
        assertThat(RecordFormat.JSON.problem(utf8("[".repeat(1_000) + "]".repeat(1_000)))).isEmpty();
        assertThat(RecordFormat.JSON.problem(utf8("[".repeat(1_001) + "]".repeat(1_001)))).isPresent();
    }

    @Test
    void jsonMustBeUtf8() {
        byte[] utf16 = "{\"a\":1}".getBytes(StandardCharsets.UTF_16);
        assertThat(RecordFormat.JSON.problem(utf16)).hasValueSatisfying(m -> assertThat(m).contains("UTF-8"));
        assertThat(RecordFormat.JSON.problem(new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}))
                .as("an encoded surrogate").isPresent();
        // Without a byte-order mark: valid UTF-8 byte for byte (NULs), which Jackson given bytes would read as UTF-16
        assertThat(RecordFormat.JSON.problem("{\"a\":1}".getBytes(StandardCharsets.UTF_16LE))).isPresent();
        assertThat(RecordFormat.JSON.problem("[1]".getBytes(Charset.forName("UTF-32BE")))).isPresent();
        assertThat(RecordFormat.JSON.problem(new byte[] {'"', 'a', 0, '"'})).as("a raw NUL in a string").isPresent();
        assertThat(RecordFormat.JSON.problem(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}))
                .as("a byte order mark").hasValueSatisfying(m -> assertThat(m).contains("byte order mark"));
        assertThat(RecordFormat.JSON.problem(utf8("{\"s\":\"\u00e9\",\"n\":1}"))).as("non-ASCII").isEmpty();
    }

    @Test
    void theAsciiScanFindsAHighBitOrANulAtEveryPositionOfLongAndShortRecords() {
        for (int length = 0; length <= 20; length++) {
            byte[] plain = new byte[length];
            java.util.Arrays.fill(plain, (byte) 'a');
            assertThat(RecordFormat.isAscii(plain, true)).as("length %d", length).isTrue();
            for (int at = 0; at < length; at++) {
                byte[] high = plain.clone();
                high[at] = (byte) 0x80;
                assertThat(RecordFormat.isAscii(high, false)).as("0x80 at %d of %d", at, length).isFalse();
                byte[] nul = plain.clone();
                nul[at] = 0;
                assertThat(RecordFormat.isAscii(nul, true)).as("NUL at %d of %d", at, length).isFalse();
                assertThat(RecordFormat.isAscii(nul, false)).as("NUL allowed at %d of %d", at, length).isTrue();
                byte[] one = plain.clone();
                one[at] = 1; // next to zero: a borrow must not be taken for a zero byte
                assertThat(RecordFormat.isAscii(one, true)).as("0x01 at %d of %d", at, length).isTrue();
            }
        }
    }

    @Test
    void jsonErrorsNameThePlaceNotThePayload() {
        assertThat(RecordFormat.JSON.problem(utf8("{\"card\": 4111-1111}"))).hasValueSatisfying(m ->
                assertThat(m).doesNotContain("4111").contains("line 1"));
    }

    @Test
    void stringsMustBeValidUtf8() {
        assertThat(RecordFormat.STRING.problem(utf8("any text, \u2603, {not json"))).isEmpty();
        assertThat(RecordFormat.STRING.problem(new byte[0])).isEmpty();
        assertThat(RecordFormat.STRING.problem(new byte[] {(byte) 0xC0, (byte) 0xAF})).as("overlong").isPresent();
        assertThat(RecordFormat.STRING.problem(new byte[] {(byte) 0xE2, (byte) 0x98})).as("truncated").isPresent();
        assertThat(RecordFormat.STRING.problem(new byte[] {(byte) 0xFF})).isPresent();
    }

    @Test
    void byteArraysAreNeverRejected() {
        assertThat(RecordFormat.BYTE_ARRAY.problem(new byte[] {(byte) 0xFF, 0, (byte) 0xC0})).isEmpty();
    }

    @Test
    void layoutAddsANewlineToTextRecordsThatLackOne() throws IOException {
        assertThat(laidOut(RecordFormat.STRING, "a", "b\n", "", "c")).isEqualTo("a\nb\n\nc\n");
        assertThat(laidOut(RecordFormat.JSON, "{}", "[1]\n")).isEqualTo("{}\n[1]\n");
        assertThat(laidOut(RecordFormat.BYTE_ARRAY, "a", "b\n", "", "c")).isEqualTo("ab\nc");
        assertThat(RecordFormat.STRING.laidOutBytes(utf8("ab"))).isEqualTo(3);
        assertThat(RecordFormat.STRING.laidOutBytes(utf8("ab\n"))).isEqualTo(3);
        assertThat(RecordFormat.BYTE_ARRAY.laidOutBytes(utf8("ab"))).isEqualTo(2);
    }

    @Test
    void gsrJsonIsNotAnS3Format() {
        assertThat(RecordFormat.of("JSON")).isEqualTo(RecordFormat.JSON);
        assertThatThrownBy(() -> RecordFormat.of("GSR_JSON")).hasMessageContaining("GSR_JSON");
        assertThatThrownBy(() -> Compression.of("SNAPPY")).hasMessageContaining("SNAPPY");
    }

    private static String laidOut(RecordFormat format, String... records) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String record : records) {
            format.write(out, utf8(record));
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
