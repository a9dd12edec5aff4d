package dev.millrace.server.state;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sequence numbers and shard ids are built by hand (for speed); they must read exactly as an independent formatter
 * writes them, and parse back. Sequence numbers follow AWS's version 2 layout as its recorded answers decode it:
 * hex "2", 9 digits of creation seconds, the shard index's last hex digit, 16 of sequence index, "00", 9 of arrival
 * seconds, 8 of shard index, "2".
 */
class IdFormatsPropertyTest {
    /** AWS refuses creation times from 0x3bb2cc3d8 seconds on ("large date"). */
    private static final long LARGEST_CREATION_SECS = 16_025_174_999L;

    /** The layout written out with BigInteger and String.format, independently of the hand-built digits. */
    private static String expected(long creationSecs, int shardIndex, long sequenceIndex, long arrivalSecs) {
        String hex = "2" + String.format("%09x", creationSecs) + Integer.toHexString(shardIndex & 0xF)
                + String.format("%016x", sequenceIndex) + "00" + String.format("%09x", arrivalSecs)
                + String.format("%08x", shardIndex) + "2";
        return new BigInteger(hex, 16).toString();
    }

    private static ShardRecord shard(int index, long createdMs) {
        return ShardRecord.open(index, -1, -1, BigInteger.ZERO, BigInteger.TEN, createdMs);
    }

    @Property(tries = 3000)
    void sequenceNumbersMatchTheLayoutAndParseBack(
            @ForAll @LongRange(min = 0, max = LARGEST_CREATION_SECS) long creationSecs,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int shardIndex,
            @ForAll @LongRange(min = -1, max = Long.MAX_VALUE - 1) long position,
            @ForAll @LongRange(min = 0, max = 0xF_FFFF_FFFFL) long arrivalSecs) {
        String number = SequenceNumbers.of(shard(shardIndex, creationSecs * 1000 + 999), position,
                arrivalSecs * 1000 + 999);
        assertThat(number).isEqualTo(expected(creationSecs, shardIndex, position + 1, arrivalSecs)).hasSize(56);
        assertThat(SequenceNumbers.parse(number)).isEqualTo(new SequenceNumbers.Parts(
                SequenceNumbers.Layout.AWS_V2, creationSecs, shardIndex, position, arrivalSecs));
    }

    @Property(tries = 1000)
    void aNumbererWritesTheSameNumbersForRunsOfRecords(
            @ForAll @LongRange(min = 0, max = LARGEST_CREATION_SECS) long creationSecs,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int shardIndex,
            @ForAll @LongRange(min = -1, max = Long.MAX_VALUE - 1) long start,
            @ForAll @LongRange(min = 0, max = 0xF_FFFF_FFFFL * 1000) long arrivalMs,
            @ForAll("runs") List<Integer> steps) {
        ShardRecord shard = shard(shardIndex, creationSecs * 1000);
        SequenceNumbers.Numberer numberer = SequenceNumbers.numberer(shard);
        long position = start;
        long arrival = arrivalMs;
        for (int step : steps) {
            // Mostly the next position in the same second; sometimes a gap, a later second or an earlier one.
            position += Math.min(Long.MAX_VALUE - 1 - position, step % 7 == 0 ? 1 + step : 1);
            arrival = Math.max(0, Math.min(0xF_FFFF_FFFFL * 1000, arrival + (step % 5 == 0 ? step * 100L - 900 : 0)));
            assertThat(numberer.of(position, arrival)).isEqualTo(SequenceNumbers.of(shard, position, arrival));
        }
    }

    /**
     * The limb-adding fast path against the independent formatter, byte for byte, over long runs of consecutive
     * positions in one second (2^80 added thousands of times: carries from limb to limb, up to the top ones), with
     * jumps and changes of second (back to building from the fields) on the way.
     */
    @Property(tries = 200)
    void numbererDigitsMatchTheLayoutOverLongRuns(
            @ForAll @LongRange(min = 0, max = LARGEST_CREATION_SECS) long creationSecs,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int shardIndex,
            @ForAll @LongRange(min = -1, max = Long.MAX_VALUE - 100_000) long start,
            @ForAll @LongRange(min = 0, max = 0xF_FFFF_FFFEL) long arrivalSecs,
            @ForAll @IntRange(min = 1, max = 3000) int runLength) {
        ShardRecord shard = shard(shardIndex, creationSecs * 1000);
        SequenceNumbers.Numberer numberer = SequenceNumbers.numberer(shard);
        long position = start;
        long secs = arrivalSecs;
        for (int i = 0; i < 3 * runLength; i++) {
            if (i == runLength) {
                secs++;
            } else if (i == 2 * runLength) {
                position += 17;
            }
            byte[] digits = numberer.digits(position, secs * 1000 + i % 1000);
            assertThat(new String(digits, StandardCharsets.US_ASCII))
                    .isEqualTo(expected(creationSecs, shardIndex, position + 1, secs));
            position++;
        }
    }

