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

import java.math.BigInteger;

import java.util.List;

/**
 * PutRecord: one record, routed by the MD5 of its partition key (or its explicit hash key), acknowledged once durable.
 * {@code SequenceNumberForOrdering} is checked as AWS checks it and otherwise has no effect: records of a shard are
 * always numbered in arrival order here, so a record's number is above those of the records written before it.
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
        String name = StreamRefs.name(request, services.streams().account());
        String partitionKey = request.string("PartitionKey");
        String explicitHashKey = request.string("ExplicitHashKey");
        byte[] data = request.blob("Data");
        StreamRecord first = RecordRouting.writableStream(services.streams(), name);
        BigInteger hashKey = RecordRouting.hashKey(first, partitionKey, explicitHashKey);
        checkOrderingNumber(request.string("SequenceNumberForOrdering"), first);
        RecordRouting.checkRecordSize(first, partitionKey, data);
        DryRun.stopIfRequested(request, services, first);
        for (int attempt = 0; ; attempt++) {
            RecordRouting.pauseBeforeReroute(attempt);
            StreamRecord s = attempt == 0 ? first : RecordRouting.writableStream(services.streams(), name);
            ShardRecord shard = ShardRouter.of(s).route(hashKey);
            services.autoScaler().record(s, shard, hashKey, RecordRouting.recordBytes(partitionKey, data));
            if (!services.throttles().shard(s, shard).tryWrite(1, RecordRouting.recordBytes(partitionKey, data))) {
                throw Throttles.shardRateExceeded(services.streams(), s, shard);
            }
            try {
                AppendResult result = services.streams().log(s, shard)
                        .append(List.of(new AppendRecord(partitionKey, explicitHashKey, data)));
                write(out, s, shard, result);
                return;
            } catch (ShardSealedException e) {
                if (attempt == RecordRouting.MAX_REROUTES) {
                    throw e;
                }
            }
        }
    }

    private void checkOrderingNumber(String sequenceNumber, StreamRecord s) {
        if (sequenceNumber != null
                && !SequenceNumbers.acceptableForOrdering(sequenceNumber, services.streams().clock().millis())) {
            throw KinesisException.invalidArgument("ExclusiveMinimumSequenceNumber " + sequenceNumber
                    + " used in PutRecord on stream " + s.name() + " under account "
                    + services.streams().account().id() + " is invalid.");
        }
    }

    private static void write(WireWriter out, StreamRecord s, ShardRecord shard, AppendResult result) {
        out.string("ShardId", shard.shardId())
                .string("SequenceNumber", SequenceNumbers.of(shard, result.basePosition(), result.arrivalMs()));
        if (!"NONE".equals(s.encryptionType())) {
            out.string("EncryptionType", s.encryptionType());
        }
    }
}
