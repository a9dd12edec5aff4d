package dev.millrace.storage.kafka;

import dev.millrace.storage.CorruptDataException;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one Millrace node tells the others about itself on the nodes topic ({@link NodeMembership}): its id, where its
 * API listens, and when it started. Only this class computes offsets inside the value:
 *
 * <pre>
 *  0        1            3                       3+n          5+n                      5+n+m                 13+n+m
 *  +--------+------------+-----------------------+------------+------------------------+----------------------+
 *  | format | idLength n |  nodeId, n bytes      | epLength m |  endpoint, m bytes     |  startedMs           |
 *  +--------+------------+-----------------------+------------+------------------------+----------------------+
 *
 *  format    = 1 (a later layout takes a new number; a reader refuses formats it does not know)
 *  idLength  = unsigned 16-bit big-endian; nodeId UTF-8, [A-Za-z0-9._-]{1,64}
 *  epLength  = unsigned 16-bit big-endian; endpoint UTF-8, 1..MAX_ENDPOINT_BYTES bytes, no control characters
 *  startedMs = signed 64-bit big-endian, epoch milliseconds
 *  nothing may follow
 * </pre>
 *
 * The record's key is the node id as UTF-8, and a null value (a tombstone) says the node left.
 *
 * <p>Immutable, thread-safe.
 *
 * @param nodeId    names the node among those sharing a cluster and topic prefix; {@code [A-Za-z0-9._-]{1,64}}
 * @param endpoint  where the node's API is reached, e.g. {@code http://10.0.0.5:4567}
 * @param startedMs when the node started, epoch milliseconds (tells two lives of one node id apart)
 */
public record NodeInfo(String nodeId, String endpoint, long startedMs) {
    static final byte FORMAT = 1;
    static final int MAX_ENDPOINT_BYTES = 2048;
    private static final int FORMAT_BYTES = 1;
    private static final int LENGTH_BYTES = 2;
    private static final int STARTED_BYTES = 8;
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    public NodeInfo {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(endpoint, "endpoint");
        if (!NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("node id '" + nodeId
                    + "' must be 1 to 64 of the characters A-Z a-z 0-9 . _ -");
        }
        int endpointBytes = endpoint.getBytes(StandardCharsets.UTF_8).length;
        if (endpointBytes == 0 || endpointBytes > MAX_ENDPOINT_BYTES
                || endpoint.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("node endpoint must be 1 to " + MAX_ENDPOINT_BYTES
                    + " bytes of UTF-8 without control characters, not '" + endpoint + "'");
        }
    }

    /** Whether {@code nodeId} is a valid node id. */
    public static boolean validNodeId(String nodeId) {
        return nodeId != null && NODE_ID.matcher(nodeId).matches();
    }

    /** The value this node's heartbeat carries. */
    byte[] encode() {
        byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
        byte[] ep = endpoint.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(FORMAT_BYTES + LENGTH_BYTES + id.length + LENGTH_BYTES + ep.length
                + STARTED_BYTES);
        buf.put(FORMAT);
        buf.putShort((short) id.length).put(id);
        buf.putShort((short) ep.length).put(ep);
        buf.putLong(startedMs);
        return buf.array();
    }

    /**
     * The node a heartbeat's value describes.
     *
     * @throws CorruptDataException if the bytes are not a value of a known format (another program's record, damage)
     */
    static NodeInfo decode(byte[] value) {
        ByteBuffer buf = ByteBuffer.wrap(value);
        try {
            byte format = buf.get();
            if (format != FORMAT) {
                throw corrupt("unknown format " + format);
            }
            String id = utf8(buf, Short.toUnsignedInt(buf.getShort()));
            String ep = utf8(buf, Short.toUnsignedInt(buf.getShort()));
            long started = buf.getLong();
            if (buf.hasRemaining()) {
                throw corrupt(buf.remaining() + " bytes after the end");
            }
            return new NodeInfo(id, ep, started);
        } catch (BufferUnderflowException e) {
            throw corrupt("truncated (" + value.length + " bytes)");
        } catch (IllegalArgumentException e) {
            throw corrupt(e.getMessage());
        }
    }

    private static String utf8(ByteBuffer buf, int length) {
        if (length > buf.remaining()) {
            throw new BufferUnderflowException();
        }
        ByteBuffer bytes = buf.slice(buf.position(), length);
        buf.position(buf.position() + length);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a string is not UTF-8");
        }
    }

    private static CorruptDataException corrupt(String what) {
        return new CorruptDataException("node record: " + what);
    }
}
