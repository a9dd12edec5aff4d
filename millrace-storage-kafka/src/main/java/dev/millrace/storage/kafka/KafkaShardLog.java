package dev.millrace.storage.kafka;

import dev.millrace.storage.AppendListener;
import dev.millrace.storage.AppendListeners;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.PendingAppend;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.Registration;
import dev.millrace.storage.ShardLog;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyUnavailableException;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A shard's log in Kafka: partition 0 of the shard's own topic ({@link ShardTopics} lists its settings,
 * {@link RecordLayout} the records). Positions are Kafka offsets; arrival times are the broker's LogAppendTime.
 *
 * <p><b>Appends</b> go through the store's one shared idempotent producer ({@code acks=all}). A batch's records are
 * sent back to back holding {@code appendLock}, so that this node's batch lands in order and, unless another node
 * writes to the shard too, contiguously; the acknowledgements are awaited outside the lock, so the next batch is sent
 * while this one replicates ({@link #begin} returns after the sending, so that a PutRecords has every shard's records in
 * flight before it waits for any). Each record's position and arrival time come from its own acknowledgement
 * ({@link AppendResult#of}): the producer may split a batch into several broker batches, each stamped at its own
 * arrival. A batch that fails may have left some of its records readable (see {@link ShardLog#append}).
 *
 * <p><b>The end offset</b> is known locally: read from Kafka when the log is opened, raised by this node's appends, by
 * what reads learn from the brokers (a fetch carries the high watermark) and by the store's {@link TailWatcher}. Reads
 * at or past it answer at once without asking Kafka. While this node is the shard's only appender (issue 15: its
 * owner) it is exact. Another node's appends raise it once a read below it or {@link #refreshEnd} asks Kafka
 * ({@link #freshEndPosition} does: channel delivery on the metadata writer calls it for each shard it has caught up
 * with, at most once per idle poll), or, while the log has append listeners, within about one fetch round trip
 * through the tail watcher, which also fires the listeners ({@link #announce}), so that a fan-out session on a node
 * that does not append to the shard is woken.
 *
 * <p><b>Release</b> ({@link #release}; the shard's ownership moved to another node): what this node learned only from
 * its own appends is no longer trusted. The recent appends are dropped and the end offset is marked unverified: the
 * next read at or past it, {@link #endPosition} and {@link #positionAtOrAfter} finding nothing ask Kafka for the end
 * first, and only a refresh that <em>began</em> after the last release makes the end trusted again; this node's own
 * appends afterwards raise the end as usual but do not make it trusted. An append of this node still running when
 * the release comes (sent before, acknowledged after) may put its records into the recent appends after they were
 * dropped and raise the end: both are harmless, because the recent appends only ever hold records at the offsets
 * Kafka gave them, each run one append's consecutive offsets, and a read from memory stops at the first position
 * they do not hold ({@link RecentAppends#read}), so memory never answers with a record missing; and a raised but
 * untrusted end is still refreshed before a read trusts it. What does not hold: after that one refresh, a node that
 * keeps not owning the shard and has no listener on it trusts its end again, and it goes stale as the owner appends
 * ({@link #endPosition} and reads at or past it do not ask Kafka); the server forwards such reads to the owner,
 * fan-out sessions are kept current by the tail watcher, and channel delivery asks {@link #freshEndPosition}.
 *
 * <p><b>Sealing</b> waits for this node's in-flight appends to the shard, refusing new ones, then sets the topic's
 * {@code max.message.bytes=1}, after which the broker refuses every write from any node; the setting is read back when
 * a log is opened, so sealing survives a restart. An append refused with RecordTooLarge on a topic found sealed
 * (another node sealed it) fails with {@link ShardSealedException}. What is left: a write from another node already
 * at the broker while the new setting propagates (about 100 ms) could still land after the end this node then
 * records; issue 15 must close that window (e.g. route a shard's writes through one node).
 *
 * <p><b>Reads at the tip</b> are answered from the records this node appended last ({@link RecentAppends}, at most
 * {@value #RECENT_SHARD_BYTES} bytes per shard, each kept at most {@value #RECENT_KEEP_MS} ms), so that a fan-out push
 * or a GetRecords call that follows the writer needs no broker fetch; other reads go to Kafka, including reads of
 * positions another node's records hold (they are never in memory) and reads past the last record held.
 *
 * <p><b>Retention</b> is the topic's {@code retention.ms} (it survives a restart); Kafka deletes whole segments
 * ({@code segment.ms} 1 h) once past it, and reads drop records older than {@code clock.millis() - retentionMs}
 * exactly. {@link #trimExpired} therefore only drops old recent appends from memory and returns 0: Kafka's own
 * retention reclaims the space, and moving the log start with deleteRecords would cost two admin calls per shard per
 * pass for no visible difference.
 *
 * <p>Thread-safe. {@code configLock} (seal, retention changes) is taken before {@code appendLock} (sending), which is
 * taken before {@code settledLock} (the count of records in flight, also taken alone by the producer's callbacks).
 * {@code appendLock} is held only while records are handed to the producer, which blocks only for a
 * new topic's metadata or a full buffer (at most {@code max.block.ms}), never for an acknowledgement;
 * {@code configLock} is held across a seal's or a retention change's admin calls, which only those two wait for.
 * Reads take neither. {@code listenerLock} (registering and closing listeners, and so starting and stopping the
 * watch) takes only the watcher's own lock inside it. Listeners are called on the appending thread for this node's
 * appends and on the tail watcher's thread for the records it finds.
 */
final class KafkaShardLog implements ShardLog {
    /**
     * The recent appends one shard keeps for reads at the tip: a second of a shard's most Kinesis allows written
     * (1 MiB/s), so a subscriber a second behind is still served from memory.
     */
    static final long RECENT_SHARD_BYTES = 1024 * 1024;
    /** How long a recent append is kept at most (dropped by the periodic {@link #trimExpired} pass). */
    static final long RECENT_KEEP_MS = 30_000;

    private final String key;
    private final TopicPartition partition;
    private final KafkaLogStore.Shared shared;
    private final AppendListeners listeners = new AppendListeners();
    private final RecentAppends recent;
    private final Object appendLock = new Object();
    private final Object configLock = new Object();

    /**
     * Records handed to the producer and not yet acknowledged or failed, counted down by the producer's callbacks, not
     * by the appending thread: an append whose caller was interrupted (or gave up waiting) returns while its records
     * are still on their way, and a seal must wait for those too. Guarded by {@code settledLock}, which is never held
     * while another lock is taken (the producer's I/O thread takes it, and must never wait for {@code appendLock}).
     */
    private int unsettledRecords;
    private final Object settledLock = new Object();
    /** Set once a seal has begun; new appends are refused. Guarded by {@code appendLock}. */
    private boolean sealing;
    private volatile boolean sealed;
    private volatile boolean closed;
    private volatile long retentionMs;
    /** The partition's end offset as last known here. Only grows. */
    private final AtomicLong endOffset;
    /** Counts {@link #release} calls: the end offset is trusted only after a refresh begun since the last one. */
    private final AtomicLong releases = new AtomicLong();
    /** The value of {@code releases} when the latest successful refresh of the end began. */
    private final AtomicLong refreshedAtRelease = new AtomicLong();
    /**
     * This node's append calls under way, counted from before their first send until after they raised the end and
     * told the listeners. While one runs, the tail watcher cannot tell its records from another node's, so it waits
     * ({@link #appendsRunning()}); once none runs, every record of this node's successful appends lies below the end.
     */
    private final AtomicInteger appendsRunning = new AtomicInteger();
    /** Listeners registered and not yet closed: the tail watcher watches this log while there is one. */
    private int listenerCount;
    private final Object listenerLock = new Object();

    KafkaShardLog(String key, TopicPartition partition, KafkaLogStore.Shared shared, ShardTopics.TopicState state,
                  long endOffset) {
        this.key = key;
        this.partition = partition;
        this.shared = shared;
        this.sealed = state.sealed();
        this.retentionMs = state.retentionMs();
        this.endOffset = new AtomicLong(endOffset);
        this.recent = new RecentAppends(shared.recent(), RECENT_SHARD_BYTES);
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public AppendResult append(List<AppendRecord> records) {
        return append(records, null);
    }

    /** Encrypted per record ({@link RecordLayout}): each Kinesis record stays one Kafka record at its offset. */
    @Override
    public AppendResult append(List<AppendRecord> records, DataKey dataKey) {
        return begin(records, dataKey).await();
    }

    /**
     * Sends the batch's records to the producer (holding {@code appendLock}) and returns; {@link PendingAppend#await}
     * waits for their acknowledgements. A caller appending to several shards (PutRecords) thus has every shard's
     * records in flight at once and waits about one produce round trip, not one per shard in a row. The append counts
     * as running ({@link #appendsRunning}) from here until its await ends.
     */
    @Override
    public PendingAppend begin(List<AppendRecord> batch, DataKey dataKey) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("an append needs at least one record");
        }
        // Kafka's producer and the recent appends keep each record's array beyond the call: never a request body.
        List<AppendRecord> records = AppendRecord.withOwnData(batch);
        appendsRunning.incrementAndGet();
        Sent sent;
        try {
            sent = send(records, dataKey);
        } catch (RuntimeException e) {
            appendsRunning.decrementAndGet();
            throw e;
        }
        return new PendingAppend() {
            private boolean awaited;
            private AppendResult result;
            private RuntimeException failure;

            @Override
            public AppendResult await() {
                if (!awaited) {
                    awaited = true;
                    try {
                        result = settle(records, dataKey, sent);
                    } catch (RuntimeException e) {
                        failure = e;
                    } finally {
                        // After the end moved past this append's records: see appendsRunning.
                        appendsRunning.decrementAndGet();
                    }
                }
                if (failure != null) {
                    throw failure;
                }
                return result;
            }
        };
    }

    /** The futures of a batch's records handed to the producer, and why the rest were not, if a send threw. */
    private record Sent(List<Future<RecordMetadata>> futures, RuntimeException sendFailure) {
    }

    private Sent send(List<AppendRecord> records, DataKey dataKey) {
        List<ProducerRecord<byte[], byte[]>> outgoing = new ArrayList<>(records.size());
        for (AppendRecord record : records) {
            outgoing.add(RecordLayout.toKafka(partition, record, dataKey));
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>(outgoing.size());
        RuntimeException sendFailure = null;
        synchronized (appendLock) {
            checkWritable();
            for (ProducerRecord<byte[], byte[]> record : outgoing) {
                synchronized (settledLock) {
                    unsettledRecords++;
                }
                try {
                    sent.add(shared.producer().send(record, (metadata, exception) -> settled()));
                } catch (RuntimeException e) {
                    settled(); // a send that throws never calls back
                    sendFailure = e;
                    break;
                }
            }
        }
        return new Sent(sent, sendFailure);
    }

    /** Waits for the acknowledgements of what {@link #send} handed over; the end and the recent appends move here. */
    private AppendResult settle(List<AppendRecord> records, DataKey dataKey, Sent sent) {
        long[] positions = new long[records.size()];
        long[] arrivalsMs = new long[records.size()];
        Throwable failure = sent.sendFailure();
        for (int i = 0; i < sent.futures().size(); i++) {
            try {
                RecordMetadata acknowledged = KafkaErrors.await(sent.futures().get(i), shared.sendTimeoutMs(),
                        "append to shard " + key);
                positions[i] = acknowledged.offset();
                arrivalsMs[i] = acknowledged.timestamp();
            } catch (StorageException e) {
                if (failure == null) {
                    failure = e.getCause() != null ? e.getCause() : e;
                }
            }
        }
        if (failure != null) {
            throw appendFailure(records.size(), failure);
        }
        AppendResult result = AppendResult.of(positions, arrivalsMs);
        advanceEnd(positions[positions.length - 1] + 1);
        // After the end moved: a read finds them below it.
        recent.add(records, result, shared.clock().millis(), dataKey == null ? null : dataKey.keyId());
        // Only now: every record is acknowledged by the in-sync replicas and below the high watermark, so readable.
        listeners.fire(key, result);
        return result;
    }

    /** The producer's callback for each record sent: acknowledged or failed, it is no longer in flight. */
    private void settled() {
        synchronized (settledLock) {
            if (--unsettledRecords == 0) {
                settledLock.notifyAll();
            }
        }
    }

    private StorageException appendFailure(int recordCount, Throwable failure) {
        Throwable cause = KafkaErrors.unwrap(failure);
        if (cause instanceof RecordTooLargeException && !sealed) {
            // Our records are within the topic's limit (checked before sending), so the limit must have dropped to
            // the sealed value: another node sealed the shard.
            ShardTopics.TopicState state = shared.topics().state(partition.topic());
            if (state != null && state.sealed()) {
                sealed = true;
            }
        }
        if (cause instanceof RecordTooLargeException && sealed) {
            return new ShardSealedException(key);
        }
        return KafkaErrors.convert("append of " + recordCount + " records to shard " + key
                + " (some may have been stored)", cause);
    }

    private void checkWritable() {
        if (closed) {
            throw new StorageException("shard " + key + " is closed");
        }
        if (sealed || sealing) {
            throw new ShardSealedException(key);
        }
    }

    private void advanceEnd(long offset) {
        endOffset.accumulateAndGet(offset, Math::max);
    }

    /** Asks Kafka for the end offset (the high watermark) and returns it; the end is trusted again afterwards. */
    long refreshEnd() {
        long releasesBefore = releases.get();
        advanceEnd(shared.topics().latestOffset(partition));
        refreshedAtRelease.accumulateAndGet(releasesBefore, Math::max);
        return endOffset.get();
    }

    /** Whether the known end was learned from Kafka since the last {@link #release}. */
    private boolean endTrusted() {
        return refreshedAtRelease.get() == releases.get();
    }

    /** The end offset, asking Kafka first if it is not trusted. */
    private long trustedEnd() {
        return endTrusted() ? endOffset.get() : refreshEnd();
    }

    /**
     * Whether an append call of this node is under way; read before {@link #knownEnd}, a false answer means every
     * record of this node's successful appends lies below the end read after it.
     */
    boolean appendsRunning() {
        return appendsRunning.get() > 0;
    }

    /** The end offset as known here, trusted or not (the tail watcher starts there). */
    long knownEnd() {
        return endOffset.get();
    }

    /**
     * This node no longer is the shard's only appender: drops the recent appends and marks the end unverified (see
     * the class comment for what holds against an append still running).
     */
    void release() {
        releases.incrementAndGet();
        recent.clear();
    }

    /**
     * Records another process appended, found by the tail watcher: raises the end past them, then tells the listeners.
     * They are readable (below the high watermark, fetched from Kafka).
     */
    void announce(AppendResult result) {
        if (closed || result.recordCount() == 0) {
            return;
        }
        advanceEnd(result.lastPosition() + 1);
        listeners.fire(key, result);
    }

    @Override
    public Registration onAppend(AppendListener listener) {
        Registration registration;
        synchronized (listenerLock) {
            registration = listeners.add(listener);
            if (++listenerCount == 1 && !closed) {
                shared.watcher().watch(this);
            }
        }
        AtomicBoolean open = new AtomicBoolean(true);
        return () -> {
            if (!open.compareAndSet(true, false)) {
                return; // closing twice must not count twice
            }
            synchronized (listenerLock) {
                registration.close();
                if (--listenerCount == 0) {
                    shared.watcher().unwatch(this);
                }
            }
        };
    }

    /** Listeners registered now, for tests. */
    int listenerCount() {
        synchronized (listenerLock) {
            return listenerCount;
        }
    }

    @Override
    public ReadResult read(long fromPosition, int maxRecords, long maxBytes) {
        if (fromPosition < 0 || maxRecords <= 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("fromPosition >= 0, maxRecords > 0, maxBytes > 0 required");
        }
        if (closed) {
            // Deleted (or its store closed): its topic is gone or going, and a read would wait for records in vain.
            throw new StorageException("shard " + key + " is closed");
        }
        long end = endOffset.get();
        if (fromPosition >= end && !endTrusted()) {
            end = refreshEnd(); // released: another node may have appended past what this node saw
        }
        if (fromPosition >= end) {
            return new ReadResult(List.of(), fromPosition, end);
        }
        long cutoffMs = shared.clock().millis() - retentionMs;
        List<StoredRecord> held = recent.read(fromPosition, maxRecords, maxBytes, cutoffMs, shared.keys(), end);
        if (held != null) {
            // The end is read again: appends that completed meanwhile may have put records past the one read above.
            return new ReadResult(held, held.get(held.size() - 1).position() + 1, endOffset.get());
        }
        ConsumerPool.Reader reader = shared.readers().borrow(this, partition, fromPosition);
        boolean healthy = false;
        try {
            ReadResult result = new ShardRead(reader, partition, cutoffMs, shared.readTimeoutMs(),
                    () -> firstAtOrAfter(cutoffMs),
                    () -> shared.topics().earliestOffset(partition),
                    () -> shared.topics().exists(partition.topic()), shared.keys())
                    .read(fromPosition, maxRecords, maxBytes, end);
            advanceEnd(result.endPosition());
            healthy = true;
            return result;
        } catch (KeyUnavailableException | CorruptDataException e) {
            healthy = true; // a record that does not open: the read put it back and left the reader in front of it
            throw e;
        } catch (StorageException e) {
            throw e;
        } catch (RuntimeException e) {
            throw KafkaErrors.convert("read of shard " + key + " from position " + fromPosition, e);
        } finally {
            shared.readers().release(reader, healthy);
            if (closed) {
                shared.readers().forget(this); // deleted while this read ran: its prefetch is of a topic gone
            }
        }
    }

    @Override
    public long positionAtOrAfter(long timestampMs) {
        return firstAtOrAfter(Math.max(timestampMs, shared.clock().millis() - retentionMs));
    }

    /** The first offset stamped at or after {@code timestampMs}, or the end offset if there is none. */
    private long firstAtOrAfter(long timestampMs) {
        long offset = shared.topics().offsetForTime(partition, Math.max(0, timestampMs));
        if (offset < 0) {
            return trustedEnd();
        }
        advanceEnd(offset + 1); // a record is there, below the high watermark
        return offset;
    }

    @Override
    public long startPosition() {
        return positionAtOrAfter(Long.MIN_VALUE);
    }

    @Override
    public long endPosition() {
        return trustedEnd();
    }

    /** Always asks Kafka (one ListOffsets), whether or not the known end is trusted; see the class comment. */
    @Override
    public long freshEndPosition() {
        return refreshEnd();
    }

    @Override
    public void retentionMs(long retentionMs) {
        if (retentionMs <= 0) {
            throw new IllegalArgumentException("retentionMs must be positive: " + retentionMs);
        }
        synchronized (configLock) {
            if (retentionMs == this.retentionMs) {
                return;
            }
            shared.topics().setConfig(partition.topic(), TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs));
            this.retentionMs = retentionMs;
        }
    }

    @Override
    public long retentionMs() {
        return retentionMs;
    }

    @Override
    public void seal() {
        synchronized (configLock) {
            if (sealed) {
                return;
            }
            awaitNoAppendsInFlight();
            try {
                shared.topics().setConfig(partition.topic(), TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        ShardTopics.SEALED_MAX_MESSAGE_BYTES);
                shared.topics().awaitConfig(partition.topic(), TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
                        ShardTopics.SEALED_MAX_MESSAGE_BYTES);
            } catch (StorageException e) {
                throw notSealing(e); // not sealed after all; an append finds out if the setting did land
            }
            // The end is read before the flag is set: if reading it fails, the seal fails and a retry reads it again,
            // rather than returning at once with a local end that misses records a failed append left stored.
            try {
                refreshEnd();
            } catch (StorageException e) {
                throw notSealing(e); // the topic is sealed at the broker; an append finds out, a retry seals again
            }
            sealed = true;
        }
    }

    /**
     * Refuses new appends and waits until every record sent has settled (each within the producer's delivery
     * timeout), whether or not its appender still waits for it.
     */
    private void awaitNoAppendsInFlight() {
        synchronized (appendLock) {
            if (closed) {
                throw new StorageException("shard " + key + " is closed");
            }
            sealing = true; // from here on no record is handed to the producer
        }
        long deadline = System.nanoTime() + shared.sendTimeoutMs() * 1_000_000;
        synchronized (settledLock) {
            while (unsettledRecords > 0) {
                long waitMs = (deadline - System.nanoTime()) / 1_000_000;
                if (waitMs <= 0) {
                    throw notSealing(KafkaErrors.convert("sealing shard " + key, new org.apache.kafka.common.errors
                            .TimeoutException(unsettledRecords + " records still in flight")));
                }
                try {
                    settledLock.wait(waitMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw notSealing(new StorageException("interrupted while sealing shard " + key, e));
                }
            }
        }
    }

    /** Lets appends in again after a seal that failed before it changed the topic; returns {@code failure}. */
    private StorageException notSealing(StorageException failure) {
        synchronized (appendLock) {
            sealing = false;
        }
        return failure;
    }

    @Override
    public boolean sealed() {
        return sealed;
    }

    @Override
    public int trimExpired() {
        recent.dropOlderThan(shared.clock().millis() - RECENT_KEEP_MS);
        return 0;
    }

    /** Refuses further appends and reads (the shard was deleted, or the store closed); nothing to flush. */
    void close() {
        closed = true;
        recent.clear();
        shared.watcher().unwatch(this);
    }

    TopicPartition partition() {
        return partition;
    }
}
