package dev.millrace.loadgen;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;

/**
 * The layouts of the records the generator writes ({@code --payload}); readers in the same process take the send time
 * back out of them.
 *
 * <p>{@link #BINARY}, the default:
 * <pre>
 *  0               8               16                            recordBytes
 *  +---------------+---------------+-----------------------------+
 *  | runId (i64)   | sendNanos     | filler (random, fixed)      |
 *  +---------------+---------------+-----------------------------+
 * </pre>
 * Big-endian, like the rest of the wire.
 *
 * <p>{@link #JSON}: one JSON object of exactly {@code recordBytes} ASCII bytes, every field at a fixed offset, for
 * destinations that parse records (a channel delivering JSON to an Iceberg table, whose schema has a date-time field
 * to partition by):
 * <pre>
 *  0       7                        31       40                 56        66                 82       91     n-2 n
 *  {"ts":" 2026-12-06T23:59:59.123Z ","run":" 0123456789abcdef  ","sent":" 0123456789abcdef  ","pad":" a-z0-9 "}
 * </pre>
 * {@code ts} is when the producer made the buffer (UTC, milliseconds, always 24 characters); {@code run} and
 * {@code sent} are the same two longs as BINARY's, in 16 lowercase hex digits; {@code pad} fills the rest with random
 * letters and digits.
 *
 * <ul>
 *   <li>{@code runId}: random per run, so readers of a stream that also holds other runs' records (or other
 *   producers') count only this run's.</li>
 *   <li>{@code sendNanos}: this JVM's {@link System#nanoTime()} at which the request carrying the record was
 *   intended to be sent (open loop) or was sent (closed loop). Every record of one PutRecords request carries the
 *   same value, so a request stamps its buffer once.</li>
 *   <li>filler and pad: random, so that nothing between the generator and the disk can compress the data away
 *   (JSON's alphabet of 36 still compresses to about two thirds).</li>
 * </ul>
 *
 * <p>Thread-safe: stateless.
 */
public enum RecordPayload {
    BINARY(16) {
        @Override
        byte[] newBuffer(int recordBytes, long runId, SplittableRandom random, Instant now) {
            checkSize(recordBytes);
            byte[] buffer = new byte[recordBytes];
            for (int i = minBytes(); i < recordBytes; i++) {
                buffer[i] = (byte) random.nextInt(256);
            }
            LONGS.set(buffer, 0, runId);
            return buffer;
        }

        @Override
        void stampSendNanos(byte[] buffer, long sendNanos) {
            LONGS.set(buffer, 8, sendNanos);
        }

        @Override
        boolean isFromRun(byte[] data, long runId) {
            return data.length >= minBytes() && (long) LONGS.get(data, 0) == runId;
        }

        @Override
        long sendNanos(byte[] data) {
            return (long) LONGS.get(data, 8);
        }
    },

    JSON(93) { // the pad's offset (91) and the closing quote and brace
        @Override
        byte[] newBuffer(int recordBytes, long runId, SplittableRandom random, Instant now) {
            checkSize(recordBytes);
            StringBuilder json = new StringBuilder(recordBytes).append("{\"ts\":\"").append(TS.format(now))
                    .append("\",\"run\":\"").append(hex(runId)).append("\",\"sent\":\"").append(hex(0))
                    .append("\",\"pad\":\"");
            assert json.length() == 91 : "the layout's fixed offsets";
            while (json.length() < recordBytes - 2) {
                json.append(PAD_ALPHABET.charAt(random.nextInt(PAD_ALPHABET.length())));
            }
            return json.append("\"}").toString().getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        void stampSendNanos(byte[] buffer, long sendNanos) {
            writeHex(buffer, JSON_SENT_AT, sendNanos);
        }

        @Override
        boolean isFromRun(byte[] data, long runId) {
            if (data.length < minBytes() || data[0] != '{' || data[JSON_RUN_AT - 1] != '"'
                    || data[JSON_SENT_AT - 1] != '"' || data[JSON_SENT_AT + 16] != '"') {
                return false;
            }
            for (int i = 15; i >= 0; i--, runId >>>= 4) {
                if (data[JSON_RUN_AT + i] != Character.forDigit((int) (runId & 0xF), 16)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        long sendNanos(byte[] data) {
            return readHex(data, JSON_SENT_AT);
        }
    };

    private static final int JSON_RUN_AT = 40;
    private static final int JSON_SENT_AT = 66;
    private static final String PAD_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final int minBytes;

    RecordPayload(int minBytes) {
        this.minBytes = minBytes;
    }

    /**
     * Whether every record of a request gets a buffer of its own (its own pad): JSON records go to destinations that
     * encode columns (Parquet's dictionaries, a codec over many records), which identical records would flatter.
     * Binary records share their request's buffer: nothing between the generator and the log looks at them twice.
     */
    public boolean distinctRecords() {
        return this == JSON;
    }

    /** Records shorter than this cannot carry the layout. */
    public int minBytes() {
        return minBytes;
    }

    /** A new record buffer of {@code recordBytes}: the run id, {@code now} (JSON), random filler from {@code random}. */
    abstract byte[] newBuffer(int recordBytes, long runId, SplittableRandom random, Instant now);

    /** Writes the send time into a buffer {@link #newBuffer} made. */
    abstract void stampSendNanos(byte[] buffer, long sendNanos);

    /** True if {@code data} (a record as read back) was written by run {@code runId} in this layout. */
    abstract boolean isFromRun(byte[] data, long runId);

    /** The send time of a record for which {@link #isFromRun} holds. */
    abstract long sendNanos(byte[] data);

    void checkSize(int recordBytes) {
        if (recordBytes < minBytes) {
            throw new IllegalArgumentException(name() + " records must be at least " + minBytes + " bytes, were "
                    + recordBytes);
        }
    }

    private static String hex(long value) {
        String digits = Long.toHexString(value);
        return "0".repeat(16 - digits.length()) + digits;
    }

    private static void writeHex(byte[] buffer, int offset, long value) {
        for (int i = 15; i >= 0; i--) {
            buffer[offset + i] = (byte) Character.forDigit((int) (value & 0xF), 16);
            value >>>= 4;
        }
    }

    /** The 16 hex digits at {@code offset} (of a record {@link #isFromRun} accepted). */
    private static long readHex(byte[] data, int offset) {
        long value = 0;
        for (int i = 0; i < 16; i++) {
            value = (value << 4) | Character.digit(data[offset + i], 16);
        }
        return value;
    }
}
