package dev.millrace.storage;

/**
 * Told of the appends to one shard ({@link ShardLog#onAppend}), typically to wake readers that wait for new records.
 *
 * <p>A call means: the append is acknowledged (durable as the backend's policy says) and its records are readable.
 * It comes on the appending thread, after the shard's locks are released and before {@link ShardLog#append} returns
 * to its caller, so a listener must be cheap and must not block: anything more than noting the fact or handing a
 * task to another thread delays that caller's acknowledgement. An append by another node that the backend learns of
 * ({@link ShardLog#onAppend}) is told on a thread of the backend's, which a slow listener delays in the same way. A listener that throws is logged and otherwise
 * ignored; the append has succeeded regardless and the shard's other listeners are still told.
 *
 * <p>Implementations must be thread-safe: appends to one shard by different threads call it concurrently.
 */
@FunctionalInterface
public interface AppendListener {

    /**
     * @param shardKey the key of the shard appended to
     * @param result   where the batch landed
     */
    void appended(String shardKey, AppendResult result);
}
