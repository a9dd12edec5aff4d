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
 * <p>Kept per stream name with the stream's incarnation ({@code epochMs}): a re-created stream gets new keys. Bounded:
 * past {@link #MAX_STREAMS} names the whole memo is dropped and refills with what is in use; {@link #forget} drops a
 * deleted stream's keys at once.
 *
 * <p>Thread-safe: two threads may build the same key at once; both are equal, and either is kept.
 */
final class ShardKeys {
    static final int MAX_STREAMS = 10_000;

    private record Keys(long epochMs, AtomicReferenceArray<String> byIndex) {
    }

    private final String prefix;
    private final ConcurrentHashMap<String, Keys> byStream = new ConcurrentHashMap<>();

    ShardKeys(String prefix) {
        this.prefix = prefix;
    }

    String of(StreamRecord stream, int shardIndex) {
        Keys keys = byStream.get(stream.name());
        if (keys == null || keys.epochMs() != stream.epochMs() || shardIndex >= keys.byIndex().length()) {
            keys = remember(stream, shardIndex);
        }
        String key = keys.byIndex().get(shardIndex);
        if (key == null) {
            key = prefix + StreamRegistry.buildShardKey(stream, shardIndex);
            keys.byIndex().set(shardIndex, key);
        }
        return key;
    }

    /** A new memo for the stream, large enough for its shards and {@code shardIndex}, keeping what the old one had. */
    private Keys remember(StreamRecord stream, int shardIndex) {
        if (byStream.size() >= MAX_STREAMS) {
            byStream.clear();
        }
        return byStream.compute(stream.name(), (name, old) -> {
            if (old != null && old.epochMs() == stream.epochMs() && shardIndex < old.byIndex().length()) {
                return old;
            }
            int length = Math.max(shardIndex + 1, stream.shards().size());
            AtomicReferenceArray<String> byIndex = new AtomicReferenceArray<>(length);
            if (old != null && old.epochMs() == stream.epochMs()) {
                for (int i = 0; i < Math.min(length, old.byIndex().length()); i++) {
                    byIndex.set(i, old.byIndex().get(i));
                }
            }
            return new Keys(stream.epochMs(), byIndex);
        });
    }

    void forget(String streamName) {
        byStream.remove(streamName);
    }
}
