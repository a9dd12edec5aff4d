package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.ShardIterators;
import dev.millrace.server.state.ShardRecord;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.server.state.Throttles;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.StoredRecord;

import java.util.List;
import java.util.Optional;

/**
 * GetRecords: up to {@code Limit} (default and most 10,000) records and at most 10 MiB from an iterator's position.
 * At the end of a closed shard, {@code NextShardIterator} is null and {@code ChildShards} names its children, the
 * only combination KCL accepts.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html
 *
 * <p>Thread-safe.
 */
final class GetRecordsHandler implements OperationHandler {
    static final int LIMIT_DEFAULT = 10_000;
    static final long MAX_RESPONSE_BYTES = 10L * 1024 * 1024;

    private final ApiServices services;

    GetRecordsHandler(ApiServices services) {
        this.services = services;
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        ShardIterators.Position at = services.iterators().parse(request.string("ShardIterator"));
        Optional<StreamRecord> found = services.streams().find(at.streamName());
        ShardRecord shard = found.isEmpty() || found.get().epochMs() != at.streamEpochMs() ? null
                : found.get().shard(at.shardIndex());
        if (shard == null) {
            // AWS's text when the iterator's stream was deleted (even if re-created since) or its shard expired.
            throw KinesisException.resourceNotFound("Shard " + ShardRecord.shardId(at.shardIndex()) + " in stream "
                    + at.streamName() + " under account " + services.streams().account().id() + " does not exist");
        }
        StreamRecord s = found.get();
        int limit = request.integer("Limit") == null ? LIMIT_DEFAULT : request.integer("Limit");
        DryRun.stopIfRequested(request, services, s);
        Throttles.ShardThrottle throttle = services.throttles().shard(s, shard);
        if (!throttle.tryRead()) {
            throw Throttles.shardRateExceeded(services.streams(), s, shard);
        }
        ReadResult result = services.streams().log(s, shard).read(at.position(), limit, MAX_RESPONSE_BYTES);
        List<StoredRecord> records = result.records();
        long bytes = 0;
        for (StoredRecord r : records) {
            bytes += r.data().length + (r.partitionKey() == null ? 0 : r.partitionKey().length());
        }
        throttle.chargeRead(bytes);
        out.startArray("Records");
        SequenceNumbers.Numberer numbers = SequenceNumbers.numberer(shard);
        for (StoredRecord r : records) {
            out.startObject()
                    .string("SequenceNumber", numbers.of(r.position(), r.arrivalMs()))
                    .timestampMs("ApproximateArrivalTimestamp", r.arrivalMs())
                    .blob("Data", r.data())
                    .string("PartitionKey", r.partitionKey());
            if (!"NONE".equals(s.encryptionType())) {
                out.string("EncryptionType", s.encryptionType());
            }
            out.endObject();
        }
        out.endArray();
        long millisBehind = result.atEnd() || records.isEmpty() ? 0
                : Math.max(0, services.streams().clock().millis() - records.get(records.size() - 1).arrivalMs());
        boolean shardEnded = shard.ended() && result.nextPosition() >= shard.endingPosition();
        if (shardEnded) {
            out.nullValue("NextShardIterator");
            ChildShards.write(out, s, shard);
        } else {
            out.string("NextShardIterator",
                    services.iterators().issue(s.name(), s.epochMs(), shard.index(), result.nextPosition()));
        }
        out.number("MillisBehindLatest", millisBehind);
    }
}
