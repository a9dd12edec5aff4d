package dev.millrace.channels.delivery;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.millrace.channels.delivery.BatchStager.StagedBatch;
import dev.millrace.channels.delivery.Checkpoints.Checkpoint;
import dev.millrace.channels.delivery.ShardSource.Shard;
import dev.millrace.channels.table.TableCheckpointConflictException;
import dev.millrace.channels.table.TableRecord;
import dev.millrace.channels.table.TableSink;
import dev.millrace.channels.table.TableWriteResult;
import dev.millrace.storage.ReadResult;
import dev.millrace.storage.StoredRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a batch of a channel with an S3 Tables destination to its table: the records of the batch's recorded
 * range are read a page at a time from the log and handed to the {@link TableSink}, which commits them as rows
 * together with the shard's checkpoint; the records it rejects, and those larger than the delivery's maximum record
 * size, go to a staged dead-letter object (BatchStager's layout). The result is a {@link StagedBatch} without a data
 * file, which the engine finishes as any other: the dead-letter object is written under the batch's key, then the
 * checkpoint is committed. Since the sink hands back the same rejections when the table already holds the batch (a
 * crash after the table's commit), the dead-letter object written then is the same one.
 *
 * <p>A {@link TableCheckpointConflictException} from a table ahead of the batch's start (everything before the
 * table's checkpoint is in the table already: the engine's own checkpoint was lost or left behind) moves the
 * engine's checkpoint to the table's, then fails the attempt; the next one continues from there. A table behind
 * the batch is not repaired: the attempt fails, and keeps failing, with the reason in the log.
 *
 * <p>Stateless and thread-safe; each call owns its files. Memory: one page of the log (the sink may read the batch
 * more than once, a page at a time each).
 */
final class TableBatches {

    private static final Logger LOG = LoggerFactory.getLogger(TableBatches.class);

    private final TableSink sink;
    private final Checkpoints checkpoints;
    private final DeliveryOptions options;
    private final Path stagingDir;

    TableBatches(TableSink sink, Checkpoints checkpoints, DeliveryOptions options, Path stagingDir) {
        this.sink = sink;
        this.checkpoints = checkpoints;
        this.options = options;
        this.stagingDir = stagingDir;
    }

    /**
     * Commits the pending batch {@code pending} to the channel's table and stages its dead letters.
     *
     * @throws IOException the log, the sink or the staging directory failed; the batch stays pending
     */
    StagedBatch write(DeliverySpec spec, Shard shard, Checkpoint pending) throws IOException {
        // Asked before reading: records of the range that expired meanwhile (a retry after a long outage) are not
        // read, so the dead letters are fewer than the interrupted attempt wrote; the batch then says it starts
        // later than its range, and the engine keeps a dead-letter object already under its key.
        long readFrom = Math.max(pending.nextPosition(), shard.log().startPosition());
        Path dlqFile = Files.createTempFile(stagingDir, "dead-letters-", ".part");
        boolean staged = false;
        try {
            int[] rejected = new int[1];
            BatchRecords records;
            TableWriteResult result;
            try (JsonGenerator dlq = BatchStager.JSON.createGenerator(Files.newOutputStream(dlqFile),
                    JsonEncoding.UTF8)) {
                dlq.setRootValueSeparator(null);
                TableSink.RejectedRecords deadLetters = (record, code, message) -> {
                    BatchStager.writeDeadLetter(dlq, spec, shard, record.position(), record.arrivalMs(),
                            record.data().length, code, message);
                    rejected[0]++;
                };
                records = new BatchRecords(shard, pending, deadLetters);
                result = sink.write(spec.table(), shard.shardId(), pending.nextPosition(),
                        pending.pendingEndPosition(), records, deadLetters);
            } catch (TableCheckpointConflictException e) {
                adoptTableCheckpoint(spec, shard, pending, e);
                throw e;
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            long dataBytes = result instanceof TableWriteResult.Committed c ? c.dataFileBytes() : 0;
            long firstArrivalMs = pending.firstArrivalMs() >= 0 ? pending.firstArrivalMs() : records.firstArrivalMs;
            int rows = records.taken - rejected[0];
            StagedBatch batch = new StagedBatch(readFrom, firstArrivalMs,
                    pending.pendingEndPosition(), rows, rejected[0], records.bytesIn, null, dataBytes,
                    rejected[0] > 0 ? dlqFile : null, rejected[0] > 0 ? Files.size(dlqFile) : 0);
            if (rejected[0] == 0) {
                BatchStager.deleteQuietly(dlqFile);
            }
            if (result instanceof TableWriteResult.AlreadyCommitted already) {
                LOG.info("Channel {}: the batch of shard {} from position {} to {} was already in table {} (table "
                        + "checkpoint {}); its dead letters are written again", spec.channelName(), shard.shardId(),
                        pending.nextPosition(), pending.pendingEndPosition() - 1, spec.table().qualifiedName(),
                        already.tableCheckpoint());
            }
            staged = true;
            return batch;
        } finally {
            if (!staged) {
                BatchStager.deleteQuietly(dlqFile);
            }
        }
    }

    private void adoptTableCheckpoint(DeliverySpec spec, Shard shard, Checkpoint pending,
                                      TableCheckpointConflictException e) {
        long start = pending.nextPosition();
        if (e.tableCheckpoint().isPresent() && e.tableCheckpoint().getAsLong() > start) {
            long tableNext = e.tableCheckpoint().getAsLong();
            LOG.warn("Channel {}: table {} already holds shard {} up to position {}, past the batch from {}: "
                    + "delivery continues from the table's checkpoint", spec.channelName(),
                    spec.table().qualifiedName(), shard.shardId(), tableNext - 1, start);
            checkpoints.commit(spec.channelId(), shard.shardId(), pending, tableNext);
        } else {
            LOG.warn("Channel {}: table {} is at {} for shard {}, behind the batch from {} that the channel "
                    + "recorded: its rows before {} are not in the table (was it rolled back?); not delivered until "
                    + "the table is repaired", spec.channelName(), spec.table().qualifiedName(),
                    e.tableCheckpoint().isPresent() ? e.tableCheckpoint().getAsLong() : "unset", shard.shardId(),
                    start, start);
        }
    }

    /**
     * The batch's records, read lazily a page at a time from the log, from the batch's start on each iteration (a
     * sink writing in passes reads the batch again); those above the maximum record size go to the dead letters
     * instead. The first iteration counts what it read and reports the too large ones; later ones only skip them.
     */
    private final class BatchRecords implements Iterable<TableRecord> {
        private final Shard shard;
        private final Checkpoint pending;
        private final TableSink.RejectedRecords deadLetters;
        int taken;
        long bytesIn;
        long firstArrivalMs = -1;
        private int passes;

        BatchRecords(Shard shard, Checkpoint pending, TableSink.RejectedRecords deadLetters) {
            this.shard = shard;
            this.pending = pending;
            this.deadLetters = deadLetters;
        }

        @Override
        public Iterator<TableRecord> iterator() {
            boolean first = passes++ == 0;
            return new Iterator<>() {
                private final Deque<StoredRecord> page = new ArrayDeque<>();
                private long position = pending.nextPosition();
                private boolean ended;
                private TableRecord next;

                @Override
                public boolean hasNext() {
                    while (next == null && !ended) {
                        StoredRecord record = page.poll();
                        if (record == null) {
                            fill();
                        } else if (record.position() >= pending.pendingEndPosition()) {
                            ended = true;
                        } else {
                            next = take(record);
                        }
                    }
                    return next != null;
                }

                @Override
                public TableRecord next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    TableRecord record = next;
                    next = null;
                    return record;
                }

                private void fill() {
                    if (position >= pending.pendingEndPosition()) {
                        ended = true;
                        return;
                    }
                    ReadResult result = shard.log().read(position, options.readPageRecords(), options.readPageBytes());
                    if (result.records().isEmpty() && result.nextPosition() <= position) {
                        ended = true; // the log ends before the batch did: what is left of it expired
                        return;
                    }
                    page.addAll(result.records());
                    position = result.nextPosition();
                }

                /** The record as a row candidate, or null when it went to the dead letters as too large. */
                private TableRecord take(StoredRecord record) {
                    if (first) {
                        taken++;
                        bytesIn += record.data().length;
                        if (firstArrivalMs < 0) {
                            firstArrivalMs = record.arrivalMs();
                        }
                    }
                    TableRecord row = new TableRecord(record.position(), record.arrivalMs(), record.data());
                    if (record.data().length > options.maxRecordBytes()) {
                        if (first) {
                            try {
                                deadLetters.reject(row, BatchStager.RECORD_TOO_LARGE,
                                        BatchStager.tooLargeMessage(record.data().length, options.maxRecordBytes()));
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                        return null;
                    }
                    return row;
                }
            };
        }
    }
}
