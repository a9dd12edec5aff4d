package dev.millrace.server.state;

import dev.millrace.protocol.KinesisException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Locale;

/**
 * Shard iterators: opaque, tamper-evident tokens that say where a reader is. Only this class builds or parses them.
 *
 * <pre>
 *  base64( payload | HMAC-SHA256(key, payload)[0..16) )
 *  payload:
 *  0        1                       9                       17          21                      29      31
 *  +--------+-----------------------+-----------------------+-----------+-----------------------+-------+------+
 *  | ver=1  |      issuedMs         |     streamEpochMs     | shardIndex|       position        |nameLen| name |
 *  +--------+-----------------------+-----------------------+-----------+-----------------------+-------+------+
 * </pre>
 *
 * The key is random per data directory, so iterators survive restarts but cannot be forged or edited. An iterator
 * expires 5 minutes after it was issued, as on AWS.
 *
 * <p>Thread-safe: {@link Mac} instances are made per call.
 */
public final class ShardIterators {
    public static final long LIFETIME_MS = 300_000;
    private static final byte VERSION = 1;
    private static final int HEADER_BYTES = 31;
    private static final int MAC_BYTES = 16;
    private static final DateTimeFormatter AWS_TIME =
            DateTimeFormatter.ofPattern("EEE MMM dd HH:mm:ss zzz yyyy", Locale.US).withZone(ZoneOffset.UTC);

    /** Where an iterator points. */
    public record Position(String streamName, long streamEpochMs, int shardIndex, long position) {
    }

    private final byte[] key;
    private final Clock clock;

    public ShardIterators(byte[] key, Clock clock) {
        this.key = key.clone();
        this.clock = clock;
    }

    public String issue(String streamName, long streamEpochMs, int shardIndex, long position) {
        byte[] name = streamName.getBytes(StandardCharsets.UTF_8);
        ByteBuffer payload = ByteBuffer.allocate(HEADER_BYTES + name.length);
        payload.put(VERSION).putLong(clock.millis()).putLong(streamEpochMs).putInt(shardIndex).putLong(position)
                .putShort((short) name.length).put(name);
        byte[] mac = mac(payload.array());
        ByteBuffer token = ByteBuffer.allocate(payload.capacity() + MAC_BYTES);
        token.put(payload.array()).put(mac, 0, MAC_BYTES);
        return Base64.getEncoder().encodeToString(token.array());
    }

    /** Decodes and checks an iterator: {@code InvalidArgumentException} if forged or garbled, expired otherwise. */
    public Position parse(String iterator) {
        byte[] token;
        try {
            token = Base64.getDecoder().decode(iterator);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        if (token.length < HEADER_BYTES + MAC_BYTES || token[0] != VERSION) {
            throw invalid();
        }
        ByteBuffer buf = ByteBuffer.wrap(token);
        int nameLength = buf.getShort(HEADER_BYTES - 2) & 0xFFFF;
        if (token.length != HEADER_BYTES + nameLength + MAC_BYTES) {
            throw invalid();
        }
        byte[] payload = java.util.Arrays.copyOf(token, HEADER_BYTES + nameLength);
        byte[] expected = java.util.Arrays.copyOf(mac(payload), MAC_BYTES);
        byte[] actual = java.util.Arrays.copyOfRange(token, payload.length, token.length);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw invalid();
        }
        long issuedMs = buf.getLong(1);
        long now = clock.millis();
        if (now - issuedMs > LIFETIME_MS) {
            throw KinesisException.expiredIterator("Iterator expired. The iterator was created at time "
                    + AWS_TIME.format(Instant.ofEpochMilli(issuedMs)) + " while right now it is "
                    + AWS_TIME.format(Instant.ofEpochMilli(now)) + " which is further in the future than the "
                    + "tolerated delay of " + LIFETIME_MS + " milliseconds.");
        }
        String name = new String(token, HEADER_BYTES, nameLength, StandardCharsets.UTF_8);
        return new Position(name, buf.getLong(9), buf.getInt(17), buf.getLong(21));
    }

    private static KinesisException invalid() {
        return KinesisException.invalidArgument("Invalid ShardIterator.");
    }

    private byte[] mac(byte[] payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JVM", e);
        }
    }
}
