package dev.millrace.server.records;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The pieces the nodes' internal binary formats are written and read with ({@link RemoteAppend}, and the cluster's
 * traffic reports): a value written to memory, a value read whole (truncated or trailing bytes are an
 * {@link IllegalArgumentException}), a leading format byte, and {@code str16}: a u16 big-endian length, then that many
 * bytes of UTF-8. The layouts themselves are drawn in the classes that own them.
 *
 * <p>Stateless; thread-safe.
 */
public final class BinaryCodec {
    private BinaryCodec() {
    }

    /** Writes to a {@link DataOutputStream} over memory. */
    @FunctionalInterface
    public interface Writing {
        void to(DataOutputStream out) throws IOException;
    }

    /** Reads a value from a buffer. */
    @FunctionalInterface
    public interface Reading<T> {
        T from(ByteBuffer in);
    }

    public static byte[] write(Writing writing) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writing.to(out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    /** Reads {@code bytes} whole: a value that ends early or leaves bytes over does not parse. */
    public static <T> T read(byte[] bytes, Reading<T> reading) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            T value = reading.from(in);
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " bytes follow the end");
            }
            return value;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated", e);
        }
    }

    /** Reads the format byte and refuses any but {@code expected}. */
    public static void format(ByteBuffer in, byte expected) {
        byte format = in.get();
        if (format != expected) {
            throw new IllegalArgumentException("unknown format " + format);
        }
    }

    public static void str(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("a string of " + b.length + " bytes does not fit");
        }
        out.writeShort(b.length);
        out.write(b);
    }

    public static String str(ByteBuffer in) {
        int length = Short.toUnsignedInt(in.getShort());
        if (length > in.remaining()) {
            throw new IllegalArgumentException("bad string length " + length);
        }
        byte[] b = new byte[length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
