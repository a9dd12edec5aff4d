package dev.millrace.server.state;

/**
 * UTF-8 sizes and encodings of Strings without the array {@code getBytes} makes, for the per-record work of
 * PutRecords (partition keys are counted against record sizes and hashed once per record).
 *
 * <p>Stateless, thread-safe.
 */
public final class Utf8 {
    private Utf8() {
    }

    /**
     * {@code s.getBytes(UTF_8).length}, counted: 1 byte below U+0080, 2 below U+0800, 4 for a surrogate pair, 3
     * otherwise, and 1 for an unpaired surrogate ({@code getBytes} writes {@code '?'} in its place).
     */
    public static int length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2; // 4 bytes for the two chars
                i++;
            } else if (!Character.isSurrogate(c)) {
                bytes += 2;
            }
        }
        return bytes;
    }

    /**
     * Writes {@code s} into {@code out} when it is all ASCII (then its UTF-8 is one byte per char) and fits;
     * returns its length, or -1 (and {@code out} holds garbage) when it is not ASCII or does not fit.
     */
    static int encodeAscii(String s, byte[] out) {
        int n = s.length();
        if (n > out.length) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return -1;
            }
            out[i] = (byte) c;
        }
        return n;
    }
}
