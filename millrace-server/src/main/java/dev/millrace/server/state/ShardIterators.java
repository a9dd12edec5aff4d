package dev.millrace.server.state;

import dev.millrace.protocol.Account;
import dev.millrace.protocol.KinesisException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * Shard iterators: opaque, tamper-evident tokens that say where a reader is. Only this class builds or parses them.
 *
 * <pre>
 *  base64 of L bytes, L = 152 + 16 * floor((n + 2) / 16), n = the stream name's length in UTF-8 bytes
 *  0                8            16              24           28          36       38       38+n  39+n          L-32    L
 *  +----------------+------------+---------------+------------+-----------+--------+--------+-----+-------+-----+------+
 *  | 00000000000001 |  issuedMs  | streamEpochMs | shardIndex | position  |   n    |  name  |  m  | scope | 0.. | HMAC |
 *  +----------------+------------+---------------+------------+-----------+--------+--------+-----+-------+-----+------+
 *  00..01         AWS's iterators start with these 8 bytes
 *  issuedMs       when it was issued, epoch ms (it expires 5 minutes later, as on AWS)
 *  streamEpochMs  the stream incarnation it belongs to
 *  shardIndex     the N of shardId-N (4 bytes); position: the storage position to read from next (8 bytes)
 *  n, name        the stream name (2-byte length, UTF-8)
 *  m, scope       the account and region of the stream, "&lt;account id&gt;/&lt;region&gt;" in ASCII (1-byte length; at most
 *                 33 bytes, and L - 32 - 38 - n is never under 66), so that GetRecords reads the stream the iterator
 *                 was issued for, in another account too; m = 0 in iterators issued before accounts were kept apart
 *  0 ...          zeros up to AWS's length for the same stream name (its recorded iterators are 152 bytes plus
 *                 whole 16-byte blocks, growing with the name)
 *  HMAC           HMAC-SHA256(key, bytes 0 .. L-32)
 * </pre>
 *
 * The key is random per data directory, so iterators survive restarts but cannot be forged or edited. Iterators in
 * Millrace's earlier layout (version byte 1, then issuedMs, streamEpochMs, shardIndex, position, n, name and 16 bytes
 * of the same HMAC) are still read, so that readers keep going across an upgrade; they expire within 5 minutes.
 *
 * <p>A request's iterator is looked at up to four times (the account it addresses and the stream IAM authorizes,
 * the cluster node that owns its shard, then GetRecords itself); it is decoded and its HMAC checked once: each thread
 * remembers the last iterator it decoded, by identity (the request's own string), with what decoding found. Only
 * the age is checked at each look, against the clock.
 *
 * <p>Thread-safe: each decode clones its own {@link Mac} from one initialized at construction and never used; the
 * memory of the last decode is per thread.
 */
public final class ShardIterators {
    public static final long LIFETIME_MS = 300_000;
    private static final byte[] MAGIC = {0, 0, 0, 0, 0, 0, 0, 1};
    private static final int NAME_LENGTH_OFFSET = 36;
    private static final int NAME_OFFSET = 38;
    private static final int MIN_BYTES = 152;
    private static final int BLOCK_BYTES = 16;
    private static final int MAC_BYTES = 32;
    private static final byte LEGACY_VERSION = 1;
    private static final int LEGACY_HEADER_BYTES = 31;
    private static final int LEGACY_MAC_BYTES = 16;
    private static final DateTimeFormatter AWS_TIME =
            // ZoneId "UTC", not ZoneOffset.UTC: the zone name must print as "UTC", as AWS's does, not "Z".
            DateTimeFormatter.ofPattern("EEE MMM dd HH:mm:ss zzz yyyy", Locale.US).withZone(ZoneId.of("UTC"));

    /** Where an iterator points; {@code scope} is null in an iterator issued before accounts were kept apart. */
    public record Position(Account scope, String streamName, long streamEpochMs, int shardIndex, long position) {
    }

    /** What decoding one iterator found: where it points and when it was issued, or why it is invalid. */
    private record Decoded(String iterator, Position at, long issuedMs, KinesisException invalid) {
    }

    private final byte[] key;
    /** Each thread's last decode: one small record per thread, replaced by the next iterator the thread reads. */
    private final ThreadLocal<Decoded> lastDecoded = new ThreadLocal<>();
    private final LongAdder decodes = new LongAdder();
    /** Initialized with the key and only ever cloned: a Mac per call without a provider search and key setup. */
    private final Mac keyedMac;
    private final Clock clock;

    public ShardIterators(byte[] key, Clock clock) {
        this.key = key.clone();
        this.keyedMac = newMac(this.key);
        this.clock = clock;
    }

    public String issue(Account scope, String streamName, long streamEpochMs, int shardIndex, long position) {
        byte[] name = streamName.getBytes(StandardCharsets.UTF_8);
        byte[] where = (scope.id() + "/" + scope.region()).getBytes(StandardCharsets.US_ASCII);
        ByteBuffer token = ByteBuffer.allocate(length(name.length));
        token.put(MAGIC).putLong(clock.millis()).putLong(streamEpochMs).putInt(shardIndex).putLong(position)
                .putShort((short) name.length).put(name).put((byte) where.length).put(where);
        byte[] mac = mac(token.array(), token.capacity() - MAC_BYTES);
        token.put(token.capacity() - MAC_BYTES, mac);
        return Base64.getEncoder().encodeToString(token.array());
    }

    /** AWS's iterator length for a stream name of {@code nameBytes} bytes. */
    private static int length(int nameBytes) {
        return MIN_BYTES + BLOCK_BYTES * ((nameBytes + 2) / BLOCK_BYTES);
    }

    /** Decodes and checks an iterator: {@code InvalidArgumentException} if forged or garbled, expired otherwise. */
    public Position parse(String iterator) {
        Position at = decode(iterator);
        KinesisException expired = expiry(iterator);
        if (expired != null) {
            throw expired;
        }
        return at;
    }

    /**
     * Where an iterator points, whatever its age: {@code InvalidArgumentException} if forged or garbled. For a
     * reader that must know the stream of an expired iterator ({@link #expiry} says whether it is).
     */
    public Position decode(String iterator) {
        Decoded d = decoded(iterator);
        if (d.invalid() != null) {
            throw d.invalid();
        }
        return d.at();
    }

    /** AWS's {@code ExpiredIteratorException} for a valid iterator older than 5 minutes, else null. */
    public KinesisException expiry(String iterator) {
        Decoded d = decoded(iterator);
        return d.invalid() != null ? null : expiredError(d.issuedMs());
    }

    /** How many iterators were decoded (HMAC checked) since start: for tests and diagnostics. */
    public long decodeCount() {
        return decodes.sum();
    }

    private Decoded decoded(String iterator) {
        Decoded last = lastDecoded.get();
        // Identity, not equality: the same request's string. An equal iterator of another request decodes afresh.
        if (last != null && last.iterator() == iterator) {
            return last;
        }
        decodes.increment();
        Decoded d;
        try {
            d = decodeToken(iterator);
        } catch (KinesisException invalid) {
            d = new Decoded(iterator, null, 0, invalid);
        }
        lastDecoded.set(d);
        return d;
    }

    private Decoded decodeToken(String iterator) {
        byte[] token;
        try {
            token = Base64.getDecoder().decode(iterator);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        return token.length > 0 && token[0] == LEGACY_VERSION ? parseLegacy(iterator, token)
                : parseCurrent(iterator, token);
    }

    private Decoded parseCurrent(String iterator, byte[] token) {
        if (token.length < MIN_BYTES || !Arrays.equals(token, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw invalid();
        }
        ByteBuffer buf = ByteBuffer.wrap(token);
        int nameLength = buf.getShort(NAME_LENGTH_OFFSET) & 0xFFFF;
        if (token.length != length(nameLength)) {
            throw invalid();
        }
        checkMac(token, token.length - MAC_BYTES, MAC_BYTES);
        String name = new String(token, NAME_OFFSET, nameLength, StandardCharsets.UTF_8);
        return new Decoded(iterator, new Position(scope(token, NAME_OFFSET + nameLength), name, buf.getLong(16),
                buf.getInt(24), buf.getLong(28)), buf.getLong(MAGIC.length), null);
    }

    /** The scope field at {@code at} (its length byte), or null for none; the MAC has been checked. */
    private static Account scope(byte[] token, int at) {
        int length = token[at] & 0xFF;
        if (length == 0) {
            return null;
        }
        if (at + 1 + length > token.length - MAC_BYTES) {
            throw invalid();
        }
        String where = new String(token, at + 1, length, StandardCharsets.US_ASCII);
        int slash = where.indexOf('/');
        try {
            return new Account(where.substring(slash + 1), where.substring(0, Math.max(slash, 0)));
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
    }

    private Decoded parseLegacy(String iterator, byte[] token) {
        if (token.length < LEGACY_HEADER_BYTES + LEGACY_MAC_BYTES) {
            throw invalid();
        }
        ByteBuffer buf = ByteBuffer.wrap(token);
        int nameLength = buf.getShort(LEGACY_HEADER_BYTES - 2) & 0xFFFF;
        if (token.length != LEGACY_HEADER_BYTES + nameLength + LEGACY_MAC_BYTES) {
            throw invalid();
        }
        checkMac(token, LEGACY_HEADER_BYTES + nameLength, LEGACY_MAC_BYTES);
        String name = new String(token, LEGACY_HEADER_BYTES, nameLength, StandardCharsets.UTF_8);
        return new Decoded(iterator, new Position(null, name, buf.getLong(9), buf.getInt(17), buf.getLong(21)),
                buf.getLong(1), null);
    }

    /** The MAC of bytes {@code 0 .. signedBytes} must be the next {@code macBytes} bytes (its first ones). */
    private void checkMac(byte[] token, int signedBytes, int macBytes) {
        byte[] expected = Arrays.copyOf(mac(token, signedBytes), macBytes);
        byte[] actual = Arrays.copyOfRange(token, signedBytes, signedBytes + macBytes);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw invalid();
        }
    }

    private KinesisException expiredError(long issuedMs) {
        long now = clock.millis();
        if (now - issuedMs <= LIFETIME_MS) {
            return null;
        }
        return KinesisException.expiredIterator("Iterator expired. The iterator was created at time "
                + AWS_TIME.format(Instant.ofEpochMilli(issuedMs)) + " while right now it is "
                + AWS_TIME.format(Instant.ofEpochMilli(now)) + " which is further in the future than the "
                + "tolerated delay of " + LIFETIME_MS + " milliseconds.");
    }

    private static KinesisException invalid() {
        return KinesisException.invalidArgument("Invalid ShardIterator.");
    }

    private byte[] mac(byte[] bytes, int length) {
        Mac mac;
        try {
            mac = (Mac) keyedMac.clone();
        } catch (CloneNotSupportedException e) {
            mac = newMac(key); // a provider whose HMAC cannot be cloned
        }
        mac.update(bytes, 0, length);
        return mac.doFinal();
    }

    private static Mac newMac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JVM", e);
        }
    }
}
