package dev.millrace.server.records;

import dev.millrace.metrics.AccountMetrics;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.metrics.MinuteSink;
import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.server.state.AutoScaler;
import dev.millrace.server.state.HashKeys;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.ShardRouter;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.StreamRegistry;
import dev.millrace.server.state.Throttles;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.Cluster;
import dev.millrace.storage.PendingAppend;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Writes records to a stream's shards: the one append path of PutRecord and PutRecords. Each entry is routed to the
 * open shard whose range holds its hash key, metered for on-demand scaling, and charged to its shard's write
 * allowance (or throttled); each shard's entries are then appended as one batch, in their given order. The batches of
 * the shards this node owns are all begun first and then awaited ({@link dev.millrace.storage.ShardLog#begin}), so
 * that the embedded engine makes all of them durable with one write-ahead log force; the entries of shards other
 * nodes own go there on {@code appends}, side by side with the local ones. Entries whose shard a concurrent split or
 * merge sealed are routed again, against the stream's new shards, up to {@link RecordRouting#MAX_REROUTES} times.
 * Readers waiting on a shard learn of the append from the shard log itself
 * ({@link dev.millrace.storage.ShardLog#onAppend}).
 *
 * <p>The request-level checks (the stream takes writes, hash keys, sizes, DryRun) are the callers'; a writer
 * assumes they passed.
 *
 * <p>Thread-safe: a call keeps its state on its own stack; the services it uses are thread-safe.
 */
public final class RecordWriter {
    private final StreamRegistry streams;
    private final AutoScaler autoScaler;
    private final Throttles throttles;
    private final Executor appends;
    private final ShardPlacement placement;
    private final StreamKeys keys;
    private final AccountMetrics metrics;

    /**
     * @param appends sends the entries of shards other nodes own, one task per node, side by side with the local
     *                appends
     */
    public RecordWriter(StreamRegistry streams, AutoScaler autoScaler, Throttles throttles, Executor appends) {
        this(streams, autoScaler, throttles, appends, ShardPlacement.LOCAL);
    }

    /** @param placement which node owns each shard: its entries are appended there ({@link ShardPlacement}) */
    public RecordWriter(StreamRegistry streams, AutoScaler autoScaler, Throttles throttles, Executor appends,
                        ShardPlacement placement) {
        this(streams, autoScaler, throttles, appends, placement, StreamKeys.NONE);
    }

    /** @param keys the KMS keys encrypted streams' records are sealed with ({@link StreamKeys}) */
    public RecordWriter(StreamRegistry streams, AutoScaler autoScaler, Throttles throttles, Executor appends,
                        ShardPlacement placement, StreamKeys keys) {
        this(streams, autoScaler, throttles, appends, placement, keys, new KinesisMetrics(streams.clock(),
                MinuteSink.NONE).account(streams.account().id(), streams.account().region()));
    }

    /**
     * @param metrics where the records this node stores and throttles are counted (IncomingRecords, IncomingBytes,
     *                WriteProvisionedThroughputExceeded): here, on the node that stores them, so that records a
     *                call forwarded to a shard's owner count once, there
     */
    public RecordWriter(StreamRegistry streams, AutoScaler autoScaler, Throttles throttles, Executor appends,
                        ShardPlacement placement, StreamKeys keys, AccountMetrics metrics) {
        this.metrics = metrics;
        this.keys = keys;
        this.streams = streams;
        this.autoScaler = autoScaler;
        this.throttles = throttles;
        this.appends = appends;
        this.placement = placement;
    }

    /**
     * One record to write, with where it goes and what it weighs. The record is built once, when the request is read
     * ({@link RecordRouting#entry}), and handed to the shard's log as it is; its data may be a view into the request
     * body ({@link AppendRecord}).
     *
     * @param hashHigh  bits 127..64 of the point of the hash key space it is routed by ({@link RecordRouting#entry}),
     *                  unsigned; {@code hashLow} bits 63..0 ({@link HashKeys#high(BigInteger)})
     * @param sizeBytes what it counts for against limits and throughput ({@link RecordRouting#recordBytes})
     */
    public record Entry(AppendRecord record, long hashHigh, long hashLow, long sizeBytes) {
        public Entry(String partitionKey, String explicitHashKey, byte[] data, long hashHigh, long hashLow,
                     long sizeBytes) {
            this(new AppendRecord(partitionKey, explicitHashKey, data), hashHigh, hashLow, sizeBytes);
        }

        public Entry(String partitionKey, String explicitHashKey, byte[] data, BigInteger hashKey, long sizeBytes) {
            this(partitionKey, explicitHashKey, data, HashKeys.high(hashKey), HashKeys.low(hashKey), sizeBytes);
        }

        /** The entry for a record of stream {@code s}; refuses a missing partition key or a bad explicit hash key. */
        public static Entry of(StreamRecord s, String partitionKey, String explicitHashKey, byte[] data) {
            return RecordRouting.entry(s, new AppendRecord(partitionKey, explicitHashKey, data));
        }

        public String partitionKey() {
            return record.partitionKey();
        }

        public String explicitHashKey() {
            return record.explicitHashKey();
        }

        /** The data in an array of its own (a copy if the record is a view into a request body). */
        public byte[] data() {
            return record.data();
        }

        /** The point of the hash key space it is routed by. */
        public BigInteger hashKey() {
            return HashKeys.of(hashHigh, hashLow);
        }
    }

    /** What became of one entry. */
    public sealed interface Outcome {
    }

    /**
     * Durable in shard {@code shardId} under a sequence number, on a stream encrypted as {@code encryptionType}. The
     * number is kept as its ASCII digits ({@link SequenceNumbers.Numberer#digits}) and the shard id also as its ASCII
     * bytes ({@link ShardRecord#shardIdAscii}, shared per shard), which a PutRecords answer writes as they are
     * ({@code WireWriter#utf8String}): nothing per record for the writer to encode.
     */
    public record Written(String shardId, byte[] shardIdAscii, byte[] sequenceDigits, String encryptionType)
            implements Outcome {
        public Written(String shardId, byte[] sequenceDigits, String encryptionType) {
            this(shardId, shardId.getBytes(StandardCharsets.US_ASCII), sequenceDigits, encryptionType);
        }

        public Written(String shardId, String sequenceNumber, String encryptionType) {
            this(shardId, sequenceNumber.getBytes(StandardCharsets.US_ASCII), encryptionType);
        }

        public String sequenceNumber() {
            return new String(sequenceDigits, StandardCharsets.US_ASCII);
        }

        /** By shard id, sequence number and encryption type (the id's bytes follow from the id). */
        @Override
        public boolean equals(Object o) {
            return o instanceof Written w && shardId.equals(w.shardId)
                    && Arrays.equals(sequenceDigits, w.sequenceDigits) && Objects.equals(encryptionType, w.encryptionType);
        }

        @Override
        public int hashCode() {
            return Objects.hash(shardId, Arrays.hashCode(sequenceDigits), encryptionType);
        }

        @Override
        public String toString() {
            return "Written[shardId=" + shardId + ", sequenceNumber=" + sequenceNumber() + ", encryptionType="
                    + encryptionType + "]";
        }
    }

    /** Not written: its shard's write allowance was spent ({@code ProvisionedThroughputExceededException}). */
    public record Throttled(KinesisException error) implements Outcome {
    }

    /**
     * Not written: the append to shard {@code shardId} failed in storage, or the entry found its shard sealed on
     * every attempt ({@link ShardSealedException}); nothing of it is readable.
     */
    public record Failed(String shardId, StorageException error) implements Outcome {
    }

    /**
     * Writes the entries to stream {@code s} (as the caller found it writable; later attempts look it up again by
     * name) and returns one outcome per entry, in the given order. Throws only if the stream stops taking writes
     * while entries are being routed again.
     */
    public List<Outcome> write(StreamRecord s, List<Entry> entries) {
        // An encrypted stream whose key cannot be used takes no records at all: AWS's KMS error for the whole call.
        sealingKey(s);
        int n = entries.size();
        Outcome[] outcomes = new Outcome[n];
        Indexes pending = Indexes.upTo(n);
        Tally stored = new Tally();
        try {
            for (int attempt = 0; !pending.isEmpty() && attempt <= RecordRouting.MAX_REROUTES; attempt++) {
                RecordRouting.pauseBeforeReroute(attempt);
                StreamRecord current = attempt == 0 ? s : RecordRouting.writableStream(streams, s.name());
                pending = appendGroups(current, entries, pending, outcomes, stored);
            }
        } finally {
            stored.report(s);
        }
        return Arrays.asList(outcomes);
    }

    /**
     * What one put operation stored on this node, over all its shards and attempts, for the stream-level metrics,
     * which count a sample per put operation ({@link dev.millrace.metrics.StreamMeter#stored}). Only the calling
     * thread adds to it: the groups other nodes store are counted there.
     */
    private final class Tally {
        private int records;
        private long bytes;

        void add(int groupRecords, long groupBytes) {
            records += groupRecords;
            bytes += groupBytes;
        }

        void report(StreamRecord s) {
            if (records > 0) {
                metrics.stream(s.name()).stored(records, bytes);
            }
        }
    }

    /**
     * Appends the pending entries, one batch per shard, and returns those whose shard turned out to be sealed (their
     * outcome says so until a later attempt writes them). Entries over their shard's throughput allowance are
     * throttled, in the given order, and not written. A shard owned by another node of the cluster gets its entries
     * sent there whole, and that node meters, throttles and appends them ({@link #writeOwned}).
     */
    private Indexes appendGroups(StreamRecord s, List<Entry> entries, Indexes pending, Outcome[] outcomes,
                                 Tally stored) {
        ShardRouter router = ShardRouter.of(s);
        Account scope = streams.account();
        // Grouped in arrays by the router's index of each shard, not in maps keyed by the shard records: a call over
        // 1,000 shards touches ~400, and hashing a record (even by identity) reads its object, which such a call
        // rarely has in cache.
        int open = router.openCount();
        Indexes[] groups = new Indexes[open];
        Cluster.Node[] owners = new Cluster.Node[open];
        Throttles.ShardThrottle[] shardThrottles = new Throttles.ShardThrottle[open];
        boolean[] seen = new boolean[open];
        List<ShardRecord> local = new ArrayList<>();
        List<Indexes> localGroups = new ArrayList<>();
        Map<String, Indexes> byOwner = new java.util.LinkedHashMap<>(); // router indexes, per other node
        for (int p = 0; p < pending.size(); p++) {
            int i = pending.get(p);
            Entry entry = entries.get(i);
            int at = router.indexOf(entry.hashHigh(), entry.hashLow());
            ShardRecord shard = router.open(at);
            if (!seen[at]) {
                seen[at] = true;
                owners[at] = placement.remoteOwner(scope, s, shard);
                if (owners[at] == null) {
                    shardThrottles[at] = throttles.shard(s, shard);
                }
            }
            if (owners[at] != null || admit(s, shard, entry, shardThrottles[at])) {
                if (groups[at] == null) {
                    groups[at] = new Indexes(8);
                    if (owners[at] == null) {
                        local.add(shard);
                        localGroups.add(groups[at]);
                    } else {
                        byOwner.computeIfAbsent(owners[at].id(), k -> new Indexes(8)).add(at);
                    }
                }
                groups[at].add(i);
            } else {
                outcomes[i] = new Throttled(Throttles.shardRateExceeded(streams, s, shard));
            }
        }
        List<Integer> sealed = Collections.synchronizedList(new ArrayList<>());
        // One task per other node owning shards of the call (all its shards in one call); local shards on this thread.
        List<Runnable> tasks = new ArrayList<>();
        for (Indexes indexes : byOwner.values()) {
            List<ShardRecord> shards = new ArrayList<>(indexes.size());
            List<Indexes> shardGroups = new ArrayList<>(indexes.size());
            for (int k = 0; k < indexes.size(); k++) {
                int at = indexes.get(k);
                shards.add(router.open(at));
                shardGroups.add(groups[at]);
            }
            Cluster.Node owner = owners[indexes.get(0)];
            tasks.add(() -> appendRemote(s, owner, shards, shardGroups, entries, outcomes, sealed));
        }
        if (local.isEmpty() && tasks.size() == 1) {
            tasks.get(0).run();
            return Indexes.sorted(sealed);
        }
        // Each task writes only its own entries' slots of the array; join() orders those writes before the reads
        // that follow.
        CompletableFuture<?> sent = CompletableFuture.allOf(tasks.stream()
                .map(t -> CompletableFuture.runAsync(t, appends)).toArray(CompletableFuture[]::new));
        appendLocal(s, local, localGroups, entries, outcomes, sealed, stored);
        sent.join();
        return Indexes.sorted(sealed);
    }

    /** Sends the groups of the shards {@code owner} owns to it in one call; entries of sealed shards go to sealed. */
    private void appendRemote(StreamRecord s, Cluster.Node owner, List<ShardRecord> shards,
                              List<Indexes> shardGroups, List<Entry> entries, Outcome[] outcomes,
                              List<Integer> sealed) {
        List<ShardPlacement.Group> groups = new ArrayList<>(shards.size());
        for (int g = 0; g < shards.size(); g++) {
            List<Entry> sent = new ArrayList<>();
            Indexes group = shardGroups.get(g);
            for (int k = 0; k < group.size(); k++) {
                sent.add(entries.get(group.get(k)));
            }
            groups.add(new ShardPlacement.Group(shards.get(g), sent));
        }
        List<List<Outcome>> answered = placement.appendAt(owner, streams.account(), s, groups);
        for (int g = 0; g < shards.size(); g++) {
            Indexes group = shardGroups.get(g);
            for (int k = 0; k < group.size(); k++) {
                Outcome o = answered.get(g).get(k);
                outcomes[group.get(k)] = o;
                if (o instanceof Failed f && f.error() instanceof ShardSealedException) {
                    sealed.add(group.get(k));
                }
            }
        }
    }

    /** Meters the entry for on-demand scaling and charges it to its shard's write allowance; false if throttled. */
    private boolean admit(StreamRecord s, ShardRecord shard, Entry entry, Throttles.ShardThrottle throttle) {
        autoScaler.record(s, shard, entry.hashHigh(), entry.hashLow(), entry.sizeBytes());
        if (throttle.tryWrite(1, entry.sizeBytes())) {
            return true;
        }
        metrics.stream(s.name()).writeThrottled(shard.shardId(), s.shardLevelMetrics());
        return false;
    }

    /**
     * The owner's side of an append another node sent here ({@link ShardPlacement#appendAt}): meters, throttles and
     * appends {@code entries} to {@code shard} of {@code s} as one batch, without asking who owns it (the sender
     * did), and returns one outcome per entry.
     */
    public List<Outcome> writeOwned(StreamRecord s, ShardRecord shard, List<Entry> entries) {
        Outcome[] outcomes = new Outcome[entries.size()];
        Throttles.ShardThrottle throttle = throttles.shard(s, shard);
        Indexes admitted = new Indexes(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            if (admit(s, shard, entries.get(i), throttle)) {
                admitted.add(i);
            } else {
                outcomes[i] = new Throttled(Throttles.shardRateExceeded(streams, s, shard));
            }
        }
        if (!admitted.isEmpty()) {
            Tally stored = new Tally();
            try {
                appendGroup(s, shard, admitted, entries, outcomes, Collections.synchronizedList(new ArrayList<>()),
                        stored);
            } finally {
                stored.report(s);
            }
        }
        return Arrays.asList(outcomes);
    }

    /**
     * The key the stream's new records are encrypted with at rest, or null when it is not encrypted. Looked up per
     * batch (a map lookup): StopStreamEncryption, a new key, or a key disabled in the key file take effect at once.
     */
    private DataKey sealingKey(StreamRecord s) {
        return "KMS".equals(s.encryptionType()) ? keys.key(s.keyId(), streams.account()) : null;
    }

    /**
     * Appends the groups of the local shards: begins every one, then awaits each, so that one durable write covers
     * all of them. A group whose begin or await fails gets its outcomes here; an unexpected exception from a begin is
     * thrown after the appends already begun were awaited (none is left half done).
     */
    private void appendLocal(StreamRecord s, List<ShardRecord> shards, List<Indexes> groups,
                             List<Entry> entries, Outcome[] outcomes, List<Integer> sealed, Tally stored) {
        PendingAppend[] begun = new PendingAppend[shards.size()];
        RuntimeException beginFailure = null;
        try {
            for (int g = 0; g < shards.size(); g++) {
                begun[g] = beginGroup(s, shards.get(g), groups.get(g), entries, outcomes, sealed);
            }
        } catch (RuntimeException e) {
            beginFailure = e; // the first cause: what the awaits below throw is only added to it
            throw e;
        } finally {
            // Every begun group is awaited, even if one await throws something unexpected (a listener's failure):
            // a group never awaited stays invisible and gets no outcome.
            RuntimeException unexpected = beginFailure;
            for (int g = 0; g < shards.size(); g++) {
                if (begun[g] == null) {
                    continue;
                }
                try {
                    finishGroup(s, shards.get(g), groups.get(g), begun[g], entries, outcomes, sealed, stored);
                } catch (RuntimeException e) {
                    if (unexpected == null) {
                        unexpected = e;
                    } else {
                        unexpected.addSuppressed(e);
                    }
                }
            }
            if (unexpected != null && unexpected != beginFailure) {
                throw unexpected;
            }
        }
    }

    /** Appends one shard's entries here as one batch; entries of a sealed shard are added to {@code sealed}. */
    private void appendGroup(StreamRecord s, ShardRecord shard, Indexes group, List<Entry> entries,
                             Outcome[] outcomes, List<Integer> sealed, Tally stored) {
        PendingAppend pending = beginGroup(s, shard, group, entries, outcomes, sealed);
        if (pending != null) {
            finishGroup(s, shard, group, pending, entries, outcomes, sealed, stored);
        }
    }

    /** Begins the append of one shard's entries as one batch; null (and the outcomes set) if it failed at once. */
    private PendingAppend beginGroup(StreamRecord s, ShardRecord shard, Indexes group, List<Entry> entries,
                                     Outcome[] outcomes, List<Integer> sealed) {
        List<AppendRecord> batch = new ArrayList<>(group.size());
        for (int k = 0; k < group.size(); k++) {
            batch.add(entries.get(group.get(k)).record());
        }
        try {
            DataKey key;
            try {
                key = sealingKey(s);
            } catch (KinesisException e) {
                // Disabled since the call checked it (write): these entries fail, as a storage failure would.
                throw new StorageException(e.errorType() + ": " + e.getMessage());
            }
            return streams.logForAppend(s, shard).begin(batch, key);
        } catch (StorageException e) {
            failGroup(shard, group, e, outcomes, sealed);
            return null;
        }
    }

    /** Awaits a begun append and records its outcomes and metrics. */
    private void finishGroup(StreamRecord s, ShardRecord shard, Indexes group, PendingAppend pending,
                             List<Entry> entries, Outcome[] outcomes, List<Integer> sealed, Tally stored) {
        String shardId = shard.shardId();
        byte[] shardIdAscii = ShardRecord.shardIdAscii(shard.index());
        try {
            AppendResult result = pending.await();
            SequenceNumbers.Numberer numbers = SequenceNumbers.numberer(shard);
            long batchBytes = 0;
            for (int k = 0; k < group.size(); k++) {
                outcomes[group.get(k)] = new Written(shardId, shardIdAscii,
                        numbers.digits(result.positionOf(k), result.arrivalMsOf(k)).clone(), s.encryptionType());
                batchBytes += entries.get(group.get(k)).sizeBytes();
            }
            stored.add(group.size(), batchBytes);
            if (!s.shardLevelMetrics().isEmpty()) {
                metrics.stream(s.name()).storedInShard(shardId, s.shardLevelMetrics(), group.size(), batchBytes);
            }
        } catch (StorageException e) {
            failGroup(shard, group, e, outcomes, sealed);
        }
    }

    /** Records a group's failure; entries of a sealed shard are added to {@code sealed}, to be routed again. */
    private static void failGroup(ShardRecord shard, Indexes group, StorageException e, Outcome[] outcomes,
                                  List<Integer> sealed) {
        for (int k = 0; k < group.size(); k++) {
            outcomes[group.get(k)] = new Failed(shard.shardId(), e);
        }
        if (e instanceof ShardSealedException) {
            for (int k = 0; k < group.size(); k++) {
                sealed.add(group.get(k));
            }
        }
    }

    /**
     * Entry indexes (or the router's shard indexes) as ints. A call of 500 records kept its entries' indexes as boxed
     * Integers twice over (the pending list and each shard's group): ~750 objects past Integer's cache per call, and
     * their lists' arrays. The entries of sealed shards, routed again only around a split or merge, are still kept as
     * a synchronized list of Integers, which remote appends add to from other threads. Not thread-safe: one call's.
     */
    static final class Indexes {
        private int[] values;
        private int size;

        Indexes(int capacity) {
            values = new int[Math.max(1, capacity)];
        }

        /** 0 to {@code n - 1}. */
        static Indexes upTo(int n) {
            Indexes all = new Indexes(n);
            for (int i = 0; i < n; i++) {
                all.values[i] = i;
            }
            all.size = n;
            return all;
        }

        /** The indexes, ascending: entries routed anew keep the order they were given in. */
        static Indexes sorted(List<Integer> unordered) {
            int[] sorted;
            synchronized (unordered) { // a synchronized list is iterated holding its lock
                sorted = unordered.stream().mapToInt(Integer::intValue).toArray();
            }
            Arrays.sort(sorted);
            Indexes out = new Indexes(sorted.length);
            System.arraycopy(sorted, 0, out.values, 0, sorted.length);
            out.size = sorted.length;
            return out;
        }

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int get(int k) {
            return values[java.util.Objects.checkIndex(k, size)];
        }

        int size() {
            return size;
        }

        boolean isEmpty() {
            return size == 0;
        }
    }
}
