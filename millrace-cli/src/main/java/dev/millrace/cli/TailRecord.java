package dev.millrace.cli;

import java.time.Instant;

/**
 * One record as {@code millrace tail} prints it: a Kinesis record, or one user record of a KPL aggregated record
 * ({@code subSequenceNumber} then numbers it from 0 within its Kinesis record; null otherwise).
 *
 * <p>Immutable (the data array is not copied and must not be changed).
 */
record TailRecord(String shardId, String sequenceNumber, Long subSequenceNumber, String partitionKey,
                  String explicitHashKey, Instant approximateArrivalTimestamp, byte[] data) {
}
