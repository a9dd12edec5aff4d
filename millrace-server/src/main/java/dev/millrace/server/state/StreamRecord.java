package dev.millrace.server.state;

import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;

/**
 * A stream as the metadata store keeps it. Changes make a new record ({@code with…}); the registry swaps it in.
 *
 * <p>Immutable, thread-safe (collections are unmodifiable copies).
 *
 * @param name             the stream name
 * @param epochMs          creation time of this incarnation; strictly increasing per data directory
 * @param status           the stored status; a transitional one turns into its successor at {@code statusUntilMs}
 * @param statusUntilMs    when a transitional status ends
 * @param retentionHours   retention period
 * @param mode             {@code PROVISIONED} or {@code ON_DEMAND}
 * @param shards           every shard the API shows now, open and closed, by index
 * @param tags             tags, sorted by key
 * @param encryptionType   {@code NONE} or {@code KMS}
 * @param keyId            the KMS key id, or {@code null}
 * @param shardLevelMetrics enhanced monitoring metrics enabled
 * @param maxRecordSizeKiB largest record accepted, in KiB
 * @param warmThroughputMiBps requested warm throughput, or {@code null}
 * @param shardCountUpdatesMs when UpdateShardCount ran, for its rolling 24-hour limit (older entries are dropped)
 * @param distribution     the record distribution strategy: {@link #USER_PARTITION_KEY} (routing by partition or
 *                         explicit hash key) or {@link #AUTO} (records spread evenly over the open shards)
 * @param pendingShards    the shard list that replaces {@code shards} when the current CREATING or UPDATING ends, or
 *                         {@code null}. AWS shows no shards while a stream is CREATING, and the old shards while a
 *                         split, merge or UpdateShardCount is UPDATING (writes still go to them); Millrace keeps the
 *                         planned list here and swaps it in when the transition ends (see StreamRegistry).
 */
public record StreamRecord(String name, long epochMs, StreamStatus status, long statusUntilMs, int retentionHours,
                           String mode, List<ShardRecord> shards, SortedMap<String, String> tags,
                           String encryptionType, String keyId, SortedSet<String> shardLevelMetrics,
                           int maxRecordSizeKiB, Integer warmThroughputMiBps, List<Long> shardCountUpdatesMs,
                           String distribution, List<ShardRecord> pendingShards) {
    public static final String USER_PARTITION_KEY = "USER_PARTITION_KEY";
    public static final String AUTO = "AUTO";

    public StreamRecord {
        distribution = distribution == null ? USER_PARTITION_KEY : distribution;
        shards = List.copyOf(shards);
        pendingShards = pendingShards == null ? null : List.copyOf(pendingShards);
        shardCountUpdatesMs = List.copyOf(shardCountUpdatesMs);
        tags = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(tags));
        shardLevelMetrics = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(shardLevelMetrics));
    }

    public List<ShardRecord> openShards() {
        return shards.stream().filter(ShardRecord::open).toList();
    }

    /**
     * Open shards once the current transition ends: what the account's shard limit counts, so that a stream being
     * created or resharded holds the shards it will have.
     */
    public int eventualOpenShardCount() {
        List<ShardRecord> eventual = pendingShards == null ? shards : pendingShards;
        return (int) eventual.stream().filter(ShardRecord::open).count();
    }

    /** The shard with this index, or null. Shards are listed by index, so this is one look, not a scan of them all. */
    public ShardRecord shard(int index) {
        if (index >= 0 && index < shards.size() && shards.get(index).index() == index) {
            return shards.get(index);
        }
        for (ShardRecord s : shards) {
            if (s.index() == index) {
                return s;
            }
        }
        return null;
    }

    public StreamRecord withStatus(StreamStatus newStatus, long untilMs) {
        return new StreamRecord(name, epochMs, newStatus, untilMs, retentionHours, mode, shards, tags, encryptionType,
                keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution, pendingShards);
    }

    public StreamRecord withRetentionHours(int hours) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, hours, mode, shards, tags, encryptionType,
                keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution, pendingShards);
    }

    public StreamRecord withTags(Map<String, String> newTags) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards,
                new java.util.TreeMap<>(newTags), encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB,
                warmThroughputMiBps, shardCountUpdatesMs, distribution, pendingShards);
    }

    public StreamRecord withEncryption(String type, String newKeyId) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags, type,
                newKeyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution, pendingShards);
    }

    public StreamRecord withShardLevelMetrics(java.util.Set<String> metrics) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, new java.util.TreeSet<>(metrics), maxRecordSizeKiB, warmThroughputMiBps,
                shardCountUpdatesMs, distribution, pendingShards);
    }

    public StreamRecord withMaxRecordSizeKiB(int kib) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, kib, warmThroughputMiBps, shardCountUpdatesMs,
                distribution, pendingShards);
    }

    public StreamRecord withShards(List<ShardRecord> newShards) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, newShards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution, pendingShards);
    }

    public StreamRecord withMode(String newMode) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, newMode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution, pendingShards);
    }

    public StreamRecord withShardCountUpdatesMs(List<Long> timesMs) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, timesMs,
                distribution, pendingShards);
    }

    public StreamRecord withWarmThroughputMiBps(Integer mibps) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, mibps, shardCountUpdatesMs,
                distribution, pendingShards);
    }

    public StreamRecord withPendingShards(List<ShardRecord> pending) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution, pending);
    }

    public StreamRecord withDistribution(String strategy) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                strategy, pendingShards);
    }

    /** Whether records are spread over the shards by Millrace rather than routed by their keys. */
    public boolean autoDistribution() {
        return AUTO.equals(distribution);
    }
}
