package dev.millrace.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Lines of bytes from a stream, for {@code millrace put}: split at {@code \n}, a {@code \r} before it dropped too,
 * bytes kept as they are (a line need not be UTF-8). A line longer than {@code maxBytes} is not kept: it is read
 * to its end and returned as {@link Line#tooLong}, so that memory stays bounded by the record size limit.
 *
 * <p>Not thread-safe.
 */
final class LineReader {
    /** A line; {@code data} is null when it was longer than the limit ({@code length} then says how long). */
    record Line(long number, byte[] data, long length) {
        boolean tooLong() {
            return data == null;
        }
    }

    private final InputStream in;
    private final int maxBytes;
    private long number;

    LineReader(InputStream in, int maxBytes) {
        this.in = new BufferedInputStream(in, 1 << 16);
        this.maxBytes = maxBytes;
    }

    /** The next line, or null at the end of the input (a last line without {@code \n} is a line). */
    Line next() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        long length = 0;
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (length++ < maxBytes + 1) {
                line.write(b);
            }
        }
        if (b == -1 && length == 0) {
            return null;
        }
        number++;
        byte[] data = line.toByteArray();
        boolean carriageReturn = data.length > 0 && data[data.length - 1] == '\r' && length == data.length;
        if (carriageReturn) {
            data = java.util.Arrays.copyOf(data, data.length - 1);
            length--;
        }
        return length > maxBytes ? new Line(number, null, length) : new Line(number, data, length);
    }
}
