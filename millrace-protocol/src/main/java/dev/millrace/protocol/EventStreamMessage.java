package dev.millrace.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The layout of one {@code application/vnd.amazon.eventstream} message, as SubscribeToShard sends them. Only this
 * class computes offsets inside a message.
 *
 * <pre>
 *  0            4             8             12
 *  +------------+-------------+-------------+---------------------+-----------------+-------------+
 *  | total len  | headers len | prelude crc | headers             | payload         | message crc |
 *  +------------+-------------+-------------+---------------------+-----------------+-------------+
 *  all integers big-endian u32; prelude crc = CRC32 of bytes 0..7; message crc = CRC32 of everything before it
 *  header := name length u8 | name (UTF-8) | type u8 (7 = string) | value length u16 | value (UTF-8)
 * </pre>
 *
 * Only string-valued headers are written; that is all Kinesis events use ({@code :message-type},
 * {@code :event-type}, {@code :content-type}, {@code :exception-type}, {@code :error-code}, {@code :error-message}).
 *
 * <p>Stateless, thread-safe.
 */
public final class EventStreamMessage {
    private static final int PRELUDE_BYTES = 12;
    private static final int CRC_BYTES = 4;
    private static final byte STRING_TYPE = 7;

    private EventStreamMessage() {
    }

    /** The {@code initial-response} that opens every SubscribeToShard stream (empty JSON payload). */
    public static byte[] initialResponse() {
        return event("initial-response", "{}".getBytes(StandardCharsets.UTF_8));
    }

    /** A {@code SubscribeToShardEvent} (or other event) with a JSON payload. */
    public static byte[] event(String eventType, byte[] jsonPayload) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":message-type", "event");
        headers.put(":event-type", eventType);
        headers.put(":content-type", "application/json");
        return encode(headers, jsonPayload);
    }

    /** A modelled exception (ResourceNotFoundException, ResourceInUseException, ...) ending the stream. */
    public static byte[] exception(String exceptionType, String message) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(":message-type", "exception");
        headers.put(":exception-type", exceptionType);
        headers.put(":content-type", "application/json");
        byte[] payload = new WireWriter(WireFormat.JSON).startObject().string("message", message).endObject()
                .toBytes();
        return encode(headers, payload);
    }

    public static byte[] encode(Map<String, String> headers, byte[] payload) {
        int headersBytes = 0;
        for (Map.Entry<String, String> h : headers.entrySet()) {
            headersBytes += 1 + utf8(h.getKey()).length + 1 + 2 + utf8(h.getValue()).length;
        }
        int total = PRELUDE_BYTES + headersBytes + payload.length + CRC_BYTES;
        ByteBuffer buf = ByteBuffer.allocate(total);
        buf.putInt(total).putInt(headersBytes);
        buf.putInt(crc(buf.array(), 0, 8));
        for (Map.Entry<String, String> h : headers.entrySet()) {
            byte[] name = utf8(h.getKey());
            byte[] value = utf8(h.getValue());
            buf.put((byte) name.length).put(name).put(STRING_TYPE).putShort((short) value.length).put(value);
        }
        buf.put(payload);
        buf.putInt(crc(buf.array(), 0, total - CRC_BYTES));
        return buf.array();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int crc(byte[] bytes, int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }
}
