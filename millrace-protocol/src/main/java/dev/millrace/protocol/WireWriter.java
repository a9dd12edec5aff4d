package dev.millrace.protocol;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.dataformat.cbor.CBORGenerator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
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

    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    private WireWriter io(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public WireWriter startObject() {
        return io(g::writeStartObject);
    }

    public WireWriter startObject(String name) {
        return io(() -> g.writeObjectFieldStart(name));
    }

    public WireWriter endObject() {
        return io(g::writeEndObject);
    }

    public WireWriter startArray(String name) {
        return io(() -> g.writeArrayFieldStart(name));
    }

    public WireWriter endArray() {
        return io(g::writeEndArray);
    }

    public WireWriter string(String name, String value) {
        return value == null ? this : io(() -> g.writeStringField(name, value));
    }

    /** An array element. */
    public WireWriter string(String value) {
        return io(() -> g.writeString(value));
    }

    public WireWriter number(String name, Long value) {
        return value == null ? this : io(() -> g.writeNumberField(name, value));
    }

    public WireWriter number(String name, Integer value) {
        return value == null ? this : io(() -> g.writeNumberField(name, value));
    }

    public WireWriter bool(String name, Boolean value) {
        return value == null ? this : io(() -> g.writeBooleanField(name, value));
    }

    /** Writes an explicit null, for members whose null carries meaning (e.g. {@code NextShardIterator}). */
    public WireWriter nullValue(String name) {
        return io(() -> g.writeNullField(name));
    }

    public WireWriter blob(String name, byte[] value) {
        return value == null ? this : io(() -> {
            g.writeFieldName(name);
            g.writeBinary(value);
        });
    }

    public WireWriter timestamp(String name, Instant value) {
        return value == null ? this : timestampMs(name, value.toEpochMilli());
    }

    public WireWriter timestampMs(String name, long epochMs) {
        return io(() -> {
            g.writeFieldName(name);
            if (format == WireFormat.CBOR) {
                ((CBORGenerator) g).writeTag(TAG_EPOCH);
                g.writeNumber(epochMs);
            } else {
                g.writeNumber(BigDecimal.valueOf(epochMs, 3));
            }
        });
    }

    /** Finishes the document and returns its bytes. */
    public byte[] toBytes() {
        io(g::close);
        return out.toByteArray();
    }

    /** Finishes the document and returns its bytes as blocks of at most 64 KiB, without copying them into one. */
    public List<ByteBuffer> toChunks() {
        io(g::close);
        return out.chunks();
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
