package dev.millrace.channels.table;

/**
 * What {@link TableSink#write} did with a batch. Immutable, thread-safe.
 */
public sealed interface TableWriteResult permits TableWriteResult.Committed, TableWriteResult.AlreadyCommitted {

    /**
     * The batch's rows and the shard's checkpoint are committed in the table now (an empty batch, all of it rejected,
     * commits the checkpoint alone).
     *
     * @param rows          rows written
     * @param dataFiles     data files committed
     * @param dataFileBytes their bytes, compressed
     */
    record Committed(long rows, int dataFiles, long dataFileBytes) implements TableWriteResult {
    }

    /**
     * The table's checkpoint for the shard was already at or past the batch's end (a crash after the commit, before
     * the engine's own checkpoint): nothing was written.
     *
     * @param tableCheckpoint the shard's next position according to the table
     */
    record AlreadyCommitted(long tableCheckpoint) implements TableWriteResult {
    }
}
