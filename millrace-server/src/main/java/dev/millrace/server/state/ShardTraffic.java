package dev.millrace.server.state;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Recent write demand on one shard: records and bytes per second over a sliding window of one-second buckets, and
 * the hash keys of the latest records, so that a hot shard can be split where its traffic divides. Demand counts
 * every record a producer tried to write, throttled or not: throttled writes are exactly the demand that needs room.
 *
 * <p>Thread-safe: methods are synchronized.
 */
public final class ShardTraffic {
    private static final int SAMPLE_SIZE = 512;

    private final int windowSeconds;
    private final long[] bucketSecond;
    private final long[] bucketBytes;
    private final long[] bucketRecords;
    private final BigInteger[] sampleKeys = new BigInteger[SAMPLE_SIZE];
    private final long[] sampleBytes = new long[SAMPLE_SIZE];
    private int sampleNext;
    private int sampleCount;

    /** What a shard's meter says now: demand per second over the window, and where its traffic divides (or null). */
    public record Summary(double bytesPerSecond, double recordsPerSecond, BigInteger medianKey) {
    }

    public ShardTraffic(int windowSeconds) {
        this.windowSeconds = windowSeconds;
        this.bucketSecond = new long[windowSeconds];
        this.bucketBytes = new long[windowSeconds];
        this.bucketRecords = new long[windowSeconds];
        Arrays.fill(bucketSecond, -1);
    }

    public synchronized void record(long nowMs, BigInteger hashKey, long bytes) {
        long second = nowMs / 1000;
        int i = (int) (second % windowSeconds);
        if (bucketSecond[i] != second) {
            bucketSecond[i] = second;
            bucketBytes[i] = 0;
            bucketRecords[i] = 0;
        }
        bucketBytes[i] += bytes;
        bucketRecords[i]++;
        sampleKeys[sampleNext] = hashKey;
        sampleBytes[sampleNext] = Math.max(1, bytes);
        sampleNext = (sampleNext + 1) % SAMPLE_SIZE;
        sampleCount = Math.min(SAMPLE_SIZE, sampleCount + 1);
    }

    /** Average bytes per second over the full window that ended with the last whole second before {@code nowMs}. */
    public synchronized double bytesPerSecond(long nowMs) {
        return sum(nowMs, bucketBytes) / (double) windowSeconds;
    }

    public synchronized double recordsPerSecond(long nowMs) {
        return sum(nowMs, bucketRecords) / (double) windowSeconds;
    }

    private long sum(long nowMs, long[] values) {
        long current = nowMs / 1000;
        long total = 0;
        for (int i = 0; i < windowSeconds; i++) {
            long age = current - bucketSecond[i];
            if (bucketSecond[i] >= 0 && age >= 1 && age <= windowSeconds) {
                total += values[i];
            }
        }
        return total;
    }

    public synchronized Summary summary(long nowMs) {
        return new Summary(bytesPerSecond(nowMs), recordsPerSecond(nowMs), weightedMedianKey());
    }

    /** The hash key that divides the sampled recent traffic in half by bytes, or {@code null} with no traffic. */
    public synchronized BigInteger weightedMedianKey() {
        if (sampleCount == 0) {
            return null;
        }
        Integer[] order = new Integer[sampleCount];
        long total = 0;
        for (int i = 0; i < sampleCount; i++) {
            order[i] = i;
            total += sampleBytes[i];
        }
        Arrays.sort(order, Comparator.comparing(i -> sampleKeys[i]));
        long half = (total + 1) / 2;
        long running = 0;
        for (int i : order) {
            running += sampleBytes[i];
            if (running >= half) {
                return sampleKeys[i];
            }
        }
        return sampleKeys[order[order.length - 1]];
    }
}
