package dev.millrace.storage;

/**
 * An append that {@link ShardLog#begin} started: its batch is written (or queued) but not yet acknowledged. A caller
 * appending to several shards begins them all, then awaits each, so that a backend able to make them durable together
 * (the embedded engine's write-ahead log) does so once for all of them.
 *
 * <p>{@link #await} must be called once the append was begun, exactly once per append in the normal case: the append's
 * listeners are told there, and a batch whose await is never called stays invisible to readers until a later append of
 * the shard is acknowledged. Not thread-safe: the thread that began the append awaits it.
 */
@FunctionalInterface
public interface PendingAppend {

    /**
     * Returns once the append satisfies the backend's durability policy and its records are readable, as
     * {@link ShardLog#append} does when it returns; a second call returns the same result.
     *
     * @throws ShardSealedException if the shard was sealed before the batch could be stored
     * @throws StorageException     if the append could not be made durable
     */
    AppendResult await();

    /** An append that is already complete (a backend that appends in one step). */
    static PendingAppend completed(AppendResult result) {
        return () -> result;
    }
}
