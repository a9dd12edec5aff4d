package dev.millrace.server.state;

import dev.millrace.protocol.KinesisException;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Plans resharding on a stream's shard list, as pure functions: a split closes one shard and opens two children that
 * divide its hash key range; a merge closes two adjacent shards and opens one child spanning both. UpdateShardCount
 * is planned as a sequence of such splits and merges, so every shard it creates has exact lineage (at most two
 * parents, each fully covering part of it) and consumers that finish parents before children keep each key's order.
 *
 * <p>Closed shards get {@code closedMs}; their ending position is filled in by the registry once their logs are
 * sealed. Shards created and closed within one UpdateShardCount never held a record and end at position 0.
 *
 * <p>Stateless, thread-safe.
 */
public final class Resharding {
    private Resharding() {
    }

    /** Result of a plan: the new shard list, and the next unused shard index. */
    public record Plan(List<ShardRecord> shards, int nextIndex) {
    }

    public static int nextIndex(List<ShardRecord> shards) {
        return shards.stream().mapToInt(ShardRecord::index).max().orElse(-1) + 1;
    }

    public static Plan split(List<ShardRecord> shards, int parentIndex, BigInteger newStartingHashKey, long nowMs,
                             String context) {
        ShardRecord parent = openShard(shards, parentIndex, context);
        if (newStartingHashKey.compareTo(parent.startingHashKey()) <= 0
                || newStartingHashKey.compareTo(parent.endingHashKey()) > 0) {
            throw KinesisException.invalidArgument("NewStartingHashKey " + newStartingHashKey + " used in SplitShard() "
                    + "on shard " + parent.shardId() + " in " + context + " is not both greater than the shard's "
                    + "StartingHashKey " + parent.startingHashKey() + " and less than or equal to the shard's "
                    + "EndingHashKey " + parent.endingHashKey() + ".");
        }
        int next = nextIndex(shards);
        List<ShardRecord> out = replace(shards, parent, parent.closed(nowMs));
        out.add(ShardRecord.open(next, parent.index(), -1, parent.startingHashKey(),
                newStartingHashKey.subtract(BigInteger.ONE), nowMs));
        out.add(ShardRecord.open(next + 1, parent.index(), -1, newStartingHashKey, parent.endingHashKey(), nowMs));
        return new Plan(out, next + 2);
    }

    public static Plan merge(List<ShardRecord> shards, int shardIndex, int adjacentIndex, long nowMs,
                             String context) {
        ShardRecord a = openShard(shards, shardIndex, context);
        ShardRecord b = openShard(shards, adjacentIndex, context);
        ShardRecord low = a.startingHashKey().compareTo(b.startingHashKey()) < 0 ? a : b;
        ShardRecord high = low == a ? b : a;
        if (!low.endingHashKey().add(BigInteger.ONE).equals(high.startingHashKey())) {
            throw KinesisException.invalidArgument("Shards " + a.shardId() + " and " + b.shardId() + " in " + context
                    + " are not an adjacent pair of shards eligible for merging");
        }
        int next = nextIndex(shards);
        List<ShardRecord> out = replace(shards, a, a.closed(nowMs));
        out = replace(out, b, b.closed(nowMs));
        out.add(ShardRecord.open(next, a.index(), b.index(), low.startingHashKey(), high.endingHashKey(), nowMs));
        return new Plan(out, next + 1);
    }

    /**
     * Brings the open shards to {@code target} shards of equal width ({@code floor(2^128 / target)}, the last one
     * ending at 2^128 - 1): first splits open shards at every target boundary that falls inside one, then merges,
     * left to right, the open shards that together make up each target range.
     */
    public static Plan uniform(List<ShardRecord> shards, int target, long nowMs, String context) {
        Plan plan = new Plan(new ArrayList<>(shards), nextIndex(shards));
        for (int i = 1; i < target; i++) {
            BigInteger boundary = HashKeys.initialStart(i, target);
            ShardRecord inside = ownerStrictlyInside(plan.shards(), boundary);
            if (inside != null) {
                plan = split(plan.shards(), inside.index(), boundary, nowMs, context);
            }
        }
        for (int i = 0; i < target; i++) {
            BigInteger start = HashKeys.initialStart(i, target);
            BigInteger end = HashKeys.initialEnd(i, target);
            while (true) {
                List<ShardRecord> parts = openWithin(plan.shards(), start, end);
                if (parts.size() <= 1) {
                    break;
                }
                plan = merge(plan.shards(), parts.get(0).index(), parts.get(1).index(), nowMs, context);
            }
        }
        return new Plan(endIntermediates(plan.shards(), shards), plan.nextIndex());
    }

    /** Shards both created and closed by this plan never held a record: they end at once, at position 0. */
    private static List<ShardRecord> endIntermediates(List<ShardRecord> planned, List<ShardRecord> before) {
        int firstNew = nextIndex(before);
        List<ShardRecord> out = new ArrayList<>(planned.size());
        for (ShardRecord s : planned) {
            out.add(s.index() >= firstNew && !s.open() ? s.ended(0) : s);
        }
        return out;
    }

    private static ShardRecord ownerStrictlyInside(List<ShardRecord> shards, BigInteger boundary) {
        for (ShardRecord s : shards) {
            if (s.open() && s.startingHashKey().compareTo(boundary) < 0 && s.endingHashKey().compareTo(boundary) >= 0) {
                return s;
            }
        }
        return null;
    }

    private static List<ShardRecord> openWithin(List<ShardRecord> shards, BigInteger start, BigInteger end) {
        return shards.stream()
                .filter(s -> s.open() && s.startingHashKey().compareTo(start) >= 0 && s.endingHashKey().compareTo(end) <= 0)
                .sorted(Comparator.comparing(ShardRecord::startingHashKey))
                .toList();
    }

    private static ShardRecord openShard(List<ShardRecord> shards, int index, String context) {
        for (ShardRecord s : shards) {
            if (s.index() == index) {
                if (!s.open()) {
                    throw KinesisException.resourceInUse("Shard " + s.shardId() + " in " + context + " has already "
                            + "been merged or split, and thus is not eligible for merging or splitting.");
                }
                return s;
            }
        }
        throw KinesisException.resourceNotFound("Shard " + ShardRecord.shardId(index) + " in " + context
                + " does not exist.");
    }

    private static List<ShardRecord> replace(List<ShardRecord> shards, ShardRecord old, ShardRecord updated) {
        List<ShardRecord> out = new ArrayList<>(shards.size() + 2);
        for (ShardRecord s : shards) {
            out.add(s == old ? updated : s);
        }
        return out;
    }
}
