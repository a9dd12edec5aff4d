package dev.millrace.server.api;

import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.records.RecordRouting;
import dev.millrace.server.records.RecordWriter;
import dev.millrace.server.state.SequenceNumbers;
import dev.millrace.server.state.StreamRecord;

import java.util.List;

/**
 * PutRecord: one record, routed by the MD5 of its partition key (or its explicit hash key), acknowledged once durable.
 * {@code SequenceNumberForOrdering} is checked as AWS checks it and otherwise has no effect: records of a shard are
 * always numbered in arrival order here, so a record's number is above those of the records written before it. The
 * routing and the append are {@link RecordWriter}'s; a throttled record is a ProvisionedThroughputExceededException,
 * a failed append a StorageException (an InternalFailure).
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html
 *
 * <p>Thread-safe.
 */
final class PutRecordHandler implements OperationHandler {
    private final ApiServices services;
    private final RecordWriter writer;

    PutRecordHandler(ApiServices services) {
        this.services = services;
        this.writer = new RecordWriter(services.streams(), services.autoScaler(), services.throttles(),
                services.appends(), services.placement(), services.keys(), services.metrics());
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        // A monotonic reading, not the injected clock: a duration on this machine, never a date.
        long startNanos = System.nanoTime();
        String name = StreamRefs.name(request, services.streams().account());
        String partitionKey = request.string("PartitionKey");
        byte[] data = request.blob("Data");
        StreamRecord s = RecordRouting.writableStream(services.streams(), name);
        RecordWriter.Written written = null;
        long sizeBytes = 0;
        try {
            RecordWriter.Entry entry = RecordWriter.Entry.of(s, partitionKey, request.string("ExplicitHashKey"), data);
            sizeBytes = entry.sizeBytes();
            written = write(request, s, entry);
        } finally {
            // Counted here, by the node that answered the call (the record itself by the node that stored it); every
            // call on a found stream is a sample of PutRecord.Success, 0 when it failed, so its average is AWS's
            // success rate. A dry run is not a call.
            if (!DryRun.requested(request)) {
                services.metrics().stream(s.name()).putRecord(ApiMetrics.elapsedMicros(startNanos), written != null,
                        sizeBytes);
            }
        }
        out.string("ShardId", written.shardId()).string("SequenceNumber", written.sequenceNumber());
        if (!"NONE".equals(written.encryptionType())) {
            out.string("EncryptionType", written.encryptionType());
        }
    }

    /** Checks and writes the record: the written one, or the error that refused it. */
    private RecordWriter.Written write(Struct request, StreamRecord s, RecordWriter.Entry entry) {
        checkOrderingNumber(request.string("SequenceNumberForOrdering"), s);
        RecordRouting.checkRecordSize(s, entry.sizeBytes());
        DryRun.stopIfRequested(request, services, s);
        RecordWriter.Outcome outcome = writer.write(s, List.of(entry)).get(0);
        if (outcome instanceof RecordWriter.Throttled throttled) {
            throw throttled.error();
        }
        if (outcome instanceof RecordWriter.Failed failed) {
            throw failed.error();
        }
        return (RecordWriter.Written) outcome;
    }

    private void checkOrderingNumber(String sequenceNumber, StreamRecord s) {
        if (sequenceNumber != null
                && !SequenceNumbers.acceptableForOrdering(sequenceNumber, services.streams().clock().millis())) {
            throw KinesisException.invalidArgument("ExclusiveMinimumSequenceNumber " + sequenceNumber
                    + " used in PutRecord on stream " + s.name() + " under account "
                    + services.streams().account().id() + " is invalid.");
        }
    }
}
