package dev.millrace.channels.delivery;

import dev.millrace.storage.StoredRecord;

/**
 * The rule that cuts a shard's log into batches, deterministically: a batch starts at the shard's checkpoint and takes
 * records in log order while (a) each arrived before the first one's arrival + DataFreshnessInSeconds, (b) the
 * records stay within the object target size (as laid out, uncompressed; the first record is always taken) and (c)
 * within the record count bound. Every record counts toward (b) and (c), dead-lettered ones too, so the cut depends
 * only on the log. Rebuilding a batch from the same position over the same log takes the same records. A batch whose
 * range was already recorded as pending is rebuilt with {@link #until}, which takes exactly that range.
 *
 * <p>Not thread-safe: one accumulator per batch being cut.
 */
final class BatchCut {

    private final long freshnessMs;
    private final long targetBytes;
    private final int maxRecords;
    private final RecordFormat format;

    private long firstPosition = -1;
    private long firstArrivalMs;
    private long lastPosition = -1;
    private int records;
    private long bytes;
    private boolean closed;

    private final long endPosition;

    BatchCut(long freshnessMs, long targetBytes, int maxRecords, RecordFormat format) {
        this(freshnessMs, targetBytes, maxRecords, format, -1);
    }

    private BatchCut(long freshnessMs, long targetBytes, int maxRecords, RecordFormat format, long endPosition) {
        this.freshnessMs = freshnessMs;
        this.targetBytes = targetBytes;
        this.maxRecords = maxRecords;
        this.format = format;
        this.endPosition = endPosition;
    }

    /**
     * A cut already decided: every record before {@code endPosition} (a pending batch being rebuilt, whatever the
     * rules are now).
     */
    static BatchCut until(long endPosition, RecordFormat format) {
        return new BatchCut(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2, Integer.MAX_VALUE, format, endPosition);
    }

    /** Whether the record belongs to the batch; once one does not, the batch is closed and takes no more. */
    boolean take(StoredRecord record) {
        if (closed) {
            return false;
        }
        if (endPosition >= 0 && record.position() >= endPosition) {
            closed = true;
            return false;
        }
        long size = format.laidOutBytes(record.data());
        if (endPosition < 0 && records > 0 && (record.arrivalMs() >= firstArrivalMs + freshnessMs || records + 1 > maxRecords
                || bytes + size > targetBytes)) {
            closed = true;
            return false;
        }
        if (records == 0) {
            firstPosition = record.position();
            firstArrivalMs = record.arrivalMs();
        }
        lastPosition = record.position();
        records++;
        bytes += size;
        return true;
    }

    /** Whether a record beyond the batch was seen: the batch is complete, whatever the time. */
    boolean closed() {
        return closed;
    }

    boolean isEmpty() {
        return records == 0;
    }

    long firstPosition() {
        return firstPosition;
    }

    long firstArrivalMs() {
        return firstArrivalMs;
    }

    /** The position after the batch's last record: the checkpoint once it is delivered. */
    long nextPosition() {
        return lastPosition + 1;
    }

    long freshnessMs() {
        return freshnessMs;
    }

    int records() {
        return records;
    }
}
