package dev.millrace.loadgen;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The layout of every record the generator writes; readers in the same process take the send time back out of it.
 *
 * <pre>
 *  0               8               16                            recordBytes
 *  +---------------+---------------+-----------------------------+
 *  | runId (i64)   | sendNanos     | filler (random, fixed)      |
 *  +---------------+---------------+-----------------------------+
 * </pre>
 *
 * <ul>
 *   <li>{@code runId}: random per run, so readers of a stream that also holds other runs' records (or other
 *   producers') count only this run's.</li>
 *   <li>{@code sendNanos}: this JVM's {@link System#nanoTime()} at which the request carrying the record was
 *   intended to be sent (open loop) or was sent (closed loop). Every record of one PutRecords request carries the
 *   same value, so a request stamps its buffer once.</li>
 *   <li>filler: random bytes, so that nothing between the generator and the disk can compress the data away.</li>
 * </ul>
 * Big-endian, like the rest of the wire.
 *
 * <p>Thread-safe: stateless.
 */
public final class RecordPayload {
    /** Records shorter than this cannot carry the header. */
    public static final int HEADER_BYTES = 16;
    static final int RUN_ID_OFFSET = 0;
    static final int SEND_NANOS_OFFSET = 8;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private RecordPayload() {
    }

    /** A new record buffer of {@code recordBytes}: the run id, and random filler from {@code random}. */
    public static byte[] newBuffer(int recordBytes, long runId, SplittableRandom random) {
        if (recordBytes < HEADER_BYTES) {
            throw new IllegalArgumentException("records must be at least " + HEADER_BYTES + " bytes, were "
                    + recordBytes);
        }
        byte[] buffer = new byte[recordBytes];
        for (int i = HEADER_BYTES; i < recordBytes; i++) {
            buffer[i] = (byte) random.nextInt(256);
        }
        LONGS.set(buffer, RUN_ID_OFFSET, runId);
        return buffer;
    }

    public static void stampSendNanos(byte[] buffer, long sendNanos) {
        LONGS.set(buffer, SEND_NANOS_OFFSET, sendNanos);
    }

    /** True if {@code data} (a record as read back) was written by run {@code runId}. */
    public static boolean isFromRun(byte[] data, long runId) {
        return data.length >= HEADER_BYTES && (long) LONGS.get(data, RUN_ID_OFFSET) == runId;
    }

    /** The send time of a record for which {@link #isFromRun} holds. */
    public static long sendNanos(byte[] data) {
        return (long) LONGS.get(data, SEND_NANOS_OFFSET);
    }
}
