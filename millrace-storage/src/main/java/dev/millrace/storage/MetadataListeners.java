package dev.millrace.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The listeners of one {@link MetadataStore}, for its implementations: registration, and telling them of a commit so
 * that none can fail it ({@link MetadataListener} states the contract). The caller fires commits one at a time in
 * version order (under its own lock or from its one reader thread); this class adds no ordering of its own.
 *
 * <p>Thread-safe.
 */
public final class MetadataListeners {
    private static final Logger log = LoggerFactory.getLogger(MetadataListeners.class);

    private final CopyOnWriteArrayList<MetadataListener> listeners = new CopyOnWriteArrayList<>();

    /** Adds a listener until the returned registration is closed. */
    public Registration add(MetadataListener listener) {
        // Wrapped so that adding one listener twice yields two registrations, each removing its own entry.
        MetadataListener entry = listener::committed;
        listeners.add(entry);
        return () -> listeners.remove(entry);
    }

    /** Tells every listener of a commit; a listener's exception is logged, never thrown. */
    public void fire(long version, Map<String, byte[]> changes) {
        if (listeners.isEmpty()) {
            return;
        }
        Map<String, byte[]> view = Collections.unmodifiableMap(changes);
        for (MetadataListener listener : listeners) {
            try {
                listener.committed(version, view);
            } catch (RuntimeException e) {
                log.warn("A metadata listener failed at version {}; the commit stands", version, e);
            }
        }
    }

    /** Registered listeners, for tests. */
    public int size() {
        return listeners.size();
    }
}
