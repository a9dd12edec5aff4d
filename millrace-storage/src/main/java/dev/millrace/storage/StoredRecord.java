package dev.millrace.storage;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record read back from a shard: its position, arrival time ({@code arrivalMs}, epoch milliseconds), partition
 * key ({@code null} if it was written without one), explicit hash key (or {@code null}), payload, and whether it was
 * stored encrypted at rest ({@link ShardLog#append(java.util.List, dev.millrace.storage.crypto.DataKey)} with a key;
 * it is given back decrypted either way).
 *
 * <p>Two forms with the same meaning. A record built from its values (the constructors) owns its {@code data}. A
 * <em>view</em> ({@link #view}), which a storage engine makes on its read path, points into an array that several
 * records of the read share: its key and data stay there as stored (UTF-8 key, raw payload) until someone asks for
 * them as a String or array of their own. An answer that only copies them into its output ({@link #dataArray},
 * {@link #keyArray} and their offsets) makes no array or String per record.
 *
 * <p>Immutable: callers must not modify any array it hands out ({@code data()} included). Thread-safe: the lazily
 * made String and array are published safely (a String is immutable; the array through a volatile field).
 */
public final class StoredRecord {
    private final long position;
    private final long arrivalMs;
    private final String explicitHashKey;
    private final boolean encrypted;
    /** A view's buffer, or the data array of a record built from values. */
    private final byte[] bytes;
    private final int dataOffset;
    private final int dataLength;
    /** A view's key in {@code bytes}; -1 for a record built from values (its key is {@link #partitionKey}). */
    private final int keyOffset;
    private final int keyLength;
    /** A built record's key. */
    private final String builtKey;
    /** A view's key, decoded on first use (racy but benign: every thread decodes the same String). */
    private String decodedKey;
    /** A view's data copied out on first use of {@link #data()}; a built record's key encoded on first use. */
    private volatile byte[] copiedData;
    private volatile byte[] encodedKey;

    public StoredRecord(long position, long arrivalMs, String partitionKey, String explicitHashKey, byte[] data,
                        boolean encrypted) {
        this(position, arrivalMs, partitionKey, explicitHashKey, encrypted, data, 0, data == null ? 0 : data.length,
                -1, 0);
    }

    /** A record stored in plain bytes. */
    public StoredRecord(long position, long arrivalMs, String partitionKey, String explicitHashKey, byte[] data) {
        this(position, arrivalMs, partitionKey, explicitHashKey, data, false);
    }

    private StoredRecord(long position, long arrivalMs, String partitionKey, String explicitHashKey,
                         boolean encrypted, byte[] bytes, int dataOffset, int dataLength, int keyOffset,
                         int keyLength) {
        this.position = position;
        this.arrivalMs = arrivalMs;
        this.builtKey = partitionKey;
        this.explicitHashKey = explicitHashKey;
        this.encrypted = encrypted;
        this.bytes = bytes;
        this.dataOffset = dataOffset;
        this.dataLength = dataLength;
        this.keyOffset = keyOffset;
        this.keyLength = keyLength;
    }

    /**
     * A record whose partition key ({@code keyLength} UTF-8 bytes at {@code keyOffset}; length 0: none) and data lie
     * in {@code buffer}, which the caller hands over: nobody may write to it afterwards.
     */
    public static StoredRecord view(long position, long arrivalMs, String explicitHashKey, boolean encrypted,
                                    byte[] buffer, int keyOffset, int keyLength, int dataOffset, int dataLength) {
        Objects.checkFromIndexSize(keyOffset, keyLength, buffer.length);
        Objects.checkFromIndexSize(dataOffset, dataLength, buffer.length);
        return new StoredRecord(position, arrivalMs, null, explicitHashKey, encrypted, buffer, dataOffset,
                dataLength, keyOffset, keyLength);
    }

    public long position() {
        return position;
    }

    public long arrivalMs() {
        return arrivalMs;
    }

    /** The partition key, or {@code null} if the record was written without one. */
    public String partitionKey() {
        if (keyOffset < 0) {
            return builtKey;
        }
        String key = decodedKey;
        if (key == null && keyLength > 0) {
            key = new String(bytes, keyOffset, keyLength, StandardCharsets.UTF_8);
            decodedKey = key;
        }
        return key;
    }

    public String explicitHashKey() {
        return explicitHashKey;
    }

    /** The payload as an array of its own (a view copies it out once, on the first call). */
    public byte[] data() {
        if (keyOffset < 0) {
            return bytes;
        }
        byte[] copy = copiedData;
        if (copy == null) {
            copy = Arrays.copyOfRange(bytes, dataOffset, dataOffset + dataLength);
            copiedData = copy;
        }
        return copy;
    }

    public boolean encrypted() {
        return encrypted;
    }

    /** The array the payload lies in, from {@link #dataOffset} for {@link #dataLength} bytes; read only. */
    public byte[] dataArray() {
        return bytes;
    }

    public int dataOffset() {
        return dataOffset;
    }

    public int dataLength() {
        return dataLength;
    }

    /** Whether the record has a partition key. */
    public boolean hasPartitionKey() {
        return keyOffset >= 0 ? keyLength > 0 : builtKey != null;
    }

    /**
     * The array the partition key's UTF-8 bytes lie in, from {@link #keyOffset} for {@link #keyLength} bytes; read
     * only; {@code null} when the record has no key.
     */
    public byte[] keyArray() {
        if (keyOffset >= 0) {
            return keyLength > 0 ? bytes : null;
        }
        if (builtKey == null) {
            return null;
        }
        byte[] encoded = encodedKey;
        if (encoded == null) {
            encoded = builtKey.getBytes(StandardCharsets.UTF_8);
            encodedKey = encoded;
        }
        return encoded;
    }

    public int keyOffset() {
        return Math.max(keyOffset, 0);
    }

    /** The partition key's length in UTF-8 bytes; 0 when there is none. */
    public int keyLength() {
        if (keyOffset >= 0) {
            return keyLength;
        }
        byte[] key = keyArray();
        return key == null ? 0 : key.length;
    }

    /** Equal when every value is: data compared by content, whichever form either record has. */
    @Override
    public boolean equals(Object o) {
        return o instanceof StoredRecord r && position == r.position && arrivalMs == r.arrivalMs
                && encrypted == r.encrypted && Objects.equals(partitionKey(), r.partitionKey())
                && Objects.equals(explicitHashKey, r.explicitHashKey)
                && Arrays.equals(data(), r.data());
    }

    @Override
    public int hashCode() {
        return Objects.hash(position, arrivalMs, partitionKey(), explicitHashKey, encrypted);
    }

    @Override
    public String toString() {
        return "StoredRecord[position=" + position + ", arrivalMs=" + arrivalMs + ", partitionKey=" + partitionKey()
                + ", explicitHashKey=" + explicitHashKey + ", dataBytes=" + dataLength + ", encrypted=" + encrypted
                + "]";
    }
}
