package dev.millrace.storage;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One record handed to {@link ShardLog#append}. The arrival time is not part of it: the log stamps it, so that arrival
 * times never go backwards within a shard.
 *
 * <p>Immutable once built, provided the caller does not modify {@code data} afterwards; the log does not copy it.
 *
 * @param partitionKey    the record's partition key, 1..256 characters, or {@code null} for none (a record written to a
 *                        stream with AWS's AUTO distribution strategy needs none)
 * @param explicitHashKey the decimal explicit hash key the producer sent, or {@code null}
 * @param data            the record's payload
 */
public record AppendRecord(String partitionKey, String explicitHashKey, byte[] data) {
    public AppendRecord {
        Objects.requireNonNull(data, "data");
        if (partitionKey != null && partitionKey.isEmpty()) {
            throw new IllegalArgumentException("partitionKey must not be empty");
        }
    }

    public AppendRecord(String partitionKey, byte[] data) {
        this(partitionKey, null, data);
    }

    public static AppendRecord of(String partitionKey, String data) {
        return new AppendRecord(partitionKey, null, data.getBytes(StandardCharsets.UTF_8));
    }
}
