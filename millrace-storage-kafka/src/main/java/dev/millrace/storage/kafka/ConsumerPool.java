package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;

/**
 * A bounded pool of Kafka consumers for reads (a consumer is not thread-safe, so a read borrows one for its
 * duration). At most {@code maxConsumers} exist; a read that finds all of them busy waits up to {@code borrowTimeoutMs}
 * and then fails as retryable.
 *
 * <p>A consumer is handed back where it stopped, with whatever it fetched ahead (the consumer's own fetch buffer, and
 * records a read polled but did not return, kept as {@link Reader#pending}). A borrower asking for the same shard at
 * the offset where a consumer stopped gets that consumer first, so a hot shard read in sequence (GetRecords with the
 * previous NextShardIterator) keeps its prefetch; any other borrower takes the least recently used idle one and seeks.
 * Consumers are matched by the {@code owner} object (the shard log), not the topic name, so that a shard deleted and
 * created again under the same key never serves the old topic's prefetched records.
 *
 * <p>Memory: each consumer may buffer one fetch ({@code fetch.max.bytes}, about 10 MiB at most) plus one poll's
 * leftover records, so the pool holds at most about {@code maxConsumers} x 20 MiB.
 *
 * <p>Thread-safe; each {@link Reader} is used by one borrower at a time.
 */
