package dev.millrace.server.state;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

/**
 * One value per shard, made on first use and kept, found by stream incarnation (name and {@code epochMs}) and shard
 * index: one small map lookup (a stream name's hash is cached) and an array read, where a map keyed by shard key had
 * to build the key and search a map of every shard. A PutRecords call over 1,000 shards touches ~400 of them, and
 * such lookups (its log key, its throttle) cost 3–6 % of the server's CPU each there.
 *
 * <p>A re-created stream is a new incarnation and starts anew. Bounded: past {@link #MAX_STREAMS} incarnations the
 * whole memo is dropped and refills with what is in use; {@link #forget} drops a deleted stream's values at once.
 *
 * <p>Thread-safe: two threads may make the same shard's value at once; one is kept and both get it. A value made while
 * another thread grows the stream's array (a split's child, the first time) may be dropped with the old array and
 * made once more.
 */
final class ShardMemo<T> {
    static final int MAX_STREAMS = 10_000;

    private record Incarnation(String name, long epochMs) {
    }

    private final ConcurrentHashMap<Incarnation, AtomicReferenceArray<T>> byStream = new ConcurrentHashMap<>();

    T get(StreamRecord stream, int shardIndex, Supplier<T> make) {
        Incarnation id = new Incarnation(stream.name(), stream.epochMs());
        AtomicReferenceArray<T> values = byStream.get(id);
        if (values == null || shardIndex >= values.length()) {
            values = grow(id, stream, shardIndex);
        }
        T value = values.get(shardIndex);
        if (value == null) {
            T made = make.get();
            value = values.compareAndSet(shardIndex, null, made) ? made : values.get(shardIndex);
        }
        return value;
    }

    /** The stream's array, large enough for its shards and {@code shardIndex}, keeping what the old one had. */
    private AtomicReferenceArray<T> grow(Incarnation id, StreamRecord stream, int shardIndex) {
        if (byStream.size() >= MAX_STREAMS) {
            byStream.clear();
        }
        return byStream.compute(id, (k, old) -> {
            if (old != null && shardIndex < old.length()) {
                return old;
            }
            int length = Math.max(shardIndex + 1, Math.max(stream.shards().size(), old == null ? 0 : 2 * old.length()));
            AtomicReferenceArray<T> values = new AtomicReferenceArray<>(length);
            for (int i = 0; old != null && i < old.length(); i++) {
                values.set(i, old.get(i));
            }
            return values;
        });
    }

    /** Drops the values of every incarnation of a deleted stream. */
    void forget(String streamName) {
        byStream.keySet().removeIf(id -> id.name().equals(streamName));
    }
}
