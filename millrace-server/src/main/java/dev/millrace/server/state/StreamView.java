package dev.millrace.server.state;

import dev.millrace.storage.MetadataFollower;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A registry's map of streams, kept current from two sides: the registry's own commits, applied as soon as
 * {@code commit} returns, and the metadata store's change feed, which brings every commit (other nodes' and, sooner
 * or later, this node's own) in version order. Also follows the account's last stream epoch.
 *
 * <p>The two sides race: a store may tell the feed of a commit after {@code commit} returned and the registry put the
 * record, and two commits may be in flight. So every name remembers the metadata version its entry came from, and a
 * change older than that is ignored: the map never goes back. A deleted name keeps its version as a tombstone until
 * the feed has told the deletion (nothing older can arrive after that), so that a late event cannot bring it back;
 * tombstones therefore live only as long as a commit is in flight. Of two changes of one version (the same commit
 * seen from both sides) the registry's own wins, so the records the registry hands out stay the ones it keeps.
 *
 * <p>{@link #follow} loads and follows through {@link MetadataFollower}: no commit falls between the initial scan
 * and the feed, and none is applied twice.
 *
 * <p>Thread-safe. Lookups read a concurrent map of immutable records without locking. A name's record and version
 * change together inside {@code versions.compute}, which serialises both sides per name; that critical section only
 * touches the two maps, never the store, and the listener takes no other lock but the follower's (held only while the
 * scan's held events are replayed, never around a store call), so it cannot deadlock with a thread that commits while
 * holding a stream's lock: the embedded store calls listeners on the committing thread inside commit, Kafka's under
 * its monitor.
 */
final class StreamView {
    private static final Logger log = LoggerFactory.getLogger(StreamView.class);
    static final String STREAM_PREFIX = "stream/";
    static final String LAST_EPOCH_KEY = "meta/lastEpochMs";

    private final ConcurrentHashMap<String, StreamRecord> records = new ConcurrentHashMap<>();
    /** Per name, the version its record (or, for a tombstone, its deletion) came from. */
    private final ConcurrentHashMap<String, Long> versions = new ConcurrentHashMap<>();
    private final AtomicLong lastEpochMs = new AtomicLong();
    /** The last version the feed told; written by the listener only, whose calls a store serialises. */
    private volatile long feedVersion;

    /**
     * Starts following {@code metadata}: registers the listener, then loads every stream and the last epoch.
     *
     * @return the registration, which ends the following when closed
     */
    Registration follow(MetadataStore metadata) {
        return MetadataFollower.follow(metadata, scannedAt -> {
            for (byte[] bytes : metadata.scan(STREAM_PREFIX).values()) {
                StreamRecord s = StreamCodec.decode(bytes);
                apply(s.name(), s, scannedAt, false);
            }
            metadata.get(LAST_EPOCH_KEY).ifPresent(b -> lastEpochMs.accumulateAndGet(parseEpoch(b), Math::max));
        }, this::fed);
    }

    private void fed(long version, Map<String, byte[]> changes) {
        // Set first: a registry commit of this version racing with the loop below then leaves no tombstone behind.
        feedVersion = version;
        for (Map.Entry<String, byte[]> change : changes.entrySet()) {
            String key = change.getKey();
            if (key.startsWith(STREAM_PREFIX)) {
                String name = key.substring(STREAM_PREFIX.length());
                if (change.getValue() == null) {
                    apply(name, null, version, false);
                } else {
                    StreamRecord s = decode(key, change.getValue());
                    if (s != null) {
                        apply(name, s, version, false);
                    }
                }
            } else if (key.equals(LAST_EPOCH_KEY) && change.getValue() != null) {
                lastEpochMs.accumulateAndGet(parseEpoch(change.getValue()), Math::max);
            }
        }
    }

    private static StreamRecord decode(String key, byte[] bytes) {
        try {
            return StreamCodec.decode(bytes);
        } catch (RuntimeException e) {
            // The writer encoded it; a record this node cannot read is a bug worth a line, not a dead feed.
            log.error("Cannot decode {} from the metadata change feed; this node keeps showing what it had", key, e);
            return null;
        }
    }

    /** Puts a record the registry committed at {@code version}. */
    void committed(StreamRecord s, long version) {
        apply(s.name(), s, version, true);
    }

    /** Removes a stream whose deletion the registry committed at {@code version}. */
    void removed(String name, long version) {
        apply(name, null, version, true);
    }

    /** Takes a new stream's epoch into account (the registry committed it). */
    void epochUsed(long epochMs) {
        lastEpochMs.accumulateAndGet(epochMs, Math::max);
    }

    /** The last epoch any stream of this view's store was created with, 0 if none. */
    long lastEpochMs() {
        return lastEpochMs.get();
    }

    /**
     * @param own whether the change is the registry's own, which replaces an entry of the same version (the feed may
     *            have told it first)
     */
    private void apply(String name, StreamRecord s, long version, boolean own) {
        versions.compute(name, (k, known) -> {
            boolean stale = known != null && (known > version || (known == version && !own));
            if (!stale) {
                if (s == null) {
                    records.remove(name);
                } else {
                    records.put(name, s);
                }
            }
            long kept = stale ? known : version;
            // A tombstone the feed has passed guards against nothing any more.
            return !records.containsKey(name) && kept <= feedVersion ? null : kept;
        });
    }

    private static long parseEpoch(byte[] bytes) {
        return Long.parseLong(new String(bytes, StandardCharsets.US_ASCII));
    }

    StreamRecord get(String name) {
        return records.get(name);
    }

    boolean contains(String name) {
        return records.containsKey(name);
    }

    /** The names of the streams, a snapshot. */
    List<String> names() {
        return new ArrayList<>(records.keySet());
    }

    Collection<StreamRecord> records() {
        return records.values();
    }

    int size() {
        return records.size();
    }

    /** A read-only live view of the records by name. */
    Map<String, StreamRecord> asMap() {
        return Collections.unmodifiableMap(records);
    }

    /** Names with a version remembered, live or tombstone: for tests that check tombstones do not pile up. */
    int versionsKept() {
        return versions.size();
    }
}
