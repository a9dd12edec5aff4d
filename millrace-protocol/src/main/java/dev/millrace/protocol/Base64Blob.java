package dev.millrace.protocol;

import java.util.Base64;

/**
 * Decodes a blob sent as base64 text as strictly as AWS does, and rejects the rest with Coral's texts (as recorded
 * against AWS, typo included):
 * <ul>
 *   <li>{@code 'x' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but
 *       found: 5} - unpadded input is not accepted;</li>
 *   <li>{@code ... Invalid Base64 character: '='} - the first character outside the alphabet, or a {@code =} followed
 *       by anything but {@code =};</li>
 *   <li>{@code ... Invalid last non-pad Base64 character dectected} - any other non-canonical text: bits left over
 *       in the last character ({@code +/+=}), or too much padding.</li>
 * </ul>
 * The common case (valid text) costs one JDK decode plus a look at the last quantum; the diagnosis only runs on
 * failure.
 *
 * <p>Stateless, thread-safe.
 */
final class Base64Blob {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    private Base64Blob() {
    }

    static byte[] decode(String text) {
        if (text.length() % 4 != 0) {
            throw invalid(text, "Base64 encoded length is expected a multiple of 4 bytes but found: " + text.length());
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw invalid(text, diagnose(text));
        }
        if (!canonicalEnd(text)) {
            throw invalid(text, "Invalid last non-pad Base64 character dectected");
        }
        return bytes;
    }

    /** Whether the last character before the padding leaves no bits unused (the JDK decoder ignores them). */
    private static boolean canonicalEnd(String text) {
        int n = text.length();
        if (n == 0 || text.charAt(n - 1) != '=') {
            return true;
        }
        boolean twoPads = text.charAt(n - 2) == '=';
        int last = ALPHABET.indexOf(text.charAt(n - (twoPads ? 3 : 2)));
        return (last & (twoPads ? 0x0F : 0x03)) == 0;
    }

    private static String diagnose(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean padThenData = c == '=' && i + 1 < text.length() && text.charAt(i + 1) != '=';
            if ((c != '=' && ALPHABET.indexOf(c) < 0) || padThenData) {
                return "Invalid Base64 character: '" + c + "'";
            }
        }
        return "Invalid last non-pad Base64 character dectected";
    }

    private static KinesisException invalid(String text, String why) {
        return KinesisException.serialization("'" + text + "' can not be converted to a Blob: " + why);
    }
}
