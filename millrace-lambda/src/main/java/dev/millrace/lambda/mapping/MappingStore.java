package dev.millrace.lambda.mapping;

import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.StaleVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The event source mappings of one account's region, in its metadata store:
 * <pre>
 *   lambda/esm/&lt;UUID&gt;                                   the mapping ({@link MappingCodec})
 *   lambda/esm-pair/&lt;event source ARN&gt; &lt;function ARN&gt;    its UUID, UTF-8
 * </pre>
 * The pair key makes a (source, function) pair unique: a create commits both keys at the version at which it saw
 * no pair key, so of two nodes creating the same pair one commit fails ({@link Stale}) and, read again, finds the
 * other's. A space separates the ARNs because neither holds one. The function ARN is the qualified one the mapping
 * answers with, so {@code fn} and {@code fn:PROD} are two functions, as on AWS.
 *
 * <p>The metadata store's version is the whole region's, which other services commit to as well; a change that lost
 * that race throws {@link Stale} and is run again from its reads by the API. The engine's own changes
 * ({@link #settle}, {@link #recordProcessingResult}) retry by themselves.
 *
 * <p>A mapping's life: a user's call puts it in Creating, Updating, Enabling, Disabling or Deleting; the processing
 * engine, which reads {@link #all} and hears of changes through {@link #onChange}, acts on it and calls
 * {@link #settle}, which makes it Enabled or Disabled, or removes a Deleting one.
 *
 * <p>Thread-safe: every change is one conditional commit of the (linearisable) metadata store; no state of its own
 * but the set of undecodable keys already logged.
 */
public final class MappingStore {
    private static final Logger LOG = LoggerFactory.getLogger(MappingStore.class);
    static final String MAPPING = "lambda/esm/";
    static final String PAIR = "lambda/esm-pair/";
    /** How often the engine's own change is tried against a store other services keep changing. */
    static final int MAX_ATTEMPTS = 16;

    private final MetadataStore store;
    private final Clock clock;
    private final Set<String> undecodable = ConcurrentHashMap.newKeySet();

    public MappingStore(MetadataStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Something was committed between a change's reads and its commit: it must be run again from its reads. */
    public static final class Stale extends RuntimeException {
        Stale() {
            super("stale", null, false, false);
        }
    }

    /** The store's version: read it before the reads a change is based on. */
    public long version() {
        return store.version();
    }

    /**
     * The mapping {@code uuid} names.
     *
     * @throws IllegalArgumentException if it is stored in a form this server cannot read
     */
    public Optional<EventSourceMapping> get(String uuid) {
        return store.get(MAPPING + uuid).map(v -> MappingCodec.decode(uuid, v));
    }

    /**
     * Every mapping, in UUID order. One whose value cannot be read (damaged, or written by a newer Millrace that was
     * rolled back) is left out and logged once, so that it does not stop every other mapping of the region.
     */
    public List<EventSourceMapping> all() {
        List<EventSourceMapping> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : store.scan(MAPPING).entrySet()) {
            String uuid = e.getKey().substring(MAPPING.length());
            try {
                out.add(MappingCodec.decode(uuid, e.getValue()));
            } catch (RuntimeException damaged) {
                if (undecodable.add(uuid)) {
                    LOG.error("The stored event source mapping {} cannot be read and is left out: {}", uuid,
                            damaged.getMessage());
                }
            }
        }
        return out;
    }

    /** How many mappings are stored, readable or not. */
    public int count() {
        return store.scan(MAPPING).size();
    }

    /** The UUID of the mapping of {@code functionArn} to {@code eventSourceArn}, if there is one. */
    public Optional<String> uuidOfPair(String eventSourceArn, String functionArn) {
        return store.get(pairKey(eventSourceArn, functionArn)).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    private static String pairKey(String eventSourceArn, String functionArn) {
        return PAIR + eventSourceArn + " " + functionArn;
    }

    /**
     * Adds {@code m} (and its pair key) if nothing was committed since {@code readVersion}.
     *
     * @throws Stale if something was
     */
    public void create(long readVersion, EventSourceMapping m) {
        Map<String, byte[]> changes = new LinkedHashMap<>();
        changes.put(MAPPING + m.uuid(), MappingCodec.encode(m));
        changes.put(pairKey(m.eventSourceArn(), m.functionArn()), m.uuid().getBytes(StandardCharsets.UTF_8));
        commit(readVersion, changes);
        MappingLog.changed(m, "created");
    }

    /**
     * Replaces {@code old} by {@code now} (the same UUID), moving the pair key if the function changed, if nothing was
     * committed since {@code readVersion}.
     *
     * @throws Stale if something was
     */
    public void replace(long readVersion, EventSourceMapping old, EventSourceMapping now) {
        Map<String, byte[]> changes = new LinkedHashMap<>();
        changes.put(MAPPING + now.uuid(), MappingCodec.encode(now));
        if (!old.functionArn().equals(now.functionArn())) {
            changes.put(pairKey(old.eventSourceArn(), old.functionArn()), null);
            changes.put(pairKey(now.eventSourceArn(), now.functionArn()),
                    now.uuid().getBytes(StandardCharsets.UTF_8));
        }
        commit(readVersion, changes);
        MappingLog.changed(now, now.state().text().toLowerCase(java.util.Locale.ROOT));
    }

    private void commit(long readVersion, Map<String, byte[]> changes) {
        try {
            store.commitIfVersion(readVersion, changes);
        } catch (StaleVersionException e) {
            throw new Stale();
        }
    }

    /**
     * For the engine, once it has acted on the mapping's last change: Creating, Updating and Enabling become Enabled
     * (Disabled if the user asked for it disabled), Disabling becomes Disabled, and a Deleting mapping is removed with
     * its pair key. A settled mapping is left as it is.
     *
     * @return the mapping as it now is, empty if it is gone
     */
    public Optional<EventSourceMapping> settle(String uuid) {
        return settle(uuid, -1);
    }

    /**
     * {@link #settle(String)}, only if the mapping is still the version the engine acted on (its
     * {@code lastModifiedMs}; -1: any): a Disable that lands while the engine starts the mapping's workers must not be
     * recorded as Disabled before the engine has stopped them. A mapping changed meanwhile is left for the engine's next
     * look.
     */
    public Optional<EventSourceMapping> settle(String uuid, long actedOnLastModifiedMs) {
        for (int attempt = 1; ; attempt++) {
            long read = store.version();
            Optional<EventSourceMapping> found = get(uuid);
            if (found.isEmpty() || found.get().state().settled()
                    || (actedOnLastModifiedMs >= 0 && found.get().lastModifiedMs() != actedOnLastModifiedMs)) {
                return found;
            }
            EventSourceMapping m = found.get();
            try {
                if (m.state() == MappingState.DELETING) {
                    Map<String, byte[]> changes = new LinkedHashMap<>();
                    changes.put(MAPPING + uuid, null);
                    changes.put(pairKey(m.eventSourceArn(), m.functionArn()), null);
                    commit(read, changes);
                    MappingLog.changed(m, "deleted");
                    return Optional.empty();
                }
                MappingState next = m.enabled() ? MappingState.ENABLED : MappingState.DISABLED;
                EventSourceMapping settled = m.withState(next, clock.millis());
                commit(read, Map.of(MAPPING + uuid, MappingCodec.encode(settled)));
                MappingLog.changed(settled, next.text().toLowerCase(java.util.Locale.ROOT));
                return Optional.of(settled);
            } catch (Stale lost) {
                giveUpAfter(attempt, uuid);
            }
        }
    }

    /**
     * For the engine: the mapping's LastProcessingResult ({@code OK}, {@code PROBLEM: <message>}, ...). Nothing is
     * committed when it is already that (the engine may say so after every batch) or the mapping is gone.
     */
    public void recordProcessingResult(String uuid, String result) {
        change(uuid, m -> result.equals(m.lastProcessingResult()) ? m : m.withLastProcessingResult(result));
    }

    private void change(String uuid, UnaryOperator<EventSourceMapping> how) {
        for (int attempt = 1; ; attempt++) {
            long read = store.version();
            Optional<EventSourceMapping> found = get(uuid);
            if (found.isEmpty()) {
                return;
            }
            EventSourceMapping changed = how.apply(found.get());
            if (changed.equals(found.get())) {
                return;
            }
            try {
                commit(read, Map.of(MAPPING + uuid, MappingCodec.encode(changed)));
                return;
            } catch (Stale lost) {
                giveUpAfter(attempt, uuid);
            }
        }
    }

    private static void giveUpAfter(int attempt, String uuid) {
        if (attempt >= MAX_ATTEMPTS) {
            throw new IllegalStateException("the metadata store kept changing while event source mapping " + uuid
                    + " was changed (" + MAX_ATTEMPTS + " attempts)");
        }
    }

    /**
     * Calls {@code listener} after every commit that changes a mapping, this node's or another's (a cluster's store
     * tells every node), until the registration is closed. It runs on the store's thread and must be cheap: the
     * engine should note that something changed and read {@link #all} on its own thread.
     */
    public Registration onChange(Runnable listener) {
        return store.onCommit((version, changes) -> {
            for (String key : changes.keySet()) {
                if (key.startsWith(MAPPING)) {
                    listener.run();
                    return;
                }
            }
        });
    }
}
