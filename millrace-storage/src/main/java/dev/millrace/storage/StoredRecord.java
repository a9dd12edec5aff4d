package dev.millrace.storage;

/**
 * One record read back from a shard.
 *
 * <p>Immutable by convention: {@code data} is a private copy owned by this record, callers must not modify it.
 *
 * @param position        the record's position in its shard
 * @param arrivalMs       when the log accepted it, epoch milliseconds
 * @param partitionKey    the partition key, or {@code null} if the record was written without one
 * @param explicitHashKey the explicit hash key, or {@code null}
 * @param data            the payload
 * @param encrypted       whether it was stored encrypted at rest ({@link ShardLog#append(java.util.List,
 *                        dev.millrace.storage.crypto.DataKey)} with a key); it is given back decrypted either way
 */
public record StoredRecord(long position, long arrivalMs, String partitionKey, String explicitHashKey, byte[] data,
                           boolean encrypted) {
    /** A record stored in plain bytes. */
    public StoredRecord(long position, long arrivalMs, String partitionKey, String explicitHashKey, byte[] data) {
        this(position, arrivalMs, partitionKey, explicitHashKey, data, false);
    }
}
