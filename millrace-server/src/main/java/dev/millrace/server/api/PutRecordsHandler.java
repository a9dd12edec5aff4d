package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.ShardRouter;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.Throttles;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.ShardSealedException;
import dev.millrace.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * PutRecords: up to 500 records (10 MiB in all) in one call. Records are grouped by shard and each group is appended
 * as one batch, so a call costs one fsync per shard it touches; a shard's records keep their request order. A group
 * that fails in storage fails only its entries ({@code InternalFailure}); the response has one entry per request
 * entry, in order.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 *
 * <p>Thread-safe.
 */
final class PutRecordsHandler implements OperationHandler {
    private static final Logger log = LoggerFactory.getLogger(PutRecordsHandler.class);
    static final long MAX_REQUEST_BYTES = 10L * 1024 * 1024;

    private final ApiServices services;

    PutRecordsHandler(ApiServices services) {
        this.services = services;
    }

    /** The request's entries, read once: a 500-entry call would otherwise look each member up several times. */
    private record Entries(String[] keys, String[] explicitKeys, byte[][] data, long[] bytes, BigInteger[] hashKeys) {
        int size() {
            return keys.length;
        }

        AppendRecord append(int i) {
            return new AppendRecord(keys[i], explicitKeys[i], data[i]);
        }
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        String name = StreamRefs.name(request, services.streams().account());
        List<Struct> list = request.list("Records");
        StreamRecord s = RecordRouting.writableStream(services.streams(), name);
        int n = list.size();
        Entries entries = new Entries(new String[n], new String[n], new byte[n][], new long[n], new BigInteger[n]);
        long totalBytes = 0;
        for (int i = 0; i < n; i++) {
            Struct e = list.get(i);
            entries.keys[i] = e.string("PartitionKey");
            entries.explicitKeys[i] = e.string("ExplicitHashKey");
            entries.data[i] = e.blob("Data");
            entries.hashKeys[i] = RecordRouting.hashKey(s, entries.keys[i], entries.explicitKeys[i]);
            RecordRouting.checkRecordSize(s, entries.keys[i], entries.data[i]);
            entries.bytes[i] = RecordRouting.recordBytes(entries.keys[i], entries.data[i]);
            totalBytes += entries.bytes[i];
        }
        if (totalBytes > MAX_REQUEST_BYTES) {
            throw KinesisException.invalidArgument("Records size " + totalBytes
                    + " bytes exceeds the PutRecords limit of " + MAX_REQUEST_BYTES + " bytes.");
        }
        DryRun.stopIfRequested(request, services, s);
        String[] sequenceNumbers = new String[n];
        String[] shardIds = new String[n];
        String[] throttled = new String[n];
        List<Integer> pending = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            pending.add(i);
        }
        // Entries whose shard a concurrent split or merge sealed are routed again, against the stream's new shards.
        for (int attempt = 0; !pending.isEmpty() && attempt <= RecordRouting.MAX_REROUTES; attempt++) {
            RecordRouting.pauseBeforeReroute(attempt);
            StreamRecord current = attempt == 0 ? s : RecordRouting.writableStream(services.streams(), name);
            pending = appendGroups(current, entries, pending, sequenceNumbers, shardIds, throttled);
        }
        int failed = 0;
        out.startArray("Records");
        for (int i = 0; i < n; i++) {
            out.startObject();
            if (sequenceNumbers[i] != null) {
                out.string("SequenceNumber", sequenceNumbers[i]).string("ShardId", shardIds[i]);
            } else if (throttled[i] != null) {
                failed++;
                out.string("ErrorCode", "ProvisionedThroughputExceededException").string("ErrorMessage", throttled[i]);
            } else {
                failed++;
                out.string("ErrorCode", "InternalFailure").string("ErrorMessage", "Internal service failure.");
            }
            out.endObject();
        }
        out.endArray().number("FailedRecordCount", failed);
        if (!"NONE".equals(s.encryptionType())) {
            out.string("EncryptionType", s.encryptionType());
        }
    }

    /**
     * Appends the pending entries, one batch per shard, and returns those whose shard turned out to be sealed.
     * Entries over their shard's throughput allowance are marked throttled, in request order, and not written;
     * entries of a group that fails in storage stay without a sequence number: they are reported as failed.
     */
    private List<Integer> appendGroups(StreamRecord s, Entries entries, List<Integer> pending,
                                       String[] sequenceNumbers, String[] shardIds, String[] throttled) {
        ShardRouter router = ShardRouter.of(s);
        // Keyed by identity: the router hands out the stream record's own shard objects, and a record's hashCode
        // (two BigIntegers and more) is not worth computing per entry.
        Map<ShardRecord, List<Integer>> byShard = new IdentityHashMap<>();
        Map<ShardRecord, Throttles.ShardThrottle> throttles = new IdentityHashMap<>();
        for (int i : pending) {
            ShardRecord shard = router.route(entries.hashKeys[i]);
            long bytes = entries.bytes[i];
            services.autoScaler().record(s, shard, entries.hashKeys[i], bytes);
            if (throttles.computeIfAbsent(shard, k -> services.throttles().shard(s, k)).tryWrite(1, bytes)) {
                byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(i);
            } else {
                throttled[i] = Throttles.shardRateExceeded(services.streams(), s, shard).getMessage();
            }
        }
        List<Integer> sealed = Collections.synchronizedList(new ArrayList<>());
        if (byShard.size() == 1) {
            Map.Entry<ShardRecord, List<Integer>> only = byShard.entrySet().iterator().next();
            appendGroup(s, only.getKey(), only.getValue(), entries, sequenceNumbers, shardIds, sealed);
            return sealed;
        }
        // Each group writes only its own entries' slots of the arrays; join() orders those writes before the reads
        // that follow.
        CompletableFuture.allOf(byShard.entrySet().stream()
                .map(group -> CompletableFuture.runAsync(() -> appendGroup(s, group.getKey(), group.getValue(),
                        entries, sequenceNumbers, shardIds, sealed), services.appends()))
                .toArray(CompletableFuture[]::new)).join();
        // In request order again, so entries that are routed anew keep their order.
        List<Integer> inOrder = new ArrayList<>(sealed);
        Collections.sort(inOrder);
        return inOrder;
    }

    /** Appends one shard's entries as one batch; entries of a sealed shard are added to {@code sealed}. */
    private void appendGroup(StreamRecord s, ShardRecord shard, List<Integer> group, Entries entries,
                             String[] sequenceNumbers, String[] shardIds, List<Integer> sealed) {
        List<AppendRecord> batch = new ArrayList<>(group.size());
        for (int i : group) {
            batch.add(entries.append(i));
        }
        try {
            AppendResult result = services.streams().log(s, shard).append(batch);
            String shardId = shard.shardId();
            SequenceNumbers.Numberer numbers = SequenceNumbers.numberer(shard);
            for (int k = 0; k < group.size(); k++) {
                int i = group.get(k);
                sequenceNumbers[i] = numbers.of(result.positionOf(k), result.arrivalMs());
                shardIds[i] = shardId;
            }
        } catch (ShardSealedException e) {
            sealed.addAll(group);
        } catch (StorageException e) {
            log.error("PutRecords: append to {} of {} failed", shard.shardId(), s.name(), e);
        }
    }
}
