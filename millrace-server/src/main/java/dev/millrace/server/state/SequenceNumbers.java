package dev.millrace.server.state;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout of sequence numbers: AWS's version 2, a 186-bit number written in decimal (always 56 digits), read
 * here as 47 hex digits. Only this class builds or parses them.
 *
 * <pre>
 *  hex digit  0     1 ........ 9   10      11 ............... 26   27 28   29 ........ 37   38 ......... 45   46
 *            +-----+--------------+-------+----------------------+-------+----------------+----------------+-----+
 *            | "2" | creation s   | shard | sequence index       | "00"  | arrival s      | shard index    | "2" |
 *            +-----+--------------+-------+----------------------+-------+----------------+----------------+-----+
 *  "2" (first)      makes every number lie in [2^185, 1.5 * 2^185), which is how AWS tells its version 2 apart
 *  creation s       the shard's creation time, epoch seconds (9 hex digits), see {@link #creationSecs}
 *  shard            the shard index's lowest hex digit
 *  sequence index   the storage position plus one (16 hex digits, at most 7fffffffffffffff), see below
 *  "00"             unknown to us; AWS writes 00
 *  arrival s        the record's arrival time, epoch seconds (9 hex digits)
 *  shard index      the N of shardId-N, as a 32-bit two's complement integer (8 hex digits)
 *  "2" (last)       the layout version
 * </pre>
 *
 * <p>The sequence index is the position plus one, so that "before the first record" (position -1, index 0) has a
 * number too: a shard's {@code StartingSequenceNumber}, and SubscribeToShard's continuation on an empty shard. The
 * largest position a log can ever hand out is 2^63-2 ({@code ShardLog.endPosition()}, the next position, is a
 * {@code long}; the same holds for a Kafka log end offset), which takes index 2^63-1: every position has its own
 * index and every index is a position. Index 2^63-1 doubles as AWS's mark for "the end of a closed shard" in
 * {@code EndingSequenceNumber}; no log gets that far.
 *
 * <p>Within a shard the creation seconds and shard digits are fixed and the sequence index is more significant than
 * the arrival seconds, so a later record always has a numerically larger number, whatever the clock did.
 *
 * <p>Creation seconds: a shard created with its stream carries the stream incarnation's epoch in seconds; a shard
 * opened by a split, merge or scaling carries the second after the one its parents closed in, and a closed shard's
 * end mark carries the second it closed in, the pattern AWS's recorded answers show (a child's creation is exactly
 * one second after its parent's {@code EndingSequenceNumber}). A sequence number given back to GetShardIterator or
 * SubscribeToShard must carry its shard's creation seconds, or it "did not come from this stream". The cost of
 * seconds: epochs are milliseconds, so two incarnations of a stream created within one second (delete and re-create
 * inside a second) share their numbers' prefix, and a number kept from the deleted one would position a reader in
 * the new one instead of being refused. Iterators carry the exact epoch and are unaffected, the reader lands on a
 * real position of the stream it asked for, and AWS's format has only seconds to offer, so that is accepted.
 *
 * <p>Numbers in Millrace's earlier layout ("4" + 13 digits of stream epoch ms + 6 of shard index + 20 of position + 1
 * + 16 zeros, 56 decimal digits) are still understood: KCL keeps checkpoints in its lease table across an upgrade.
 * They lie between 2^129 and 2^185, where AWS has no layout, so they cannot be mistaken for AWS numbers.
 *
 * <p>Stateless, thread-safe.
 */
public final class SequenceNumbers {
    /** The sequence index of a closed shard's {@code EndingSequenceNumber}. */
    private static final long END_INDEX = Long.MAX_VALUE;

    private static final int DIGITS = 56;
    private static final long BASE = 100_000_000L;
    private static final int BASE_DIGITS = 8;
    private static final int LIMBS = DIGITS / BASE_DIGITS;
    /** Powers of two in base 10^8, least significant limb first: where the fields sit in the number. */
    private static final long[] TWO_POW_185 = limbs(BigInteger.TWO.pow(185));
    private static final long[] TWO_POW_148 = limbs(BigInteger.TWO.pow(148));
    private static final long[] TWO_POW_144 = limbs(BigInteger.TWO.pow(144));
    private static final long[] TWO_POW_80 = limbs(BigInteger.TWO.pow(80));
    private static final long[] TWO_POW_36 = limbs(BigInteger.TWO.pow(36));
    /**
     * "0000", "0001", ... "9999": four ASCII digits per lookup, so a limb's 8 digits take one division and two
     * lookups (40 KB, which stays in cache while an answer is numbered).
     */
    private static final byte[] DIGIT_QUADS = digitQuads();
    private static final long MAX_SECONDS = 0xF_FFFF_FFFFL;
    /** AWS refuses creation times from here on (recorded: "large date"), about the year 2477. */
    private static final long MAX_CREATION_SECS = 16_025_175_000L;

