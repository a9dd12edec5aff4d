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

    /** Runs {@link ShardLog#trimExpired()} on every open shard; returns how many units were removed. */
    int trimExpired();

    /** Makes everything acknowledged durable and releases all resources. */
    @Override
    void close();
}