    /**
     * Runs across a multiple of 10^32 or 10^40: there adding 2^80 carries out of the four limbs it touches, through
     * one or two more (each limb is 10^8).
     */
    @Property(tries = 300)
    void numbererCarriesAcrossLimbs(@ForAll @IntRange(min = 4, max = 5) int limb,
                                    @ForAll @LongRange(min = 0, max = 1_000_000) long multiple,
                                    @ForAll @LongRange(min = 0, max = LARGEST_CREATION_SECS) long creationSecs,
                                    @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int shardIndex) {
        BigInteger step = BigInteger.TWO.pow(80);
        BigInteger unit = BigInteger.TEN.pow(8 * limb);
        BigInteger first = new BigInteger(expected(creationSecs, shardIndex, 0, 5));
        BigInteger last = new BigInteger(expected(creationSecs, shardIndex, Long.MAX_VALUE - 1000, 5));
        long multiples = last.divide(unit).subtract(first.divide(unit)).longValueExact();
        if (multiples == 0) {
            return; // no such boundary between this shard's first and last numbers
        }
        BigInteger boundary = first.divide(unit).add(BigInteger.valueOf(1 + multiple % multiples)).multiply(unit);
        long index = boundary.subtract(first).subtract(BigInteger.ONE).divide(step).longValueExact();
        ShardRecord shard = shard(shardIndex, creationSecs * 1000);
        SequenceNumbers.Numberer numberer = SequenceNumbers.numberer(shard);
        for (long sequenceIndex = Math.max(1, index - 50); sequenceIndex < index + 50; sequenceIndex++) {
            assertThat(new String(numberer.digits(sequenceIndex - 1, 5_000), StandardCharsets.US_ASCII))
                    .isEqualTo(expected(creationSecs, shardIndex, sequenceIndex, 5));
        }
    }

    @Provide
    Arbitrary<List<Integer>> runs() {
        return Arbitraries.integers().between(0, 40).list().ofMaxSize(60);
    }

    @Property(tries = 2000)
    void laterPositionsOfAShardHaveLargerNumbersWhateverTheirArrivalTimes(
            @ForAll @LongRange(min = 1_400_000_000L, max = 4_000_000_000L) long creationSecs,
            @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int shardIndex,
            @ForAll @LongRange(min = -1, max = Long.MAX_VALUE - 2) long position,
            @ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long gap,
            @ForAll @LongRange(min = 0, max = 0xF_FFFF_FFFFL) long arrivalSecs,
            @ForAll @LongRange(min = 0, max = 0xF_FFFF_FFFFL) long laterArrivalSecs) {
        ShardRecord shard = shard(shardIndex, creationSecs * 1000);
        long later = position + Math.min(gap, Long.MAX_VALUE - 1 - position);
        String earlier = SequenceNumbers.of(shard, position, arrivalSecs * 1000);
        String next = SequenceNumbers.of(shard, later, laterArrivalSecs * 1000);
        assertThat(SequenceNumbers.compare(earlier, next)).isNegative();
        assertThat(SequenceNumbers.compare(SequenceNumbers.starting(shard), next)).isNegative();
    }

    @Property(tries = 1000)
    void numbersInMillracesEarlierLayoutStillParse(
            @ForAll @LongRange(min = 0, max = 9_999_999_999_999L) long epochMs,
            @ForAll @IntRange(min = 0, max = 999_999) int shardIndex,
            @ForAll @LongRange(min = -1, max = Long.MAX_VALUE - 1) long position) {
        String legacy = "4" + String.format("%013d%06d%020d", epochMs, shardIndex, position + 1) + "0".repeat(16);
        SequenceNumbers.Parts parts = SequenceNumbers.parse(legacy);
        assertThat(parts).isEqualTo(new SequenceNumbers.Parts(SequenceNumbers.Layout.MILLRACE_LEGACY, epochMs,
                shardIndex, position, -1));
        assertThat(parts.cameFrom(epochMs, shard(shardIndex, epochMs))).isTrue();
        assertThat(parts.cameFrom(epochMs + 1, shard(shardIndex, epochMs))).isFalse();
    }

