package dev.millrace.server.api;

import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.ShardRouter;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.AppendResult;

import java.util.List;

/**
 * PutRecord: one record, routed by the MD5 of its partition key (or its explicit hash key), acknowledged once durable.
 * {@code SequenceNumberForOrdering} is accepted; records of a shard are always in arrival order here.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html
 *
 * <p>Thread-safe.
 */
final class PutRecordHandler implements OperationHandler {
    private final ApiServices services;

    PutRecordHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        StreamRecord s = RecordRouting.writableStream(services.streams(),
                StreamRefs.name(request, services.streams().account()));
        String partitionKey = request.string("PartitionKey");
        String explicitHashKey = request.string("ExplicitHashKey");
        byte[] data = request.blob("Data");
        ShardRecord shard = ShardRouter.of(s).route(RecordRouting.hashKey(partitionKey, explicitHashKey));
        RecordRouting.checkRecordSize(s, partitionKey, data);
        AppendResult result = services.streams().log(s, shard)
                .append(List.of(new AppendRecord(partitionKey, explicitHashKey, data)));
        out.string("ShardId", shard.shardId())
                .string("SequenceNumber", SequenceNumbers.format(s.epochMs(), shard.index(), result.basePosition()));
        if (!"NONE".equals(s.encryptionType())) {
            out.string("EncryptionType", s.encryptionType());
        }
    }
}
