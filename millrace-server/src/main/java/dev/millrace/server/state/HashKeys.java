package dev.millrace.server.state;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 128-bit hash key space records are routed by: {@code MD5(partitionKey as UTF-8)} read as an unsigned
 * big-endian integer, unless the producer gives an explicit hash key.
 *
 * <p>Thread-safe: no shared state but one MD5 digest and its scratch arrays per thread.
 */
public final class HashKeys {
    public static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    /** The longest partition key AWS takes, 256 chars: at most 3 UTF-8 bytes each (a surrogate pair takes 4 for 2). */
    private static final int MAX_KEY_UTF8_BYTES = 256 * 3;
    // digest() resets the instance, so each thread reuses one (getInstance's provider lookup cost more than MD5).
    private static final ThreadLocal<Md5> MD5 = ThreadLocal.withInitial(Md5::new);

    /**
     * One thread's MD5 and the arrays it works in: a key's UTF-8 bytes are encoded into {@code input} and the digest
     * written into {@code output}, so hashing a key allocates nothing but the BigInteger it returns.
     */
    private static final class Md5 {
        final MessageDigest digest;
        final byte[] input = new byte[MAX_KEY_UTF8_BYTES];
        final byte[] output = new byte[16];

        Md5() {
            try {
                digest = MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JVM has MD5", e);
            }
        }

        BigInteger hash(String key) {
            int length = Utf8.encodeAscii(key, input);
            try {
                if (length >= 0) {
                    digest.update(input, 0, length);
                } else {
                    digest.update(key.getBytes(StandardCharsets.UTF_8));
                }
                digest.digest(output, 0, output.length);
            } catch (DigestException e) {
                throw new IllegalStateException("an MD5 digest is 16 bytes", e);
            }
            return new BigInteger(1, output);
        }
    }

    private HashKeys() {
    }

    public static BigInteger ofPartitionKey(String partitionKey) {
        return MD5.get().hash(partitionKey);
    }

    /** Parses an explicit hash key; {@code null} if it is not a decimal in [0, 2^128 - 1]. */
    public static BigInteger parseExplicit(String explicitHashKey) {
        try {
            BigInteger value = new BigInteger(explicitHashKey);
            return value.signum() < 0 || value.compareTo(MAX) > 0 ? null : value;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Start of shard {@code i} of {@code n} when a stream is created: each {@code floor(2^128 / n)} wide. */
    public static BigInteger initialStart(int i, int n) {
        return width(n).multiply(BigInteger.valueOf(i));
    }

    /** End (inclusive) of shard {@code i} of {@code n}; the last shard ends at 2^128 - 1. */
    public static BigInteger initialEnd(int i, int n) {
        return i == n - 1 ? MAX : width(n).multiply(BigInteger.valueOf(i + 1L)).subtract(BigInteger.ONE);
    }

    private static BigInteger width(int n) {
        return BigInteger.ONE.shiftLeft(128).divide(BigInteger.valueOf(n));
    }
}
