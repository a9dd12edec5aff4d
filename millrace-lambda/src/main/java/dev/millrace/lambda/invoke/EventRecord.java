package dev.millrace.lambda.invoke;

import java.util.Objects;

/**
 * One Kinesis record as the event carries it.
 *
 * <p>Immutable as far as this class goes: {@code data} is not copied (records can be 10 MiB), so whoever builds one
 * must not change the array afterwards. Thread-safe under that rule.
 *
 * @param partitionKey   the record's partition key
 * @param sequenceNumber the record's sequence number, a decimal string (up to 128 digits; Kinesis's are 56)
 * @param data           the record's payload bytes, raw (the event carries them base64-encoded)
 * @param arrivalMs      the record's approximate arrival time, epoch milliseconds
 */
public record EventRecord(String partitionKey, String sequenceNumber, byte[] data, long arrivalMs) {
    public EventRecord {
        Objects.requireNonNull(partitionKey, "partitionKey");
        Objects.requireNonNull(sequenceNumber, "sequenceNumber");
        Objects.requireNonNull(data, "data");
        if (arrivalMs < 0) {
            throw new IllegalArgumentException("arrivalMs must not be negative: " + arrivalMs);
        }
    }
}
