package dev.millrace.channels.delivery;

/**
 * How delivery batches and paces itself; the same for every channel of a server.
 *
 * @param objectTargetBytes   a batch is cut before its records (as laid out, uncompressed) would pass this size;
 *                            a single larger record still makes a batch of its own
 * @param maxRecordsPerObject a batch holds at most this many records (valid and dead-lettered), which bounds the
 *                            dead-letter object of a batch of tiny invalid records
 * @param maxRecordBytes      a record larger than this goes to the dead-letter location (RECORD_TOO_LARGE)
 * @param graceMs             how long after firstArrival + freshness a batch whose window is not known to be closed
 *                            waits for appends still in flight
 * @param pollIntervalMs      how often each shard is looked at
 * @param threads             delivery threads (uploads run on them)
 * @param readPageRecords     records per log read
 * @param readPageBytes       payload bytes per log read (beyond the first record)
 * @param backoffBaseMs       the first retry delay after a failed delivery; it doubles per failure
 * @param backoffMaxMs        the longest retry delay
 * @param maxBatchesPerTurn   batches one shard may deliver in a row before other shards get a turn
 *
 * <p>Immutable, thread-safe.
 */
public record DeliveryOptions(long objectTargetBytes, int maxRecordsPerObject, long maxRecordBytes, long graceMs,
                              long pollIntervalMs, int threads, int readPageRecords, long readPageBytes,
                              long backoffBaseMs, long backoffMaxMs, int maxBatchesPerTurn) {

    public static final long OBJECT_TARGET_BYTES_DEFAULT = 64L * 1024 * 1024;
    /** Kinesis's largest record: by default, everything a stream accepts is delivered. */
    public static final long MAX_RECORD_BYTES_DEFAULT = 10L * 1024 * 1024;

    public DeliveryOptions {
        if (objectTargetBytes < 1 || maxRecordsPerObject < 1 || maxRecordBytes < 1 || graceMs < 0
                || pollIntervalMs < 1 || threads < 1 || readPageRecords < 1 || readPageBytes < 1
                || backoffBaseMs < 1 || backoffMaxMs < backoffBaseMs || maxBatchesPerTurn < 1) {
            throw new IllegalArgumentException("invalid delivery options: " + this);
        }
    }

    public static DeliveryOptions defaults() {
        return new DeliveryOptions(OBJECT_TARGET_BYTES_DEFAULT, 500_000, MAX_RECORD_BYTES_DEFAULT, 3_000, 1_000, 2,
                1_000, 4L * 1024 * 1024, 1_000, 60_000, 8);
    }

    public DeliveryOptions withObjectTargetBytes(long value) {
        return new DeliveryOptions(value, maxRecordsPerObject, maxRecordBytes, graceMs, pollIntervalMs, threads,
                readPageRecords, readPageBytes, backoffBaseMs, backoffMaxMs, maxBatchesPerTurn);
    }

    public DeliveryOptions withMaxRecordsPerObject(int value) {
        return new DeliveryOptions(objectTargetBytes, value, maxRecordBytes, graceMs, pollIntervalMs, threads,
                readPageRecords, readPageBytes, backoffBaseMs, backoffMaxMs, maxBatchesPerTurn);
    }

    public DeliveryOptions withMaxRecordBytes(long value) {
        return new DeliveryOptions(objectTargetBytes, maxRecordsPerObject, value, graceMs, pollIntervalMs, threads,
                readPageRecords, readPageBytes, backoffBaseMs, backoffMaxMs, maxBatchesPerTurn);
    }

    public DeliveryOptions withPollIntervalMs(long value) {
        return new DeliveryOptions(objectTargetBytes, maxRecordsPerObject, maxRecordBytes, graceMs, value, threads,
                readPageRecords, readPageBytes, backoffBaseMs, backoffMaxMs, maxBatchesPerTurn);
    }

    public DeliveryOptions withReadPage(int records, long bytes) {
        return new DeliveryOptions(objectTargetBytes, maxRecordsPerObject, maxRecordBytes, graceMs, pollIntervalMs,
                threads, records, bytes, backoffBaseMs, backoffMaxMs, maxBatchesPerTurn);
    }

    public DeliveryOptions withBackoff(long baseMs, long maxMs) {
        return new DeliveryOptions(objectTargetBytes, maxRecordsPerObject, maxRecordBytes, graceMs, pollIntervalMs,
                threads, readPageRecords, readPageBytes, baseMs, maxMs, maxBatchesPerTurn);
    }
}
