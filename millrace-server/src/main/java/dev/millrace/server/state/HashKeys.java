package dev.millrace.server.state;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The 128-bit hash key space records are routed by: {@code MD5(partitionKey as UTF-8)} read as an unsigned
 * big-endian integer, unless the producer gives an explicit hash key.
 *
 * <p>Thread-safe: no shared state but one MD5 digest per thread.
 */
public final class HashKeys {
    public static final BigInteger MAX = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    // digest() resets the instance, so each thread reuses one (getInstance's provider lookup cost more than MD5).
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has MD5", e);
        }
    });

    private HashKeys() {
    }

    public static BigInteger ofPartitionKey(String partitionKey) {
        return new BigInteger(1, MD5.get().digest(partitionKey.getBytes(StandardCharsets.UTF_8)));
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
