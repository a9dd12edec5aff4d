package dev.millrace.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Keeps an in-memory view of part of a {@link MetadataStore} current: loads it, then applies every later commit from
 * the change feed, with none missed and none applied twice. The listener is registered before the load, so a commit
 * made while loading cannot slip between the two; commits told while loading are held, and once the load is done
 * those newer than the version it read are replayed, in order, before any commit told after.
 *
 * <p>Thread-safe. {@code apply} is called as the store calls listeners (one commit at a time, in version order) and
 * must follow {@link MetadataListener}'s rules; while the held commits are replayed it runs under this follower's
 * lock, which only the loading thread and the feed take.
 */
public final class MetadataFollower {
    private record Event(long version, Map<String, byte[]> changes) {
    }

    private final MetadataListener apply;
    private final Object gate = new Object();
    private final List<Event> held = new ArrayList<>();
    private volatile boolean loaded;

    private MetadataFollower(MetadataListener apply) {
        this.apply = apply;
    }

    /**
     * Starts following {@code store}: registers the listener, calls {@code load} with the store's version (the load
     * must read the store at or after it), then replays what was told meanwhile.
     *
     * @return the registration, which ends the following when closed
     * @throws RuntimeException whatever {@code load} threw; the registration is closed then
     */
    public static Registration follow(MetadataStore store, LongConsumer load, MetadataListener apply) {
        MetadataFollower follower = new MetadataFollower(apply);
        Registration registration = store.onCommit(follower::told);
        try {
            long loadedAt = store.version();
            load.accept(loadedAt);
            follower.replay(loadedAt);
        } catch (RuntimeException e) {
            registration.close();
            throw e;
        }
        return registration;
    }

    private void told(long version, Map<String, byte[]> changes) {
        if (!loaded) {
            synchronized (gate) {
                if (!loaded) {
                    held.add(new Event(version, changes));
                    return;
                }
            }
        }
        apply.committed(version, changes);
    }

    private void replay(long loadedAt) {
        synchronized (gate) {
            for (Event e : held) {
                if (e.version() > loadedAt) {
                    apply.committed(e.version(), e.changes());
                }
            }
            held.clear();
            loaded = true;
        }
    }
}