    private static final BigInteger V0_OFFSET = BigInteger.TWO.pow(124);
    private static final BigInteger V0_LIMIT = BigInteger.TWO.pow(129);
    private static final BigInteger V2_LOW = BigInteger.TWO.pow(185);
    private static final BigInteger V2_HIGH = BigInteger.TWO.pow(184).multiply(BigInteger.valueOf(3));

    private static final String LEGACY_RESERVED = "0000000000000000";

    /** The layouts a number can be in. */
    public enum Layout {
        /** AWS's oldest layout: creation seconds and a shard index, nothing Millrace hands out. */
        AWS_V0,
        /** AWS's version 1: creation and arrival seconds and a shard index, nothing Millrace hands out. */
        AWS_V1,
        /** AWS's version 2, the one Millrace hands out. */
        AWS_V2,
        /** Millrace's own layout before it followed AWS's. */
        MILLRACE_LEGACY
    }

    /**
     * A parsed sequence number.
     *
     * @param layout       which layout it is in
     * @param origin       what ties it to a shard: the shard's creation seconds (AWS layouts) or the stream
     *                     incarnation's epoch ms ({@link Layout#MILLRACE_LEGACY})
     * @param shardIndex   the shard index it encodes
     * @param position     the storage position (-1: before the first record); only for AWS_V2 and MILLRACE_LEGACY
     * @param arrivalSecs  the arrival second it encodes, -1 if its layout has none
     */
    public record Parts(Layout layout, long origin, int shardIndex, long position, long arrivalSecs) {
        /** Whether it was handed out for {@code shard} of the stream incarnation {@code streamEpochMs}. */
        public boolean cameFrom(long streamEpochMs, ShardRecord shard) {
            return switch (layout) {
                case AWS_V2 -> origin == creationSecs(shard);
                case MILLRACE_LEGACY -> origin == streamEpochMs;
                default -> false;
            };
        }
    }

    private SequenceNumbers() {
    }

    /** The number of the record at {@code position} of {@code shard}, which arrived at {@code arrivalMs}. */
    public static String of(ShardRecord shard, long position, long arrivalMs) {
        return format(creationSecs(shard), shard.index(), position + 1, Math.floorDiv(arrivalMs, 1000));
    }

    /** A shard's {@code StartingSequenceNumber}: just before its first record, stamped with its creation. */
    public static String starting(ShardRecord shard) {
        long created = creationSecs(shard);
        return format(created, shard.index(), 0, created);
    }

    /** A closed shard's {@code EndingSequenceNumber}: AWS's end mark, stamped with the second it closed in. */
    public static String ending(ShardRecord shard) {
        long closedMs = shard.closedMs() == null ? shard.createdMs() : shard.closedMs();
        return format(creationSecs(shard), shard.index(), END_INDEX, Math.floorDiv(closedMs, 1000));
    }

    /** The creation seconds a shard's numbers carry (see the class comment). */
    public static long creationSecs(ShardRecord shard) {
        long secs = Math.floorDiv(shard.createdMs(), 1000);
        return shard.parentIndex() < 0 ? secs : secs + 1;
    }

    /** Numbers for the records of one answer; see {@link Numberer}. */
    public static Numberer numberer(ShardRecord shard) {
        return new Numberer(shard);
    }

    /**
     * Numbers a run of records of one shard, as GetRecords, PutRecords and SubscribeToShard answers have them (one
     * per record returned, up to 10,000 per call). Two tricks keep that cheap:
     *
     * <ul>
     *   <li><b>Limb addition.</b> The number is kept as seven base-10^8 limbs; the next position with the same arrival
     *       second is the previous number plus 2^80, four limb additions and a rare carry, instead of building the
     *       number from its fields or adding 25 decimal digits one by one.</li>
     *   <li><b>Digits in place.</b> {@link #digits} renders only the limbs that changed into one 56-byte ASCII
     *       buffer, four digits per table lookup, which an answer writes as is ({@code WireWriter#utf8String}): no
     *       String per record.</li>
     * </ul>
     *
     * <p>Not thread-safe: one per answer.
     */
    public static final class Numberer {
        private final long creationSecs;
        private final int shardIndex;
        private final long[] limbs = new long[LIMBS];
        private final byte[] digits = new byte[DIGITS];
        private boolean started;
        private long sequenceIndex = -1;
        private long arrivalSecs = -1;

