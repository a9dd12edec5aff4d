package dev.millrace.storage.meta;

import dev.millrace.storage.log.Varint;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The layout of one metadata commit, as stored in the journal and (holding every live key) in the snapshot. Only this
 * class computes offsets inside an entry.
 *
 * <pre>
 *  0        4        8                       16        20
 *  +--------+--------+-----------------------+---------+--------------------------+
 *  | length | crc32c |        version        | changes | change 0 .. changes-1    |
 *  +--------+--------+-----------------------+---------+--------------------------+
 *
 *  change := keyLength varint | key UTF-8 | valueLength + 1 varint (0: delete the key) | value
 *  length = bytes after the length field; crc32c = CRC-32C of the bytes from version to the end.
 * </pre>
 *
 * A torn or damaged entry fails its length or checksum test and is treated as never written.
 *
 * <p>Stateless, thread-safe.
 */
final class MetadataEntry {
    private static final int LENGTH_OFFSET = 0;
    private static final int CRC_OFFSET = 4;
    private static final int VERSION_OFFSET = 8;
    private static final int CHANGES_OFFSET = 16;
    static final int HEADER_BYTES = 20;
    private static final int LENGTH_FIELD_BYTES = 4;

    /** A decoded entry: {@code null} values are deletions. */
    record Decoded(long version, Map<String, byte[]> changes, int totalBytes) {
    }

    private MetadataEntry() {
    }

    static ByteBuffer encode(long version, Map<String, byte[]> changes) {
        long size = HEADER_BYTES;
        Map<byte[], byte[]> encoded = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> change : changes.entrySet()) {
            byte[] key = change.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] value = change.getValue();
            encoded.put(key, value);
            size += Varint.bytes(key.length) + key.length
                    + (value == null ? 1 : Varint.bytes(value.length + 1) + value.length);
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("metadata commit too large: " + size + " bytes");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size);
        buf.putInt(LENGTH_OFFSET, (int) size - LENGTH_FIELD_BYTES);
        buf.putLong(VERSION_OFFSET, version);
        buf.putInt(CHANGES_OFFSET, changes.size());
        buf.position(HEADER_BYTES);
        for (Map.Entry<byte[], byte[]> change : encoded.entrySet()) {
            Varint.put(buf, change.getKey().length);
            buf.put(change.getKey());
            byte[] value = change.getValue();
            Varint.put(buf, value == null ? 0 : value.length + 1);
            if (value != null) {
                buf.put(value);
            }
        }
        buf.putInt(CRC_OFFSET, checksum(buf, 0, (int) size));
        buf.position(0);
        return buf;
    }

    /** Decodes the entry at {@code at}, or returns {@code null} if it is incomplete or damaged. */
    static Decoded decode(ByteBuffer buf, int at) {
        if (buf.limit() - at < HEADER_BYTES) {
            return null;
        }
        int length = buf.getInt(at + LENGTH_OFFSET);
        if (length < HEADER_BYTES - LENGTH_FIELD_BYTES || (long) at + LENGTH_FIELD_BYTES + length > buf.limit()) {
            return null;
        }
        int total = length + LENGTH_FIELD_BYTES;
        if (buf.getInt(at + CRC_OFFSET) != checksum(buf, at, total)) {
            return null;
        }
        ByteBuffer in = buf.duplicate();
        in.position(at + HEADER_BYTES).limit(at + total);
        int count = buf.getInt(at + CHANGES_OFFSET);
        Map<String, byte[]> changes = new LinkedHashMap<>();
        try {
            for (int i = 0; i < count; i++) {
                byte[] key = new byte[Varint.get(in)];
                in.get(key);
                int valueLength = Varint.get(in);
                byte[] value = null;
                if (valueLength > 0) {
                    value = new byte[valueLength - 1];
                    in.get(value);
                }
                changes.put(new String(key, StandardCharsets.UTF_8), value);
            }
        } catch (RuntimeException e) {
            return null;
        }
        return new Decoded(buf.getLong(at + VERSION_OFFSET), changes, total);
    }

    private static int checksum(ByteBuffer buf, int at, int totalBytes) {
        CRC32C crc = new CRC32C();
        ByteBuffer covered = buf.duplicate();
        covered.limit(at + totalBytes).position(at + VERSION_OFFSET);
        crc.update(covered);
        return (int) crc.getValue();
    }
}
