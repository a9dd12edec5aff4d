package dev.millrace.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One record handed to {@link ShardLog#append}. The arrival time is not part of it: the log stamps it, so that arrival
 * times never go backwards within a shard.
 *
 * <p>The payload is {@code dataLength} bytes of {@code dataArray} from {@code dataOffset}: a PutRecords call's records
 * are views into its request body (issue 20), which the log copies once, into the shard's batch
 * ({@link #copyDataTo}). A log that keeps a record beyond the call takes {@link #data()}, an array of its own.
 *
 * <p>Immutable once built, provided the caller does not modify the array afterwards; the log does not copy it.
 *
 * @param partitionKey    the record's partition key, 1..256 characters, or {@code null} for none (a record written to a
 *                        stream with AWS's AUTO distribution strategy needs none)
 * @param explicitHashKey the decimal explicit hash key the producer sent, or {@code null}
 */
public record AppendRecord(String partitionKey, String explicitHashKey, byte[] dataArray, int dataOffset,
                           int dataLength) {
    public AppendRecord {
        Objects.requireNonNull(dataArray, "data");
        Objects.checkFromIndexSize(dataOffset, dataLength, dataArray.length);
        if (partitionKey != null && partitionKey.isEmpty()) {
            throw new IllegalArgumentException("partitionKey must not be empty");
        }
    }

    /** A record whose payload is all of {@code data}. */
    public AppendRecord(String partitionKey, String explicitHashKey, byte[] data) {
        this(partitionKey, explicitHashKey, Objects.requireNonNull(data, "data"), 0, data.length);
    }

    public AppendRecord(String partitionKey, byte[] data) {
        this(partitionKey, null, data);
    }

    public static AppendRecord of(String partitionKey, String data) {
        return new AppendRecord(partitionKey, null, data.getBytes(StandardCharsets.UTF_8));
    }

    /** The payload in an array of its own: {@code dataArray} itself when the record covers all of it, else a copy. */
    public byte[] data() {
        return ownsData() ? dataArray : Arrays.copyOfRange(dataArray, dataOffset, dataOffset + dataLength);
    }

    /**
     * {@code records} with every payload in an array of its own (the list itself when they all are): for a log that
     * keeps the records, or hands their arrays on, beyond the call, so that it never holds a request body.
     */
    public static List<AppendRecord> withOwnData(List<AppendRecord> records) {
        for (int i = 0; i < records.size(); i++) {
            if (!records.get(i).ownsData()) {
                List<AppendRecord> owned = new ArrayList<>(records.size());
                for (AppendRecord r : records) {
                    owned.add(r.ownsData() ? r : new AppendRecord(r.partitionKey, r.explicitHashKey, r.data()));
                }
                return owned;
            }
        }
        return records;
    }

    private boolean ownsData() {
        return dataOffset == 0 && dataLength == dataArray.length;
    }

    /** Puts the payload into {@code out} at its position. */
    public void copyDataTo(ByteBuffer out) {
        out.put(dataArray, dataOffset, dataLength);
    }
}
