package dev.millrace.storage.log;

import java.nio.ByteBuffer;

/**
 * Unsigned LEB128 encoding of non-negative ints, for the length fields of on-disk layouts.
 *
 * <p>Stateless, thread-safe.
 */
public final class Varint {
    private Varint() {
    }

    public static int bytes(int value) {
        int bytes = 1;
        while ((value >>>= 7) != 0) {
            bytes++;
        }
        return bytes;
    }

    public static void put(ByteBuffer buf, int value) {
        while ((value & ~0x7F) != 0) {
            buf.put((byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        buf.put((byte) value);
    }

    /** Reads a value; throws {@link IllegalStateException} for an over-long or negative encoding. */
    public static int get(ByteBuffer buf) {
        int value = 0;
        for (int shift = 0; shift < 32; shift += 7) {
            byte b = buf.get();
            value |= (b & 0x7F) << shift;
            if (b >= 0) {
                if (value < 0) {
                    throw new IllegalStateException("negative length");
                }
                return value;
            }
        }
        throw new IllegalStateException("varint too long");
    }
}
