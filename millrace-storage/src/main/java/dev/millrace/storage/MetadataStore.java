package dev.millrace.storage;

import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * Durable metadata (streams, shards and their lineage, consumers, tags, settings) as a sorted key/value map with
 * atomic multi-key commits. The server owns the keys' meaning and the values' encoding; the store guarantees that a
 * commit is either wholly visible after a crash or not at all, and that a returned {@link #commit} is durable.
 *
 * <p>A Kafka backend maps this onto a compacted topic: a key is a record key, a deletion a tombstone.
 *
 * <p>Implementations are thread-safe; commits are linearisable.
 */
public interface MetadataStore extends AutoCloseable {

    Optional<byte[]> get(String key);

    /** Every entry whose key starts with {@code prefix}, sorted by key. */
    SortedMap<String, byte[]> scan(String prefix);

    /**
     * Applies all changes at once: a non-null value puts, a {@code null} value deletes. Returns the new version, which
     * grows by one per commit. An empty map is no commit: nothing changes, nobody is told, the version is returned.
     * The store keeps its own copies of the values.
     */
    long commit(Map<String, byte[]> changes);

    /**
     * Like {@link #commit}, but only if the store is still at {@code expectedVersion}: the way to change metadata on
     * the strength of what was read at that version when other nodes may commit too.
     *
     * @throws StaleVersionException if the store's version is another one; nothing changes then
     */
    long commitIfVersion(long expectedVersion, Map<String, byte[]> changes);

    /**
     * Tells {@code listener} of every later commit, this node's and (on a backend that nodes share) every other
     * node's, in version order, until the registration is closed. See {@link MetadataListener}.
     */
    Registration onCommit(MetadataListener listener);

    /** The version of the last commit, 0 for an empty store. */
    long version();

    @Override
    void close();
}
