package dev.millrace.storage.kafka;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.crypto.KeyRing;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The records this node appended last to one shard, kept in memory so that a read at the tip (an enhanced fan-out
 * push, a GetRecords call that follows the writer) is answered without a broker fetch. Without it every push would
 * read the record it announces back from Kafka: a consumer borrowed from the pool, a fetch round trip, the record
 * decoded again; measured, that added 1.1–1.4 ms to put-to-push latency on a quiet machine, and more under load.
 *
 * <p>It holds runs of consecutive positions, each taken from one acknowledged append ({@link #add}), sorted by
 * position. A read is answered from here only if its first position lies in a held run; it then continues through the
 * runs that follow without a gap, and stops at a gap, at the count or the byte budget, or at the newest record held.
 * Whatever this cannot answer goes to Kafka, so a miss costs nothing but the lookup. Records are what the broker
 * acknowledged, with the offsets and LogAppendTime stamps its acknowledgements carried, so an answer from here equals
 * the one Kafka would give (checked by {@code RecentAppendsTest} against a real broker). Appends by another node
 * (issue 15) never enter; they fall into the gaps, where a read goes to Kafka. One difference is allowed: records an
 * operator deletes by hand ({@code kafka-delete-records}, a {@code retention.bytes} set on the topic, or the topic
 * itself) may still be answered from here for up to {@link KafkaShardLog#RECENT_KEEP_MS}. Kinesis has no such
 * operation; retention by time, the only one Millrace sets, is applied here exactly as on a read from Kafka.
 *
 * <p>Records appended encrypted are held here in plaintext (memory is not "at rest"), each run with the id of its key,
 * and a read that reaches such a run asks the key ring first, exactly as a read from Kafka would have to: while the key
 * is unavailable the read fails ({@link dev.millrace.storage.crypto.KeyUnavailableException}) or, when it has records
 * to return already, stops before the run.
 *
 * <p>Bounded twice: at most {@code maxShardBytes} per shard (the oldest runs go first), and a {@link Budget} shared by
 * every shard of the store; a run that finds the shared budget used up is not kept. Runs older than
 * {@link #dropOlderThan} allows are dropped by the store's periodic retention pass, so that shards written once and
 * then left alone do not hold the shared budget for good.
 *
 * <p>Thread-safe: every method holds this object's monitor, for a few microseconds.
 */
final class RecentAppends {
    /** Counted per record beyond its data and key: the {@link StoredRecord}, its strings and the list's node. */
    private static final int RECORD_OVERHEAD_BYTES = 96;

    /** The bytes every shard of one store may hold together. Thread-safe. */
    static final class Budget {
        private final long maxBytes;
        private final AtomicLong heldBytes = new AtomicLong();

        Budget(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        boolean tryReserve(long bytes) {
            while (true) {
                long held = heldBytes.get();
                if (held + bytes > maxBytes) {
                    return false;
                }
                if (heldBytes.compareAndSet(held, held + bytes)) {
                    return true;
                }
            }
        }

        void release(long bytes) {
            heldBytes.addAndGet(-bytes);
        }

        long heldBytes() {
            return heldBytes.get();
        }
    }

    /** Records of consecutive positions, from {@code records[0].position()}; {@code keyId} null when plain. */
    private record Run(StoredRecord[] records, long sizeBytes, long addedMs, String keyId) {
        long start() {
            return records[0].position();
        }

        long end() {
            return records[records.length - 1].position() + 1;
        }
    }

    private final Budget budget;
    private final long maxShardBytes;
    /**
     * By start. Runs never overlap (positions are never reused); concurrent appends may be acknowledged, and so
     * added, out of order.
     */
    private final TreeMap<Long, Run> runs = new TreeMap<>();
    private long heldBytes;

    RecentAppends(Budget budget, long maxShardBytes) {
        this.budget = budget;
        this.maxShardBytes = maxShardBytes;
    }

    /** Keeps what one plain append stored. */
    void add(List<AppendRecord> records, AppendResult result, long nowMs) {
        add(records, result, nowMs, null);
    }

    /**
     * Keeps what one acknowledged append stored: {@code records[i]} at {@code result}'s i-th position and arrival,
     * encrypted with the key {@code keyId} names (null: plain).
     */
    synchronized void add(List<AppendRecord> records, AppendResult result, long nowMs, String keyId) {
        int from = 0;
        for (int i = 1; i <= records.size(); i++) {
            // Split where positions are not consecutive (another writer's records fell in between).
            if (i == records.size() || result.positionOf(i) != result.positionOf(i - 1) + 1) {
                addRun(records, result, from, i, nowMs, keyId);
                from = i;
            }
        }
    }

    private void addRun(List<AppendRecord> records, AppendResult result, int from, int to, long nowMs,
                        String keyId) {
        StoredRecord[] run = new StoredRecord[to - from];
        long sizeBytes = 0;
        for (int i = from; i < to; i++) {
            AppendRecord r = records.get(i);
            run[i - from] = new StoredRecord(result.positionOf(i), result.arrivalMsOf(i), r.partitionKey(),
                    r.explicitHashKey(), r.data(), keyId != null);
            sizeBytes += sizeOf(r);
        }
        if (sizeBytes > maxShardBytes) {
            return;
        }
        while (heldBytes + sizeBytes > maxShardBytes || !budget.tryReserve(sizeBytes)) {
            if (runs.isEmpty()) {
                return; // the store's budget is held by other shards
            }
            drop(runs.pollFirstEntry().getValue());
        }
        runs.put(run[0].position(), new Run(run, sizeBytes, nowMs, keyId));
        heldBytes += sizeBytes;
    }

    /**
     * The records from {@code fromPosition} on, as Kafka would return them, or null if this does not hold
     * {@code fromPosition} or holds a record there older than {@code cutoffMs} (past retention: Kafka's read skips
     * it). At least one record, at most {@code maxRecords}; the first always, the others while their data fits
     * {@code maxBytes}. Encrypted runs need their key in {@code keys}, as described above.
     */
    List<StoredRecord> read(long fromPosition, int maxRecords, long maxBytes, long cutoffMs) {
        return read(fromPosition, maxRecords, maxBytes, cutoffMs, KeyRing.NONE);
    }

    List<StoredRecord> read(long fromPosition, int maxRecords, long maxBytes, long cutoffMs, KeyRing keys) {
        return read(fromPosition, maxRecords, maxBytes, cutoffMs, keys, Long.MIN_VALUE);
    }

    /**
     * As {@link #read(long, int, long, long)}, but null also when the held runs end (at a gap, or at the newest run
     * held) before {@code knownEndPosition} while the limits would take more: Kafka holds records there that this
     * does not (a run too large to keep, one the budget turned away, or records a failed append stored), and a read
     * answers as much as its limits allow, as a read from Kafka does.
     */
    synchronized List<StoredRecord> read(long fromPosition, int maxRecords, long maxBytes, long cutoffMs,
                                         KeyRing keys, long knownEndPosition) {
        Map.Entry<Long, Run> first = runs.floorEntry(fromPosition);
        if (first == null || first.getValue().end() <= fromPosition) {
            return null;
        }
        List<StoredRecord> out = new ArrayList<>(Math.min(maxRecords, 1024));
        long budgetBytes = maxBytes;
        long expected = fromPosition;
        for (Run r : runs.tailMap(first.getKey(), true).values()) {
            if (r.start() > expected) {
                break; // a gap: what lies there is only in Kafka (see below)
            }
            boolean keyChecked = r.keyId() == null;
            for (int i = (int) (expected - r.start()); i < r.records().length; i++) {
                StoredRecord record = r.records()[i];
                if (record.arrivalMs() < cutoffMs) {
                    return null;
                }
                if (out.size() >= maxRecords || (!out.isEmpty() && record.data().length > budgetBytes)) {
                    return out;
                }
                if (!keyChecked) {
                    // Asked once per run, only for a run the read takes records from, as a read from Kafka would.
                    if (!keyAvailable(r.keyId(), keys, out.isEmpty())) {
                        return out;
                    }
                    keyChecked = true;
                }
                out.add(record);
                budgetBytes -= record.data().length;
                expected = record.position() + 1;
            }
        }
        return expected < knownEndPosition && out.size() < maxRecords ? null : out;
    }

    /** Whether the key is available; if it is not, throws when {@code mustThrow}, else answers false. */
    private static boolean keyAvailable(String keyId, KeyRing keys, boolean mustThrow) {
        try {
            keys.key(keyId);
            return true;
        } catch (RuntimeException e) {
            if (mustThrow) {
                throw e;
            }
            return false;
        }
    }

    /** Drops the runs kept before {@code oldestMs}. */
    synchronized void dropOlderThan(long oldestMs) {
        for (Iterator<Run> it = runs.values().iterator(); it.hasNext(); ) {
            Run r = it.next();
            if (r.addedMs() < oldestMs) {
                it.remove();
                drop(r);
            }
        }
    }

    /** Drops everything (the shard is closed or deleted). */
    synchronized void clear() {
        while (!runs.isEmpty()) {
            drop(runs.pollFirstEntry().getValue());
        }
    }

    synchronized long heldBytes() {
        return heldBytes;
    }

    private void drop(Run r) {
        heldBytes -= r.sizeBytes();
        budget.release(r.sizeBytes());
    }

    private static long sizeOf(AppendRecord r) {
        return r.dataLength() + RECORD_OVERHEAD_BYTES
                + (r.partitionKey() == null ? 0 : 2L * r.partitionKey().length())
                + (r.explicitHashKey() == null ? 0 : 2L * r.explicitHashKey().length());
    }
}
