package dev.millrace.server.state;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sequence numbers and shard ids are built by hand (for speed); they must read exactly as the formatter wrote them,
 * and parse back.
 */
class IdFormatsPropertyTest {
    @Property(tries = 2000)
    void sequenceNumbersMatchTheFormatterAndParseBack(@ForAll @LongRange(min = 0, max = 9_999_999_999_999L) long epochMs,
                                                      @ForAll @IntRange(min = 0, max = 999_999) int shardIndex,
                                                      @ForAll @LongRange(min = -1, max = Long.MAX_VALUE - 1) long position) {
        String number = SequenceNumbers.format(epochMs, shardIndex, position);
        assertThat(number).isEqualTo("4" + String.format("%013d%06d%020d", epochMs, shardIndex, position + 1)
                + "0000000000000000");
        assertThat(SequenceNumbers.parse(number)).isEqualTo(new SequenceNumbers.Parts(epochMs, shardIndex, position));
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
