package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * Writes a response body in the request's format. Null members are left out, as AWS does.
 *
 * <p>Timestamps: JSON gets epoch seconds with a millisecond fraction ({@code 1787036486.712}); CBOR gets tag 1 +
 * integer epoch milliseconds, the (non-standard) form the AWS SDKs decode. Blobs: base64 strings in JSON, byte
 * strings in CBOR.
 *
 * <p>Not thread-safe; one per response. IO errors cannot happen on the in-memory buffer and surface as
 * {@link UncheckedIOException} if they do.
 */
public final class WireWriter {
    private static final int TAG_EPOCH = 1;

    private final WireFormat format;
    // Segmented: a 10 MiB GetRecords answer grows without copying what is already written, and goes to the socket
    // as its blocks (see ChunkedBytes).
    private final ChunkedBytes out = new ChunkedBytes();
    private final JsonGenerator g;
    /** Scratch for a JSON timestamp's digits: 19 digits of a long, its point. */
    private final char[] numberChars = new char[21];

    public WireWriter(WireFormat format) {
        this.format = format;
        try {
            this.g = format.factory().createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public WireFormat format() {
        return format;
    }

    /**
     * A member name encoded once (UTF-8, and JSON-quoted where JSON needs it) for members written once per record:
     * the generator copies its bytes instead of encoding the name char by char each time.
     *
     * <p>Immutable, thread-safe: keep them in constants.
     */
    public static final class Name {
        private final SerializedString encoded;

        private Name(String name) {
            this.encoded = new SerializedString(name);
            // Encode now, on the thread that makes the constant, rather than lazily on the hot path.
            encoded.asQuotedUTF8();
            encoded.asUnquotedUTF8();
        }

        public static Name of(String name) {
            return new Name(name);
        }
    }

    // Each writing method converts the generator's IOException itself (one try per call, no lambda per field).

    public WireWriter startObject() {
        try {
            g.writeStartObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter startObject(String name) {
        try {
            g.writeObjectFieldStart(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter endObject() {
        try {
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter startArray(String name) {
        try {
            g.writeArrayFieldStart(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter endArray() {
        try {
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter string(String name, String value) {
        if (value != null) {
            try {
                g.writeStringField(name, value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    public WireWriter string(Name name, String value) {
        if (value != null) {
            try {
                g.writeFieldName(name.encoded);
                g.writeString(value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    /** An array element. */
    public WireWriter string(String value) {
        try {
            g.writeString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /**
     * A string member given as its UTF-8 bytes ({@code length} of them from {@code offset}), which must be valid
     * UTF-8 (as {@link String#getBytes} makes it): the same output as {@link #string(String, String)} of the decoded
     * string, JSON escapes included, without decoding it into a String first.
     */
    public WireWriter utf8String(Name name, byte[] utf8, int offset, int length) {
        try {
            g.writeFieldName(name.encoded);
            if (format == WireFormat.JSON && hasSupplementary(utf8, offset, length)) {
                // Jackson's JSON writeString escapes a surrogate pair as two 6-char escapes; its writeUTF8String would
                // copy the 4 bytes. The rare key beyond the BMP takes the String path for the same output.
                g.writeString(new String(utf8, offset, length, StandardCharsets.UTF_8));
            } else {
                g.writeUTF8String(utf8, offset, length);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Whether the UTF-8 holds a character beyond the BMP: a 4-byte sequence, whose lead byte is 0xF0-0xF4. */
    private static boolean hasSupplementary(byte[] utf8, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if ((utf8[i] & 0xF8) == 0xF0) {
                return true;
            }
        }
        return false;
    }

    public WireWriter number(String name, Long value) {
        if (value != null) {
            try {
                g.writeNumberField(name, value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    public WireWriter number(String name, Integer value) {
        if (value != null) {
            try {
                g.writeNumberField(name, value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    public WireWriter bool(String name, Boolean value) {
        if (value != null) {
            try {
                g.writeBooleanField(name, value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    /** Writes an explicit null, for members whose null carries meaning (e.g. {@code NextShardIterator}). */
    public WireWriter nullValue(String name) {
        try {
            g.writeNullField(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter blob(String name, byte[] value) {
        if (value != null) {
            try {
                g.writeFieldName(name);
                g.writeBinary(value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return this;
    }

    /** A blob member from {@code length} bytes of {@code bytes} from {@code offset}, copied once, into the output. */
    public WireWriter blob(Name name, byte[] bytes, int offset, int length) {
        try {
            g.writeFieldName(name.encoded);
            g.writeBinary(bytes, offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter timestamp(String name, Instant value) {
        return value == null ? this : timestampMs(name, value.toEpochMilli());
    }

    public WireWriter timestampMs(String name, long epochMs) {
        try {
            g.writeFieldName(name);
            timestampValue(epochMs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter timestampMs(Name name, long epochMs) {
        try {
            g.writeFieldName(name.encoded);
            timestampValue(epochMs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    private void timestampValue(long epochMs) throws IOException {
        if (format == WireFormat.CBOR) {
            ((CBORGenerator) g).writeTag(TAG_EPOCH);
            g.writeNumber(epochMs);
        } else if (epochMs >= 0) {
            writeSecondsWithMillis(epochMs);
        } else {
            g.writeNumber(BigDecimal.valueOf(epochMs, 3));
        }
    }

    /**
     * JSON's {@code 1787036486.712} for a non-negative time, as {@code BigDecimal.valueOf(epochMs, 3)} writes it
     * (seconds, a point, three digits of milliseconds; "0.005" below a second) but without a BigDecimal and its
     * string per record.
     */
    private void writeSecondsWithMillis(long epochMs) throws IOException {
        char[] buf = numberChars;
        int at = buf.length;
        long rest = epochMs;
        for (int i = 0; i < 3; i++) {
            buf[--at] = (char) ('0' + rest % 10);
            rest /= 10;
        }
        buf[--at] = '.';
        do {
            buf[--at] = (char) ('0' + rest % 10);
            rest /= 10;
        } while (rest != 0);
        g.writeNumber(buf, at, buf.length - at);
    }

    /** Finishes the document and returns its bytes. */
    public byte[] toBytes() {
        close();
        return out.toByteArray();
    }

    /** Finishes the document and returns its bytes as blocks of at most 64 KiB, without copying them into one. */
    public List<ByteBuffer> toChunks() {
        close();
        return out.chunks();
    }

    private void close() {
        try {
            g.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The body of an error response: {@code {"__type": type, "message": message}}, with {@code Message} instead for
     * a serialization error (see {@link KinesisException#messageMember()}); no message member when there is none.
     */
    public static byte[] error(WireFormat format, KinesisException e) {
        WireWriter w = new WireWriter(format).startObject().string("__type", e.errorType());
        if (e.getMessage() != null) {
            w.string(e.messageMember(), e.getMessage());
        }
        return w.endObject().toBytes();
    }
}
