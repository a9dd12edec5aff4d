package dev.millrace.storage.kafka;

import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.MetadataListener;
import dev.millrace.storage.MetadataListeners;
import dev.millrace.storage.MetadataMaps;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.Registration;
import dev.millrace.storage.StaleVersionException;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.FailureLog;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApplicationRecoverableException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The metadata store on Kafka: the compacted single-partition topic {@link KafkaStorageConfig#metadataTopic()},
 * written in transactions by one fenced writer and read back as a log into an in-memory sorted map.
 *
 * <pre>
 *  one commit = one transaction on partition 0, its version record always last:
 *  +---------------------+---------------------+-----+----------------------------------+
 *  | "stream/a" -> bytes | "stream/b" -> null  | ... | 0x00 "version" -> 8 bytes, BE    |
 *  +---------------------+---------------------+-----+----------------------------------+
 *     data record          data record (delete)        version record
 *
 *  data record     key   = the metadata key, UTF-8 (the server's keys are printable ASCII, so never start with NUL)
 *                  value = the value's bytes, or null (a tombstone) for a deletion
 *  version record  key   = 0x00 'v' 'e' 'r' 's' 'i' 'o' 'n'  (keys starting with NUL are reserved and refused)
 *                  value = the version the commit produced, a big-endian long
 *  no headers; record timestamps are the producer's and are never read.
 * </pre>
 *
 * Compaction keeps the latest record per key: the latest value of every live key and the latest version record, so
 * the version survives it. A reader buffers data records until a version record closes them; after compaction the
 * surviving records of many commits are closed by one later version record, and applying them all at that version
 * gives exactly the state of that version (each key's surviving record is its latest up to there).
 *
 * <p><b>Writing.</b> One transactional producer, {@code transactional.id = <prefix>metadata-writer}
 * ({@link #writerTransactionalId}). Opening a store calls {@code initTransactions()} first, which fences any earlier
 * writer on the same prefix and aborts (or completes) the transaction a dead writer left open; only then is the
 * topic read to its last stable offset, so the new writer starts from everything the old one committed. A commit is
 * one transaction; {@link #commit} returns once {@code commitTransaction} succeeded ({@code acks=all}), then applies
 * the changes to the map and tells the listeners, in version order. {@link #commitIfVersion} compares with the local
 * version under the commit lock: correct while this store is the only writer, which fencing ensures.
 *
 * <p><b>Failures.</b> Kafka errors become {@link StorageException}s, whose message says whether Kafka deemed them
 * retriable (the SPI has no flag for it; the server answers every storage failure with a retryable 500). Commit
 * failures are logged rate-limited ({@link FailureLog}) and thrown as already reported. A commit that failed changes
 * nothing locally and its transaction is aborted. Two cases differ:
 * <ul>
 *   <li>A fenced producer (another store opened on the same prefix, or a transaction that outlived
 *   {@code transaction.timeout.ms}), an authorization or unsupported-version error, or any error that leaves the
 *   producer unable to abort (its fatal state) stops the writer for good: every later commit fails with a
 *   StorageException naming the reason. The store stays a reader (its tailer goes on); a new writer is a new store.
 *   </li>
 *   <li>A timeout while committing leaves the outcome unknown, and Kafka's producer then allows only to retry the
 *   same call. The commit is reported failed (retryable) and remembered as in doubt: the next commit first retries
 *   {@code commitTransaction} (or {@code abortTransaction}, if an abort timed out) and, if the earlier commit did land,
 *   applies it before its own. If it landed, the tailer may also apply it first; versions make that idempotent.</li>
 * </ul>
 *
 * <p><b>Reading and the change feed.</b> {@link #get} and {@link #scan} answer from the map (copies). After loading,
 * a daemon tailer thread reads the topic on ({@code read_committed}) and applies commits made by other writers,
 * skipping versions already applied here, and fires listeners: the change feed several nodes need.
 * {@link #awaitCaughtUp} waits until the view has reached the topic's end as of the call. A tailer that lags behind
 * compaction can find several commits merged into one (see above): it applies them as one change at the newer
 * version and logs the gap; the topic is created with {@code min.compaction.lag.ms} of an hour so that only a reader
 * that far behind can see this.
 *
 * <p><b>Limits.</b> A value may have up to {@link #MAX_VALUE_BYTES} (16 MiB), a key {@link #MAX_KEY_BYTES}: the
 * topic's {@code max.message.bytes} and the producer's {@code max.request.size} are raised to hold one such record
 * (larger ones are refused with an {@link IllegalArgumentException} before anything is written); values are not split into chunks, since Kafka moves
 * a 16 MiB record whole and a chunk format would add a second layout to get right. A commit may hold any number of
 * such records.
 *
 * <p>Thread-safe. Commits are serialized by one lock held for the whole transaction (metadata commits are rare next
 * to record traffic); the map, the version and the tailer's position are guarded by this object's monitor, which
 * listeners are called under, so reads never wait for Kafka.
 */
public final class KafkaMetadataStore implements MetadataStore {
    /** The largest value one key may hold. */
    public static final int MAX_VALUE_BYTES = 16 * 1024 * 1024;
    /** The longest key, UTF-8 encoded (the server's keys are well under 1 KiB). */
    public static final int MAX_KEY_BYTES = 16 * 1024;
    /** Room for one value of {@link #MAX_VALUE_BYTES} plus its key and the record batch's overhead. */
    static final int MAX_RECORD_BYTES = MAX_VALUE_BYTES + MAX_KEY_BYTES + 48 * 1024;
    static final byte[] VERSION_KEY = "\0version".getBytes(StandardCharsets.UTF_8);
    static final String WRITER_SUFFIX = "metadata-writer";

    private static final Logger log = LoggerFactory.getLogger(KafkaMetadataStore.class);
    static final long OPEN_TIMEOUT_MS = 60_000;
    /** How long loading may go without progress before the store gives up. */
    private static final long LOAD_STALL_TIMEOUT_MS = 60_000;
    private static final long TAIL_POLL_MS = 200;
    private static final long TAIL_BACKOFF_MS = 500;
    private static final long CLOSE_TIMEOUT_MS = 10_000;
    private static final long FAILURE_LOG_INTERVAL_MS = 60_000;

    /** What {@link #commit} passes as the expected version: none. */
    private static final long ANY_VERSION = -1;

    private enum Pending { NONE, COMMIT, ABORT }

    private final String topic;
    private final TopicPartition partition;
    private final String transactionalId;
    private final Admin admin;
    private final Producer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final FailureLog tailFailures;
    private final FailureLog commitFailures;
    private final MetadataListeners listeners = new MetadataListeners();
    /** Serializes commits; never taken by the tailer, and never while holding the monitor. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Thread tailer;

    // Guarded by this.
    private final TreeMap<String, byte[]> entries = new TreeMap<>();
    private long version;
    /** The next offset the view has not yet read: everything before it is applied. */
    private long appliedOffset;
    private boolean closed;
    private RuntimeException tailerStopped;

    // Guarded by writeLock.
    private String writerStopped;
    private Pending pending = Pending.NONE;
    private Commit inDoubt;

    /** Handed from {@link #load} to the tailer thread (a transaction it may have half read); then the tailer's. */
    private Assembler tailAssembler;
    private volatile boolean running = true;

    private KafkaMetadataStore(KafkaStorageConfig config, Admin admin, Producer<byte[], byte[]> producer,
                               KafkaConsumer<byte[], byte[]> consumer, Clock clock) {
        this.topic = config.metadataTopic();
        this.partition = new TopicPartition(topic, 0);
        this.transactionalId = writerTransactionalId(config);
        this.admin = admin;
        this.producer = producer;
        this.consumer = consumer;
        this.tailFailures = new FailureLog(log, "Metadata tailer of " + topic, clock, FAILURE_LOG_INTERVAL_MS);
        this.commitFailures = new FailureLog(log, "Metadata writer of " + topic, clock, FAILURE_LOG_INTERVAL_MS);
        this.tailer = new Thread(this::tail, "metadata-tailer-" + topic);
        this.tailer.setDaemon(true);
    }

    /**
     * Creates the metadata topic if it is missing, becomes its writer (fencing any earlier one on the same prefix),
     * reads it to its end and starts the tailer.
     */
    public static KafkaMetadataStore open(KafkaStorageConfig config, Clock clock) {
        return open(config, clock, KafkaProducer::new);
    }

    /** Like {@link #open(KafkaStorageConfig, Clock)}, the writer made by {@code producers} from its settings (a seam
     * for tests that fail a commit at a chosen step). */
    static KafkaMetadataStore open(KafkaStorageConfig config, Clock clock,
                                   Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
        Admin admin = null;
        Producer<byte[], byte[]> producer = null;
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            admin = Admin.create(config.clientConfig(Map.of()));
            MetadataTopic.ensure(admin, config, MAX_RECORD_BYTES);
            producer = producers.apply(config.clientConfig(producerSettings(config)));
            // Before reading: fences an earlier writer and settles the transaction it may have left open.
            producer.initTransactions();
            consumer = new KafkaConsumer<>(config.clientConfig(consumerSettings()));
            KafkaMetadataStore store = new KafkaMetadataStore(config, admin, producer, consumer, clock);
            store.load();
            store.tailer.start();
            return store;
        } catch (KafkaException | IllegalStateException e) {
            closeAll(admin, producer, consumer);
            throw converted("cannot open metadata topic " + config.metadataTopic(), e);
        } catch (RuntimeException e) {
            closeAll(admin, producer, consumer);
            throw e;
        }
    }

    /** The {@code transactional.id} of the metadata writer under this config's prefix. */
    public static String writerTransactionalId(KafkaStorageConfig config) {
        return config.topicPrefix() + WRITER_SUFFIX;
    }

    private static Map<String, Object> producerSettings(KafkaStorageConfig config) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("transactional.id", writerTransactionalId(config));
        settings.put("acks", "all");
        settings.put("enable.idempotence", "true");
        settings.put("max.request.size", Integer.toString(MAX_RECORD_BYTES));
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

    private static Map<String, Object> consumerSettings() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("isolation.level", "read_committed");
        settings.put("enable.auto.commit", "false");
        // A topic deleted under a running store must not come back with the broker's defaults (delete, not compact).
        settings.put("allow.auto.create.topics", "false");
        settings.put("auto.offset.reset", "earliest");
        settings.put("max.partition.fetch.bytes", Integer.toString(4 * 1024 * 1024));
        settings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        settings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return settings;
    }

    /** Reads the topic from its beginning to its last stable offset as of now, without telling listeners. */
    private void load() {
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        Duration timeout = Duration.ofMillis(OPEN_TIMEOUT_MS);
        // read_committed: the end is the last stable offset, so the load never waits on an open transaction.
        long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
        Assembler assembler = new Assembler();
        long position = consumer.position(partition, timeout);
        long stallDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOAD_STALL_TIMEOUT_MS);
        while (position < end) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(TAIL_POLL_MS))) {
                Commit commit = assembler.accept(record);
                if (commit != null) {
                    applyFromTopic(commit, false);
                }
            }
            long now = consumer.position(partition, timeout);
            if (now > position) {
                position = now;
                stallDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOAD_STALL_TIMEOUT_MS);
            } else if (System.nanoTime() > stallDeadline) {
                throw new StorageException("reading metadata topic " + topic + " stalled at offset " + position
                        + " of " + end + " for " + LOAD_STALL_TIMEOUT_MS + " ms (retryable)");
            }
        }
        tailAssembler = assembler;
        synchronized (this) {
            appliedOffset = position;
        }
        log.info("Loaded metadata topic {}: version {}, {} keys, {} offsets", topic, version, entries.size(), end);
    }

    private void tail() {
        try {
            while (running) {
                try {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(TAIL_POLL_MS))) {
                        Commit commit = tailAssembler.accept(record);
                        if (commit != null) {
                            applyFromTopic(commit, true);
                        }
                    }
                    long position = consumer.position(partition, Duration.ofMillis(OPEN_TIMEOUT_MS));
                    synchronized (this) {
                        appliedOffset = position;
                        notifyAll();
                    }
                    tailFailures.healed("reads again");
                } catch (WakeupException e) {
                    // close() woke the poll; the loop condition ends it.
                } catch (CorruptDataException e) {
                    log.error("Metadata tailer of {} stopped: {}", topic, e.getMessage());
                    stopTailer(e);
                    return;
                } catch (KafkaException | IllegalStateException e) {
                    tailFailures.failure("reading failed (retrying)", e);
                    sleepQuietly(TAIL_BACKOFF_MS);
                }
            }
        } catch (RuntimeException | Error e) {
            log.error("Metadata tailer of {} died", topic, e);
            stopTailer(e instanceof RuntimeException r ? r : new IllegalStateException(e));
        } finally {
            consumer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        }
    }

    private synchronized void stopTailer(RuntimeException cause) {
        tailerStopped = cause;
        notifyAll();
    }

    /**
     * Applies a commit read from the topic unless this store has it already (its own commits come back this way).
     * A version more than one ahead means compaction merged commits this reader had not yet seen.
     */
    private synchronized void applyFromTopic(Commit commit, boolean tailing) {
        if (commit.version() <= version) {
            return;
        }
        if (tailing && commit.version() > version + 1) {
            log.warn("Metadata topic {}: versions {} to {} arrive merged by compaction; applied as one change",
                    topic, version + 1, commit.version());
        }
        apply(commit);
    }

    private synchronized void apply(Commit commit) {
        if (commit.version() <= version) {
            return;
        }
        for (Map.Entry<String, byte[]> change : commit.changes().entrySet()) {
            if (change.getValue() == null) {
                entries.remove(change.getKey());
            } else {
                entries.put(change.getKey(), change.getValue());
            }
        }
        version = commit.version();
        listeners.fire(version, commit.changes());
    }

    @Override
    public synchronized Optional<byte[]> get(String key) {
        return MetadataMaps.get(entries, key);
    }

    @Override
    public synchronized SortedMap<String, byte[]> scan(String prefix) {
        return MetadataMaps.scan(entries, prefix);
    }

    @Override
    public synchronized long version() {
        return version;
    }

    @Override
    public long commit(Map<String, byte[]> changes) {
        return commitSerialized(ANY_VERSION, changes);
    }

    @Override
    public long commitIfVersion(long expectedVersion, Map<String, byte[]> changes) {
        return commitSerialized(expectedVersion, changes);
    }

    /**
     * One commit at a time. Failures are logged here, rate-limited as the embedded store does (a Kafka outage fails
     * every commit until it ends), and thrown as already reported so that callers do not log them again.
     */
    private long commitSerialized(long expectedVersion, Map<String, byte[]> changes) {
        writeLock.lock();
        try {
            synchronized (this) {
                if (closed) {
                    throw new StorageException("metadata store is closed");
                }
            }
            try {
                long committed = commitLocked(expectedVersion, changes);
                commitFailures.healed("commits succeed again");
                return committed;
            } catch (StorageException e) {
                commitFailures.failure("commit failed", e);
                throw new StorageException(e.getMessage(), e.getCause() == null ? e : e.getCause(), true);
            }
        } finally {
            writeLock.unlock();
        }
    }

    private long commitLocked(long expectedVersion, Map<String, byte[]> changes) {
        checkWritable();
        Map<String, byte[]> copy = copyChecked(changes);
        // Before the version is read: an earlier commit left in doubt may turn out to have landed.
        settlePending();
        long current = version();
        if (expectedVersion != ANY_VERSION && expectedVersion != current) {
            throw new StaleVersionException(expectedVersion, current);
        }
        if (copy.isEmpty()) {
            return current;
        }
        Commit commit = new Commit(current + 1, copy);
        boolean committing = false;
        try {
            producer.beginTransaction();
            for (Map.Entry<String, byte[]> change : copy.entrySet()) {
                producer.send(new ProducerRecord<>(topic, 0, change.getKey().getBytes(StandardCharsets.UTF_8),
                        change.getValue()));
            }
            producer.send(new ProducerRecord<>(topic, 0, VERSION_KEY.clone(), versionValue(commit.version())));
            committing = true;
            // Flushes the sends and fails if any of them failed.
            producer.commitTransaction();
        } catch (KafkaException | IllegalStateException e) {
            throw failed(e, committing, commit);
        }
        apply(commit);
        return commit.version();
    }

    private void checkWritable() {
        if (writerStopped != null) {
            throw new StorageException("metadata writer of " + topic + " stopped: " + writerStopped);
        }
    }

    private static Map<String, byte[]> copyChecked(Map<String, byte[]> changes) {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> change : changes.entrySet()) {
            String key = change.getKey();
            if (key == null || (!key.isEmpty() && key.charAt(0) == '\0')) {
                throw new IllegalArgumentException("metadata key " + (key == null ? "null" : "starting with NUL")
                        + " is not allowed (keys starting with NUL are reserved)");
            }
            if (key.length() > MAX_KEY_BYTES / 3 && key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
                throw new IllegalArgumentException("metadata key of " + key.getBytes(StandardCharsets.UTF_8).length
                        + " bytes; at most " + MAX_KEY_BYTES + " are allowed");
            }
            byte[] value = change.getValue();
            if (value != null && value.length > MAX_VALUE_BYTES) {
                throw new IllegalArgumentException("metadata value of " + key + " has " + value.length
                        + " bytes; at most " + MAX_VALUE_BYTES + " are allowed");
            }
            copy.put(key, value == null ? null : value.clone());
        }
        return copy;
    }

    /**
     * Finishes what a failed commit left unsettled, as Kafka's producer allows (the same call again), before a new
     * transaction begins; a commit that turns out to have landed is applied now.
     */
    private void settlePending() {
        if (pending == Pending.NONE) {
            return;
        }
        if (pending == Pending.COMMIT) {
            Commit doubted = inDoubt;
            try {
                producer.commitTransaction();
            } catch (KafkaException | IllegalStateException e) {
                StorageException failure = failed(e, true, doubted);
                throw new StorageException("settling the metadata commit of version " + doubted.version()
                        + " failed: " + failure.getMessage(), e);
            }
            log.info("Metadata commit of version {} in {} landed after all", doubted.version(), topic);
            apply(doubted);
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
    private StorageException failed(RuntimeException e, boolean committing, Commit commit) {
        Throwable fatal = fatalCause(e);
        if (fatal != null) {
            return stopWriter(e, fatal);
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
        return stopWriter(e, fatal != null ? fatal : abort);
    }

    private static boolean isTimeout(RuntimeException e) {
        return e instanceof TimeoutException || e instanceof InterruptException;
    }

    /** Stops the writer for good, keeping the reason for every later commit's exception. */
    private StorageException stopWriter(RuntimeException e, Throwable reason) {
        writerStopped = reason instanceof ApplicationRecoverableException
                ? "another writer took over (a store opened with transactional.id '" + transactionalId
                  + "' fenced this one, or a transaction outlived transaction.timeout.ms): " + reason
                : "the metadata writer cannot go on: " + describe(reason);
        pending = Pending.NONE;
        inDoubt = null;
        return new StorageException("metadata commit failed; the writer of " + topic + " stopped: " + writerStopped,
                e);
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

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The exception and, if it only wraps another (Kafka's "error state" message), its root cause too. */
    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e + " (caused by " + root + ")";
    }

    private static boolean isRetriable(Throwable e) {
        return hasCause(e, RetriableException.class);
    }

    @Override
    public Registration onCommit(MetadataListener listener) {
        return listeners.add(listener);
    }

    /**
     * Waits until this store's view has read the topic up to its end as of this call, so that every commit
     * acknowledged to any writer before the call is visible here; returns the version then reached.
     *
     * <p>The end is the high watermark, not the last stable offset: a writer's {@code commitTransaction} returns once
     * the coordinator has decided, and the commit marker that moves the last stable offset past the transaction's
     * records is written after that, so a commit acknowledged a moment ago may still lie beyond the last stable
     * offset. Its records lie below the high watermark; the view gets past them only once the marker is written.
     *
     * @throws StorageException if that takes longer than {@code timeoutMs}, the tailer has stopped, or the store is
     *                          closed
     */
    public long awaitCaughtUp(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        long end;
        try {
            end = admin.listOffsets(Map.of(partition, OffsetSpec.latest()),
                            new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED))
                    .partitionResult(partition).get(timeoutMs, TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException e) {
            throw converted("cannot read the end of " + topic, e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new StorageException("the end of " + topic + " was not known within " + timeoutMs
                    + " ms (retryable)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageException("interrupted while reading the end of " + topic, e);
        }
        synchronized (this) {
            while (appliedOffset < end) {
                if (closed) {
                    throw new StorageException("metadata store is closed");
                }
                if (tailerStopped != null) {
                    throw new StorageException("metadata tailer of " + topic + " stopped: " + tailerStopped,
                            tailerStopped);
                }
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (remainingMs <= 0) {
                    throw new StorageException("metadata view of " + topic + " reached offset " + appliedOffset
                            + ", not the end " + end + ", within " + timeoutMs + " ms (retryable)");
                }
                try {
                    wait(remainingMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StorageException("interrupted while catching up with " + topic, e);
                }
            }
            return version;
        }
    }

    /** Whether this store can still commit; false once fenced or failed for good (the reason is in the exception). */
    public boolean writable() {
        writeLock.lock();
        try {
            synchronized (this) {
                return !closed && writerStopped == null;
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            notifyAll();
        }
        running = false;
        consumer.wakeup();
        try {
            tailer.join(CLOSE_TIMEOUT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        writeLock.lock();
        try {
            // A transaction still open or in doubt is aborted by the producer's close, or by the next writer.
            producer.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        } catch (KafkaException e) {
            log.warn("Closing the metadata writer of {} failed: {}", topic, e.toString());
        } finally {
            writeLock.unlock();
            admin.close(Duration.ofMillis(CLOSE_TIMEOUT_MS));
        }
    }

    /** The one place Kafka's exceptions become storage exceptions outside a commit. */
    static StorageException converted(String what, Throwable e) {
        if (e instanceof StorageException s) {
            return s;
        }
        return new StorageException(what + (isRetriable(e) ? " (retryable)" : "") + ": " + describe(e), e);
    }

    private static void closeAll(Admin admin, Producer<?, ?> producer, KafkaConsumer<?, ?> consumer) {
        Duration timeout = Duration.ofMillis(CLOSE_TIMEOUT_MS);
        if (consumer != null) {
            consumer.close(timeout);
        }
        if (producer != null) {
            producer.close(timeout);
        }
        if (admin != null) {
            admin.close(timeout);
        }
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** For tests: the topic this store reads and writes. */
    String topic() {
        return topic;
    }

    /** One commit: its version and its changes in the order written ({@code null} deletes). */
    record Commit(long version, Map<String, byte[]> changes) {
    }

    /**
     * Turns the topic's records back into commits: data records are gathered until a version record closes them
     * (see the layout above). Anything else on the topic is damage or another program's writing, and stops the
     * reader rather than be guessed at.
     *
     * <p>Not thread-safe: one reading thread.
     */
    static final class Assembler {
        private Map<String, byte[]> gathered = new LinkedHashMap<>();

        /** Returns the commit this record closes, or {@code null} if it is a data record. */
        Commit accept(ConsumerRecord<byte[], byte[]> record) {
            byte[] key = record.key();
            if (key == null) {
                throw corrupt(record, "a record without a key");
            }
            if (key.length > 0 && key[0] == 0) {
                if (!Arrays.equals(key, VERSION_KEY)) {
                    throw corrupt(record, "an unknown reserved key");
                }
                byte[] value = record.value();
                if (value == null || value.length != Long.BYTES || ByteBuffer.wrap(value).getLong() <= 0) {
                    throw corrupt(record, "a version record without a positive 8-byte version");
                }
                Commit commit = new Commit(ByteBuffer.wrap(value).getLong(), gathered);
                gathered = new LinkedHashMap<>();
                return commit;
            }
            String name = new String(key, StandardCharsets.UTF_8);
            // A key written twice before one version record (compaction merged commits): its later record wins.
            gathered.remove(name);
            gathered.put(name, record.value());
            return null;
        }

        private static CorruptDataException corrupt(ConsumerRecord<byte[], byte[]> record, String what) {
            return new CorruptDataException("metadata topic " + record.topic() + " holds " + what + " at offset "
                    + record.offset());
        }
    }

    static byte[] versionValue(long version) {
        return ByteBuffer.allocate(Long.BYTES).putLong(version).array();
    }
}
