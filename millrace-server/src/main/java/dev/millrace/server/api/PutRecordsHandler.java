package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.ShardRouter;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;
import dev.millrace.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    @Override
    public void handle(Struct request, WireWriter out) {
        StreamRecord s = RecordRouting.writableStream(services.streams(),
                StreamRefs.name(request, services.streams().account()));
        List<Struct> entries = request.list("Records");
        ShardRouter router = ShardRouter.of(s);
        Map<ShardRecord, List<Integer>> byShard = new LinkedHashMap<>();
        long totalBytes = 0;
        for (int i = 0; i < entries.size(); i++) {
            Struct e = entries.get(i);
            String partitionKey = e.string("PartitionKey");
            byte[] data = e.blob("Data");
            RecordRouting.checkRecordSize(s, partitionKey, data);
            totalBytes += RecordRouting.recordBytes(partitionKey, data);
            ShardRecord shard = router.route(RecordRouting.hashKey(partitionKey, e.string("ExplicitHashKey")));
            byShard.computeIfAbsent(shard, k -> new ArrayList<>()).add(i);
        }
        if (totalBytes > MAX_REQUEST_BYTES) {
            throw KinesisException.invalidArgument("Records size " + totalBytes
                    + " bytes exceeds the PutRecords limit of " + MAX_REQUEST_BYTES + " bytes.");
        }
        String[] sequenceNumbers = new String[entries.size()];
        String[] shardIds = new String[entries.size()];
        int failed = 0;
        for (Map.Entry<ShardRecord, List<Integer>> group : byShard.entrySet()) {
            ShardRecord shard = group.getKey();
            List<AppendRecord> batch = new ArrayList<>(group.getValue().size());
            for (int i : group.getValue()) {
                Struct e = entries.get(i);
                batch.add(new AppendRecord(e.string("PartitionKey"), e.string("ExplicitHashKey"), e.blob("Data")));
            }
            try {
                AppendResult result = services.streams().log(s, shard).append(batch);
                for (int k = 0; k < group.getValue().size(); k++) {
                    int i = group.getValue().get(k);
                    sequenceNumbers[i] = SequenceNumbers.format(s.epochMs(), shard.index(), result.positionOf(k));
                    shardIds[i] = shard.shardId();
                }
            } catch (StorageException e) {
                log.error("PutRecords: append to {} of {} failed", shard.shardId(), s.name(), e);
                failed += group.getValue().size();
            }
        }
        out.number("FailedRecordCount", failed).startArray("Records");
        for (int i = 0; i < entries.size(); i++) {
            out.startObject();
            if (sequenceNumbers[i] != null) {
                out.string("SequenceNumber", sequenceNumbers[i]).string("ShardId", shardIds[i]);
            } else {
                out.string("ErrorCode", "InternalFailure").string("ErrorMessage", "Internal service failure.");
            }
            out.endObject();
        }
        out.endArray();
        if (!"NONE".equals(s.encryptionType())) {
            out.string("EncryptionType", s.encryptionType());
        }
    }
}
