package dev.millrace.server.records;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page weighs its records' partition keys in chars of the decoded key, as it did when records carried Strings;
 * it now counts them from the stored UTF-8 without decoding.
 */
class RecordPageSizeTest {
    @Provide
    Arbitrary<String> keys() {
        Arbitrary<String> anyChars = Arbitraries.chars().all().list().ofMaxSize(256).map(chars -> {
            StringBuilder b = new StringBuilder();
            chars.forEach(b::append);
            return b.toString();
        });
        Arbitrary<String> astral = Arbitraries.integers().between(0x10000, 0x10FFFF).list().ofMaxSize(128)
                .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
        Arbitrary<String> ascii = Arbitraries.strings().ascii().ofMaxLength(256);
        // An ASCII run (read eight bytes at a time) followed by anything, at every alignment.
        Arbitrary<String> mixed = Combinators.combine(ascii, Arbitraries.oneOf(anyChars, astral)).as(String::concat);
        return Arbitraries.oneOf(anyChars, astral, ascii, mixed);
    }

    @Property(tries = 3000)
    void utf16LengthIsTheDecodedKeysLength(@ForAll("keys") String key) {
        byte[] stored = key.getBytes(StandardCharsets.UTF_8);
        byte[] padded = new byte[stored.length + 6];
        System.arraycopy(stored, 0, padded, 3, stored.length);
        assertThat(RecordPage.utf16Length(padded, 3, stored.length))
                .isEqualTo(new String(stored, StandardCharsets.UTF_8).length());
    }
}
