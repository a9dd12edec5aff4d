package dev.millrace.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;

/**
 * What {@code millrace tail} prints per record, one of:
 * <ul>
 *   <li>{@code text}: the data as UTF-8, one record per line. So that a record is one line and cannot drive the
 *   terminal, bytes that are not UTF-8 are shown as {@code \xNN}, line breaks as {@code \n} and {@code \r}, and
 *   other control characters as {@code \xNN} (C0, DEL) or as a Java-style u-escape (C1, such as
 *   {@code \}{@code u0085}); tabs stay. Backslashes stay as they are, so text is for reading: json and hex are
 *   exact;</li>
 *   <li>{@code json}: one JSON object per line: {@code shardId}, {@code sequenceNumber}, {@code subSequenceNumber}
 *   (KPL user records only), {@code partitionKey}, {@code explicitHashKey} (KPL user records that have one),
 *   {@code approximateArrivalTimestamp} (ISO-8601, UTC, milliseconds), {@code data} and {@code dataEncoding}:
 *   {@code "utf-8"} when the data is valid UTF-8 and {@code data} is that text, else {@code "base64"};</li>
 *   <li>{@code hex}: a header line (shard, sequence number, {@code sub N} for KPL user records, partition key,
 *   arrival time, size) then the data as {@code hexdump -C} shows it, 16 bytes a line with their ASCII.</li>
 * </ul>
 *
 * <p>Thread-safe: formatting keeps no state.
 */
enum RecordFormat {
    TEXT {
        @Override
        String format(TailRecord r) {
            return escape(r.data()) + "\n";
        }
    },
    JSON {
        @Override
        String format(TailRecord r) {
            StringWriter w = new StringWriter(r.data().length + 200);
            try (JsonGenerator g = JSON_FACTORY.createGenerator(w)) {
                g.writeStartObject();
                g.writeStringField("shardId", r.shardId());
                g.writeStringField("sequenceNumber", r.sequenceNumber());
                if (r.subSequenceNumber() != null) {
                    g.writeNumberField("subSequenceNumber", r.subSequenceNumber());
                }
                g.writeStringField("partitionKey", r.partitionKey());
                if (r.explicitHashKey() != null) {
                    g.writeStringField("explicitHashKey", r.explicitHashKey());
                }
                g.writeStringField("approximateArrivalTimestamp", r.approximateArrivalTimestamp() == null ? null
                        : TIMESTAMP.format(r.approximateArrivalTimestamp()));
                String text = strictUtf8(r.data());
                g.writeStringField("data", text != null ? text : Base64.getEncoder().encodeToString(r.data()));
                g.writeStringField("dataEncoding", text != null ? "utf-8" : "base64");
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write JSON to a string", e);
            }
            return w.append('\n').toString();
        }
    },
    HEX {
        @Override
        String format(TailRecord r) {
            StringBuilder b = new StringBuilder(r.data().length * 4 + 200);
            b.append(r.shardId()).append(' ').append(r.sequenceNumber());
            if (r.subSequenceNumber() != null) {
                b.append(" sub ").append(r.subSequenceNumber());
            }
            b.append(" key ").append(escape(r.partitionKey().getBytes(StandardCharsets.UTF_8)));
            if (r.approximateArrivalTimestamp() != null) {
                b.append(' ').append(TIMESTAMP.format(r.approximateArrivalTimestamp()));
            }
            b.append(' ').append(r.data().length).append(" bytes\n");
            hexdump(r.data(), b);
            return b.toString();
        }
    };

    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    /** ISO-8601 in UTC with milliseconds always shown, so that the field sorts as text. */
    static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSX")
            .withZone(java.time.ZoneOffset.UTC);
    private static final HexFormat HEX_DIGITS = HexFormat.of();
    private static final int HEX_LINE_BYTES = 16;

    /** The record as printed, line terminator included. */
    abstract String format(TailRecord r);

    /** The data as UTF-8 text with the escapes of {@link #TEXT}. */
    static String escape(byte[] data) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(data);
        CharBuffer chars = CharBuffer.allocate(Math.max(16, data.length));
        StringBuilder out = new StringBuilder(data.length + 16);
        while (true) {
            CoderResult result = decoder.decode(in, chars, true);
            appendEscaped(chars.flip(), out);
            chars.clear();
            if (result.isError()) {
                for (int i = 0; i < result.length(); i++) {
                    appendByte(in.get(), out);
                }
            } else if (result.isUnderflow()) {
                break;
            }
        }
        decoder.flush(chars);
        appendEscaped(chars.flip(), out);
        return out.toString();
    }

    /** The data as a string if it is well-formed UTF-8, else null. */
    static String strictUtf8(byte[] data) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(data)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    private static void appendEscaped(CharSequence chars, StringBuilder out) {
        for (int i = 0; i < chars.length(); i++) {
            char c = chars.charAt(i);
            if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c < 0x20 && c != '\t' || c == 0x7F) {
                appendByte((byte) c, out);
            } else if (c >= 0x80 && c < 0xA0) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
    }

    private static void appendByte(byte b, StringBuilder out) {
        out.append("\\x").append(HEX_DIGITS.toHexDigits(b));
    }

    private static void hexdump(byte[] data, StringBuilder b) {
        for (int offset = 0; offset < data.length; offset += HEX_LINE_BYTES) {
            b.append(HEX_DIGITS.toHexDigits(offset)).append("  ");
            for (int i = 0; i < HEX_LINE_BYTES; i++) {
                if (offset + i < data.length) {
                    b.append(HEX_DIGITS.toHexDigits(data[offset + i])).append(' ');
                } else {
                    b.append("   ");
                }
                if (i == HEX_LINE_BYTES / 2 - 1) {
                    b.append(' ');
                }
            }
            b.append(" |");
            for (int i = offset; i < Math.min(data.length, offset + HEX_LINE_BYTES); i++) {
                b.append(data[i] >= 0x20 && data[i] < 0x7F ? (char) data[i] : '.');
            }
            b.append("|\n");
        }
    }
}
