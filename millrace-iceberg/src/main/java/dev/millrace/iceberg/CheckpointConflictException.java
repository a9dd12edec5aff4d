package dev.millrace.iceberg;

import java.io.IOException;
import java.util.OptionalLong;

/**
 * A batch that does not continue the shard's checkpoint in the table: another writer (a zombie node, or this node
 * before a restart) moved it, or the batch overlaps what is committed. Nothing of the batch was committed and its
 * data files were deleted; the engine re-reads {@link #tableCheckpoint()} and cuts its next batch from there.
 */
public final class CheckpointConflictException extends IOException {

    private final transient OptionalLong tableCheckpoint;

    public CheckpointConflictException(String message, OptionalLong tableCheckpoint) {
        super(message);
        this.tableCheckpoint = tableCheckpoint;
    }

    /** The shard's checkpoint in the table when the conflict was seen; empty if it has none. */
    public OptionalLong tableCheckpoint() {
        return tableCheckpoint;
    }
}
