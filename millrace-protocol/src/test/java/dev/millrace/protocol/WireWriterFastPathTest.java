package dev.millrace.protocol;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-record writing paths (pre-encoded names, UTF-8 strings from bytes, blob slices, timestamps without a
 * BigDecimal) write exactly the bytes the plain String paths write, in both formats.
 */
class WireWriterFastPathTest {
    private static final WireWriter.Name KEY = WireWriter.Name.of("PartitionKey");

    @Provide
    Arbitrary<String> keys() {
        // Control characters, quotes and backslashes (JSON escapes them), 2-, 3- and 4-byte UTF-8, long strings.
        Arbitrary<Character> chars = Arbitraries.oneOf(
                Arbitraries.chars().range('\u0000', '\u007f'),
                Arbitraries.chars().range('\u0080', '\u07ff'),
                Arbitraries.chars().range('\u0800', '\ud7ff'),
                Arbitraries.of('"', '\\', '/', '\u2028'));
        Arbitrary<String> bmp = chars.list().ofMaxSize(300).map(WireWriterFastPathTest::join);
        Arbitrary<String> astral = Arbitraries.integers().between(0x10000, 0x10FFFF).list().ofMaxSize(130)
                .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
        return Arbitraries.oneOf(bmp, astral, Arbitraries.strings().numeric().ofLength(56));
    }

    private static String join(java.util.List<Character> chars) {
        StringBuilder b = new StringBuilder();
        chars.forEach(b::append);
        return b.toString();
    }

    @Property(tries = 500)
    void utf8StringWritesWhatStringWrites(@ForAll("keys") String value, @ForAll @IntRange(min = 0, max = 7) int pad) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        byte[] padded = new byte[utf8.length + 2 * pad];
        System.arraycopy(utf8, 0, padded, pad, utf8.length);
        for (WireFormat format : WireFormat.values()) {
            byte[] expected = new WireWriter(format).startObject().string("PartitionKey", value).endObject()
                    .toBytes();
            byte[] actual = new WireWriter(format).startObject().utf8String(KEY, padded, pad, utf8.length).endObject()
                    .toBytes();
            assertThat(actual).as(format.name()).isEqualTo(expected);
            byte[] named = new WireWriter(format).startObject().string(KEY, value).endObject().toBytes();
            assertThat(named).as(format.name()).isEqualTo(expected);
        }
    }

    @Property(tries = 300)
    void aBlobSliceWritesWhatTheArrayWrites(@ForAll byte[] data, @ForAll @IntRange(min = 0, max = 9) int pad) {
        byte[] padded = new byte[data.length + 2 * pad];
        System.arraycopy(data, 0, padded, pad, data.length);
        for (WireFormat format : WireFormat.values()) {
            byte[] expected = new WireWriter(format).startObject().blob("Data", data).endObject().toBytes();
            byte[] actual = new WireWriter(format).startObject().blob(WireWriter.Name.of("Data"), padded, pad,
                    data.length).endObject().toBytes();
            assertThat(actual).as(format.name()).isEqualTo(expected);
        }
    }

    @Property(tries = 2000)
    void timestampsMatchTheBigDecimalForm(@ForAll @LongRange(min = -5_000, max = Long.MAX_VALUE) long epochMs) {
        long[] samples = {epochMs, epochMs % 1000, epochMs % 100_000, 0, 5, 999, 1000, 1_787_036_486_712L};
        for (long ms : samples) {
            byte[] byName = new WireWriter(WireFormat.JSON).startObject()
                    .timestampMs(WireWriter.Name.of("T"), ms).endObject().toBytes();
            byte[] byString = new WireWriter(WireFormat.JSON).startObject().timestampMs("T", ms).endObject()
                    .toBytes();
            String expected = "{\"T\":" + BigDecimal.valueOf(ms, 3) + "}";
            assertThat(new String(byName, StandardCharsets.UTF_8)).isEqualTo(expected);
            assertThat(new String(byString, StandardCharsets.UTF_8)).isEqualTo(expected);
            byte[] cbor = new WireWriter(WireFormat.CBOR).startObject().timestampMs(WireWriter.Name.of("T"), ms)
                    .endObject().toBytes();
            assertThat(cbor).isEqualTo(new WireWriter(WireFormat.CBOR).startObject().timestampMs("T", ms)
                    .endObject().toBytes());
        }
    }
}
