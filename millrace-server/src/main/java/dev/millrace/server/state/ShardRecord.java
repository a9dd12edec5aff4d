package dev.millrace.server.state;

import java.math.BigInteger;

/**
 * One shard of a stream as the metadata store keeps it: its hash key range, lineage and, once closed, where it ended.
 *
 * <p>Immutable, thread-safe.
 *
 * @param index               the N of {@code shardId-N}
 * @param parentIndex         the parent shard's index, or -1
 * @param adjacentParentIndex the other parent of a merge, or -1
 * @param startingHashKey     first hash key owned, inclusive
 * @param endingHashKey       last hash key owned, inclusive
 * @param startingPosition    storage position of the shard's first record
 * @param createdMs           when the shard was created
 * @param closedMs            when a split or merge closed it; {@code null} while open
 * @param endingPosition      one past the last position once closed and its log sealed; {@code null} before that.
 *                            A shard is closed in the metadata first and sealed right after, so for a moment (or,
 *                            after a crash, until the next start) it is closed with no ending position yet.
 */
public record ShardRecord(int index, int parentIndex, int adjacentParentIndex, BigInteger startingHashKey,
                          BigInteger endingHashKey, long startingPosition, long createdMs, Long closedMs,
                          Long endingPosition) {

    public static ShardRecord open(int index, int parentIndex, int adjacentParentIndex, BigInteger start,
                                   BigInteger end, long createdMs) {
        return new ShardRecord(index, parentIndex, adjacentParentIndex, start, end, 0, createdMs, null, null);
    }

    public ShardRecord closed(long atMs) {
        return new ShardRecord(index, parentIndex, adjacentParentIndex, startingHashKey, endingHashKey,
                startingPosition, createdMs, atMs, null);
    }

    public ShardRecord ended(long position) {
        return new ShardRecord(index, parentIndex, adjacentParentIndex, startingHashKey, endingHashKey,
                startingPosition, createdMs, closedMs, position);
    }

    /** Closed and sealed, so its last position is known. */
    public boolean ended() {
        return endingPosition != null;
    }

    public String shardId() {
        return shardId(index);
    }

    public static String shardId(int index) {
        if (index >= 0 && index < KEPT_SHARD_IDS) {
            String id = SHARD_IDS.get(index);
            if (id == null) {
                id = buildShardId(index);
                SHARD_IDS.set(index, id); // two threads may both build it: equal Strings, either is kept
            }
            return id;
        }
        return buildShardId(index);
    }

    /**
     * Shard ids of the first indexes, built once: a PutRecords answer names each record's shard, and a call over
     * 1,000 shards built ~400 of them (1.6 % of the server's CPU). 65,536 ids take about 4.5 MB once all are made.
     */
    private static final int KEPT_SHARD_IDS = 1 << 16;
    private static final java.util.concurrent.atomic.AtomicReferenceArray<String> SHARD_IDS =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(KEPT_SHARD_IDS);

    /** The ids above as ASCII bytes, which a PutRecords answer writes as they are (one per record). */
    private static final java.util.concurrent.atomic.AtomicReferenceArray<byte[]> SHARD_ID_BYTES =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(KEPT_SHARD_IDS);

    /** {@link #shardId(int)} as ASCII bytes, built once for the first indexes; callers must not modify them. */
    public static byte[] shardIdAscii(int index) {
        if (index >= 0 && index < KEPT_SHARD_IDS) {
            byte[] id = SHARD_ID_BYTES.get(index);
            if (id == null) {
                id = shardId(index).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                SHARD_ID_BYTES.set(index, id); // as for the Strings: equal arrays, either is kept
            }
            return id;
        }
        return shardId(index).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static String buildShardId(int index) {
        return ZeroPadded.append(new StringBuilder(20).append("shardId-"), index, 12).toString();
    }

    /**
     * The N of a shard id, or -1 if it names no shard. AWS reads a shard id leniently: whatever follows the last
     * hyphen ({@code shardId-5}, {@code shard-5} and {@code anything-000005} all name shard 5), or the whole id if it
     * has none; that part must be decimal digits (leading zeros allowed) of a value up to 2^31-1. Messages then echo
     * the canonical {@code shardId-%012d}.
     */
    public static int parseShardId(String shardId) {
        if (shardId == null) {
            return -1;
        }
        int from = shardId.lastIndexOf('-') + 1;
        while (from < shardId.length() - 1 && shardId.charAt(from) == '0') {
            from++;
        }
        int digits = shardId.length() - from;
        if (digits == 0 || digits > 10) {
            return -1;
        }
        long n = 0;
        for (int i = from; i < shardId.length(); i++) {
            char c = shardId.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n > Integer.MAX_VALUE ? -1 : (int) n;
    }

    /** This shard with new creation and closing times, everything else kept (an ending position included). */
    ShardRecord restamped(long newCreatedMs, Long newClosedMs) {
        return new ShardRecord(index, parentIndex, adjacentParentIndex, startingHashKey, endingHashKey,
                startingPosition, newCreatedMs, newClosedMs, endingPosition);
    }

    public boolean open() {
        return closedMs == null;
    }

    public boolean owns(BigInteger hashKey) {
        return startingHashKey.compareTo(hashKey) <= 0 && endingHashKey.compareTo(hashKey) >= 0;
    }
}