        private Numberer(ShardRecord shard) {
            this.creationSecs = creationSecs(shard);
            this.shardIndex = shard.index();
        }

        /** The same number as {@link SequenceNumbers#of}. */
        public String of(long position, long arrivalMs) {
            return new String(digits(position, arrivalMs), StandardCharsets.ISO_8859_1);
        }

        /**
         * The same number as {@link SequenceNumbers#of}, as its 56 ASCII digits: this numberer's own buffer, which
         * the next call overwrites; callers copy it out (write it) and never modify it.
         */
        public byte[] digits(long position, long arrivalMs) {
            long index = position + 1;
            long secs = Math.floorDiv(arrivalMs, 1000);
            if (started && index == sequenceIndex + 1 && index > 0 && secs == arrivalSecs) {
                render(limbs, addTwoPow80(limbs), digits);
            } else {
                fieldLimbs(creationSecs, shardIndex, index, secs, limbs);
                render(limbs, LIMBS - 1, digits);
                started = true;
            }
            sequenceIndex = index;
            arrivalSecs = secs;
            return digits;
        }

        /** limbs += 2^80; returns the most significant limb that changed. */
        private static int addTwoPow80(long[] limbs) {
            long carry = 0;
            int i = 0;
            for (; i < TWO_POW_80.length; i++) {
                long v = limbs[i] + TWO_POW_80[i] + carry;
                carry = v >= BASE ? 1 : 0;
                limbs[i] = v - carry * BASE;
            }
            // Never past the top limb: sequence indexes stay below 2^63, numbers below 10^56.
            for (; carry != 0; i++) {
                long v = limbs[i] + 1;
                carry = v >= BASE ? 1 : 0;
                limbs[i] = v - carry * BASE;
            }
            return i - 1;
        }
    }

    static String format(long creationSecs, int shardIndex, long sequenceIndex, long arrivalSecs) {
        long[] limbs = new long[LIMBS];
        fieldLimbs(creationSecs, shardIndex, sequenceIndex, arrivalSecs, limbs);
        byte[] digits = new byte[DIGITS];
        render(limbs, LIMBS - 1, digits);
        return new String(digits, StandardCharsets.ISO_8859_1);
    }

    /**
     * The number from its fields, as normalised base-10^8 limbs (least significant first) in {@code limbs}: computed
     * limb by limb (a long holds the sum of a few products of two limbs) rather than with BigInteger.
     */
    private static void fieldLimbs(long creationSecs, int shardIndex, long sequenceIndex, long arrivalSecs,
                                   long[] limbs) {
        if (creationSecs < 0 || creationSecs > MAX_SECONDS || arrivalSecs < 0 || arrivalSecs > MAX_SECONDS
                || sequenceIndex < 0) {
            throw new IllegalArgumentException("out of range: " + creationSecs + ", " + sequenceIndex + ", "
                    + arrivalSecs);
        }
        long[] acc = new long[LIMBS + 2];
        System.arraycopy(TWO_POW_185, 0, acc, 0, TWO_POW_185.length);
        addMultiple(acc, creationSecs, TWO_POW_148);
        addMultiple(acc, shardIndex & 0xF, TWO_POW_144);
        addMultiple(acc, sequenceIndex, TWO_POW_80);
        addMultiple(acc, arrivalSecs, TWO_POW_36);
        acc[0] += (shardIndex & 0xFFFF_FFFFL) * 16 + 2;
        long carry = 0;
        for (int limb = 0; limb < LIMBS; limb++) {
            long v = acc[limb] + carry;
            carry = v / BASE;
            limbs[limb] = v - carry * BASE;
        }
    }

    /** Writes limbs 0..{@code topLimb} as their 8 decimal digits each into their places in {@code digits}. */
    private static void render(long[] limbs, int topLimb, byte[] digits) {
        for (int limb = 0; limb <= topLimb; limb++) {
            int value = (int) limbs[limb];
            int at = DIGITS - (limb + 1) * BASE_DIGITS;
            int high = (value / 10_000) * 4;
            int low = (value % 10_000) * 4;
            digits[at] = DIGIT_QUADS[high];
            digits[at + 1] = DIGIT_QUADS[high + 1];
            digits[at + 2] = DIGIT_QUADS[high + 2];
            digits[at + 3] = DIGIT_QUADS[high + 3];
            digits[at + 4] = DIGIT_QUADS[low];
            digits[at + 5] = DIGIT_QUADS[low + 1];
            digits[at + 6] = DIGIT_QUADS[low + 2];
            digits[at + 7] = DIGIT_QUADS[low + 3];
        }
    }

