package dev.millrace.storage.log;

import dev.millrace.storage.AppendRecord;
import dev.millrace.storage.CorruptDataException;
import dev.millrace.storage.StoredRecord;
import dev.millrace.storage.crypto.DataKey;
import dev.millrace.storage.crypto.KeyRing;
import dev.millrace.storage.crypto.SealedBytes;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk layout of one record batch, the unit of append, checksum and recovery. Only this class computes offsets
 * inside a batch.
 *
 * <pre>
 *  0        4        8                       16       20                      28                      36
 *  +--------+--------+-----------------------+--------+-----------------------+-----------------------+
 *  | length | crc32c |     basePosition      | count  |    firstArrivalMs     |     lastArrivalMs     |
 *  +--------+--------+-----------------------+--------+-----------------------+-----------------------+
 *  | record 0 | record 1 | ... | record count-1 |
 *
 *  record := keyLength varint (0: none) | partition key, UTF-8
 *          | hashKeyLength varint (0: none) | explicit hash key, ASCII decimal
 *          | dataLength varint | data
 *
 *  length = bytes after the length field (32 + records), big-endian like every field;
 *  crc32c = CRC-32C of the bytes from basePosition to the end of the batch;
 *  count  = bits 0-30: the number of records; bit 31 (SEALED_FLAG): the records area is encrypted, see below.
 *
 *  A sealed (encrypted) batch has the same header; its records area, in place of the records, is
 *
 *  +-------------+----------------+--------------------------------------------------------------+
 *  | keyIdLength | key id, ASCII  | the records, sealed: nonce | ciphertext | tag  (SealedBytes,  |
 *  |  (1 byte)   | (1..255 bytes) | purpose BATCH, bound to the key id, basePosition and count)  |
 *  +-------------+----------------+--------------------------------------------------------------+
 * </pre>
 *
 * <p>Everything but the records stays in clear in a sealed batch, so that recovery, the index, retention and time
 * lookups work without keys, and the CRC covers the stored (encrypted) bytes, so that damage is found without keys
 * too. Only reading the records needs the key. Batches written before encryption existed have bit 31 clear (a count
 * is never that large) and read as they always did.
 *
 * <p>This engine stamps one arrival time on a whole append, so {@code firstArrivalMs == lastArrivalMs} for the
 * batches it writes; readers use {@code lastArrivalMs} for retention and time lookups, which stays correct for a
 * writer that coalesces appends with different times.
 *
 * <p>Thread-safe; the buffers passed in belong to the caller. Its only state is a scratch buffer per thread for a
 * sealed batch's plaintext (see {@link #SCRATCH_MAX_BYTES}), never handed out beyond the call that uses it, except
 * that {@link #encodeForSealing}'s result lives until the same thread encodes the next one.
 */
public final class RecordBatch {
    static final int LENGTH_OFFSET = 0;
    static final int CRC_OFFSET = 4;
    static final int BASE_POSITION_OFFSET = 8;
    static final int COUNT_OFFSET = 16;
    static final int FIRST_ARRIVAL_OFFSET = 20;
    static final int LAST_ARRIVAL_OFFSET = 28;
    public static final int HEADER_BYTES = 36;
    /** Fixed fields after {@code length}: what {@code length} counts besides the records. */
    static final int LENGTH_FIELD_BYTES = 4;
    /** The smallest possible record: three 1-byte lengths (no partition key, no hash key, no data). */
    public static final int MIN_RECORD_BYTES = 3;
    /** Set in {@code count} when the records area is sealed. */
    static final int SEALED_FLAG = 0x8000_0000;
    private static final int COUNT_MASK = 0x7FFF_FFFF;

    private static final byte[] NO_KEY = new byte[0];
    /**
     * Opened (decrypted) records areas up to this size go into a buffer each reading thread keeps, since their
     * records are copied out before {@link #decode} returns; a larger one (a batch of several MiB) gets its own. A
     * fresh buffer per batch cost a 500 x 1 KiB batch a G1 humongous allocation per read.
     */
    static final int SCRATCH_MAX_BYTES = 1024 * 1024;
    private static final ThreadLocal<ByteBuffer[]> READ_SCRATCH = ThreadLocal.withInitial(() -> new ByteBuffer[1]);
    /** The same for the plain form of a batch about to be sealed, which lives until its append returns. */
    private static final ThreadLocal<ByteBuffer[]> SEAL_SCRATCH = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

    private RecordBatch() {
    }

    /**
     * Encodes the records into a new buffer, positioned at 0 with the limit at the batch's end. Position, count and
     * arrival fields are left for {@link #stamp}.
     */
    static ByteBuffer encode(List<AppendRecord> records, int maxBatchBytes) {
        return encode(records, maxBatchBytes, false);
    }

    /**
     * {@link #encode}, into this thread's scratch buffer when the batch is small: only for a batch that is then
     * {@link #seal}ed (the sealed copy is what is stored), and valid until this thread encodes the next one.
     */
    static ByteBuffer encodeForSealing(List<AppendRecord> records, int maxBatchBytes) {
        return encode(records, maxBatchBytes, true);
    }

    private static ByteBuffer encode(List<AppendRecord> records, int maxBatchBytes, boolean scratch) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one record");
        }
        long size = HEADER_BYTES;
        byte[][] keys = new byte[records.size()][];
        for (int i = 0; i < records.size(); i++) {
            AppendRecord r = records.get(i);
            keys[i] = r.partitionKey() == null ? NO_KEY : r.partitionKey().getBytes(StandardCharsets.UTF_8);
            int hashKeyBytes = r.explicitHashKey() == null ? 0 : r.explicitHashKey().length();
            size += Varint.bytes(keys[i].length) + keys[i].length + Varint.bytes(hashKeyBytes) + hashKeyBytes
                    + Varint.bytes(r.dataLength()) + r.dataLength();
        }
        if (size > maxBatchBytes) {
            throw new IllegalArgumentException("batch of " + size + " bytes exceeds the limit of " + maxBatchBytes);
        }
        ByteBuffer buf = scratch ? scratch(SEAL_SCRATCH, (int) size)
                : ByteBuffer.allocate((int) size).order(ByteOrder.BIG_ENDIAN);
        buf.putInt(LENGTH_OFFSET, (int) size - LENGTH_FIELD_BYTES);
        buf.putInt(COUNT_OFFSET, records.size());
        buf.position(HEADER_BYTES);
        for (int i = 0; i < records.size(); i++) {
            AppendRecord r = records.get(i);
            Varint.put(buf, keys[i].length);
            buf.put(keys[i]);
            String hashKey = r.explicitHashKey();
            Varint.put(buf, hashKey == null ? 0 : hashKey.length());
            if (hashKey != null) {
                buf.put(hashKey.getBytes(StandardCharsets.US_ASCII));
            }
            Varint.put(buf, r.dataLength());
            r.copyDataTo(buf);
        }
        buf.flip();
        return buf;
    }

    /**
     * The sealed form of a batch {@link #encode} made, for {@code basePosition} (bound into the ciphertext, so a
     * sealed batch is made for the position it will be stored at): a new buffer, positioned at 0 with the limit at
     * its end, its base position set. Arrival fields and the checksum are left for {@link #stamp}.
     */
    static ByteBuffer seal(ByteBuffer plain, DataKey key, long basePosition, int maxBatchBytes) {
        int count = plain.getInt(COUNT_OFFSET) & COUNT_MASK;
        byte[] keyId = key.keyId().getBytes(StandardCharsets.US_ASCII);
        long size = HEADER_BYTES + 1L + keyId.length + SealedBytes.sealedBytes(plain.limit() - HEADER_BYTES);
        if (size > maxBatchBytes) {
            throw new IllegalArgumentException("encrypted batch of " + size + " bytes exceeds the limit of "
                    + maxBatchBytes);
        }
        ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.BIG_ENDIAN);
        buf.putInt(LENGTH_OFFSET, (int) size - LENGTH_FIELD_BYTES);
        buf.putLong(BASE_POSITION_OFFSET, basePosition);
        buf.putInt(COUNT_OFFSET, count | SEALED_FLAG);
        buf.position(HEADER_BYTES);
        buf.put((byte) keyId.length).put(keyId);
        SealedBytes.seal(key, SealedBytes.Purpose.BATCH, basePosition, count,
                plain.duplicate().position(HEADER_BYTES), buf);
        buf.flip();
        return buf;
    }

    /** Fills in the position and arrival time and seals the batch with its checksum. */
    static void stamp(ByteBuffer batch, long basePosition, long arrivalMs) {
        if (sealed(batch, 0) && basePosition(batch, 0) != basePosition) {
            // Its ciphertext is bound to the position it was sealed for: stored elsewhere it would never open.
            throw new IllegalStateException("batch sealed for position " + basePosition(batch, 0)
                    + " stamped with position " + basePosition);
        }
        batch.putLong(BASE_POSITION_OFFSET, basePosition);
        batch.putLong(FIRST_ARRIVAL_OFFSET, arrivalMs);
        batch.putLong(LAST_ARRIVAL_OFFSET, arrivalMs);
        batch.putInt(CRC_OFFSET, checksum(batch, 0, batch.getInt(LENGTH_OFFSET) + LENGTH_FIELD_BYTES));
    }

    private static int checksum(ByteBuffer buf, int batchStart, int totalBytes) {
        CRC32C crc = new CRC32C();
        ByteBuffer covered = buf.duplicate();
        covered.limit(batchStart + totalBytes).position(batchStart + BASE_POSITION_OFFSET);
        crc.update(covered);
        return (int) crc.getValue();
    }

    /**
     * The total size of the batch starting at {@code at}, read from its length field, or -1 if the length is
     * impossible. Needs only the first 4 bytes; does not verify the checksum.
     */
    static int totalBytes(ByteBuffer buf, int at, int maxBatchBytes) {
        int length = buf.getInt(at + LENGTH_OFFSET);
        if (length < HEADER_BYTES - LENGTH_FIELD_BYTES || length > maxBatchBytes - LENGTH_FIELD_BYTES) {
            return -1;
        }
        return length + LENGTH_FIELD_BYTES;
    }

    /**
     * Whether the whole batch starting at {@code at} (of {@code totalBytes}, which must be in the buffer) is intact:
     * its checksum matches and its count is possible for its size.
     */
    static boolean intact(ByteBuffer buf, int at, int totalBytes) {
        int count = count(buf, at);
        if (count < 1 || (long) count * MIN_RECORD_BYTES > totalBytes - HEADER_BYTES) {
            return false;
        }
        return buf.getInt(at + CRC_OFFSET) == checksum(buf, at, totalBytes);
    }

    static long basePosition(ByteBuffer buf, int at) {
        return buf.getLong(at + BASE_POSITION_OFFSET);
    }

    static int count(ByteBuffer buf, int at) {
        return buf.getInt(at + COUNT_OFFSET) & COUNT_MASK;
    }

    /** Whether the batch's records are encrypted. */
    static boolean sealed(ByteBuffer buf, int at) {
        return (buf.getInt(at + COUNT_OFFSET) & SEALED_FLAG) != 0;
    }

    /** The id of the key a sealed batch was encrypted with (an intact batch's); null for a plain batch. */
    static String keyId(ByteBuffer buf, int at) {
        if (!sealed(buf, at)) {
            return null;
        }
        int length = buf.get(at + HEADER_BYTES) & 0xFF;
        byte[] id = new byte[length];
        buf.get(at + HEADER_BYTES + 1, id);
        return new String(id, StandardCharsets.US_ASCII);
    }

    /** One past the last position the batch covers. */
    static long endPosition(ByteBuffer buf, int at) {
        return basePosition(buf, at) + count(buf, at);
    }

    static long lastArrivalMs(ByteBuffer buf, int at) {
        return buf.getLong(at + LAST_ARRIVAL_OFFSET);
    }

    /**
     * Decodes the records of an intact batch whose positions are at least {@code fromPosition}, appending them to
     * {@code out} until it holds {@code maxRecords} or, beyond its first record, adding one would exceed
     * {@code budgetBytes} of payload (plaintext, for a sealed batch). Returns the payload bytes added, or -1-added
     * when a limit stopped it. A sealed batch is opened with its key from {@code keys} first; it adds nothing then if
     * that throws {@link dev.millrace.storage.crypto.KeyUnavailableException}, or {@link CorruptDataException} if it
     * does not open.
     *
     * <p>The records are views ({@link StoredRecord#view}) into arrays of their own, which the records returned share
     * ({@link ViewGroups}); nothing refers to {@code buf} or the plaintext scratch buffer once this returns.
     */
    static long decode(ByteBuffer buf, int at, long fromPosition, List<StoredRecord> out, int maxRecords,
                       long budgetBytes, KeyRing keys) {
        final long base = basePosition(buf, at);
        final int count = count(buf, at);
        final int end = at + totalBytes(buf, at, Integer.MAX_VALUE);
        ByteBuffer in = buf.duplicate();
        in.position(at + HEADER_BYTES).limit(end);
        final boolean encrypted = sealed(buf, at);
        if (encrypted) {
            in = open(in, base, count, keys);
        }
        ViewGroups groups = new ViewGroups(in, out, lastArrivalMs(buf, at), encrypted, count);
        long added = 0;
        try {
            for (int i = 0; i < count; i++) {
                int keyLength = Varint.get(in);
                int keyAt = in.position();
                in.position(keyAt + keyLength);
                int hashKeyLength = Varint.get(in);
                String hashKey = null;
                if (hashKeyLength > 0) {
                    byte[] hk = new byte[hashKeyLength];
                    in.get(hk);
                    hashKey = new String(hk, StandardCharsets.US_ASCII);
                }
                int dataLength = Varint.get(in);
                int dataAt = in.position();
                in.position(dataAt + dataLength);
                if (base + i < fromPosition) {
                    continue;
                }
                if (out.size() + groups.pending() >= maxRecords
                        || (out.size() + groups.pending() > 0 && added + dataLength > budgetBytes)) {
                    groups.flush();
                    return -1 - added;
                }
                groups.add(base + i, hashKey, keyAt, keyLength, dataAt, dataLength);
                added += dataLength;
            }
            groups.flush();
        } catch (RuntimeException e) {
            // The checksum matched, so this is a writer bug rather than disk damage; say so instead of guessing.
            throw new CorruptDataException("batch at position " + base + " passed its checksum but does not parse: " + e);
        }
        return added;
    }

    /**
     * The copy a read makes of its records, one per group of consecutive records rather than one array and one key
     * String per record: a group's keys and data (with what lies between them) are copied out of the read buffer
     * with one {@code arraycopy} into an array the group's {@link StoredRecord#view}s share, which an answer then
     * writes from. The buffer the batch lies in is reused by the next read (the scanner's, or this thread's
     * plaintext scratch), so a copy there must be; groups stay under {@link #GROUP_BYTES} so that no array is
     * a G1 humongous allocation (a larger record gets an array of its own, as it always did).
     *
     * <p>Not thread-safe; one per decoded batch.
     */
    private static final class ViewGroups {
        static final int GROUP_BYTES = 64 * 1024;
        private static final int FIELDS = 4;

        private final ByteBuffer in;
        private final List<StoredRecord> out;
        private final long arrivalMs;
        private final boolean encrypted;
        /** Per pending record: keyAt, keyLength, dataAt, dataLength (offsets in {@code in}). */
        private final int[] spans;
        private final long[] positions;
        private String[] hashKeys;
        private int pending;

        ViewGroups(ByteBuffer in, List<StoredRecord> out, long arrivalMs, boolean encrypted, int count) {
            this.in = in;
            this.out = out;
            this.arrivalMs = arrivalMs;
            this.encrypted = encrypted;
            int most = Math.min(count, GROUP_BYTES / MIN_RECORD_BYTES + 1);
            this.spans = new int[FIELDS * most];
            this.positions = new long[most];
        }

        int pending() {
            return pending;
        }

        void add(long position, String hashKey, int keyAt, int keyLength, int dataAt, int dataLength) {
            if (pending > 0 && dataAt + dataLength - spans[0] > GROUP_BYTES) {
                flush();
            }
            int f = FIELDS * pending;
            spans[f] = keyAt;
            spans[f + 1] = keyLength;
            spans[f + 2] = dataAt;
            spans[f + 3] = dataLength;
            positions[pending] = position;
            if (hashKey != null) {
                if (hashKeys == null) {
                    hashKeys = new String[positions.length];
                }
                hashKeys[pending] = hashKey;
            } else if (hashKeys != null) {
                hashKeys[pending] = null;
            }
            pending++;
        }

        void flush() {
            if (pending == 0) {
                return;
            }
            int from = spans[0];
            int last = FIELDS * (pending - 1);
            int to = spans[last + 2] + spans[last + 3];
            byte[] group;
            if (in.hasArray()) {
                // copyOfRange rather than new + get: the JIT leaves out zeroing an array it fills at once.
                group = Arrays.copyOfRange(in.array(), in.arrayOffset() + from, in.arrayOffset() + to);
            } else {
                group = new byte[to - from];
                in.get(from, group);
            }
            for (int k = 0; k < pending; k++) {
                int f = FIELDS * k;
                out.add(StoredRecord.view(positions[k], arrivalMs, hashKeys == null ? null : hashKeys[k], encrypted,
                        group, spans[f] - from, spans[f + 1], spans[f + 2] - from, spans[f + 3]));
            }
            pending = 0;
        }
    }

    /** The plain records area of a sealed one ({@code area}: from the key id length to the batch's end). */
    private static ByteBuffer open(ByteBuffer area, long base, int count, KeyRing keys) {
        int idLength = area.hasRemaining() ? area.get() & 0xFF : 0;
        if (idLength == 0 || area.remaining() < idLength + SealedBytes.OVERHEAD_BYTES) {
            throw new CorruptDataException("encrypted batch at position " + base
                    + " passed its checksum but has no room for its key id and ciphertext");
        }
        byte[] id = new byte[idLength];
        area.get(id);
        DataKey key = keys.key(new String(id, StandardCharsets.US_ASCII));
        ByteBuffer plain = scratch(READ_SCRATCH, SealedBytes.plaintextBytes(area.remaining()));
        SealedBytes.open(key, SealedBytes.Purpose.BATCH, base, count, area, plain);
        return plain.flip();
    }

    /** An empty buffer of at least {@code bytes}, limited to them: this thread's scratch buffer when it is small. */
    private static ByteBuffer scratch(ThreadLocal<ByteBuffer[]> kept, int bytes) {
        if (bytes > SCRATCH_MAX_BYTES) {
            return ByteBuffer.allocate(bytes);
        }
        ByteBuffer[] held = kept.get();
        if (held[0] == null || held[0].capacity() < bytes) {
            held[0] = ByteBuffer.allocate(Math.min(SCRATCH_MAX_BYTES, Math.max(bytes, 64 * 1024)));
        }
        return held[0].clear().limit(bytes);
    }
}
