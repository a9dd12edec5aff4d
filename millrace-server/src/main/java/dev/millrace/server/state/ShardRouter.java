package dev.millrace.server.state;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Maps a hash key to the open shard that owns it, by binary search over the open shards' ranges. Routers are cached
 * per stream and rebuilt when the stream's record changes (a reshard makes a new record).
 *
 * <p>Immutable; the cache is thread-safe.
 */
public final class ShardRouter {
    private static final ConcurrentHashMap<String, ShardRouter> CACHE = new ConcurrentHashMap<>();

    private final StreamRecord stream;
    private final ShardRecord[] open;
    /**
     * The open shards' first and last hash keys, in {@link #open}'s order, each as two unsigned 64-bit halves:
     * routing searches these arrays, not each step's shard record and its BigIntegers (three dependent loads per
     * step, ten steps per record over 1,000 shards, from memory a call over that many shards rarely has in cache).
     */
    private final long[] startHigh;
    private final long[] startLow;
    private final long[] endHigh;
    private final long[] endLow;
    /** The AUTO strategy's round robin; it restarts when a reshard makes a new router, which is harmless. */
    private final AtomicLong nextSpread = new AtomicLong();

    private ShardRouter(StreamRecord stream) {
        this.stream = stream;
        List<ShardRecord> shards = stream.openShards();
        this.open = shards.stream().sorted(Comparator.comparing(ShardRecord::startingHashKey))
                .toArray(ShardRecord[]::new);
        int n = open.length;
        startHigh = new long[n];
        startLow = new long[n];
        endHigh = new long[n];
        endLow = new long[n];
        for (int i = 0; i < n; i++) {
            startHigh[i] = HashKeys.high(open[i].startingHashKey());
            startLow[i] = HashKeys.low(open[i].startingHashKey());
            endHigh[i] = HashKeys.high(open[i].endingHashKey());
            endLow[i] = HashKeys.low(open[i].endingHashKey());
        }
    }

    /** Compares two unsigned 128-bit values given as halves. */
    private static int compare(long aHigh, long aLow, long bHigh, long bLow) {
        int c = Long.compareUnsigned(aHigh, bHigh);
        return c != 0 ? c : Long.compareUnsigned(aLow, bLow);
    }

    public static ShardRouter of(StreamRecord stream) {
        ShardRouter router = CACHE.get(stream.name());
        if (router == null || router.stream != stream) {
            router = new ShardRouter(stream);
            CACHE.put(stream.name(), router);
        }
        return router;
    }

    /**
     * A hash key for a record of an AUTO stream: each call picks the next open shard in turn, so records are spread
     * evenly over the shards whatever their key ranges, and returns a random key inside that shard's range, so that
     * on-demand scaling, which splits a busy shard at the median of its recent keys, still splits it in two.
     */
    public BigInteger spread() {
        ShardRecord shard = open[(int) Math.floorMod(nextSpread.getAndIncrement(), (long) open.length)];
        BigInteger width = shard.endingHashKey().subtract(shard.startingHashKey()).add(BigInteger.ONE);
        BigInteger offset = new BigInteger(width.bitLength() + 8, ThreadLocalRandom.current()).mod(width);
        return shard.startingHashKey().add(offset);
    }

    /** The open shard owning {@code hashKey}; open shards always cover the whole key space. */
    public ShardRecord route(BigInteger hashKey) {
        return open[indexOf(HashKeys.high(hashKey), HashKeys.low(hashKey))];
    }

    /** How many open shards there are: {@link #indexOf} is below it. */
    public int openCount() {
        return open.length;
    }

    /** The open shard at {@code index} of this router's order (by starting hash key). */
    public ShardRecord open(int index) {
        return open[index];
    }

    /**
     * Where the open shard owning the hash key is in this router's order: callers group records by it in arrays,
     * without hashing the shard's record (its identity hash, a read of every touched shard's object header).
     */
    public int indexOf(long high, long low) {
        int lo = 0;
        int hi = open.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (compare(endHigh[mid], endLow[mid], high, low) < 0) {
                lo = mid + 1;
            } else if (compare(startHigh[mid], startLow[mid], high, low) > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        throw new IllegalStateException("no open shard of " + stream.name() + " owns hash key "
                + HashKeys.of(high, low));
    }
}
