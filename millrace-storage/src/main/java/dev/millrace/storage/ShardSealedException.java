package dev.millrace.storage;

/**
 * An append was attempted on a shard that has been sealed (closed by a split or merge). Sealing is permanent.
 *
 * <p>Immutable, thread-safe.
 */
public class ShardSealedException extends StorageException {
    public ShardSealedException(String shardKey) {
        super("Shard " + shardKey + " is sealed");
    }
}
