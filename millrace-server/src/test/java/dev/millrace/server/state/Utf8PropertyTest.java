package dev.millrace.server.state;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Partition keys' UTF-8 counted and hand-encoded without {@code getBytes}: the same lengths as {@code getBytes}, and
 * the same MD5 hash keys as a fresh digest of its bytes.
 */
class Utf8PropertyTest {
    @Provide
    Arbitrary<String> keys() {
        // Any chars, unpaired surrogates included (getBytes writes '?' for them), pairs, and plain ASCII.
        Arbitrary<String> anyChars = Arbitraries.chars().all().list().ofMaxSize(300).map(chars -> {
            StringBuilder b = new StringBuilder();
            chars.forEach(b::append);
            return b.toString();
        });
        Arbitrary<String> astral = Arbitraries.integers().between(0x10000, 0x10FFFF).list().ofMaxSize(128)
                .map(cps -> new String(cps.stream().mapToInt(Integer::intValue).toArray(), 0, cps.size()));
        return Arbitraries.oneOf(anyChars, astral, Arbitraries.strings().ascii().ofMaxLength(300),
                Arbitraries.strings().ascii().ofMinLength(700).ofMaxLength(900));
    }

    @Property(tries = 2000)
    void lengthIsTheLengthOfGetBytes(@ForAll("keys") String key) {
        assertThat(Utf8.length(key)).isEqualTo(key.getBytes(StandardCharsets.UTF_8).length);
    }

    @Property(tries = 1000)
    void hashKeysAreTheMd5OfTheUtf8Bytes(@ForAll("keys") String key) throws Exception {
        BigInteger expected = new BigInteger(1, MessageDigest.getInstance("MD5")
                .digest(key.getBytes(StandardCharsets.UTF_8)));
        assertThat(HashKeys.ofPartitionKey(key)).isEqualTo(expected);
        // Twice: the thread's digest and arrays are reused.
        assertThat(HashKeys.ofPartitionKey(key)).isEqualTo(expected);
    }
}
