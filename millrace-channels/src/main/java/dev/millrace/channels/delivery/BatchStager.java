package dev.millrace.channels.delivery;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.StoredRecord;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds one batch of a shard into staged files: the object (records laid out by the format, compressed) and the
 * dead-letter object. Records are read a page at a time from the log and streamed to the files, so memory holds one
 * page whatever the batch size.
 *
 * <p>Dead-letter object layout (AWS keeps record identifiers and error context, not payloads, and does not document
 * the format; this is Millrace's): uncompressed JSON Lines, one line per record, in log order:
 * <pre>
 * {"channelARN":"arn:aws:kinesis:REGION:ACCOUNT:channel/ID","channelName":"NAME",
 *  "streamARN":"arn:aws:kinesis:REGION:ACCOUNT:stream/NAME","shardId":"shardId-000000000000",
 *  "sequenceNumber":"4959...(56 digits)","approximateArrivalTimestamp":"2026-07-20T14:30:59.999Z",
 *  "dataSizeBytes":123,"errorCode":"DESERIALIZATION_ERROR","errorMessage":"The record is not valid JSON: ..."}
 * </pre>
 * Error codes: {@code DESERIALIZATION_ERROR} (not valid for the channel's RecordFormatType: invalid UTF-8 for STRING,
 * invalid JSON for JSON; AWS's skill guide uses the name for records that do not parse as the channel's format) and
 * {@code RECORD_TOO_LARGE} (above the delivery's maximum record size); for a table, also the table sink's reasons
 * ({@link dev.millrace.channels.table.TableSink.RejectedRecords}, written by {@link TableBatches}). The payload is
 * never copied: replay from the stream by sequence number, as on AWS.
 *
 * <p>Stateless and thread-safe; each call owns its files.
 */
final class BatchStager {

    private static final Logger LOG = LoggerFactory.getLogger(BatchStager.class);

    static final String RECORD_TOO_LARGE = "RECORD_TOO_LARGE";
    static final String DESERIALIZATION_ERROR = "DESERIALIZATION_ERROR";

    /** Writes dead-letter objects (also {@link TableBatches}'). */
    static final JsonFactory JSON = new JsonFactory();
    private static final int BUFFER_BYTES = 64 * 1024;

    private final DeliveryOptions options;
    private final Path stagingDir;

    BatchStager(DeliveryOptions options, Path stagingDir) {
        this.options = options;
        this.stagingDir = stagingDir;
    }

    /**
     * A batch staged in files, to be uploaded and then {@link #close closed} (which deletes them).
     *
     * @param dataFile  the object's bytes, or null when no record of the batch was valid
     * @param dlqFile   the dead-letter object's bytes, or null when every record was valid
     */
    record StagedBatch(long firstPosition, long firstArrivalMs, long nextPosition, int deliveredRecords,
                       int deadLetteredRecords, long bytesIn, Path dataFile, long dataBytes, Path dlqFile,
                       long dlqBytes) implements AutoCloseable {
        @Override
        public void close() {
            deleteQuietly(dataFile);
            deleteQuietly(dlqFile);
        }
    }

    /**
     * Stages the batch that starts at {@code startPosition}, cut by the channel's rules (it was found due). Returns
     * empty if the log holds no record there any more (expired meanwhile).
     */
    Optional<StagedBatch> stage(DeliverySpec spec, Shard shard, long startPosition) throws IOException {
        return stage(spec, shard, startPosition, new BatchCut(spec.dataFreshnessMs(), options.objectTargetBytes(),
                options.maxRecordsPerObject(), spec.recordFormat()));
    }

    /** Stages the pending batch from {@code startPosition} to {@code endPosition} (exclusive), exactly. */
    Optional<StagedBatch> stagePending(DeliverySpec spec, Shard shard, long startPosition, long endPosition)
            throws IOException {
        return stage(spec, shard, startPosition, BatchCut.until(endPosition, spec.recordFormat()));
    }

    private Optional<StagedBatch> stage(DeliverySpec spec, Shard shard, long startPosition, BatchCut cut)
            throws IOException {
        Path dataFile = Files.createTempFile(stagingDir, "object-", ".part");
        Path dlqFile = Files.createTempFile(stagingDir, "dead-letters-", ".part");
        boolean staged = false;
        int delivered = 0;
        int deadLettered = 0;
        long bytesIn = 0;
        try {
            try (OutputStream data = new BufferedOutputStream(
                    spec.compression().compress(new BufferedOutputStream(Files.newOutputStream(dataFile),
                            BUFFER_BYTES)), BUFFER_BYTES);
                 JsonGenerator dlq = JSON.createGenerator(Files.newOutputStream(dlqFile), JsonEncoding.UTF8)) {
                dlq.setRootValueSeparator(null);
                long position = startPosition;
                read:
                while (!cut.closed()) {
                    ReadResult page = shard.log().read(position, options.readPageRecords(), options.readPageBytes());
                    for (StoredRecord record : page.records()) {
                        if (!cut.take(record)) {
                            break read;
                        }
                        bytesIn += record.data().length;
                        Optional<String[]> problem = problem(spec, record.data());
                        if (problem.isEmpty()) {
                            spec.recordFormat().write(data, record.data());
                            delivered++;
                        } else {
                            writeDeadLetter(dlq, spec, shard, record.position(), record.arrivalMs(),
                                    record.data().length, problem.get()[0], problem.get()[1]);
                            deadLettered++;
                        }
                    }
                    if (page.records().isEmpty() && page.nextPosition() <= position) {
                        break;
                    }
                    position = page.nextPosition();
                }
            }
            if (cut.isEmpty()) {
                return Optional.empty();
            }
            StagedBatch batch = new StagedBatch(cut.firstPosition(), cut.firstArrivalMs(), cut.nextPosition(),
                    delivered, deadLettered, bytesIn, delivered > 0 ? dataFile : null,
                    delivered > 0 ? Files.size(dataFile) : 0, deadLettered > 0 ? dlqFile : null,
                    deadLettered > 0 ? Files.size(dlqFile) : 0);
            if (delivered == 0) {
                deleteQuietly(dataFile);
            }
            if (deadLettered == 0) {
                deleteQuietly(dlqFile);
            }
            staged = true;
            return Optional.of(batch);
        } finally {
            if (!staged) {
                deleteQuietly(dataFile);
                deleteQuietly(dlqFile);
            }
        }
    }

    /** The error code and message for a record that cannot be delivered, or empty. */
    private Optional<String[]> problem(DeliverySpec spec, byte[] data) {
        if (data.length > options.maxRecordBytes()) {
            return Optional.of(new String[] {RECORD_TOO_LARGE, tooLargeMessage(data.length, options.maxRecordBytes())});
        }
        return spec.recordFormat().problem(data).map(message -> new String[] {DESERIALIZATION_ERROR, message});
    }

    /** The dead-letter message of a {@code RECORD_TOO_LARGE} record (also {@link TableBatches}'). */
    static String tooLargeMessage(int recordBytes, long maxRecordBytes) {
        return "The record is " + recordBytes + " bytes; records of more than " + maxRecordBytes
                + " bytes are not delivered.";
    }

    /** One line of a dead-letter object, as laid out above. */
    static void writeDeadLetter(JsonGenerator out, DeliverySpec spec, Shard shard, long position, long arrivalMs,
            int dataSizeBytes, String errorCode, String errorMessage) throws IOException {
        out.writeStartObject();
        out.writeStringField("channelARN", spec.channelArn());
        out.writeStringField("channelName", spec.channelName());
        out.writeStringField("streamARN", spec.streamArn());
        out.writeStringField("shardId", shard.shardId());
        out.writeStringField("sequenceNumber", shard.sequenceNumber().of(position, arrivalMs));
        out.writeStringField("approximateArrivalTimestamp", Instant.ofEpochMilli(arrivalMs).toString());
        out.writeNumberField("dataSizeBytes", dataSizeBytes);
        out.writeStringField("errorCode", errorCode);
        out.writeStringField("errorMessage", errorMessage);
        out.writeEndObject();
        out.writeRaw('\n');
    }

    static void deleteQuietly(Path file) {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Staging files are only ever read by this process; a left-over one costs disk, not correctness.
            LOG.warn("Cannot delete the staged file {}: {}", file, e.toString());
        }
    }
}
