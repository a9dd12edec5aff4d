package dev.millrace.server.state;

/**
 * Zero-padded decimals for ids and sequence numbers, without {@code String.format}: a PutRecords of 500 records
 * builds 500 sequence numbers and shard ids, and the formatter's parsing and locale lookups were most of that call's
 * CPU time.
 *
 * <p>Stateless, thread-safe.
 */
final class ZeroPadded {
    private ZeroPadded() {
    }

    /**
     * Writes {@code value} as exactly {@code width} ASCII digits at {@code offset}, leading zeros included; fails if
     * it is negative or needs more digits.
     */
    static void fill(byte[] digits, int offset, int width, long value) {
        if (value < 0) {
            throw new IllegalArgumentException("negative: " + value);
        }
        long rest = value;
        for (int i = offset + width - 1; i >= offset; i--) {
            digits[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        if (rest != 0) {
            throw new IllegalArgumentException(value + " does not fit in " + width + " digits");
        }
    }

    /** Appends {@code value} (not negative) with leading zeros up to {@code width} digits; never truncates. */
    static StringBuilder append(StringBuilder b, long value, int width) {
        if (value < 0) {
            throw new IllegalArgumentException("negative: " + value);
        }
        int digits = 1;
        for (long v = value; v >= 10; v /= 10) {
            digits++;
        }
        for (int i = digits; i < width; i++) {
            b.append('0');
        }
        return b.append(value);
    }
}
