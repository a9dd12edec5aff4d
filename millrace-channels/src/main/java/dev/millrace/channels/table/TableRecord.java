package dev.millrace.channels.table;

import java.util.Objects;

/**
 * One record of a shard as a {@link TableSink} gets it: its position in the shard's log, its arrival time and its
 * payload as the producer put it (GSR header included, for GSR_JSON).
 *
 * <p>Immutable (the payload array is not copied and must not be changed), thread-safe.
 *
 * @param position  the record's position in the shard's log
 * @param arrivalMs its ApproximateArrivalTimestamp
 * @param data      its payload
 */
public record TableRecord(long position, long arrivalMs, byte[] data) {
    public TableRecord {
        Objects.requireNonNull(data, "data");
    }
}
