package dev.millrace.channels.table;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.UUID;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The Glue Schema Registry record header that GSR_JSON records carry, as the AWS GSR serializers write it:
 * <pre>
 * offset 0   1 byte    header version, 0x03
 * offset 1   1 byte    compression of the payload: 0x00 none, 0x05 zlib
 * offset 2  16 bytes   the schema version id (a UUID: most significant 8 bytes, then least, big-endian)
 * offset 18  rest      the payload: the JSON document, zlib-compressed if the compression byte says so
 * </pre>
 * Decoding checks the header and inflates the payload, bounded by a size limit (a small zlib bomb must not take the
 * heap). Error codes follow AWS's skill guide: INVALID_SCHEMA for a record without the header (plain JSON sent to a
 * GSR_JSON channel), DESERIALIZATION_ERROR for a header whose payload cannot be read, RECORD_TOO_LARGE above the
 * limit.
 *
 * <p>Stateless and thread-safe.
 */
public final class GsrRecords {

    /** The header's version byte. */
    public static final byte HEADER_VERSION = 3;
    /** Compression byte: the payload is as is. */
    public static final byte COMPRESSION_NONE = 0;
    /** Compression byte: the payload is zlib (RFC 1950). */
    public static final byte COMPRESSION_ZLIB = 5;
    /** Header bytes before the payload. */
    public static final int HEADER_BYTES = 18;

    public static final String INVALID_SCHEMA = "INVALID_SCHEMA";
    public static final String DESERIALIZATION_ERROR = "DESERIALIZATION_ERROR";
    public static final String RECORD_TOO_LARGE = "RECORD_TOO_LARGE";

    private static final int INFLATE_CHUNK_BYTES = 64 * 1024;

    /** A decoded record: a payload, or why there is none. */
    public sealed interface Decoded permits Payload, Problem {
    }

    /** The record's schema version id and its JSON payload, inflated. */
    public record Payload(UUID schemaVersionId, byte[] json) implements Decoded {
    }

    /** Why the record cannot be decoded: an error code above and a message that quotes none of the record. */
    public record Problem(String errorCode, String message) implements Decoded {
    }

    private GsrRecords() {
    }

    /** Decodes {@code data}; a payload that inflates to more than {@code maxPayloadBytes} is a problem. */
    public static Decoded decode(byte[] data, long maxPayloadBytes) {
        if (data.length < HEADER_BYTES || data[0] != HEADER_VERSION) {
            return new Problem(INVALID_SCHEMA, "The record does not carry the Glue Schema Registry header (version "
                    + "byte 0x03, compression byte, 16-byte schema version id): a GSR_JSON channel takes records "
                    + "written by a GSR serializer.");
        }
        ByteBuffer header = ByteBuffer.wrap(data, 2, 16);
        UUID version = new UUID(header.getLong(), header.getLong());
        byte compression = data[1];
        if (compression == COMPRESSION_NONE) {
            if (data.length - HEADER_BYTES > maxPayloadBytes) {
                return tooLarge(maxPayloadBytes);
            }
            return new Payload(version, Arrays.copyOfRange(data, HEADER_BYTES, data.length));
        }
        if (compression != COMPRESSION_ZLIB) {
            return new Problem(DESERIALIZATION_ERROR, String.format("The record's GSR header names compression "
                    + "0x%02x; only 0x00 (none) and 0x05 (zlib) are defined.", compression & 0xff));
        }
        return inflate(version, data, maxPayloadBytes);
    }

    /**
     * A record as a GSR serializer writes it, for producers and tests: the header for {@code schemaVersionId}, then
     * {@code json}, deflated when {@code zlib}.
     */
    public static byte[] encode(UUID schemaVersionId, byte[] json, boolean zlib) {
        byte[] payload = json;
        if (zlib) {
            Deflater deflater = new Deflater();
            try {
                deflater.setInput(json);
                deflater.finish();
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                byte[] chunk = new byte[INFLATE_CHUNK_BYTES];
                while (!deflater.finished()) {
                    out.write(chunk, 0, deflater.deflate(chunk));
                }
                payload = out.toByteArray();
            } finally {
                deflater.end();
            }
        }
        return ByteBuffer.allocate(HEADER_BYTES + payload.length)
                .put(HEADER_VERSION)
                .put(zlib ? COMPRESSION_ZLIB : COMPRESSION_NONE)
                .putLong(schemaVersionId.getMostSignificantBits())
                .putLong(schemaVersionId.getLeastSignificantBits())
                .put(payload)
                .array();
    }

    private static Decoded inflate(UUID version, byte[] data, long maxPayloadBytes) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(data, HEADER_BYTES, data.length - HEADER_BYTES);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] chunk = new byte[INFLATE_CHUNK_BYTES];
            while (!inflater.finished()) {
                int n = inflater.inflate(chunk);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    return new Problem(DESERIALIZATION_ERROR, "The record's zlib payload is truncated.");
                }
                if (out.size() + (long) n > maxPayloadBytes) {
                    return tooLarge(maxPayloadBytes);
                }
                out.write(chunk, 0, n);
            }
            if (inflater.getRemaining() > 0) {
                return new Problem(DESERIALIZATION_ERROR, "The record holds bytes after its zlib payload.");
            }
            return new Payload(version, out.toByteArray());
        } catch (DataFormatException e) {
            return new Problem(DESERIALIZATION_ERROR, "The record's zlib payload is damaged: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    private static Problem tooLarge(long maxPayloadBytes) {
        return new Problem(RECORD_TOO_LARGE, "The record's payload is larger than " + maxPayloadBytes
                + " bytes; larger records are not delivered.");
    }
}
