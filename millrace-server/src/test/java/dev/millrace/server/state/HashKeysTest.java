package dev.millrace.server.state;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Hash keys as two unsigned halves are the same points as the BigIntegers they replace on the hot path. */
class HashKeysTest {
    @Test
    void aDigestsHalvesAreTheMd5ReadAsAnUnsigned128BitNumber() throws Exception {
        Random random = new Random(20);
        for (int i = 0; i < 2_000; i++) {
            String key = randomKey(random);
            BigInteger expected = new BigInteger(1, MessageDigest.getInstance("MD5")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
            byte[] digest = HashKeys.digestOfPartitionKey(key);
            assertThat(HashKeys.of(HashKeys.high(digest), HashKeys.low(digest))).as(key).isEqualTo(expected);
            assertThat(HashKeys.ofPartitionKey(key)).as(key).isEqualTo(expected);
        }
    }

    @Test
    void halvesOfABigIntegerRoundTripAtTheEdges() {
        BigInteger two64 = BigInteger.ONE.shiftLeft(64);
        for (BigInteger key : List.of(BigInteger.ZERO, BigInteger.ONE, two64.subtract(BigInteger.ONE), two64,
                two64.add(BigInteger.ONE), BigInteger.ONE.shiftLeft(127), HashKeys.MAX)) {
            assertThat(HashKeys.of(HashKeys.high(key), HashKeys.low(key))).isEqualTo(key);
        }
        assertThat(HashKeys.high(HashKeys.MAX)).isEqualTo(-1L);
        assertThat(HashKeys.low(two64)).isZero();
        assertThat(HashKeys.high(two64)).isEqualTo(1L);
    }

    private static String randomKey(Random random) {
        StringBuilder b = new StringBuilder();
        int length = 1 + random.nextInt(40);
        for (int i = 0; i < length; i++) {
            // Mostly ASCII (the encoder's fast path), sometimes beyond: 2- and 3-byte UTF-8 and surrogate pairs.
            int kind = random.nextInt(10);
            if (kind < 7) {
                b.append((char) (32 + random.nextInt(95)));
            } else if (kind < 9) {
                b.append((char) (0x80 + random.nextInt(0x7000)));
            } else {
                b.appendCodePoint(0x10000 + random.nextInt(0x10000));
            }
        }
        return b.toString();
    }
}
