package dev.millrace.server.state;

/**
 * Shard keys ({@code <prefix><epochMs>-<stream>-<index, 6 digits>}, {@link StreamRegistry#shardKey}) made once per
 * shard and kept ({@link ShardMemo}), so that the same String instance comes back every time: it carries its cached
 * hash, and a map that was filled with the same instance compares it by reference. Streams of the same name in other
 * accounts or regions (the memo without a prefix is shared by all) are other incarnations and keep theirs side by side.
 *
 * <p>Thread-safe.
 */
final class ShardKeys {
    private final String prefix;
    private final ShardMemo<String> keys = new ShardMemo<>();

    ShardKeys(String prefix) {
        this.prefix = prefix;
    }

    String of(StreamRecord stream, int shardIndex) {
        return keys.get(stream, shardIndex, () -> prefix + StreamRegistry.buildShardKey(stream, shardIndex));
    }

    /** Drops the keys of every incarnation of a deleted stream. */
    void forget(String streamName) {
        keys.forget(streamName);
    }
}
