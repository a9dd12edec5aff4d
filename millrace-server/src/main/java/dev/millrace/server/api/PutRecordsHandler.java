package dev.millrace.server.api;

import dev.millrace.protocol.Blob;
import dev.millrace.protocol.KinesisException;
import dev.millrace.protocol.Struct;
import dev.millrace.protocol.WireWriter;
import dev.millrace.server.records.RecordRouting;
import dev.millrace.server.records.RecordWriter;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.StorageException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * PutRecords: up to 500 records (10 MiB in all) in one call. {@link RecordWriter} groups the records by shard and
 * appends each group as one batch, the groups side by side, so a call costs about one fsync however many shards it
 * touches; a shard's records keep their request order. A group that fails in storage fails only its entries
 * ({@code InternalFailure}); the response has one entry per request entry, in order.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 *
 * <p>Thread-safe.
 */
final class PutRecordsHandler implements OperationHandler {
    private static final Logger log = LoggerFactory.getLogger(PutRecordsHandler.class);
    static final long MAX_REQUEST_BYTES = 10L * 1024 * 1024;
    private static final WireWriter.Name SEQUENCE_NUMBER = WireWriter.Name.of("SequenceNumber");
    private static final WireWriter.Name SHARD_ID = WireWriter.Name.of("ShardId");

    private final ApiServices services;
    private final RecordWriter writer;

    PutRecordsHandler(ApiServices services) {
        this.services = services;
        this.writer = new RecordWriter(services.streams(), services.autoScaler(), services.throttles(),
                services.appends(), services.placement(), services.keys(), services.metrics());
    }

    @Override
    public void handle(Struct request, WireWriter out) {
        // A monotonic reading, not the injected clock: a duration on this machine, never a date.
        long startNanos = System.nanoTime();
        String name = StreamRefs.name(request, services.streams().account());
        List<Struct> list = request.list("Records");
        StreamRecord s = RecordRouting.writableStream(services.streams(), name);
        boolean answered = false;
        try {
            put(request, list, s, out, startNanos);
            answered = true;
        } finally {
            // A call refused as a whole once its stream was found is still a call: a sample of 0 of
            // PutRecords.Success (AWS's average is the success rate). A dry run is not a call.
            if (!answered && !DryRun.requested(request)) {
                services.metrics().stream(s.name()).putRecordsFailed(ApiMetrics.elapsedMicros(startNanos));
            }
        }
    }

    private void put(Struct request, List<Struct> list, StreamRecord s, WireWriter out, long startNanos) {
        List<RecordWriter.Entry> entries = new ArrayList<>(list.size());
        long totalBytes = 0;
        for (Struct e : list) {
            String partitionKey = e.string("PartitionKey");
            // The data as the reader left it: in a CBOR body, a view into the body, copied only into the batch.
            Blob data = e.blobView("Data");
            RecordWriter.Entry entry = RecordRouting.entry(s, new AppendRecord(partitionKey,
                    e.string("ExplicitHashKey"), data.array(), data.offset(), data.length()));
            RecordRouting.checkRecordSize(s, entry.sizeBytes());
            entries.add(entry);
            totalBytes += entry.sizeBytes();
        }
        if (totalBytes > MAX_REQUEST_BYTES) {
            throw KinesisException.invalidArgument("Records size " + totalBytes
                    + " bytes exceeds the PutRecords limit of " + MAX_REQUEST_BYTES + " bytes.");
        }
        DryRun.stopIfRequested(request, services, s);
        List<RecordWriter.Outcome> outcomes = writer.write(s, entries);
        int failed = 0;
        int throttledCount = 0;
        long storedBytes = 0;
        // A group's failure is shared by its entries: logged once.
        Set<StorageException> logged = Collections.newSetFromMap(new IdentityHashMap<>());
        out.startArray("Records");
        for (int i = 0; i < outcomes.size(); i++) {
            RecordWriter.Outcome outcome = outcomes.get(i);
            out.startObject();
            if (outcome instanceof RecordWriter.Written written) {
                byte[] digits = written.sequenceDigits();
                byte[] shardId = written.shardIdAscii();
                out.utf8String(SEQUENCE_NUMBER, digits, 0, digits.length).utf8String(SHARD_ID, shardId, 0,
                        shardId.length);
                storedBytes += entries.get(i).sizeBytes();
            } else if (outcome instanceof RecordWriter.Throttled throttled) {
                failed++;
                throttledCount++;
                out.string("ErrorCode", "ProvisionedThroughputExceededException")
                        .string("ErrorMessage", throttled.error().getMessage());
            } else {
                failed++;
                RecordWriter.Failed failure = (RecordWriter.Failed) outcome;
                if (!failure.error().reported() && logged.add(failure.error())) {
                    log.error("PutRecords: append to {} of {} failed", failure.shardId(), s.name(), failure.error());
                }
                out.string("ErrorCode", "InternalFailure").string("ErrorMessage", "Internal service failure.");
            }
            out.endObject();
        }
        out.endArray().number("FailedRecordCount", failed);
        // Counted here, by the node that answered the call; the records themselves by the nodes that stored them.
        services.metrics().stream(s.name()).putRecords(ApiMetrics.elapsedMicros(startNanos), entries.size(),
                entries.size() - failed, throttledCount, failed - throttledCount, storedBytes);
        if (!"NONE".equals(s.encryptionType())) {
            out.string("EncryptionType", s.encryptionType());
        }
    }
}
