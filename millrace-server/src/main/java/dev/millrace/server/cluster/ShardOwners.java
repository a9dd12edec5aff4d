package dev.millrace.server.cluster;

import dev.millrace.protocol.Account;
import dev.millrace.storage.Cluster;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Which live node owns a shard: rendezvous (highest random weight) hashing of the shard's identity with each live
 * node's id. Every node computes it alone from the live nodes it sees, with no coordination; nodes that see the same
 * live set agree. When a node joins or leaves, only the shards it wins or held move (about 1/N of them), and a shard
 * stays with its owner otherwise, so its limits keep being counted in one place.
 *
 * <p>A shard is named by account and region, stream name, the stream's incarnation (epoch) and shard index: a stream deleted and
 * created again under the same name has new shards, which may land elsewhere.
 *
 * <p>While two nodes see different live sets (for up to {@code NodeMembership.LIVENESS_MS} after a change), they may
 * name different owners: a shard then briefly has two appenders, which costs accuracy of its limits, never records
 * (every append is acknowledged by Kafka; positions come from the partition).
 *
 * <p>Thread-safe and allocation-light: the hashes are computed per call from the node ids.
 */
public final class ShardOwners {
    private final Cluster cluster;

    public ShardOwners(Cluster cluster) {
        this.cluster = cluster;
    }

    /** The live node that owns the shard; this node if it sees no other. */
    public Cluster.Node ownerOf(Account scope, String stream, long streamEpochMs, int shardIndex) {
        List<Cluster.Node> live = cluster.liveNodes();
        if (live.size() <= 1) {
            return live.isEmpty() ? cluster.self() : live.get(0);
        }
        long shard = mix((fnv(scope.region()) * 31 + fnv(scope.id())) * 31 + fnv(stream)) ^ mix(streamEpochMs * 31 + shardIndex);
        Cluster.Node best = null;
        long bestScore = 0;
        for (Cluster.Node n : live) {
            long score = mix(shard ^ fnv(n.id()));
            if (best == null || Long.compareUnsigned(score, bestScore) > 0
                    || (score == bestScore && n.id().compareTo(best.id()) < 0)) {
                best = n;
                bestScore = score;
            }
        }
        return best;
    }

    /** Whether {@code node} is this node. */
    public boolean isSelf(Cluster.Node node) {
        return node.id().equals(cluster.self().id());
    }

    /** 64-bit FNV-1a of the UTF-8 bytes. */
    static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** MurmurHash3's 64-bit finalizer: spreads every input bit over the output, so scores are independent. */
    static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
