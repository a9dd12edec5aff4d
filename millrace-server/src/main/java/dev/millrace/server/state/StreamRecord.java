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
 * @param shards           every shard, open and closed, by index
 * @param tags             tags, sorted by key
 * @param encryptionType   {@code NONE} or {@code KMS}
 * @param keyId            the KMS key id, or {@code null}
 * @param shardLevelMetrics enhanced monitoring metrics enabled
 * @param maxRecordSizeKiB largest record accepted, in KiB
 * @param warmThroughputMiBps requested warm throughput, or {@code null}
 * @param shardCountUpdatesMs when UpdateShardCount ran, for its rolling 24-hour limit (older entries are dropped)
 * @param distribution     the record distribution strategy: {@link #USER_PARTITION_KEY} (routing by partition or
 *                         explicit hash key) or {@link #AUTO} (records spread evenly over the open shards)
 */
public record StreamRecord(String name, long epochMs, StreamStatus status, long statusUntilMs, int retentionHours,
                           String mode, List<ShardRecord> shards, SortedMap<String, String> tags,
                           String encryptionType, String keyId, SortedSet<String> shardLevelMetrics,
                           int maxRecordSizeKiB, Integer warmThroughputMiBps, List<Long> shardCountUpdatesMs,
                           String distribution) {
    public static final String USER_PARTITION_KEY = "USER_PARTITION_KEY";
    public static final String AUTO = "AUTO";

    public StreamRecord {
        distribution = distribution == null ? USER_PARTITION_KEY : distribution;
        shards = List.copyOf(shards);
        shardCountUpdatesMs = List.copyOf(shardCountUpdatesMs);
        tags = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(tags));
        shardLevelMetrics = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(shardLevelMetrics));
    }

    public List<ShardRecord> openShards() {
        return shards.stream().filter(ShardRecord::open).toList();
    }

    public ShardRecord shard(int index) {
        for (ShardRecord s : shards) {
            if (s.index() == index) {
                return s;
            }
        }
        return null;
    }

    public StreamRecord withStatus(StreamStatus newStatus, long untilMs) {
        return new StreamRecord(name, epochMs, newStatus, untilMs, retentionHours, mode, shards, tags, encryptionType,
                keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs, distribution);
    }

    public StreamRecord withRetentionHours(int hours) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, hours, mode, shards, tags, encryptionType,
                keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs, distribution);
    }

    public StreamRecord withTags(Map<String, String> newTags) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards,
                new java.util.TreeMap<>(newTags), encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB,
                warmThroughputMiBps, shardCountUpdatesMs, distribution);
    }

    public StreamRecord withEncryption(String type, String newKeyId) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags, type,
                newKeyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs, distribution);
    }

    public StreamRecord withShardLevelMetrics(java.util.Set<String> metrics) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, new java.util.TreeSet<>(metrics), maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution);
    }

    public StreamRecord withMaxRecordSizeKiB(int kib) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, kib, warmThroughputMiBps, shardCountUpdatesMs, distribution);
    }

    public StreamRecord withShards(List<ShardRecord> newShards) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, newShards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution);
    }

    public StreamRecord withMode(String newMode) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, newMode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                distribution);
    }

    public StreamRecord withShardCountUpdatesMs(List<Long> timesMs) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, timesMs, distribution);
    }

    public StreamRecord withWarmThroughputMiBps(Integer mibps) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, mibps, shardCountUpdatesMs, distribution);
    }

    public StreamRecord withDistribution(String strategy) {
        return new StreamRecord(name, epochMs, status, statusUntilMs, retentionHours, mode, shards, tags,
                encryptionType, keyId, shardLevelMetrics, maxRecordSizeKiB, warmThroughputMiBps, shardCountUpdatesMs,
                strategy);
    }

    /** Whether records are spread over the shards by Millrace rather than routed by their keys. */
    public boolean autoDistribution() {
        return AUTO.equals(distribution);
    }
}
