package dev.millrace.server.state;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 128-bit hash key space records are routed by: {@code MD5(partitionKey as UTF-8)} read as an unsigned
 * big-endian integer, unless the producer gives an explicit hash key. On the hot path a key travels as its two 64-bit
 * halves (unsigned, {@link #high} and {@link #low}): a BigInteger per record (its object, its int array, and the
 * stripping of leading zero bytes when made from the digest) was 9 % of the bytes a PutRecords call allocated.
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
     * written into {@code output}, so hashing a key allocates nothing.
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

        byte[] hash(String key) {
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
            return output;
        }
    }

    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private HashKeys() {
    }

    public static BigInteger ofPartitionKey(String partitionKey) {
        return new BigInteger(1, MD5.get().hash(partitionKey));
    }

    /**
     * The MD5 of a partition key: 16 bytes in this thread's own array, valid until its next call here; read it with
     * {@link #high(byte[])} and {@link #low(byte[])}.
     */
    public static byte[] digestOfPartitionKey(String partitionKey) {
        return MD5.get().hash(partitionKey);
    }

    /** Bits 127..64 of the hash key a digest is, as an unsigned long. */
    public static long high(byte[] digest) {
        return (long) LONG_BE.get(digest, 0);
    }

    /** Bits 63..0 of the hash key a digest is, as an unsigned long. */
    public static long low(byte[] digest) {
        return (long) LONG_BE.get(digest, 8);
    }

    /** Bits 127..64 of a hash key (below 2^128). */
    public static long high(BigInteger hashKey) {
        return hashKey.bitLength() <= 64 ? 0 : hashKey.shiftRight(64).longValue();
    }

    /** Bits 63..0 of a hash key. */
    public static long low(BigInteger hashKey) {
        return hashKey.longValue();
    }

    /** The hash key whose unsigned halves these are. */
    public static BigInteger of(long high, long low) {
        byte[] bytes = new byte[16];
        LONG_BE.set(bytes, 0, high);
        LONG_BE.set(bytes, 8, low);
        return new BigInteger(1, bytes);
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
