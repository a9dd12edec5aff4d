package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One account's region's part of the node's metadata store. Every key its services use (streams, consumers, policies,
 * account settings) lives under a prefix of its own:
 * <pre>
 *   the server's own account (--account-id), us-east-1     (none: the bare keys of before regions were kept apart)
 *   the server's own account, any other region             region/&lt;region&gt;/
 *   any other account (an identity's), any region           account/&lt;account id&gt;/region/&lt;region&gt;/
 * </pre>
 * Data written by an older Millrace stays where it was and belongs to the account and region its ARNs always named.
 * {@link #logPrefix} is the same rule for shard log keys. A commit stays one atomic commit of the store below.
 *
 * <p>Thread-safe, as the store below is. Closing a view does not close the store.
 */
public final class RegionMetadata implements MetadataStore {
    private static final String PREFIX = "region/";
    private static final String ACCOUNT_PREFIX = "account/";

    private final MetadataStore store;
    private final String prefix;

    private RegionMetadata(MetadataStore store, String prefix) {
        this.store = store;
        this.prefix = prefix;
    }

    /** The view of {@code scope}'s keys, where {@code ownAccountId} is the server's own account. */
    public static MetadataStore of(MetadataStore store, Account scope, String ownAccountId) {
        return new RegionMetadata(store, prefixOf(scope, ownAccountId));
    }

    /** The legacy region of {@code ownAccountId}, whose keys are bare. */
    public static MetadataStore of(MetadataStore store, String region) {
        return new RegionMetadata(store, Account.LEGACY_REGION.equals(region) ? "" : PREFIX + region + "/");
    }

    private static String prefixOf(Account scope, String ownAccountId) {
        if (!scope.id().equals(ownAccountId)) {
            return ACCOUNT_PREFIX + scope.id() + "/" + PREFIX + scope.region() + "/";
        }
        return Account.LEGACY_REGION.equals(scope.region()) ? "" : PREFIX + scope.region() + "/";
    }

    /**
     * What leads the keys of {@code scope}'s shard logs: nothing for the own account's legacy region (those keys
     * start with a digit), {@code <region>.} for its other regions, {@code a<account id>.<region>.} for other
     * accounts (a region name never starts with {@code a} and a digit). Kafka topic names allow all of these.
     */
    public static String logPrefix(Account scope, String ownAccountId) {
        if (!scope.id().equals(ownAccountId)) {
            return "a" + scope.id() + "." + scope.region() + ".";
        }
        return Account.LEGACY_REGION.equals(scope.region()) ? "" : scope.region() + ".";
    }

    /** The accounts' regions that have anything stored, so that they are opened at start. */
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

    /**
     * Every account's region with anything stored, the server's own ({@code ownAccountId}) included, so that they are
     * opened at start.
     */
    public static List<Account> storedScopes(MetadataStore store, String ownAccountId) {
        List<Account> scopes = new ArrayList<>();
        for (String region : storedRegions(store)) {
            if (Account.isRegion(region)) {
                scopes.add(new Account(region, ownAccountId));
            }
        }
        TreeSet<String> seen = new TreeSet<>();
        for (String key : store.scan(ACCOUNT_PREFIX).keySet()) {
            // account/<id>/region/<region>/...
            String[] parts = key.split("/", 5);
            if (parts.length == 5 && PREFIX.equals(parts[2] + "/") && seen.add(parts[1] + "/" + parts[3])
                    && Account.isRegion(parts[3]) && parts[1].matches("[0-9]{12}")) {
                scopes.add(new Account(parts[3], parts[1]));
            }
        }
        return scopes;
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
                if (prefix.isEmpty() ? !k.startsWith(PREFIX) && !k.startsWith(ACCOUNT_PREFIX) : k.startsWith(prefix)) {
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
