package dev.millrace.storage.kafka;

import dev.millrace.storage.ReadResult;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.crypto.KeyRing;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * One read of a shard through a borrowed consumer: records from a position up to a count and a byte budget, skipping
 * those past retention.
 *
 * <p>It runs only when the caller knows records exist at or after the position (below the end offset), so the first
 * poll waits up to {@code readTimeoutMs} for them; later polls wait only briefly, since Kinesis answers at once with
 * whatever it has. Records the poll returned beyond what the read may take stay with the consumer for the next read
 * that continues there ({@link ConsumerPool.Reader#keep}).
 *
 * <p>Expired records (arrival before {@code cutoffMs}) are skipped one by one, except that the first expired record
 * of a read that has returned nothing yet makes it look up the first retained offset by time and seek there: a reader
 * far behind does not page through days of expired data.
 *
 * <p>Encrypted records are opened with keys from the key ring. One that cannot be (its key unavailable, its ciphertext
 * changed) ends a read that has records to return, and fails one that has none, leaving the reader in front of it: no
 * record is ever skipped.
 *
 * <p>Not thread-safe: made for one call and dropped.
 */
final class ShardRead {
    /** How long a poll after the first may wait for more, once the read has records to return. */
    private static final long TOP_UP_POLL_MS = 20;
    /**
     * How long a read waits for its first records before it asks whether the topic still exists: a consumer fetching
     * from a topic deleted elsewhere gets UNKNOWN_TOPIC_OR_PARTITION back at once and fetches again, logging a WARN
     * each time (hundreds a second), until the read's timeout.
     */
    private static final long EXISTENCE_CHECK_AFTER_MS = 200;

    private final ConsumerPool.Reader reader;
    private final TopicPartition partition;
    private final long cutoffMs;
    private final long readTimeoutMs;
    private final LongSupplier firstRetained;
    private final LongSupplier earliest;
    private final BooleanSupplier topicExists;
    private final KeyRing keys;

    private long position;
    private long endOffset;

    /**
     * @param firstRetained the first offset at or after the cutoff by time, or the end offset (an admin round trip)
     * @param earliest      the first offset the partition still holds (an admin round trip)
     * @param topicExists   whether the partition's topic still exists (an admin round trip)
     */
    ShardRead(ConsumerPool.Reader reader, TopicPartition partition, long cutoffMs, long readTimeoutMs,
              LongSupplier firstRetained, LongSupplier earliest, BooleanSupplier topicExists, KeyRing keys) {
        this.reader = reader;
        this.partition = partition;
        this.cutoffMs = cutoffMs;
        this.readTimeoutMs = readTimeoutMs;
        this.firstRetained = firstRetained;
        this.earliest = earliest;
        this.topicExists = topicExists;
        this.keys = keys;
    }

    /** Reads from {@code from}, below {@code endOffset}; the result's end is the highest end offset seen. */
    ReadResult read(long from, int maxRecords, long maxBytes, long knownEndOffset) {
        position = from;
        endOffset = knownEndOffset;
        List<StoredRecord> out = new ArrayList<>(Math.min(maxRecords, 1024));
        long budgetBytes = maxBytes;
        boolean jumped = false;
        long startNs = System.nanoTime();
        long deadline = startNs + readTimeoutMs * 1_000_000;
        long existenceCheck = startNs + EXISTENCE_CHECK_AFTER_MS * 1_000_000;
        boolean existenceChecked = false;
        while (position < endOffset) {
            ConsumerRecord<byte[], byte[]> r = reader.nextPending();
            if (r == null) {
                boolean first = out.isEmpty();
                long until = !first ? System.nanoTime() + TOP_UP_POLL_MS * 1_000_000
                        : existenceChecked || existenceCheck - deadline > 0 ? deadline : existenceCheck;
                if (poll(until)) {
                    continue;
                }
                if (!first) {
                    break;
                }
                if (!existenceChecked && System.nanoTime() - existenceCheck >= 0) {
                    existenceChecked = true;
                    if (!topicExists.getAsBoolean()) {
                        throw new StorageException("shard topic " + partition.topic()
                                + " no longer exists (deleted by another node or by hand)");
                    }
                }
                if (System.nanoTime() - deadline < 0) {
                    continue;
                }
                // Records below the end offset must come: a leader is missing, or its high watermark lags.
                throw KafkaErrors.convert("reading " + partition + " from offset " + position,
                        new org.apache.kafka.common.errors.TimeoutException("no records within " + readTimeoutMs
                                + " ms below the end offset " + endOffset));
            }
            if (r.offset() < position) {
                continue;
            }
            if (r.timestamp() < cutoffMs) {
                if (!jumped && out.isEmpty()) {
                    jumped = true;
                    long first = firstRetained.getAsLong();
                    if (first > r.offset() + 1) {
                        position = first;
                        reader.seek(first);
                        continue;
                    }
                }
                position = r.offset() + 1;
                continue;
            }
            StoredRecord stored;
            try {
                stored = RecordLayout.fromKafka(r, keys);
            } catch (StorageException e) {
                reader.unread();
                if (out.isEmpty()) {
                    reader.stopped();
                    throw e;
                }
                break;
            }
            int sizeBytes = stored.data().length; // the plaintext's, as in the embedded engine
            if (out.size() >= maxRecords || (!out.isEmpty() && sizeBytes > budgetBytes)) {
                reader.unread();
                break;
            }
            out.add(stored);
            budgetBytes -= sizeBytes;
            position = r.offset() + 1;
            endOffset = Math.max(endOffset, position);
        }
        reader.stopped();
        return new ReadResult(out, position, endOffset);
    }

    /** Polls once, until {@code deadlineNanos} at most; returns whether records came. */
    private boolean poll(long deadlineNanos) {
        long waitMs = Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
        ConsumerRecords<byte[], byte[]> polled;
        try {
            polled = reader.consumer.poll(Duration.ofMillis(waitMs));
        } catch (OffsetOutOfRangeException e) {
            // Below the partition's start (Kafka's retention deleted it): move forward to what is left.
            long start = earliest.getAsLong();
            if (position >= start) {
                throw e;
            }
            position = start;
            reader.seek(start);
            return true;
        }
        OptionalLong lag = reader.consumer.currentLag(partition);
        if (lag.isPresent()) {
            // Another writer's records (issue 15) show up here: the fetch told us the partition's high watermark.
            endOffset = Math.max(endOffset, reader.consumer.position(partition) + lag.getAsLong());
        }
        List<ConsumerRecord<byte[], byte[]>> records = polled.records(partition);
        if (records.isEmpty()) {
            return false;
        }
        reader.keep(records);
        return true;
    }
}