    @Example
    void startingAndEndingNumbersAreAwsMarks() {
        ShardRecord parent = shard(0, 1_700_000_000_250L);
        ShardRecord closed = parent.closed(1_700_000_123_900L).ended(42);
        ShardRecord child = ShardRecord.open(1, 0, -1, BigInteger.ZERO, BigInteger.ONE, 1_700_000_123_900L);

        assertThat(SequenceNumbers.starting(parent)).isEqualTo(expected(1_700_000_000L, 0, 0, 1_700_000_000L));
        assertThat(SequenceNumbers.ending(closed))
                .isEqualTo(expected(1_700_000_000L, 0, Long.MAX_VALUE, 1_700_000_123L));
        // A child is stamped one second after its parent's end, as AWS's recorded split and merge show.
        assertThat(SequenceNumbers.starting(child)).isEqualTo(expected(1_700_000_124L, 1, 0, 1_700_000_124L));
        assertThat(SequenceNumbers.parse(SequenceNumbers.starting(child)).cameFrom(0, child)).isTrue();
        assertThat(SequenceNumbers.parse(SequenceNumbers.starting(parent)).cameFrom(0, child)).isFalse();
    }

    @Example
    void awsRecordedNumbersParseAsAwsReadsThem() {
        // Refused by AWS as SequenceNumberForOrdering (putRecord.js validations).
        for (String hex : new String[] {"20000000000000000000000000000000000000000000000",
                "20000000000000000000000000000000000000000000004", "20000000000000000000000000000000000000000000003",
                "30000000000000000000000000000000000000000000001", "1ffffffffff7fffffffffffffff000000000007fffffff2",
                "20000000000800000000000000000000000000000000002", "13bb2cc3d80000000000000000000000",
                "2ffffffffff7fffffffffffffff000000000007fffffff2"}) {
            String number = new BigInteger(hex, 16).toString();
            assertThat(SequenceNumbers.parse(number)).as(hex).isNull();
            assertThat(SequenceNumbers.acceptableForOrdering(number, System.currentTimeMillis())).as(hex).isFalse();
        }
        // Accepted by AWS (putRecord.js functionality).
        for (String hex : new String[] {"20000000000000000000000000000000000000000000002",
                "20000000000000000000000000000000000000000000001",
                "20000000000000000000000000000000000000800000002"}) {
            assertThat(SequenceNumbers.acceptableForOrdering(new BigInteger(hex, 16).toString(),
                    System.currentTimeMillis())).as(hex).isTrue();
        }
        // An arrival time in the future is refused.
        String future = new BigInteger("2000000000000000000000000000" + String.format("%09x",
                System.currentTimeMillis() / 1000 + 60) + "000000002", 16).toString();
        assertThat(SequenceNumbers.acceptableForOrdering(future, System.currentTimeMillis())).isFalse();
        // getShardIterator.js: small numbers are version 0, whose shard index is their last 4 hex digits.
        assertThat(SequenceNumbers.parse("5").layout()).isEqualTo(SequenceNumbers.Layout.AWS_V0);
        assertThat(SequenceNumbers.parse("5").shardIndex()).isEqualTo(5);
        assertThat(SequenceNumbers.parse("0").shardIndex()).isZero();
        assertThat(SequenceNumbers.parse("0").cameFrom(0, shard(0, 0))).isFalse();
        // "It encodes shardId--02147483648": the 8 hex digits are a signed 32-bit index.
        assertThat(SequenceNumbers.parse(new BigInteger("20000000000000000000000000000000000000800000002", 16)
                .toString()).shardIndex()).isEqualTo(Integer.MIN_VALUE);
        assertThat(SequenceNumbers.parse("12a")).isNull();
        assertThat(SequenceNumbers.parse("1".repeat(131))).isNull();
    }

    @Property(tries = 500)
    void shardIdsMatchTheFormatterAndParseBack(@ForAll @IntRange(min = 0, max = 999_999) int index) {
        assertThat(ShardRecord.shardId(index)).isEqualTo(String.format("shardId-%012d", index));
        assertThat(ShardRecord.parseShardId(ShardRecord.shardId(index))).isEqualTo(index);
    }

    @Example
    void powersOfTenAndTheirNeighboursKeepTheirWidth() {
        for (long p = 1; p > 0 && p <= 1_000_000_000_000_000_000L; p *= 10) {
            for (long v : new long[] {p - 1, p, p + 1}) {
                assertThat(ZeroPadded.append(new StringBuilder(), v, 20).toString())
                        .isEqualTo(String.format("%020d", v));
            }
        }
        assertThat(ZeroPadded.append(new StringBuilder(), Long.MAX_VALUE, 5).toString())
                .isEqualTo(Long.toString(Long.MAX_VALUE));
    }
}
