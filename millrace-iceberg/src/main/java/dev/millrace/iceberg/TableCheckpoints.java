package dev.millrace.iceberg;

import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotAncestryValidator;
import org.apache.iceberg.Table;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * The shard checkpoints an Iceberg table keeps in its snapshots' summaries ({@link IcebergBatchWriter#CHECKPOINT_PREFIX}
 * + shard id = the shard's next position to deliver), read and checked as {@link IcebergBatchWriter} commits.
 *
 * <p>Stateless and thread-safe; a {@link Validator} belongs to one append.
 */
final class TableCheckpoints {

    private TableCheckpoints() {
    }

    static OptionalLong checkpointOf(Table current, String shardId) {
        String value = checkpointsOf(SnapshotUtil.currentAncestors(current)).get(IcebergBatchWriter.CHECKPOINT_PREFIX + shardId);
        return value == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(value));
    }

    /**
     * Every shard's checkpoint (summary key to value) as of the newest of {@code ancestors}: the newest value of each
     * key, reading back to the first snapshot that carries them all (older tables' snapshots each hold only their own
     * shard's).
     */
    static Map<String, String> checkpointsOf(Iterable<Snapshot> ancestors) {
        Map<String, String> checkpoints = new HashMap<>();
        for (Snapshot snapshot : ancestors) {
            for (Map.Entry<String, String> entry : snapshot.summary().entrySet()) {
                if (entry.getKey().startsWith(IcebergBatchWriter.CHECKPOINT_PREFIX)) {
                    checkpoints.putIfAbsent(entry.getKey(), entry.getValue());
                }
            }
            if ("true".equals(snapshot.summary().get(IcebergBatchWriter.CHECKPOINTS_CARRIED))) {
                break;
            }
        }
        return checkpoints;
    }

    /**
     * Accepts the commit only if the shard's checkpoint as of the base is the one the batch was cut from (absent for
     * a shard's first batch), and then carries the base's checkpoints of the other shards into the append's summary.
     * Iceberg calls it once per commit attempt, against that attempt's base, before the summary is written.
     */
    record Validator(String key, OptionalLong expected, AppendFiles append)
            implements SnapshotAncestryValidator {
        @Override
        public boolean validate(Iterable<Snapshot> ancestors) {
            Map<String, String> checkpoints = checkpointsOf(ancestors);
            String value = checkpoints.get(key);
            boolean valid = value == null ? expected.isEmpty()
                    : expected.isPresent() && expected.getAsLong() == Long.parseLong(value);
            if (valid) {
                checkpoints.forEach((other, checkpoint) -> {
                    if (!other.equals(key)) {
                        append.set(other, checkpoint);
                    }
                });
            }
            return valid;
        }

        @Override
        public String errorMessage() {
            return key + " is no longer " + (expected.isPresent() ? expected.getAsLong() : "unset");
        }
    }
}
