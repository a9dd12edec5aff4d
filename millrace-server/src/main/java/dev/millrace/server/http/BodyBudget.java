package dev.millrace.server.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies the server holds at once, across all connections ({@link HttpLimits#bodyBudgetBytes}).
 * A request reserves its body as it arrives (all of it at once when it declares a Content-Length) and gives it back
 * when its answer has been written or its connection closes ({@link BodyAggregator}).
 *
 * <p>Thread-safe (lock-free).
 */
final class BodyBudget {
    private final long limitBytes;
    private final AtomicLong heldBytes = new AtomicLong();

    BodyBudget(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    /** Takes {@code bytes} if they fit; {@code false} (and nothing taken) if they do not. */
    boolean tryReserve(long bytes) {
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

    void release(long bytes) {
        if (bytes > 0) {
            heldBytes.addAndGet(-bytes);
        }
    }

    long heldBytes() {
        return heldBytes.get();
    }

    long limitBytes() {
        return limitBytes;
    }
}
