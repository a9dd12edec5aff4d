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
 * @param endingPosition      one past the last position, once closed; {@code null} while open
 */
public record ShardRecord(int index, int parentIndex, int adjacentParentIndex, BigInteger startingHashKey,
                          BigInteger endingHashKey, long startingPosition, long createdMs, Long endingPosition) {

    public String shardId() {
        return shardId(index);
    }

    public static String shardId(int index) {
        return String.format("shardId-%012d", index);
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
        return endingPosition == null;
    }

    public boolean owns(BigInteger hashKey) {
        return startingHashKey.compareTo(hashKey) <= 0 && endingHashKey.compareTo(hashKey) >= 0;
    }
}
