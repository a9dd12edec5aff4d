package dev.millrace.storage;

import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Reads of a metadata store's in-memory map as {@link MetadataStore} promises them: copies, so that a caller that
 * changes a returned array changes nothing stored. Shared by the backends that keep their metadata in memory.
 *
 * <p>Stateless; the caller guards the map.
 */
public final class MetadataMaps {
    private MetadataMaps() {
    }

    /** {@link MetadataStore#get}: a copy of the value under {@code key}, if any. */
    public static Optional<byte[]> get(NavigableMap<String, byte[]> entries, String key) {
        byte[] value = entries.get(key);
        return value == null ? Optional.empty() : Optional.of(value.clone());
    }

    /** {@link MetadataStore#scan}: copies of every entry whose key starts with {@code prefix}, sorted by key. */
    public static SortedMap<String, byte[]> scan(NavigableMap<String, byte[]> entries, String prefix) {
        TreeMap<String, byte[]> result = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : entries.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            result.put(e.getKey(), e.getValue().clone());
        }
        return Collections.unmodifiableSortedMap(result);
    }
}
