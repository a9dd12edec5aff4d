package dev.millrace.storage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The listeners of one shard, for {@link ShardLog} implementations: registration, and telling them of an append so
 * that none can fail it ({@link AppendListener} states the contract). Registering is rare (a reader starts waiting)
 * and telling is per append, so the list is copied on write and read without a lock; a shard without listeners pays
 * one volatile read per append.
 *
 * <p>Thread-safe.
 */
public final class AppendListeners {
    private static final Logger log = LoggerFactory.getLogger(AppendListeners.class);

    private final CopyOnWriteArrayList<AppendListener> listeners = new CopyOnWriteArrayList<>();

    /** Adds a listener until the returned registration is closed. */
    public Registration add(AppendListener listener) {
        // Wrapped so that adding one listener twice yields two registrations, each removing its own entry.
        AppendListener entry = listener::appended;
        listeners.add(entry);
        return () -> listeners.remove(entry);
    }

    /** Tells every listener of an acknowledged append; a listener's exception is logged, never thrown. */
    public void fire(String shardKey, AppendResult result) {
        for (AppendListener listener : listeners) {
            try {
                listener.appended(shardKey, result);
            } catch (Exception e) {
                log.warn("An append listener of shard {} failed; the append stands", shardKey, e);
            }
        }
    }

    /** Registered listeners, for tests. */
    public int size() {
        return listeners.size();
    }
}
