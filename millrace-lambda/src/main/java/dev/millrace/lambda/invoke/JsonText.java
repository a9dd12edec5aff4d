package dev.millrace.lambda.invoke;

import java.nio.charset.StandardCharsets;

/**
 * JSON strings written straight into a byte array whose size was computed beforehand, so that the size and the
 * bytes come from one escaping rule: {@link #stringBytes} counts exactly what {@link #writeString} writes.
 *
 * <p>Escaping: {@code "} and {@code \} get a backslash; the control characters U+0000..U+001F are written as
 * {@code \b \t \n \f \r} or {@code \}{@code u00XX}; everything else is UTF-8 (a surrogate pair as its 4-byte sequence),
 * except an unpaired surrogate, which UTF-8 cannot carry and is written as a {@code \}{@code uXXXX} escape.
 *
 * <p>Stateless, thread-safe.
 */
final class JsonText {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private JsonText() {
    }

    /** Bytes of {@code s} written as a quoted JSON string. */
    static int stringBytes(String s) {
        int bytes = 2;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += asciiBytes(c);
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                bytes += 6;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** Writes {@code s} as a quoted JSON string at {@code pos}; returns the position after it. */
    static int writeString(byte[] out, int pos, String s) {
        out[pos++] = '"';
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                pos = writeAscii(out, pos, c);
            } else if (c < 0x800) {
                out[pos++] = (byte) (0xc0 | (c >> 6));
                out[pos++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out[pos++] = (byte) (0xf0 | (cp >> 18));
                out[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                out[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                out[pos++] = (byte) (0x80 | (cp & 0x3f));
            } else if (Character.isSurrogate(c)) {
                pos = writeUnicodeEscape(out, pos, c);
            } else {
                out[pos++] = (byte) (0xe0 | (c >> 12));
                out[pos++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                out[pos++] = (byte) (0x80 | (c & 0x3f));
            }
        }
        out[pos++] = '"';
        return pos;
    }

    /** Writes ASCII bytes as they are; returns the position after them. */
    static int writeRaw(byte[] out, int pos, byte[] raw) {
        System.arraycopy(raw, 0, out, pos, raw.length);
        return pos + raw.length;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int asciiBytes(char c) {
        if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r') {
            return 2;
        }
        return c < 0x20 ? 6 : 1;
    }

    private static int writeAscii(byte[] out, int pos, char c) {
        char shortEscape = switch (c) {
            case '"' -> '"';
            case '\\' -> '\\';
            case '\b' -> 'b';
            case '\t' -> 't';
            case '\n' -> 'n';
            case '\f' -> 'f';
            case '\r' -> 'r';
            default -> 0;
        };
        if (shortEscape != 0) {
            out[pos++] = '\\';
            out[pos++] = (byte) shortEscape;
            return pos;
        }
        if (c < 0x20) {
            return writeUnicodeEscape(out, pos, c);
        }
        out[pos++] = (byte) c;
        return pos;
    }

    private static int writeUnicodeEscape(byte[] out, int pos, char c) {
        out[pos++] = '\\';
        out[pos++] = 'u';
        out[pos++] = HEX[(c >> 12) & 0xf];
        out[pos++] = HEX[(c >> 8) & 0xf];
        out[pos++] = HEX[(c >> 4) & 0xf];
        out[pos++] = HEX[c & 0xf];
        return pos;
    }
}
