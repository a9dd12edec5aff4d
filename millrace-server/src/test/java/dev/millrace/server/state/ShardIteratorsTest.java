package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;
import dev.millrace.storage.ManualClock;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Shard iterators have the shape of AWS's recorded ones (kinesalite's assertShardIterator: base64 that round-trips,
 * first 8 bytes 0000000000000001, 152 bytes plus whole 16-byte blocks), point where they were issued for, cannot be
 * edited, expire after 5 minutes and survive a restart (same key).
 */
class ShardIteratorsTest {
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private static void assertInvalid(ShardIterators iterators, String iterator) {
        assertThatThrownBy(() -> iterators.parse(iterator)).isInstanceOfSatisfying(KinesisException.class, e -> {
            assertThat(e.errorType()).isEqualTo("InvalidArgumentException");
            assertThat(e.getMessage()).isEqualTo("Invalid ShardIterator.");
        });
    }

    @Property(tries = 500)
    void iteratorsHaveAwsShapeAndPointWhereIssued(@ForAll @IntRange(min = 1, max = 128) int nameLength,
                                                  @ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long epochMs,
                                                  @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int shardIndex,
                                                  @ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long position,
                                                  @ForAll boolean longRegion) {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        ShardIterators iterators = new ShardIterators(KEY, clock);
        String name = "s".repeat(nameLength);
        Account scope = new Account(longRegion ? "us-gov-northwestx-99" : "us-east-1", "123456789012");
        String iterator = iterators.issue(scope, name, epochMs, shardIndex, position);

        byte[] bytes = Base64.getDecoder().decode(iterator);
        assertThat(Base64.getEncoder().encodeToString(bytes)).isEqualTo(iterator);
        assertThat(HexFormat.of().formatHex(bytes, 0, 8)).isEqualTo("0000000000000001");
        assertThat(bytes.length).isEqualTo(152 + 16 * ((nameLength + 2) / 16));
        assertThat(iterator.length()).isLessThanOrEqualTo(512);
        assertThat(iterators.parse(iterator)).isEqualTo(new ShardIterators.Position(scope, name, epochMs, shardIndex,
                position));
    }

    @Property(tries = 300)
    void anyEditedByteMakesItInvalid(@ForAll @IntRange(min = 0, max = 151) int index,
                                     @ForAll @IntRange(min = 1, max = 255) int flip) {
        ShardIterators iterators = new ShardIterators(KEY, new ManualClock(1_700_000_000_000L));
        byte[] bytes = Base64.getDecoder().decode(iterators.issue(Account.DEFAULT, "stream", 17, 3, 99));
        bytes[index] ^= (byte) flip;
        assertInvalid(iterators, Base64.getEncoder().encodeToString(bytes));
    }

    @Example
    void garbageShorterOrLongerTokensAreInvalid() {
        ShardIterators iterators = new ShardIterators(KEY, new ManualClock(1_700_000_000_000L));
        byte[] bytes = Base64.getDecoder().decode(iterators.issue(Account.DEFAULT, "stream", 17, 3, 99));
        assertInvalid(iterators, Base64.getEncoder().encodeToString(Arrays.copyOf(bytes, bytes.length + 16)));
        assertInvalid(iterators, Base64.getEncoder().encodeToString(Arrays.copyOf(bytes, bytes.length - 16)));
        assertInvalid(iterators, "AAAAgarbage");
        assertInvalid(iterators, "not base64 at all!");
        assertInvalid(iterators, "");
    }

    @Example
    void iteratorsExpireAfterFiveMinutesAndSurviveARestart() {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        String iterator = new ShardIterators(KEY, clock).issue(Account.DEFAULT, "stream", 17, 3, 99);
        clock.advanceMs(300_000);
        ShardIterators restarted = new ShardIterators(KEY.clone(), clock);
        assertThat(restarted.parse(iterator).position()).isEqualTo(99);
        clock.advanceMs(1);
        // 1,700,000,000,000 ms is Tue Nov 14 22:13:20 UTC 2023; AWS prints times as Java's Date.toString() in UTC.
        assertThatThrownBy(() -> restarted.parse(iterator)).isInstanceOfSatisfying(KinesisException.class, e -> {
            assertThat(e.errorType()).isEqualTo("ExpiredIteratorException");
            assertThat(e.getMessage()).isEqualTo("Iterator expired. The iterator was created at time "
                    + "Tue Nov 14 22:13:20 UTC 2023 while right now it is Tue Nov 14 22:18:20 UTC 2023 which is "
                    + "further in the future than the tolerated delay of 300000 milliseconds.");
        });
        byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        assertInvalid(new ShardIterators(otherKey, new ManualClock(1_700_000_000_000L)), iterator);
    }

    @Example
    void iteratorsOfMillracesEarlierLayoutAreStillRead() throws Exception {
        ManualClock clock = new ManualClock(1_700_000_000_000L);
        byte[] name = "stream".getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.allocate(31 + name.length);
        payload.put((byte) 1).putLong(clock.millis() - 1_000).putLong(17).putInt(3).putLong(99)
                .putShort((short) name.length).put(name);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        byte[] token = Arrays.copyOf(payload.array(), payload.capacity() + 16);
        System.arraycopy(mac.doFinal(payload.array()), 0, token, payload.capacity(), 16);

        ShardIterators iterators = new ShardIterators(KEY, clock);
        assertThat(iterators.parse(Base64.getEncoder().encodeToString(token)))
                .isEqualTo(new ShardIterators.Position(null, "stream", 17, 3, 99));
        token[10] ^= 1;
        assertInvalid(iterators, Base64.getEncoder().encodeToString(token));
    }
}