    /** acc += multiplier * power, limb by limb; each product stays below 10^16, so sums cannot overflow. */
    private static void addMultiple(long[] acc, long multiplier, long[] power) {
        long low = multiplier % BASE;
        for (int i = 0; i < power.length; i++) {
            acc[i] += low * power[i];
        }
        long high = multiplier / BASE;
        if (high != 0) {
            long middle = high % BASE;
            long top = high / BASE;
            for (int i = 0; i < power.length; i++) {
                acc[i + 1] += middle * power[i];
                acc[i + 2] += top * power[i];
            }
        }
    }

    private static byte[] digitQuads() {
        byte[] quads = new byte[4 * 10_000];
        for (int n = 0; n < 10_000; n++) {
            quads[4 * n] = (byte) ('0' + n / 1000);
            quads[4 * n + 1] = (byte) ('0' + n / 100 % 10);
            quads[4 * n + 2] = (byte) ('0' + n / 10 % 10);
            quads[4 * n + 3] = (byte) ('0' + n % 10);
        }
        return quads;
    }

    private static long[] limbs(BigInteger value) {
        BigInteger base = BigInteger.valueOf(BASE);
        List<Long> out = new ArrayList<>();
        for (BigInteger v = value; v.signum() > 0; v = v.divide(base)) {
            out.add(v.mod(base).longValue());
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Parses a number the way AWS reads it (versions 0, 1 and 2, with AWS's range checks) or in Millrace's earlier
     * layout; {@code null} if AWS would call it invalid.
     */
    public static Parts parse(String sequenceNumber) {
        if (sequenceNumber == null || sequenceNumber.isEmpty() || sequenceNumber.length() > 130) {
            return null;
        }
        for (int i = 0; i < sequenceNumber.length(); i++) {
            char c = sequenceNumber.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
        }
        Parts legacy = parseLegacy(sequenceNumber);
        if (legacy != null) {
            return legacy;
        }
        BigInteger n = new BigInteger(sequenceNumber);
        if (n.compareTo(V0_OFFSET) < 0) {
            n = n.add(V0_OFFSET);
        }
        String hex = n.toString(16);
        if (n.compareTo(V0_LIMIT) < 0) {
            long created = Long.parseLong(hex.substring(1, 10), 16);
            return created >= MAX_CREATION_SECS ? null
                    : new Parts(Layout.AWS_V0, created, Integer.parseInt(hex.substring(28, 32), 16), -1, -1);
        }
        if (n.compareTo(V2_LOW) <= 0 || n.compareTo(V2_HIGH) >= 0) {
            return null;
        }
        return switch (hex.charAt(hex.length() - 1)) {
            case '1' -> new Parts(Layout.AWS_V1, Long.parseLong(hex.substring(1, 10), 16),
                    (int) Long.parseLong(hex.substring(38, 46), 16), -1, Long.parseLong(hex.substring(13, 22), 16));
            case '2' -> parseV2(hex);
            default -> null;
        };
    }

    private static Parts parseV2(String hex) {
        long created = Long.parseLong(hex.substring(1, 10), 16);
        long sequenceIndex = Long.parseUnsignedLong(hex.substring(11, 27), 16);
        if (sequenceIndex < 0 || created >= MAX_CREATION_SECS) {
            return null;
        }
        return new Parts(Layout.AWS_V2, created, (int) Long.parseLong(hex.substring(38, 46), 16), sequenceIndex - 1,
                Long.parseLong(hex.substring(29, 38), 16));
    }

    private static Parts parseLegacy(String number) {
        if (number.length() != DIGITS || number.charAt(0) != '4' || !number.endsWith(LEGACY_RESERVED)) {
            return null;
        }
        try {
            long positionPlusOne = Long.parseLong(number.substring(20, 40));
            return new Parts(Layout.MILLRACE_LEGACY, Long.parseLong(number.substring(1, 14)),
                    Integer.parseInt(number.substring(14, 20)), positionPlusOne - 1, -1);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * Whether PutRecord takes {@code sequenceNumber} as {@code SequenceNumberForOrdering}: AWS refuses numbers it
     * cannot parse and numbers from the future.
     */
    public static boolean acceptableForOrdering(String sequenceNumber, long nowMs) {
        Parts parts = parse(sequenceNumber);
        return parts != null && parts.arrivalSecs() * 1000 <= nowMs;
    }

    /** Compares two sequence numbers numerically (any decimal strings). */
    public static int compare(String a, String b) {
        return new BigInteger(a).compareTo(new BigInteger(b));
    }
}
