package dev.millrace.server.state;

import dev.millrace.protocol.KinesisException;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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

    /**
     * Splits an open shard at {@code newStartingHashKey}: the children get {@code [start, key - 1]} and
     * {@code [key, end]}. Any key with {@code start < key <= end} works here, which UpdateShardCount's uniform
     * boundaries and on-demand scaling need (a boundary may fall one key inside a shard); SplitShard first applies
     * AWS's stricter rule, {@link #checkSplitKey}.
     */
    public static Plan split(List<ShardRecord> shards, int parentIndex, BigInteger newStartingHashKey, long nowMs,
                             String context) {
        ShardRecord parent = openShard(shards, parentIndex, context);
        if (newStartingHashKey.compareTo(parent.startingHashKey()) <= 0
                || newStartingHashKey.compareTo(parent.endingHashKey()) > 0) {
            throw new IllegalArgumentException("split key " + newStartingHashKey + " outside " + parent);
        }
        int next = nextIndex(shards);
        List<ShardRecord> out = replace(shards, parent, parent.closed(nowMs));
        out.add(ShardRecord.open(next, parent.index(), -1, parent.startingHashKey(),
                newStartingHashKey.subtract(BigInteger.ONE), nowMs));
        out.add(ShardRecord.open(next + 1, parent.index(), -1, newStartingHashKey, parent.endingHashKey(), nowMs));
        return new Plan(out, next + 2);
    }

    /**
     * SplitShard's rule, in AWS's words: the new starting hash key must be greater than one plus the shard's starting
     * hash key and less than its ending hash key, so that each child has at least two keys.
     */
    public static void checkSplitKey(ShardRecord parent, BigInteger newStartingHashKey, String context) {
        if (newStartingHashKey.compareTo(parent.startingHashKey().add(BigInteger.ONE)) <= 0
                || newStartingHashKey.compareTo(parent.endingHashKey()) >= 0) {
            throw KinesisException.invalidArgument("NewStartingHashKey " + newStartingHashKey + " used in SplitShard() "
                    + "on shard " + parent.shardId() + " in " + context + " is not both greater than one plus the "
                    + "shard's StartingHashKey " + parent.startingHashKey() + " and less than the shard's "
                    + "EndingHashKey " + parent.endingHashKey() + ".");
        }
    }

    /**
     * Merges two open shards into one child whose parent is {@code shardIndex} and adjacent parent
     * {@code adjacentIndex}. As on AWS the order matters: {@code shardIndex} must hold the lower hash key range and
     * {@code adjacentIndex} start right after it.
     */
    public static Plan merge(List<ShardRecord> shards, int shardIndex, int adjacentIndex, long nowMs,
                             String context) {
        ShardRecord low = openShard(shards, shardIndex, context);
        ShardRecord high = openShard(shards, adjacentIndex, context);
        if (!low.endingHashKey().add(BigInteger.ONE).equals(high.startingHashKey())) {
            throw KinesisException.invalidArgument("Shards " + low.shardId() + " and " + high.shardId() + " in "
                    + context + " are not an adjacent pair of shards eligible for merging");
        }
        int next = nextIndex(shards);
        List<ShardRecord> out = replace(shards, low, low.closed(nowMs));
        out = replace(out, high, high.closed(nowMs));
        out.add(ShardRecord.open(next, low.index(), high.index(), low.startingHashKey(), high.endingHashKey(), nowMs));
        return new Plan(out, next + 1);
    }

    /**
     * Brings the open shards to {@code target} shards of equal width ({@code floor(2^128 / target)}, the last one
     * ending at 2^128 - 1): first splits open shards at every target boundary that falls inside one, then merges,
     * left to right, the open shards that together make up each target range.
     */
    public static Plan uniform(List<ShardRecord> shards, int target, long nowMs, String context) {
        Draft draft = new Draft(shards);
        for (int i = 1; i < target; i++) {
            BigInteger boundary = HashKeys.initialStart(i, target);
            Map.Entry<BigInteger, ShardRecord> below = draft.open.lowerEntry(boundary);
            if (below != null && below.getValue().endingHashKey().compareTo(boundary) >= 0) {
                draft.split(below.getValue(), boundary, nowMs);
            }
        }
        for (int i = 0; i < target; i++) {
            BigInteger start = HashKeys.initialStart(i, target);
            BigInteger end = HashKeys.initialEnd(i, target);
            while (true) {
                List<ShardRecord> parts = draft.openWithin(start, end, 2);
                if (parts.size() <= 1) {
                    break;
                }
                draft.merge(parts.get(0), parts.get(1), nowMs, context);
            }
        }
        return new Plan(endIntermediates(draft.list, shards), draft.next);
    }

    /**
     * A plan being drawn up: the shard list, where each shard sits in it, and the open shards by starting hash key,
     * so that planning 10,000 shards takes each step in logarithmic rather than linear time (a uniform plan to 10,000
     * shards, step by step through {@link #split} and {@link #merge}, took five seconds). Produces exactly the list
     * those would: a closed shard keeps its place, children are appended in order.
     */
    private static final class Draft {
        final List<ShardRecord> list;
        final Map<Integer, Integer> positions = new HashMap<>();
        final TreeMap<BigInteger, ShardRecord> open = new TreeMap<>();
        int next;

        Draft(List<ShardRecord> shards) {
            list = new ArrayList<>(shards);
            for (int i = 0; i < list.size(); i++) {
                ShardRecord s = list.get(i);
                positions.put(s.index(), i);
                if (s.open()) {
                    open.put(s.startingHashKey(), s);
                }
            }
            next = nextIndex(shards);
        }

        void split(ShardRecord parent, BigInteger key, long nowMs) {
            close(parent, nowMs);
            add(ShardRecord.open(next, parent.index(), -1, parent.startingHashKey(), key.subtract(BigInteger.ONE),
                    nowMs));
            add(ShardRecord.open(next, parent.index(), -1, key, parent.endingHashKey(), nowMs));
        }

        void merge(ShardRecord low, ShardRecord high, long nowMs, String context) {
            if (!low.endingHashKey().add(BigInteger.ONE).equals(high.startingHashKey())) {
                throw KinesisException.invalidArgument("Shards " + low.shardId() + " and " + high.shardId() + " in "
                        + context + " are not an adjacent pair of shards eligible for merging");
            }
            close(low, nowMs);
            close(high, nowMs);
            add(ShardRecord.open(next, low.index(), high.index(), low.startingHashKey(), high.endingHashKey(), nowMs));
        }

        /** Up to {@code limit} open shards lying wholly within {@code [start, end]}, by starting hash key. */
        List<ShardRecord> openWithin(BigInteger start, BigInteger end, int limit) {
            List<ShardRecord> out = new ArrayList<>(limit);
            for (ShardRecord s : open.subMap(start, true, end, true).values()) {
                if (s.endingHashKey().compareTo(end) <= 0) {
                    out.add(s);
                    if (out.size() == limit) {
                        break;
                    }
                }
            }
            return out;
        }

        private void close(ShardRecord s, long nowMs) {
            list.set(positions.get(s.index()), s.closed(nowMs));
            open.remove(s.startingHashKey());
        }

        private void add(ShardRecord s) {
            positions.put(s.index(), list.size());
            list.add(s);
            open.put(s.startingHashKey(), s);
            next++;
        }
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

    /**
     * The open shard {@code index}, else AWS's ResourceNotFoundException (no such shard) or ResourceInUseException
     * (already closed by a split or merge).
     */
    public static ShardRecord openShard(List<ShardRecord> shards, int index, String context) {
        for (ShardRecord s : shards) {
            if (s.index() == index) {
                if (!s.open()) {
                    throw KinesisException.resourceInUse("Shard " + s.shardId() + " in " + context + " has already "
                            + "been merged or split, and thus is not eligible for merging or splitting.");
                }
                return s;
            }
        }
        throw KinesisException.resourceNotFound("Could not find shard " + ShardRecord.shardId(index) + " in "
                + context + ".");
    }

    /**
     * A planned shard list made effective at {@code atMs}, when the UPDATING it was planned in ends: the shards the
     * plan created are created then, and the shards it closed are closed then (they took writes until that moment).
     */
    public static List<ShardRecord> effectiveAt(List<ShardRecord> before, List<ShardRecord> planned, long atMs) {
        int firstNew = nextIndex(before);
        List<ShardRecord> out = new ArrayList<>(planned.size());
        for (ShardRecord s : planned) {
            boolean created = s.index() >= firstNew;
            ShardRecord old = created ? null : find(before, s.index());
            boolean closedNow = !s.open() && (created || old == null || old.open());
            Long closedMs = closedNow ? Long.valueOf(atMs) : s.closedMs();
            out.add(created || closedNow ? s.restamped(created ? atMs : s.createdMs(), closedMs) : s);
        }
        return out;
    }

    private static ShardRecord find(List<ShardRecord> shards, int index) {
        for (ShardRecord s : shards) {
            if (s.index() == index) {
                return s;
            }
        }
        return null;
    }

    private static List<ShardRecord> replace(List<ShardRecord> shards, ShardRecord old, ShardRecord updated) {
        List<ShardRecord> out = new ArrayList<>(shards.size() + 2);
        for (ShardRecord s : shards) {
            out.add(s == old ? updated : s);
        }
        return out;
    }
}
