package dev.millrace.server.state;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per stream name, so that a slow change to one stream (a reshard sealing thousands of logs, a deletion, a
 * retention pass) never waits for, or makes wait, a change to another. A name's lock exists only while someone holds
 * or waits for it: entries are counted and dropped when the last user leaves, so names created and deleted by the
 * million leave nothing behind.
 *
 * <p>Thread-safe. Locks are reentrant: a change may settle or re-read its own stream while holding the lock.
 */
final class StreamLocks {
    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        /** Threads holding or waiting for {@link #lock}; changed only inside the map's atomic compute. */
        int users;
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /** Runs {@code action} holding the stream's lock, waiting for it if another thread holds it. */
    <T> T locked(String name, Supplier<T> action) {
        Entry e = enter(name);
        e.lock.lock();
        try {
            return action.get();
        } finally {
            e.lock.unlock();
            leave(name);
        }
    }

    void locked(String name, Runnable action) {
        locked(name, () -> {
            action.run();
            return null;
        });
    }

    /**
     * Runs {@code action} holding the stream's lock if it is free (or already held by this thread); returns whether
     * it ran. For maintenance passes, which come back later rather than wait behind a client's change.
     */
    boolean ifFree(String name, Runnable action) {
        Entry e = enter(name);
        try {
            if (!e.lock.tryLock()) {
                return false;
            }
            try {
                action.run();
                return true;
            } finally {
                e.lock.unlock();
            }
        } finally {
            leave(name);
        }
    }

    private Entry enter(String name) {
        return entries.compute(name, (k, e) -> {
            Entry entry = e == null ? new Entry() : e;
            entry.users++;
            return entry;
        });
    }

    private void leave(String name) {
        entries.computeIfPresent(name, (k, e) -> --e.users == 0 ? null : e);
    }
}
