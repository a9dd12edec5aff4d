package dev.millrace.server.state;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The layout of Millrace sequence numbers: 56-digit decimal strings, like real Kinesis ones, that order records
 * within a shard and never repeat, not even after a stream is deleted and re-created under the same name. Only this
 * class builds or parses them.
 *
 * <pre>
 *  digit  0      1 ............ 13  14 ...... 19  20 ................. 39  40 ............ 55
 *        +------+-----------------+--------------+----------------------+-----------------+
 *        | "4"  | stream epoch ms | shard index  | position + 1         | 16 zeros        |
 *        +------+-----------------+--------------+----------------------+-----------------+
 *  "4"             layout version; also keeps the number 56 digits long
 *  stream epoch ms the stream incarnation's creation time (13 digits; strictly increasing per data dir)
 *  shard index     the N of shardId-N (6 digits)
 *  position + 1    the record's storage position plus one (20 digits, zero-padded), so that "just before the
 *                  first record" (position -1) has a number too: SubscribeToShard hands it out as the
 *                  continuation of an empty shard, and AFTER_SEQUENCE_NUMBER of it reads from position 0
 *  16 zeros        reserved
 * </pre>
 *
 * Within a shard, a later record has a larger position and so a larger number; a re-created stream has a later epoch
 * and so larger numbers than anything its predecessor handed out.
 *
 * <p>Stateless, thread-safe.
 */
public final class SequenceNumbers {
    private static final int DIGITS = 56;
    private static final String VERSION = "4";
    private static final String RESERVED = "0000000000000000";

    /** A parsed sequence number. */
    public record Parts(long streamEpochMs, int shardIndex, long position) {
    }

    private SequenceNumbers() {
    }

    /** The number of the record at {@code position}; position -1 stands for "before the first record". */
    public static String format(long streamEpochMs, int shardIndex, long position) {
        // Every record read or written gets one, so the digits go straight into place (no formatter, no builder).
        byte[] digits = new byte[DIGITS];
        digits[0] = '4';
        ZeroPadded.fill(digits, 1, 13, streamEpochMs);
        ZeroPadded.fill(digits, 14, 6, shardIndex);
        ZeroPadded.fill(digits, 20, 20, position + 1);
        Arrays.fill(digits, 40, DIGITS, (byte) '0');
        return new String(digits, StandardCharsets.ISO_8859_1);
    }

    /** Parses a sequence number; {@code null} if it is not one of ours. */
    public static Parts parse(String sequenceNumber) {
        if (sequenceNumber == null || sequenceNumber.length() != DIGITS || !sequenceNumber.startsWith(VERSION)
                || !sequenceNumber.endsWith(RESERVED)) {
            return null;
        }
        for (int i = 0; i < DIGITS; i++) {
            if (!Character.isDigit(sequenceNumber.charAt(i))) {
                return null;
            }
        }
        try {
            return new Parts(Long.parseLong(sequenceNumber.substring(1, 14)),
                    Integer.parseInt(sequenceNumber.substring(14, 20)),
                    Long.parseLong(sequenceNumber.substring(20, 40)) - 1);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Compares two sequence numbers numerically (any decimal strings). */
    public static int compare(String a, String b) {
        return new BigInteger(a).compareTo(new BigInteger(b));
    }
}
