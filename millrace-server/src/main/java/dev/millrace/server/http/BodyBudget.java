package dev.millrace.server.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies held at once: the server's whole budget ({@link HttpLimits#bodyBudgetBytes}), or one
 * connection's share of it ({@link HttpLimits#connectionBodyBytes}), which reserves in its parent as well. A request
 * reserves its body as it arrives (all of it at once when it declares a Content-Length) and gives it back when its
 * answer has been written or its connection closes ({@link BodyAggregator}).
 *
 * <p>Thread-safe (lock-free). A connection's share is used by its event loop only, the parent by all of them.
 */
final class BodyBudget {
    private final long limitBytes;
    private final BodyBudget parent;
    private final AtomicLong heldBytes = new AtomicLong();

    BodyBudget(long limitBytes) {
        this(limitBytes, null);
    }

    private BodyBudget(long limitBytes, BodyBudget parent) {
        this.limitBytes = limitBytes;
        this.parent = parent;
    }

    /** A share of at most {@code limitBytes} of this budget, for one connection. */
    BodyBudget share(long limitBytes) {
        return new BodyBudget(limitBytes, this);
    }

    /** Takes {@code bytes} here and in the parent if they fit in both; {@code false} (and nothing taken) if not. */
    boolean tryReserve(long bytes) {
        if (!reserveHere(bytes)) {
            return false;
        }
        if (parent != null && !parent.tryReserve(bytes)) {
            heldBytes.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    private boolean reserveHere(long bytes) {
        while (true) {
            long held = heldBytes.get();
            if (held + bytes > limitBytes) {
                return false;
            }
            if (heldBytes.compareAndSet(held, held + bytes)) {
                return true;
            }
        }
    }

    /** Whether not even one more byte fits, here or in the parent: a body of unknown length would be refused. */
    boolean exhausted() {
        return heldBytes.get() >= limitBytes || parent != null && parent.exhausted();
    }

    void release(long bytes) {
        if (bytes > 0) {
            heldBytes.addAndGet(-bytes);
            if (parent != null) {
                parent.release(bytes);
            }
        }
    }

    long heldBytes() {
        return heldBytes.get();
    }

    long limitBytes() {
        return limitBytes;
    }
}
