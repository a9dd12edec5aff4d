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
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 *  one promotion = one transaction holding the writer record alone (no version record: the version does not move)
 *
 *  data record     key   = the metadata key, UTF-8 (the server's keys are printable ASCII, so never start with NUL)
 *                  value = the value's bytes, or null (a tombstone) for a deletion
 *  version record  key   = 0x00 'v' 'e' 'r' 's' 'i' 'o' 'n'  (keys starting with NUL are reserved and refused)
 *                  value = the version the commit produced, a big-endian long
 *  writer record   key   = 0x00 'w' 'r' 'i' 't' 'e' 'r'
 *                  value = +--------+-------------+-------------+-----------+-------------+-----------+
 *                          | format | epoch       | node id len | node id   | endpoint len| endpoint  |
 *                          | 1 = 1  | 8 bytes, BE | 2 bytes, BE | UTF-8     | 2 bytes, BE | UTF-8     |
 *                          +--------+-------------+-------------+-----------+-------------+-----------+
 *                          epoch > 0, one more than the writer record before it; lengths up to 1024, the
 *                          value exactly 1 + 8 + 2 + id + 2 + endpoint bytes long (encoded by {@link WriterInfo})
 *  no headers; record timestamps are the producer's and are never read.
 * </pre>
 *
 * Compaction keeps the latest record per key: the latest value of every live key, the latest version record and the
 * latest writer record, so the version and the writer survive it. A reader buffers data records until a version
 * record closes them; after compaction the surviving records of many commits are closed by one later version record,
 * and applying them all at that version gives exactly the state of that version (each key's surviving record is its
 * latest up to there). A writer record between them changes none of that: it is read on its own.
 *
 * <p><b>Followers and the writer.</b> A store opened with {@link #openFollower} only reads: it loads the topic,
 * tails it and refuses commits with a {@link NotWriterException} naming the writer ({@link #writer()}, the latest
 * writer record seen). {@link #promote} makes it the writer: a transactional producer,
 * {@code transactional.id = <prefix>metadata-writer} ({@link #writerTransactionalId}), whose
 * {@code initTransactions()} fences any earlier writer on the same prefix and aborts (or completes) the transaction
 * it left open; then the view is brought to the topic's last stable offset, so the new writer starts from
 * everything the old one committed, and its first transaction is its writer record. {@link #open} is a follower
 * promoted at once. {@link #demote}, or a writer found fenced, makes the store a follower again; it goes on reading.
 * The writing itself is {@link MetadataWriter}'s: a commit is one transaction; {@link #commit} returns once
 * {@code commitTransaction} succeeded ({@code acks=all}), then applies the changes to the map and tells the
 * listeners, in version order. {@link #commitIfVersion} compares with the local version under the commit lock:
 * correct while this store is the only writer, which fencing ensures.
 *
 * <p><b>Failures.</b> Kafka errors become {@link StorageException}s, whose message says whether Kafka deemed them
 * retriable (the SPI has no flag for it; the server answers every storage failure with a retryable 500). Commit
 * failures are logged rate-limited ({@link FailureLog}) and thrown as already reported. A commit that failed changes
 * nothing locally and its transaction is aborted. Two cases differ:
 * <ul>
 *   <li>A fenced producer (another store promoted on the same prefix, or a transaction that outlived
 *   {@code transaction.timeout.ms}), an authorization or unsupported-version error, or any error that leaves the
 *   producer unable to abort (its fatal state) stops the writer: the store becomes a follower (its tailer goes on)
 *   and that commit and every later one fail with a {@link NotWriterException} naming the reason, until a
 *   promotion.</li>
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
 * (larger ones are refused with an {@link IllegalArgumentException} before anything is written); values are not split
 * into chunks, since Kafka moves a 16 MiB record whole and a chunk format would add a second layout to get right. A
 * commit may hold any number of such records.
 *
 * <p>Thread-safe. Commits, promotions and demotions are serialized by one lock held for the whole transaction
 * (metadata commits are rare next to record traffic); the map, the version, the writer seen and the tailer's
 * position are guarded by this object's monitor, which listeners are called under, so reads never wait for Kafka.
 */
public final class KafkaMetadataStore implements MetadataStore {
    /** The largest value one key may hold. */
    public static final int MAX_VALUE_BYTES = 16 * 1024 * 1024;
    /** The longest key, UTF-8 encoded (the server's keys are well under 1 KiB). */
    public static final int MAX_KEY_BYTES = 16 * 1024;
    /** Room for one value of {@link #MAX_VALUE_BYTES} plus its key and the record batch's overhead. */
    static final int MAX_RECORD_BYTES = MAX_VALUE_BYTES + MAX_KEY_BYTES + 48 * 1024;
    static final byte[] VERSION_KEY = "\0version".getBytes(StandardCharsets.UTF_8);
    static final byte[] WRITER_KEY = "\0writer".getBytes(StandardCharsets.UTF_8);
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

    private final KafkaStorageConfig config;
    private final Function<Map<String, Object>, Producer<byte[], byte[]>> producers;
    private final String topic;
    private final TopicPartition partition;
    private final String transactionalId;
    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final FailureLog tailFailures;
    private final FailureLog commitFailures;
    private final MetadataListeners listeners = new MetadataListeners();
    /** Serializes commits, promotions and demotions; never taken by the tailer, nor while holding the monitor. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final Thread tailer;

    // Guarded by this.
    private final TreeMap<String, byte[]> entries = new TreeMap<>();
    private long version;
    /** The next offset the view has not yet read: everything before it is applied. */
    private long appliedOffset;
    private boolean closed;
    private RuntimeException tailerStopped;
    /** The latest writer record seen, or null. */
    private WriterInfo writerSeen;

    // Guarded by writeLock.
    /** This store's writer while it is the writer, else null. */
    private MetadataWriter active;
    /** Why this store stopped writing (demoted, fenced), or null if it never wrote or was promoted since. */
    private String followerReason;
    /** The writer record this store wrote last, or null: once it stops writing, not a writer to forward to. */
    private WriterInfo ownRecord;

    /** Handed from {@link #load} to the tailer thread (a transaction it may have half read); then the tailer's. */
    private MetadataAssembler tailAssembler;
    private volatile boolean running = true;

    private KafkaMetadataStore(KafkaStorageConfig config,
                               Function<Map<String, Object>, Producer<byte[], byte[]>> producers, Admin admin,
                               KafkaConsumer<byte[], byte[]> consumer, Clock clock) {
        this.config = config;
        this.producers = producers;
        this.topic = config.metadataTopic();
        this.partition = new TopicPartition(topic, 0);
        this.transactionalId = writerTransactionalId(config);
        this.admin = admin;
        this.consumer = consumer;
        this.tailFailures = new FailureLog(log, "Metadata tailer of " + topic, clock, FAILURE_LOG_INTERVAL_MS);
        this.commitFailures = new FailureLog(log, "Metadata writer of " + topic, clock, FAILURE_LOG_INTERVAL_MS);
        this.tailer = new Thread(this::tail, "metadata-tailer-" + topic);
        this.tailer.setDaemon(true);
    }

    /**
     * Creates the metadata topic if it is missing, becomes its writer (fencing any earlier one on the same prefix),
     * reads it to its end and starts the tailer: {@link #openFollower} then {@link #promote}, as a node with no
     * forwarding endpoint (its writer record names this process by its pid).
     */
    public static KafkaMetadataStore open(KafkaStorageConfig config, Clock clock) {
        return open(config, clock, KafkaProducer::new);
    }

    /** Like {@link #open(KafkaStorageConfig, Clock)}, the writer made by {@code producers} from its settings (a seam
     * for tests that fail a commit at a chosen step). */
    static KafkaMetadataStore open(KafkaStorageConfig config, Clock clock,
                                   Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
        KafkaMetadataStore store = openFollower(config, clock, producers);
        try {
            store.promote(WriterInfo.of("pid " + ProcessHandle.current().pid(), ""));
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * Creates the metadata topic if it is missing, reads it to its end and starts the tailer, without writing
     * anything and without disturbing the writer: commits are refused until {@link #promote}.
     */
    public static KafkaMetadataStore openFollower(KafkaStorageConfig config, Clock clock) {
        return openFollower(config, clock, KafkaProducer::new);
    }

    /** Like {@link #openFollower(KafkaStorageConfig, Clock)}, a later promotion's producer made by
     * {@code producers} (the seam of {@link #open(KafkaStorageConfig, Clock, Function)}). */
    static KafkaMetadataStore openFollower(KafkaStorageConfig config, Clock clock,
                                           Function<Map<String, Object>, Producer<byte[], byte[]>> producers) {
        Admin admin = null;
        KafkaConsumer<byte[], byte[]> consumer = null;
        try {
            admin = Admin.create(config.clientConfig(Map.of()));
            MetadataTopic.ensure(admin, config, MAX_RECORD_BYTES);
            consumer = new KafkaConsumer<>(config.clientConfig(consumerSettings()));
            KafkaMetadataStore store = new KafkaMetadataStore(config, producers, admin, consumer, clock);
            store.load();
            store.tailer.start();
            return store;
        } catch (KafkaException | IllegalStateException e) {
            closeAll(admin, consumer);
            throw converted("cannot open metadata topic " + config.metadataTopic(), e);
        } catch (RuntimeException e) {
            closeAll(admin, consumer);
            throw e;
        }
    }

    /** The {@code transactional.id} of the metadata writer under this config's prefix. */
    public static String writerTransactionalId(KafkaStorageConfig config) {
        return config.topicPrefix() + WRITER_SUFFIX;
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
        MetadataAssembler assembler = new MetadataAssembler(this::sawWriter);
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
        log.info("Loaded metadata topic {}: version {}, {} keys, {} offsets, writer {}", topic, version,
                entries.size(), end, writerSeen == null ? "unknown" : writerSeen);
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

    /** A writer record read from the topic: the topic's order is the promotions' order, so the latest wins. */
    private synchronized void sawWriter(WriterInfo writer) {
        if (!writer.equals(writerSeen)) {
            log.info("Metadata topic {}: the writer is {}", topic, writer);
        }
        writerSeen = writer;
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

    /**
     * The writer as the latest writer record read or written here names it; empty if none was seen yet (a topic
     * only ever written by a store older than writer records). A follower learns of a new writer once its tailer
     * reads the record (see {@link #awaitCaughtUp}); a store demoted of its own will names itself until then.
     */
    public synchronized Optional<WriterInfo> writer() {
        return Optional.ofNullable(writerSeen);
    }

    /** @throws NotWriterException if this store is a follower */
    @Override
    public long commit(Map<String, byte[]> changes) {
        return commitSerialized(ANY_VERSION, changes);
    }

    /** @throws NotWriterException if this store is a follower */
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
            checkOpen();
            try {
                long committed = commitLocked(expectedVersion, changes);
                commitFailures.healed("commits succeed again");
                return committed;
            } catch (NotWriterException e) {
                throw e;
            } catch (StorageException e) {
                commitFailures.failure("commit failed", e);
                throw new StorageException(e.getMessage(), e.getCause() == null ? e : e.getCause(), true);
            }
        } finally {
            writeLock.unlock();
        }
    }

    private long commitLocked(long expectedVersion, Map<String, byte[]> changes) {
        if (active == null) {
            throw notWriter(null);
        }
        Map<String, byte[]> copy = MetadataWriter.checkedCopy(changes);
        try {
            // Before the version is read: an earlier commit left in doubt may turn out to have landed.
            active.settlePending(this::apply);
            long current = version();
            if (expectedVersion != ANY_VERSION && expectedVersion != current) {
                throw new StaleVersionException(expectedVersion, current);
            }
            if (copy.isEmpty()) {
                return current;
            }
            Commit commit = new Commit(current + 1, copy);
            active.write(commit);
            apply(commit);
            return commit.version();
        } catch (StorageException e) {
            String stopped = active.stopped();
            if (stopped == null) {
                throw e;
            }
            log.warn("Metadata store of {} is a follower now: {}", topic, stopped);
            dropWriter(stopped);
            throw notWriter(e);
        }
    }

    private void checkOpen() {
        synchronized (this) {
            if (closed) {
                throw new StorageException("metadata store is closed");
            }
        }
    }

    /** The refusal of a follower, naming the writer if one is known and why this store stopped writing. */
    private NotWriterException notWriter(Throwable cause) {
        WriterInfo seen = writer().orElse(null);
        // Its own record is the latest until the next writer's is read: no writer to name yet.
        WriterInfo current = seen != null && seen.equals(ownRecord) ? null : seen;
        return new NotWriterException("metadata store of " + topic + " is not the writer; "
                + (current == null ? seen == null ? "no writer is known"
                : "no other writer is known yet (the latest writer record is this store's own)"
                : "the writer is " + current)
                + (followerReason == null ? "" : "; this store stopped writing: " + followerReason), current, cause);
    }

    /**
     * Makes this follower the writer: fences any earlier writer (settling the transaction it left open), waits until
     * the view holds everything committed before, then writes its writer record as its first transaction; only then
     * does it take commits. The epoch is assigned here: one more than the latest writer record's, or 1.
     *
     * <p>On a store that is the writer already (or was, until fenced without noticing) it starts over, as a
     * demotion then a promotion: the election may name the same node again.
     *
     * @param self this node, its epoch ignored
     * @return the writer record written
     * @throws StorageException if Kafka failed any step; the store stays a follower and may be promoted again (if
     *                          the writer record's own transaction timed out, it may have landed: followers then name
     *                          this store until the next promotion)
     */
    public WriterInfo promote(WriterInfo self) {
        Objects.requireNonNull(self, "self");
        writeLock.lock();
        try {
            checkOpen();
            if (active != null) {
                // It may have been fenced without a commit to notice: starting over is right either way.
                demoteLocked("promoted again");
            }
            MetadataWriter started;
            try {
                started = MetadataWriter.start(topic, transactionalId, producers.apply(config.clientConfig(
                        MetadataWriter.producerSettings(transactionalId, MAX_RECORD_BYTES))));
            } catch (KafkaException | StorageException e) {
                followerReason = "its promotion failed: " + e.getMessage();
                throw converted("cannot make the writer of metadata topic " + topic, e);
            }
            try {
                // read_committed: the fenced writer's last transaction is settled now, so this end holds its outcome.
                awaitOffset(endOffset(IsolationLevel.READ_COMMITTED, OPEN_TIMEOUT_MS), OPEN_TIMEOUT_MS);
                WriterInfo info = self.withEpoch(writer().map(w -> w.epoch() + 1).orElse(1L));
                started.writeAlone(WRITER_KEY, info.encode());
                sawWriter(info);
                ownRecord = info;
                active = started;
                followerReason = null;
                log.info("Metadata store of {} is the writer now, {}, at version {}", topic, info, version());
                return info;
            } catch (RuntimeException e) {
                started.close();
                followerReason = "its promotion failed: " + e.getMessage();
                throw e;
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Makes the writer a follower: a commit left in doubt is settled if Kafka allows, the producer closed; the store
     * goes on reading. Nothing is written: the next promotion, here or on another node, names the next writer. Does
     * nothing on a follower.
     */
    public void demote() {
        writeLock.lock();
        try {
            if (active != null) {
                demoteLocked("demoted");
            }
        } finally {
            writeLock.unlock();
        }
    }

    private void demoteLocked(String reason) {
        try {
            active.settlePending(this::apply);
        } catch (StorageException e) {
            log.warn("Demoting the writer of {}: a commit left in doubt stays unsettled here, the next writer"
                    + " settles it: {}", topic, e.getMessage());
        }
        log.info("Metadata store of {} is a follower now: {}", topic, reason);
        dropWriter(reason);
    }

    private void dropWriter(String reason) {
        active.close();
        active = null;
        followerReason = reason;
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
        long end = endOffset(IsolationLevel.READ_UNCOMMITTED, timeoutMs);
        return awaitOffset(end, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }

    /**
     * Waits until this store's view holds {@code target} (a version another node's writer reported), so that what
     * the writer committed is visible here; returns whether it did within {@code timeoutMs}. The tailer wakes it
     * after each batch it applies.
     */
    public synchronized boolean awaitVersion(long target, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (version < target) {
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMs <= 0 || closed || tailerStopped != null) {
                return false;
            }
            wait(remainingMs);
        }
        return true;
    }

    private long endOffset(IsolationLevel isolation, long timeoutMs) {
        try {
            return admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(isolation))
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
    }

    /** Waits until the view has read everything before {@code end}; returns the version then reached. */
    private synchronized long awaitOffset(long end, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
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

    /** Whether this store can commit: false on a follower (never promoted, demoted, fenced) and once closed. */
    public boolean writable() {
        writeLock.lock();
        try {
            synchronized (this) {
                return !closed && active != null;
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
            if (active != null) {
                active.close();
                active = null;
            }
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
        return new StorageException(what + (MetadataWriter.isRetriable(e) ? " (retryable)" : "") + ": "
                + MetadataWriter.describe(e), e);
    }

    private static void closeAll(Admin admin, KafkaConsumer<?, ?> consumer) {
        Duration timeout = Duration.ofMillis(CLOSE_TIMEOUT_MS);
        if (consumer != null) {
            consumer.close(timeout);
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

    static byte[] versionValue(long version) {
        return ByteBuffer.allocate(Long.BYTES).putLong(version).array();
    }
}
