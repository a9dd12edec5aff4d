package dev.millrace.storage.log;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The layout of one entry of the {@link WriteAheadLog}: only this class computes offsets inside an entry.
 *
 * <pre>
 *  dataDir/wal/&lt;first LSN, 20 digits&gt;.wal, a sequence of entries:
 *  0        4        8        10           10+keyLen
 *  +--------+--------+--------+------------+---------------------------------------------+
 *  | length | hcrc   | keyLen | shard key  | the stamped RecordBatch, verbatim           |
 *  +--------+--------+--------+------------+---------------------------------------------+
 *  length = bytes after the length field: 6 + keyLen + the batch's total bytes (big-endian like every field)
 *  hcrc   = CRC-32C of length, keyLen and the shard key: the entry's own bytes; the batch carries its own length
 *           and CRC-32C over everything it stores (ciphertext for a sealed batch), checked by RecordBatch
 *  keyLen = bytes of the shard key, UTF-8 (unsigned 16-bit)
 * </pre>
 *
 * <p>Stateless, thread-safe; the buffers passed in belong to the caller.
 */
final class WalEntry {
    static final int LENGTH_OFFSET = 0;
    static final int HEADER_CRC_OFFSET = 4;
    static final int KEY_LENGTH_OFFSET = 8;
    static final int KEY_OFFSET = 10;
    /** The size of the length field itself, which {@code length} does not count. */
    static final int LENGTH_FIELD_BYTES = 4;
    /** What {@code length} counts besides the key and the batch. */
    private static final int FIXED_AFTER_LENGTH = KEY_OFFSET - LENGTH_FIELD_BYTES;
    static final int MAX_KEY_BYTES = 0xFFFF;

    private WalEntry() {
    }

    /** A shard key as entries hold it; a shard encodes its key once, not per entry. */
    static byte[] keyBytes(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        if (k.length > MAX_KEY_BYTES || k.length == 0) {
            throw new IllegalArgumentException("shard key empty or too long for the write-ahead log: " + key);
        }
        return k;
    }

    /** The header of an entry: everything before the batch. {@code k}: the shard key, from {@link #keyBytes}. */
    static ByteBuffer header(byte[] k, int batchBytes) {
        ByteBuffer h = ByteBuffer.allocate(KEY_OFFSET + k.length).order(ByteOrder.BIG_ENDIAN);
        h.putInt(LENGTH_OFFSET, FIXED_AFTER_LENGTH + k.length + batchBytes);
        h.putShort(KEY_LENGTH_OFFSET, (short) k.length);
        h.put(KEY_OFFSET, k);
        h.putInt(HEADER_CRC_OFFSET, headerChecksum(h, 0, k.length));
        return h;
    }

    private static int headerChecksum(ByteBuffer buf, int at, int keyBytes) {
        CRC32C crc = new CRC32C();
        ByteBuffer covered = buf.duplicate();
        covered.limit(at + LENGTH_FIELD_BYTES).position(at);
        crc.update(covered);
        covered.limit(at + KEY_OFFSET + keyBytes).position(at + KEY_LENGTH_OFFSET);
        crc.update(covered);
        return (int) crc.getValue();
    }

    /**
     * The total size of the entry at {@code at} if its header is intact and the whole entry (which must be in
     * {@code buf} up to {@code limit}) holds an intact batch of the size it claims; -1 otherwise. Only the first
     * {@link #KEY_OFFSET} bytes are read when they already show the entry to be impossible.
     */
    static int intactEntryBytes(ByteBuffer buf, int at, int limit, int maxBatchBytes) {
        if (limit - at < KEY_OFFSET) {
            return -1;
        }
        int length = buf.getInt(at + LENGTH_OFFSET);
        int keyBytes = buf.getShort(at + KEY_LENGTH_OFFSET) & 0xFFFF;
        long batchBytes = (long) length - FIXED_AFTER_LENGTH - keyBytes;
        if (keyBytes == 0 || batchBytes < RecordBatch.HEADER_BYTES || batchBytes > maxBatchBytes
                || at + LENGTH_FIELD_BYTES + (long) length > limit) {
            return -1;
        }
        if (buf.getInt(at + HEADER_CRC_OFFSET) != headerChecksum(buf, at, keyBytes)) {
            return -1;
        }
        int batchAt = at + KEY_OFFSET + keyBytes;
        if (RecordBatch.totalBytes(buf, batchAt, maxBatchBytes) != batchBytes
                || !RecordBatch.intact(buf, batchAt, (int) batchBytes)) {
            return -1;
        }
        return LENGTH_FIELD_BYTES + length;
    }

    /** The largest entry a valid batch can make; bounds a read of one entry in recovery. */
    static int maxEntryBytes(int maxBatchBytes) {
        return KEY_OFFSET + MAX_KEY_BYTES + maxBatchBytes;
    }

    /** The total size an entry's length field claims, without checking anything; needs 4 bytes at {@code at}. */
    static long claimedEntryBytes(ByteBuffer buf, int at) {
        return LENGTH_FIELD_BYTES + (buf.getInt(at + LENGTH_OFFSET) & 0xFFFF_FFFFL);
    }

    /** Where an entry's shard key starts, for the entry at {@code at}. */
    static int keyOffset(int at) {
        return at + KEY_OFFSET;
    }

    /** How many bytes the shard key of the intact entry at {@code at} has. */
    static int keyBytes(ByteBuffer buf, int at) {
        return buf.getShort(at + KEY_LENGTH_OFFSET) & 0xFFFF;
    }

    /** Where an intact entry's batch starts, relative to the entry. */
    static int batchOffset(ByteBuffer buf, int at) {
        return KEY_OFFSET + (buf.getShort(at + KEY_LENGTH_OFFSET) & 0xFFFF);
    }
}
