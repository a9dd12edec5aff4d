package dev.millrace.storage;

import java.util.List;
import java.util.Optional;

/**
 * All shard logs of one node. Shards are identified by an opaque key chosen by the caller
 * ({@code [A-Za-z0-9._-]{1,200}}); the server uses one that never repeats, so a stream deleted and re-created under
 * the same name gets fresh logs.
 *
 * <p>Implementations are thread-safe.
 */
public interface LogStore extends AutoCloseable {

    /**
     * Opens the shard's log, creating an empty one if it does not exist. Cheap after the first call.
     *
     * @throws IllegalArgumentException if the key is not of the form above
     */
    ShardLog openOrCreate(String shardKey);

    boolean exists(String shardKey);

    /**
     * The shard's log if it exists, opened; empty, creating nothing, if it does not. For maintenance (retention),
     * which must neither fill the disk with empty logs of shards never written nor bring back a log deleted meanwhile.
     */
    Optional<ShardLog> openIfExists(String shardKey);

    /** Deletes the shard's log and everything in it. Idempotent. Opening the key again afterwards starts it empty. */
    void delete(String shardKey);

    /** The keys of every shard log that exists, in no particular order. */
    List<String> shardKeys();

    /**
     * This node stops being the shard's only appender for now (another node owns it): whatever it knows about the
     * shard only from its own appends (its end position, the records it appended last) must be learned again from
     * the backend before it is trusted. The shard's log object stays usable, with its listeners; a read or
     * {@link ShardLog#endPosition()} afterwards asks the backend rather than answering from what this node saw, so
     * that records another node appended meanwhile are neither missed nor hidden behind a stale end, also once this
     * node owns the shard again.
     *
     * <p>By default nothing: a backend whose shards only one node ever appends to (the embedded engine) always knows
     * its end exactly. Idempotent; a shard not open, or not existing, needs nothing.
     */
    default void release(String shardKey) {
    }

    /** Runs {@link ShardLog#trimExpired()} on every open shard; returns how many units were removed. */
    int trimExpired();

    /** Makes everything acknowledged durable and releases all resources. */
    @Override
    void close();
}
