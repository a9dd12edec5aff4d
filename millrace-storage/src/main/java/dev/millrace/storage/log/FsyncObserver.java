package dev.millrace.storage.log;

/**
 * Told how long each fsync of a shard's log took (the metrics' fsync latency). Called on the thread that forced,
 * right after it; an implementation must be quick and must not throw.
 */
@FunctionalInterface
public interface FsyncObserver {
    FsyncObserver NONE = nanos -> {
    };

    void forced(long nanos);
}
