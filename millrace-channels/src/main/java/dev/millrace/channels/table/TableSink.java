package dev.millrace.channels.table;

import java.io.IOException;
import java.util.Optional;
import java.util.Set;

/**
 * Where a channel with an S3 Tables destination writes: the delivery engine hands it each batch of a shard instead
 * of uploading an object. A batch is committed exactly once: the sink commits the batch's rows together with the
 * shard's checkpoint (the batch's end) in the table, and only if the table's checkpoint is the batch's start; a batch
 * the table already holds is reported, not written again. Records that cannot become rows are handed back, with
 * their reason, for the dead-letter location; they are handed back the same way whether the batch is committed now
 * or was already, so that the engine rewrites the same dead-letter object after a crash.
 *
 * <p>Implementations are thread-safe: the engine writes several shards at once (batches of one shard never
 * concurrently). Calls block on the catalog and its storage.
 */
public interface TableSink extends AutoCloseable {

    /**
     * Whether the channel can deliver to its table: the catalog answers, the schema maps to a table, a table that
     * exists is the channel's. Asked once per CREATING channel; a problem fails the channel with it as its reason.
     *
     * @return why the channel cannot deliver, or empty
     */
    Optional<String> problem(TableTarget target);

    /**
     * Writes the batch {@code [startPosition, nextPosition)} of {@code shardId}: the rows of {@code records} (read
     * in log order; more than once when the sink writes in passes, each read yielding the same records) and the
     * checkpoint {@code nextPosition}, in one commit. The table and its namespace are
     * created on the first write.
     *
     * @param records  the batch's records, every one of the range that is still in the log
     * @param rejected told of every record that cannot be a row, in log order, before this returns
     * @throws TableCheckpointConflictException the table's checkpoint is neither {@code startPosition} nor at or
     *                                          past {@code nextPosition}; nothing was committed
     * @throws IOException                      the catalog or its storage failed, or {@code rejected} did; nothing
     *                                          was committed, or (commit state unknown) the retry will find it
     */
    TableWriteResult write(TableTarget target, String shardId, long startPosition, long nextPosition,
                           Iterable<TableRecord> records, RejectedRecords rejected) throws IOException;

    /**
     * Forgets every channel not in {@code channelIds} (deleted ones): what the sink holds per channel is released.
     * Called by the engine's owner whenever its set of channels changes; a channel written again after being
     * forgotten is opened again.
     */
    default void retain(Set<String> channelIds) {
    }

    /** Closes the catalogs. */
    @Override
    void close() throws IOException;

    /** Receives the records of a batch that go to the dead-letter location instead of the table. */
    @FunctionalInterface
    interface RejectedRecords {
        /**
         * @param errorCode the reason's code (DESERIALIZATION_ERROR, INVALID_SCHEMA, MISSING_PARTITION_FIELD,
         *                  SCHEMA_VALIDATION_FAILED, RECORD_TOO_LARGE)
         * @param message   what is wrong and where in the record, without the record's values
         */
        void reject(TableRecord record, String errorCode, String message) throws IOException;
    }
}
