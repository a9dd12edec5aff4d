package dev.millrace.channels.table;

import java.io.IOException;
import java.util.OptionalLong;

/**
 * The batch does not continue the shard's checkpoint in the table (another writer moved it, the table was rolled
 * back, or the engine's own checkpoint was lost): nothing of the batch was committed. A failed attempt; when the
 * table is ahead of the batch's start, everything before {@link #tableCheckpoint()} is in the table already and the
 * engine may continue from there. A sink throws it as is (the Iceberg sink's writer does), so it carries no cause.
 *
 * <p>Immutable.
 */
public final class TableCheckpointConflictException extends IOException {

    private final transient OptionalLong tableCheckpoint;

    public TableCheckpointConflictException(String message, OptionalLong tableCheckpoint) {
        super(message);
        this.tableCheckpoint = tableCheckpoint;
    }

    /** The shard's next position according to the table when the conflict was seen; empty if it has none. */
    public OptionalLong tableCheckpoint() {
        return tableCheckpoint;
    }
}
