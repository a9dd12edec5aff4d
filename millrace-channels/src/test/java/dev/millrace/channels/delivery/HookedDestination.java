package dev.millrace.channels.delivery;

import dev.millrace.channels.s3.Destination;
import java.nio.file.Path;

/**
 * A real destination behind a hook around each put: the hook fails a put by throwing before it (a destination down)
 * or after it (the put written, its response lost), holds it by blocking (a slow upload), or just watches it.
 * Thread-safe if the hook is.
 */
final class HookedDestination implements Destination {

    /** Runs before the put of {@code target}; a put that throws writes nothing. */
    @FunctionalInterface
    interface Hook {
        void before(ObjectTarget target) throws InterruptedException;
    }

    /** Runs in place of the put of {@code target}: {@code put} writes the object, if the hook calls it. */
    @FunctionalInterface
    interface Around {
        void put(ObjectTarget target, Runnable put) throws InterruptedException;
    }

    private final Destination real;
    private final Around around;

    HookedDestination(Destination real, Hook hook) {
        this(real, (Around) (target, put) -> {
            hook.before(target);
            put.run();
        });
    }

    private HookedDestination(Destination real, Around around) {
        this.real = real;
        this.around = around;
    }

    /** {@code real} with {@code around} run in place of each put. */
    static HookedDestination around(Destination real, Around around) {
        return new HookedDestination(real, around);
    }

    @Override
    public void put(ObjectTarget target, Path file) {
        try {
            around.put(target, () -> real.put(target, file));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
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
