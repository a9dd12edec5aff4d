package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;

import org.apache.kafka.common.errors.RetriableException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Converts Kafka's failures into {@link StorageException}, once, at this backend's boundary.
 *
 * <p>Retryable or not: the SPI's {@code StorageException} has no flag for it (the server answers every storage failure
 * with a 500 InternalFailure, which AWS SDKs retry). So the distinction travels in two places: the message says
 * "(retryable)", and the cause is Kafka's own exception, a {@link RetriableException} (NotEnoughReplicas, a
 * timeout, NotLeaderOrFollower...) exactly when Kafka itself deems the operation worth retrying; {@link #retryable}
 * reads it back. A local wait that ran out is wrapped in Kafka's
 * {@link org.apache.kafka.common.errors.TimeoutException} so that it reads as retryable too.
 *
 * <p>Stateless, thread-safe.
 */
final class KafkaErrors {
    private KafkaErrors() {
    }

    /** The storage exception for a failed Kafka operation described by {@code what} ("append to shard s1"). */
    static StorageException convert(String what, Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof StorageException storage) {
            return storage;
        }
        boolean retryable = cause instanceof RetriableException;
        return new StorageException(what + " failed" + (retryable ? " (retryable)" : "") + ": " + cause, cause);
    }

    /** Whether a storage exception came from a failure Kafka calls retriable. */
    static boolean retryable(StorageException e) {
        return e.getCause() instanceof RetriableException;
    }

    /** The cause an executor, a future or a completion wrapped. */
    static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Waits for a result (an admin call's, a send's) at most {@code timeoutMs}, converting every failure. */
    static <T> T await(Future<T> future, long timeoutMs, String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException(what + " interrupted", e);
        } catch (TimeoutException e) {
            throw convert(what, new org.apache.kafka.common.errors.TimeoutException(
                    "no answer from Kafka within " + timeoutMs + " ms"));
        } catch (ExecutionException e) {
            throw convert(what, e);
        }
    }
}
