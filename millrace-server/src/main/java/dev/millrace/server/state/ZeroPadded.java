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
