package dev.millrace.channels.delivery;

import java.util.concurrent.atomic.LongAdder;

/**
 * A channel's delivery counters since this node started delivering it, for the server's metrics (AWS's
 * {@code DeliveryToS3.*}): all counts only grow. {@link DeliveryEngine#dataFreshnessMs} gives the age of the oldest
 * undelivered record.
 *
 * <p>Thread-safe.
 */
public final class ChannelStats {

    private final LongAdder recordsRead = new LongAdder();
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder recordsDelivered = new LongAdder();
    private final LongAdder recordsDeadLettered = new LongAdder();
    private final LongAdder objectBytesWritten = new LongAdder();
    private final LongAdder objectsDelivered = new LongAdder();
    private final LongAdder deadLetterObjectsDelivered = new LongAdder();
    private final LongAdder failedDeliveries = new LongAdder();

    /** Records taken into delivered batches, valid or not (RecordCount). */
    public long recordsRead() {
        return recordsRead.sum();
    }

    /** Payload bytes of those records (BytesIn). */
    public long bytesRead() {
        return bytesRead.sum();
    }

    /** Records written to the destination (SuccessfulRecordCount). */
    public long recordsDelivered() {
        return recordsDelivered.sum();
    }

    /** Records written to the dead-letter location instead (FailedRecordCount, DLQDeliverySuccess). */
    public long recordsDeadLettered() {
        return recordsDeadLettered.sum();
    }

    /** Bytes of the objects written, after compression (BytesOut). */
    public long objectBytesWritten() {
        return objectBytesWritten.sum();
    }

    /** Objects written (DeliverySuccess). */
    public long objectsDelivered() {
        return objectsDelivered.sum();
    }

    /** Dead-letter objects written. */
    public long deadLetterObjectsDelivered() {
        return deadLetterObjectsDelivered.sum();
    }

    /** Delivery attempts that failed and will be retried (the destination down, the log unreadable...). */
    public long failedDeliveries() {
        return failedDeliveries.sum();
    }

    void delivered(BatchStager.StagedBatch batch) {
        recordsRead.add(batch.deliveredRecords() + batch.deadLetteredRecords());
        bytesRead.add(batch.bytesIn());
        recordsDelivered.add(batch.deliveredRecords());
        recordsDeadLettered.add(batch.deadLetteredRecords());
        if (batch.dataFile() != null) {
            objectsDelivered.increment();
            objectBytesWritten.add(batch.dataBytes());
        }
        if (batch.dlqFile() != null) {
            deadLetterObjectsDelivered.increment();
        }
    }

    void failed() {
        failedDeliveries.increment();
    }
}
