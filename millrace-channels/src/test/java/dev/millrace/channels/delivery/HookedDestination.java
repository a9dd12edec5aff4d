package dev.millrace.channels.delivery;

import dev.millrace.channels.s3.Destination;
import java.nio.file.Path;

/**
 * A real destination behind a hook that runs before each put: the hook fails a put by throwing (a destination down),
 * or holds it by blocking (a slow upload), or just watches it. Thread-safe if the hook is.
 */
final class HookedDestination implements Destination {

    /** Runs before the put of {@code target}; a put that throws writes nothing. */
    @FunctionalInterface
    interface Hook {
        void before(ObjectTarget target) throws InterruptedException;
    }

    private final Destination real;
    private final Hook hook;

    HookedDestination(Destination real, Hook hook) {
        this.real = real;
        this.hook = hook;
    }

    @Override
    public void put(ObjectTarget target, Path file) {
        try {
            hook.before(target);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        real.put(target, file);
    }

    @Override
    public boolean exists(ObjectTarget target) {
        return real.exists(target);
    }

    @Override
    public BucketCheck checkBucket(String bucket) {
        return BucketCheck.EXISTS;
    }
}
