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
        return ZeroPadded.append(new StringBuilder(20).append("shardId-"), index, 12).toString();
    }

    /** The index in a shard id, or -1 if it is not of the form {@code shardId-N}. */
    public static int parseShardId(String shardId) {
        if (shardId == null || !shardId.startsWith("shardId-") || shardId.length() > 20 || shardId.length() < 9) {
            return -1;
        }
        try {
            long n = Long.parseLong(shardId.substring("shardId-".length()));
            return n < 0 || n > 999_999 ? -1 : (int) n;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public boolean open() {
        return closedMs == null;
    }

    public boolean owns(BigInteger hashKey) {
        return startingHashKey.compareTo(hashKey) <= 0 && endingHashKey.compareTo(hashKey) >= 0;
    }
}
