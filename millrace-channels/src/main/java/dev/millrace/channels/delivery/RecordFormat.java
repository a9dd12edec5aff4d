package dev.millrace.channels.delivery;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
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

    /** What is wrong with the record for this format (an error message), or empty when it can be delivered. */
    public Optional<String> problem(byte[] data) {
        return switch (this) {
            case BYTE_ARRAY -> Optional.empty();
            case STRING -> decodeUtf8(data).isPresent() ? Optional.empty()
                    : Optional.of("The record is not valid UTF-8.");
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

    private static Optional<CharBuffer> decodeUtf8(byte[] data) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return Optional.of(decoder.decode(ByteBuffer.wrap(data)));
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> jsonProblem(byte[] data) {
        Optional<CharBuffer> text = decodeUtf8(data);
        if (text.isEmpty()) {
            return Optional.of("The record is not valid JSON: it is not valid UTF-8.");
        }
        CharBuffer chars = text.get();
        try (JsonParser parser = JSON_FACTORY.createParser(chars.array(), chars.arrayOffset(), chars.remaining())) {
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
