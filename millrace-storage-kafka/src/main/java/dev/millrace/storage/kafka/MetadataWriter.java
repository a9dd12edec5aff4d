package dev.millrace.storage.kafka;

import dev.millrace.storage.StorageException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The writing side of {@link KafkaMetadataStore}: its transactional producer, one transaction per commit, and what a
 * failed transaction leaves behind (see the store's javadoc, "Failures", for the rules). The records it writes are
 * drawn at the top of {@link KafkaMetadataStore}.
 *
 * <p>A writer exists only while its store is the writer: made by a promotion, dropped by a demotion or once
 * {@link #stopped()} (fenced, forbidden, or a producer that cannot abort), after which it is never used again.
 *
 * <p>Not thread-safe: the store calls it only under its commit lock.
 */
final class MetadataWriter {
    private static final Logger log = LoggerFactory.getLogger(MetadataWriter.class);
    private static final long CLOSE_TIMEOUT_MS = 10_000;

    private enum Pending { NONE, COMMIT, ABORT }

    private final String topic;
    private final String transactionalId;
    private final Producer<byte[], byte[]> producer;
    private Pending pending = Pending.NONE;
    private KafkaMetadataStore.Commit inDoubt;
    private String stopped;

    private MetadataWriter(String topic, String transactionalId, Producer<byte[], byte[]> producer) {
        this.topic = topic;
        this.transactionalId = transactionalId;
        this.producer = producer;
    }

    /**
     * Makes the producer and calls {@code initTransactions()}, which fences any earlier writer on the same
     * {@code transactional.id} and settles (aborts, or completes if it was being committed) the transaction it left
     * open. Returns once Kafka has done so.
     */
    static MetadataWriter start(String topic, String transactionalId, Producer<byte[], byte[]> producer) {
        try {
            producer.initTransactions();
        } catch (KafkaException | IllegalStateException e) {
            closeQuietly(producer, topic);
            throw KafkaMetadataStore.converted("cannot become the writer of metadata topic " + topic, e);
        }
        return new MetadataWriter(topic, transactionalId, producer);
    }

    /** The producer's settings: transactional, {@code acks=all}, a record as large as the topic takes. */
    static Map<String, Object> producerSettings(String transactionalId, int maxRecordBytes) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("transactional.id", transactionalId);
        settings.put("acks", "all");
        settings.put("enable.idempotence", "true");
        settings.put("max.request.size", Integer.toString(maxRecordBytes));
        settings.put("linger.ms", "0");
        // A commit gives up well before the coordinator's transaction timeout, which would fence this producer; a
        // send that fails does so before commitTransaction's own wait ends, so that its error (abort, nothing
        // changed) is told apart from a commit whose outcome is unknown.
        settings.put("delivery.timeout.ms", "30000");
        settings.put("request.timeout.ms", "10000");
        settings.put("max.block.ms", "45000");
        settings.put("transaction.timeout.ms", "60000");
        settings.put("key.serializer", ByteArraySerializer.class.getName());
        settings.put("value.serializer", ByteArraySerializer.class.getName());
        return settings;
    }

    /** A copy of a commit's changes, refused before anything is written if a key is reserved or too long, or a
     * value too large. */
    static Map<String, byte[]> checkedCopy(Map<String, byte[]> changes) {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> change : changes.entrySet()) {
            String key = change.getKey();
            if (key == null || (!key.isEmpty() && key.charAt(0) == '\0')) {
                throw new IllegalArgumentException("metadata key " + (key == null ? "null" : "starting with NUL")
                        + " is not allowed (keys starting with NUL are reserved)");
            }
            if (key.length() > KafkaMetadataStore.MAX_KEY_BYTES / 3
                    && key.getBytes(StandardCharsets.UTF_8).length > KafkaMetadataStore.MAX_KEY_BYTES) {
                throw new IllegalArgumentException("metadata key of " + key.getBytes(StandardCharsets.UTF_8).length
                        + " bytes; at most " + KafkaMetadataStore.MAX_KEY_BYTES + " are allowed");
            }
            byte[] value = change.getValue();
            if (value != null && value.length > KafkaMetadataStore.MAX_VALUE_BYTES) {
                throw new IllegalArgumentException("metadata value of " + key + " has " + value.length
                        + " bytes; at most " + KafkaMetadataStore.MAX_VALUE_BYTES + " are allowed");
            }
            copy.put(key, value == null ? null : value.clone());
        }
        return copy;
    }

    /** Why this writer stopped for good, or null while it may commit. */
    String stopped() {
        return stopped;
    }

    /**
     * Writes one commit as one transaction: its data records in order, then its version record. Returns once
     * {@code commitTransaction} succeeded.
     *
     * @throws StorageException if it failed; {@link #stopped()} then tells whether this writer can go on
     */
    void write(KafkaMetadataStore.Commit commit) {
        boolean committing = false;
        try {
            producer.beginTransaction();
            for (Map.Entry<String, byte[]> change : commit.changes().entrySet()) {
                producer.send(new ProducerRecord<>(topic, 0, change.getKey().getBytes(StandardCharsets.UTF_8),
                        change.getValue()));
            }
            producer.send(new ProducerRecord<>(topic, 0, KafkaMetadataStore.VERSION_KEY.clone(),
                    KafkaMetadataStore.versionValue(commit.version())));
            committing = true;
            // Flushes the sends and fails if any of them failed.
            producer.commitTransaction();
        } catch (KafkaException | IllegalStateException e) {
            throw failed(e, committing, commit);
        }
    }

    /**
     * Writes one reserved record alone in a transaction (the writer record of a promotion). Any failure, the outcome
     * unknown included, stops this writer: the promotion is then reported failed, and the next one settles what this
     * transaction left.
     */
    void writeAlone(byte[] key, byte[] value) {
        try {
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, key.clone(), value));
            producer.commitTransaction();
        } catch (KafkaException | IllegalStateException e) {
            stopped = "its first transaction failed: " + describe(e);
            throw KafkaMetadataStore.converted("cannot write the writer record to " + topic, e);
        }
    }

    /**
     * Finishes what a failed commit left unsettled, as Kafka's producer allows (the same call again), before a new
     * transaction begins; a commit that turns out to have landed is handed to {@code landed}.
     */
    void settlePending(Consumer<KafkaMetadataStore.Commit> landed) {
        if (pending == Pending.NONE) {
            return;
        }
        if (pending == Pending.COMMIT) {
            KafkaMetadataStore.Commit doubted = inDoubt;
            try {
                producer.commitTransaction();
            } catch (KafkaException | IllegalStateException e) {
                StorageException failure = failed(e, true, doubted);
                throw new StorageException("settling the metadata commit of version " + doubted.version()
                        + " failed: " + failure.getMessage(), e);
            }
            log.info("Metadata commit of version {} in {} landed after all", doubted.version(), topic);
            landed.accept(doubted);
        } else {
            try {
                producer.abortTransaction();
            } catch (KafkaException | IllegalStateException e) {
                throw abortFailed(e, e);
            }
        }
        pending = Pending.NONE;
        inDoubt = null;
    }

    /**
     * Classifies a failed transaction and returns the exception to throw: fenced or forbidden stops the writer; a
     * timeout while committing leaves the outcome unknown, to be settled by the next commit; anything else is
     * aborted at once (and if the abort only timed out, the next commit retries it).
     */
    private StorageException failed(RuntimeException e, boolean committing, KafkaMetadataStore.Commit commit) {
        Throwable fatal = fatalCause(e);
        if (fatal != null) {
            return stop(e, fatal);
        }
        // Only commitTransaction's own wait leaves the outcome open; a failed send arrives wrapped, as an abortable
        // error state, even when its cause is a timeout.
        if (committing && isTimeout(e)) {
            pending = Pending.COMMIT;
            inDoubt = commit;
            return new StorageException("metadata commit of version " + commit.version() + " in " + topic
                    + " timed out with its outcome unknown; the next commit settles it (retryable): " + e, e);
        }
        pending = Pending.NONE;
        inDoubt = null;
        try {
            producer.abortTransaction();
        } catch (KafkaException | IllegalStateException abort) {
            return abortFailed(e, abort);
        }
        return new StorageException("metadata commit failed, nothing changed" + (isRetriable(e) ? " (retryable)" : "")
                + ": " + describe(e), e);
    }

    /**
     * Kafka's producer refuses an abort only in a fatal error state; a timed-out abort may be retried, which the
     * next commit does.
     */
    private StorageException abortFailed(RuntimeException e, RuntimeException abort) {
        if (abort != e) {
            e.addSuppressed(abort);
        }
        if (isTimeout(abort)) {
            pending = Pending.ABORT;
            return new StorageException("metadata commit failed, nothing changed; aborting its transaction timed out"
                    + " and is retried by the next commit (retryable): " + describe(e), e);
        }
        Throwable fatal = fatalCause(abort);
        return stop(e, fatal != null ? fatal : abort);
    }

    private static boolean isTimeout(RuntimeException e) {
        return e instanceof TimeoutException || e instanceof InterruptException;
    }

    /** Stops this writer for good, keeping the reason for the store's later refusals. */
    private StorageException stop(RuntimeException e, Throwable reason) {
        stopped = reason instanceof ApplicationRecoverableException
                ? "another writer took over (a store promoted with transactional.id '" + transactionalId
                  + "' fenced this one, or a transaction outlived transaction.timeout.ms): " + reason
                : "the metadata writer cannot go on: " + describe(reason);
        pending = Pending.NONE;
        inDoubt = null;
        return new StorageException("metadata commit failed; the writer of " + topic + " stopped: " + stopped, e);
    }

    /** The cause that makes the producer unusable, or null. */
    private static Throwable fatalCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ApplicationRecoverableException || t instanceof AuthorizationException
                    || t instanceof UnsupportedVersionException) {
                return t;
            }
            if (t instanceof IllegalStateException && t.getMessage() != null
                    && t.getMessage().contains("closed")) {
                return t;
            }
        }
        return null;
    }

    /** The exception and, if it only wraps another (Kafka's "error state" message), its root cause too. */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e + " (caused by " + root + ")";
    }

    static boolean isRetriable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RetriableException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Closes the producer; a transaction still open or in doubt is aborted by the close, or by the next writer's
     * {@code initTransactions()}.
     */
    void close() {
        closeQuietly(producer, topic);
    }

    private static void closeQuietly(Producer<byte[], byte[]> producer, String topic) {
        try {
            producer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        } catch (KafkaException e) {
            log.warn("Closing the metadata writer of {} failed: {}", topic, e.toString());
        }
    }
}
