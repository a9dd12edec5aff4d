package dev.millrace.channels.delivery;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A channel's {@code RecordFormatType} for an S3 destination: how a record is checked and how it is laid into an
 * object. (GSR_JSON is for Iceberg destinations only.)
 *
 * <p>Validation, as AWS documents it: BYTE_ARRAY none; STRING valid UTF-8; JSON exactly one JSON value in UTF-8 (RFC
 * 8259; whitespace around it is fine), checked with Jackson's streaming parser; values nested deeper than 1000
 * levels are refused.
 *
 * <p>Delivery checks every record, so the check reads the bytes where they are: a record of ASCII bytes (most JSON)
 * is valid UTF-8 without decoding it, only one with other bytes goes through a strict decoder; Jackson then parses
 * the bytes themselves (its UTF-8 parser), not a decoded copy. A NUL byte is refused before parsing: it is never
 * valid JSON as UTF-8, while Jackson, given bytes, would take zero bytes for a sign of UTF-16 or UTF-32.
 *
 * <p>Layout (AWS does not say; this is Millrace's choice): BYTE_ARRAY records are concatenated unmodified, as
 * Firehose does, so the object is byte for byte the records' payloads. STRING and JSON records are written unmodified,
 * each followed by a newline unless it already ends with one, so an object is newline-delimited text (JSON Lines for
 * single-line JSON records) and producers that already end their records with a newline (the Firehose habit) get no
 * blank lines. A record that itself holds newlines spans several lines; for JSON the object is still a valid stream of
 * concatenated JSON values.
 *
 * <p>Stateless and thread-safe.
 */
public enum RecordFormat {
    BYTE_ARRAY,
    STRING,
    JSON;

    /**
     * Any JSON value is valid however long its strings and numbers (a record's size already bounds them); nesting
     * stays bounded at Jackson's default (1000 levels), since each level costs the parser memory.
     */
    private static final JsonFactory JSON_FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .build())
            .build();
    private static final byte NEWLINE = '\n';
    private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long ONES = 0x0101010101010101L;

    /** What is wrong with the record for this format (an error message), or empty when it can be delivered. */
    public Optional<String> problem(byte[] data) {
        return switch (this) {
            case BYTE_ARRAY -> Optional.empty();
            case STRING -> isUtf8(data) ? Optional.empty() : Optional.of("The record is not valid UTF-8.");
            case JSON -> jsonProblem(data);
        };
    }

    /** How many bytes {@link #write} writes for a record of {@code data}. */
    public long laidOutBytes(byte[] data) {
        return data.length + (needsNewline(data) ? 1 : 0);
    }

    /** Writes the record into an object's (uncompressed) stream, as laid out above. */
    public void write(OutputStream out, byte[] data) throws IOException {
        out.write(data);
        if (needsNewline(data)) {
            out.write(NEWLINE);
        }
    }

    /**
     * Parses a RecordFormatType as the API spells it.
     *
     * @throws IllegalArgumentException for GSR_JSON (Iceberg only) or an unknown name
     */
    public static RecordFormat of(String recordFormatType) {
        try {
            return valueOf(recordFormatType);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("RecordFormatType " + recordFormatType
                    + " cannot be delivered to an S3 bucket; use BYTE_ARRAY, STRING or JSON");
        }
    }

    private boolean needsNewline(byte[] data) {
        return this != BYTE_ARRAY && (data.length == 0 || data[data.length - 1] != NEWLINE);
    }

    /** Whether {@code data} is UTF-8: ASCII at a glance, anything else through a strict decoder. */
    private static boolean isUtf8(byte[] data) {
        return isAscii(data, false) || decodesAsUtf8(data);
    }

    /**
     * Whether every byte of {@code data} is ASCII (and, with {@code orNul}, none is NUL), read eight bytes at a time:
     * a byte not ASCII has its high bit set ({@code word & HIGH_BITS}); {@code (word - ONES) & ~word & HIGH_BITS} is
     * non-zero exactly when some byte of the word is zero (a borrow runs through a zero byte only).
     */
    static boolean isAscii(byte[] data, boolean orNul) {
        int i = 0;
        for (; i + Long.BYTES <= data.length; i += Long.BYTES) {
            long word = (long) WORDS.get(data, i);
            if ((word & HIGH_BITS) != 0 || orNul && ((word - ONES) & ~word & HIGH_BITS) != 0) {
                return false;
            }
        }
        for (; i < data.length; i++) {
            if (data[i] < 0 || orNul && data[i] == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean decodesAsUtf8(byte[] data) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            decoder.decode(ByteBuffer.wrap(data));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static boolean holdsNul(byte[] data) {
        for (byte b : data) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }

    private static Optional<String> jsonProblem(byte[] data) {
        if (!isAscii(data, true)) {
            if (!decodesAsUtf8(data)) {
                return Optional.of("The record is not valid JSON: it is not valid UTF-8.");
            }
            if (holdsNul(data)) {
                return Optional.of("The record is not valid JSON: it holds a NUL character.");
            }
            if (data.length >= 3 && data[0] == (byte) 0xEF && data[1] == (byte) 0xBB && data[2] == (byte) 0xBF) {
                // Jackson skips it; a line of a JSON Lines object must not start with one (RFC 8259 forbids adding it)
                return Optional.of("The record is not valid JSON: it starts with a byte order mark.");
            }
        }
        try (JsonParser parser = JSON_FACTORY.createParser(data)) {
            if (parser.nextToken() == null) {
                return Optional.of("The record is not valid JSON: it holds no JSON value.");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                return Optional.of("The record is not valid JSON: it holds more than one JSON value.");
            }
            return Optional.empty();
        } catch (JsonProcessingException e) {
            // Where, not what: Jackson's messages quote the offending token, and dead letters hold no payload.
            JsonLocation at = e.getLocation();
            return Optional.of(at == null ? "The record is not valid JSON."
                    : "The record is not valid JSON: syntax error at line " + at.getLineNr() + ", column "
                            + at.getColumnNr() + ".");
        } catch (IOException e) {
            return Optional.of("The record is not valid JSON.");
        }
    }
}
