package dev.millrace.server.state;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Shard keys ({@code <prefix><epochMs>-<stream>-<index, 6 digits>}, {@link StreamRegistry#shardKey}) made once per
 * shard and kept, so that the same String instance comes back every time.
 *
 * <p>Why: a PutRecords call over 1,000 shards writes to ~400 of them, and each needed its key twice (its log in the
 * store, its throttle), built anew and hashed anew in those maps' lookups: about 6 % of the server's CPU at 1,000
 * shards. A kept String carries its cached hash, and a map that was filled with the same instance compares it by
 * reference.
 *
 * <p>Kept per stream incarnation (name and {@code epochMs}): a re-created stream gets new keys, and streams of the same
 * name in other accounts or regions (the memo without a prefix is shared by all) keep theirs side by side. Bounded:
 * past {@link #MAX_STREAMS} incarnations the whole memo is dropped and refills with what is in use; {@link #forget}
 * drops a deleted stream's keys at once.
 *
 * <p>Thread-safe: two threads may build the same key at once; both are equal, and either is kept.
 */
final class ShardKeys {
    static final int MAX_STREAMS = 10_000;

    private record Incarnation(String name, long epochMs) {
    }

    private final String prefix;
    private final ConcurrentHashMap<Incarnation, AtomicReferenceArray<String>> byStream = new ConcurrentHashMap<>();

    ShardKeys(String prefix) {
        this.prefix = prefix;
    }

    String of(StreamRecord stream, int shardIndex) {
        Incarnation id = new Incarnation(stream.name(), stream.epochMs());
        AtomicReferenceArray<String> keys = byStream.get(id);
        if (keys == null || shardIndex >= keys.length()) {
            keys = remember(id, stream, shardIndex);
        }
        String key = keys.get(shardIndex);
        if (key == null) {
            key = prefix + StreamRegistry.buildShardKey(stream, shardIndex);
            keys.set(shardIndex, key);
        }
        return key;
    }

    /** A new memo for the stream, large enough for its shards and {@code shardIndex}, keeping what the old one had. */
    private AtomicReferenceArray<String> remember(Incarnation id, StreamRecord stream, int shardIndex) {
        if (byStream.size() >= MAX_STREAMS) {
            byStream.clear();
        }
        return byStream.compute(id, (k, old) -> {
            if (old != null && shardIndex < old.length()) {
                return old;
            }
            int length = Math.max(shardIndex + 1, Math.max(stream.shards().size(), old == null ? 0 : 2 * old.length()));
            AtomicReferenceArray<String> byIndex = new AtomicReferenceArray<>(length);
            for (int i = 0; old != null && i < old.length(); i++) {
                byIndex.set(i, old.get(i));
            }
            return byIndex;
        });
    }

    /** Drops the keys of every incarnation of a deleted stream. */
    void forget(String streamName) {
        byStream.keySet().removeIf(id -> id.name().equals(streamName));
    }
}
