package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One region's part of the node's metadata store. Every key a region's services use (streams, consumers, policies,
 * account settings) lives under {@code region/<region>/}, except in the legacy region, {@code us-east-1}, which keeps
 * the bare keys it used before regions were kept apart: data written by an older Millrace stays where it was and
 * belongs to the region its ARNs always named. A commit stays one atomic commit of the store below.
 *
 * <p>Thread-safe, as the store below is. Closing a view does not close the store.
 */
public final class RegionMetadata implements MetadataStore {
    private static final String PREFIX = "region/";

    private final MetadataStore store;
    private final String prefix;

    private RegionMetadata(MetadataStore store, String prefix) {
        this.store = store;
        this.prefix = prefix;
    }

    public static MetadataStore of(MetadataStore store, String region) {
        return new RegionMetadata(store, Account.LEGACY_REGION.equals(region) ? "" : PREFIX + region + "/");
    }

    /** The regions other than the legacy one that have anything stored, so that they are opened at start. */
    public static TreeSet<String> storedRegions(MetadataStore store) {
        TreeSet<String> regions = new TreeSet<>();
        for (String key : store.scan(PREFIX).keySet()) {
            int end = key.indexOf('/', PREFIX.length());
            if (end > 0) {
                regions.add(key.substring(PREFIX.length(), end));
            }
        }
        return regions;
    }

    @Override
    public Optional<byte[]> get(String key) {
        return store.get(prefix + key);
    }

    @Override
    public SortedMap<String, byte[]> scan(String keyPrefix) {
        SortedMap<String, byte[]> found = store.scan(prefix + keyPrefix);
        if (prefix.isEmpty()) {
            return found;
        }
        SortedMap<String, byte[]> own = new TreeMap<>();
        found.forEach((k, v) -> own.put(k.substring(prefix.length()), v));
        return own;
    }

    @Override
    public long commit(Map<String, byte[]> changes) {
        return store.commit(prefixed(changes));
    }

    @Override
    public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
        // The version is the whole store's: a commit in another region makes a region's read stale too. That is
        // stricter than needed and cheap, since conditional commits are rare and retried.
        return store.commitIfVersion(expectedVersion, prefixed(changes));
    }

    /** Tells the listener of the commits that change this region's keys, with the keys as this view names them. */
    @Override
    public Registration onCommit(MetadataListener listener) {
        return store.onCommit((version, changes) -> {
            Map<String, byte[]> own = new HashMap<>();
            changes.forEach((k, v) -> {
                if (prefix.isEmpty() ? !k.startsWith(PREFIX) : k.startsWith(prefix)) {
                    own.put(k.substring(prefix.length()), v);
                }
            });
            if (!own.isEmpty()) {
                listener.committed(version, own);
            }
        });
    }

    private Map<String, byte[]> prefixed(Map<String, byte[]> changes) {
        if (prefix.isEmpty()) {
            return changes;
        }
        Map<String, byte[]> prefixed = new HashMap<>();
        changes.forEach((k, v) -> prefixed.put(prefix + k, v));
        return prefixed;
    }

    @Override
    public long version() {
        return store.version();
    }

    @Override
    public void close() {
        // The store belongs to the node, not to one region.
    }
}