final class ConsumerPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConsumerPool.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    /** One pooled consumer and what it was left holding. Used by its borrower only. */
    static final class Reader {
        final Consumer<byte[], byte[]> consumer;
        private Object owner;
        private TopicPartition assigned;
        /** Where this reader continues: its first pending record, else the consumer's position; -1 if unknown. */
        private long nextOffset = -1;
        private List<ConsumerRecord<byte[], byte[]>> pending = List.of();
        private int pendingIndex;

        Reader(Consumer<byte[], byte[]> consumer) {
            this.consumer = consumer;
        }

        /** Makes the reader continue at {@code offset} of {@code partition}, keeping what it prefetched if it can. */
        void moveTo(Object newOwner, TopicPartition partition, long offset) {
            if (owner == newOwner && partition.equals(assigned) && nextOffset == offset) {
                return;
            }
            if (owner != newOwner || !partition.equals(assigned)) {
                // Unassigning first drops every trace of a previous topic of the same name.
                consumer.assign(List.of());
                consumer.assign(List.of(partition));
                owner = newOwner;
                assigned = partition;
            }
            seek(offset);
        }

        /** Positions the consumer at {@code offset}, dropping anything prefetched. */
        void seek(long offset) {
            consumer.seek(assigned, offset);
            pending = List.of();
            pendingIndex = 0;
            nextOffset = offset;
        }

        /** The next prefetched record not yet returned, or null. */
        ConsumerRecord<byte[], byte[]> nextPending() {
            return pendingIndex < pending.size() ? pending.get(pendingIndex++) : null;
        }

        /** Puts the last record {@link #nextPending} gave back in front, for the next read. */
        void unread() {
            pendingIndex--;
        }

        /** Keeps {@code records} (in offset order) as the prefetched records to read next. */
        void keep(List<ConsumerRecord<byte[], byte[]>> records) {
            pending = records;
            pendingIndex = 0;
        }

        /**
         * Notes where this reader continues, from what it holds (not from what the read believes), so that a later
         * borrower is matched to it only if it really continues there.
         */
        void stopped() {
            if (pendingIndex < pending.size()) {
                nextOffset = pending.get(pendingIndex).offset();
                return;
            }
            try {
                nextOffset = consumer.position(assigned, Duration.ZERO);
            } catch (RuntimeException e) {
                nextOffset = -1; // no valid position (an offset out of range): the next borrower seeks
            }
        }

        TopicPartition assigned() {
            return assigned;
        }
    }

    private final Supplier<Consumer<byte[], byte[]>> factory;
    private final int maxConsumers;
    private final long borrowTimeoutMs;
    private final Deque<Reader> idle = new ArrayDeque<>();
    private final List<Reader> all = new ArrayList<>();
    private int creating;
    private boolean closed;

    ConsumerPool(Supplier<Consumer<byte[], byte[]>> factory, int maxConsumers, long borrowTimeoutMs) {
        if (maxConsumers < 1) {
            throw new IllegalArgumentException("maxConsumers " + maxConsumers);
        }
        this.factory = factory;
        this.maxConsumers = maxConsumers;
        this.borrowTimeoutMs = borrowTimeoutMs;
    }

    /** A reader at {@code offset} of {@code partition} for {@code owner}; hand it back with {@link #release}. */
    Reader borrow(Object owner, TopicPartition partition, long offset) {
        Reader reader = take(owner, offset);
        if (reader == null) {
            try {
                reader = new Reader(factory.get());
            } catch (RuntimeException e) {
                synchronized (this) {
                    creating--;
                    notifyAll();
                }
                throw KafkaErrors.convert("creating a Kafka consumer", e);
            }
            synchronized (this) {
                creating--;
                all.add(reader);
            }
        }
        try {
            reader.moveTo(owner, partition, offset);
        } catch (RuntimeException e) {
            release(reader, false);
            throw KafkaErrors.convert("positioning a Kafka consumer on " + partition, e);
        }
        return reader;
    }

    /** An idle reader, best first; or null after reserving a slot for a new one. */
    private synchronized Reader take(Object owner, long offset) {
        long deadline = System.nanoTime() + borrowTimeoutMs * 1_000_000;
        while (true) {
            if (closed) {
                throw new StorageException("the Kafka log store is closed");
            }
            Reader best = null;
            for (Reader r : idle) {
                if (r.owner == owner && (best == null || r.nextOffset == offset)) {
                    best = r;
                }
            }
            if (best == null && !idle.isEmpty()) {
                best = idle.peekLast(); // released longest ago
            }
            if (best != null) {
                idle.remove(best);
                return best;
            }
            if (all.size() + creating < maxConsumers) {
                creating++;
                return null;
            }
            long waitMs = (deadline - System.nanoTime()) / 1_000_000;
            if (waitMs <= 0) {
                throw KafkaErrors.convert("reading", new org.apache.kafka.common.errors.TimeoutException(
                        "all " + maxConsumers + " Kafka readers stayed busy for " + borrowTimeoutMs + " ms"));
            }
            try {
                wait(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException("interrupted while waiting for a Kafka reader", e);
            }
        }
    }

    /**
     * Hands a reader back. One whose state is unknown ({@code healthy == false}: its read threw) is closed, and a new
     * one may take its slot.
     */
    void release(Reader reader, boolean healthy) {
        boolean close;
        synchronized (this) {
            close = closed || !healthy;
            if (close) {
                all.remove(reader);
            } else {
                idle.addFirst(reader);
            }
            notifyAll();
        }
        if (close) {
            closeQuietly(reader);
        }
    }

    /** Drops what idle readers prefetched for {@code owner} (its shard is being deleted). */
    synchronized void forget(Object owner) {
        for (Reader r : idle) {
            if (r.owner == owner) {
                r.owner = null;
                r.assigned = null;
                r.pending = List.of();
                r.pendingIndex = 0;
                r.nextOffset = -1;
                r.consumer.assign(List.of());
            }
        }
    }

    /** Consumers in existence now, for tests. */
    synchronized int size() {
        return all.size();
    }

    @Override
    public void close() {
        List<Reader> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayList<>(idle);
            idle.clear();
            all.removeAll(toClose);
            notifyAll();
        }
        for (Iterator<Reader> it = toClose.iterator(); it.hasNext(); ) {
            closeQuietly(it.next());
        }
    }

    private static void closeQuietly(Reader reader) {
        try {
            reader.consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        } catch (RuntimeException e) {
            log.warn("Closing a Kafka consumer failed", e);
        }
    }
}
