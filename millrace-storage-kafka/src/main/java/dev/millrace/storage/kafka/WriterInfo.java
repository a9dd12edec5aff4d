package dev.millrace.storage.kafka;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Who writes the metadata topic: the node's id, the endpoint other nodes forward changes to, and the epoch of its
 * promotion, which grows by one with every promotion on the prefix (so a later writer always has a larger epoch).
 * Stored in the reserved writer record, whose layout {@link KafkaMetadataStore} draws; {@link #encode} and
 * {@link #decode} write and read that value.
 *
 * <p>Immutable, thread-safe.
 *
 * @param nodeId   the node's id, 1 to {@link #MAX_FIELD_BYTES} UTF-8 bytes
 * @param endpoint where the node takes forwarded changes ("host:port"), up to {@link #MAX_FIELD_BYTES} UTF-8
 *                 bytes; empty if the node takes none (a store opened with {@link KafkaMetadataStore#open})
 * @param epoch    0 in what a node asks {@link KafkaMetadataStore#promote} for; positive once assigned
 */
public record WriterInfo(String nodeId, String endpoint, long epoch) {
    /** The longest node id or endpoint, UTF-8 encoded. */
    public static final int MAX_FIELD_BYTES = 1024;
    private static final byte FORMAT = 1;

    public WriterInfo {
        if (nodeId == null || nodeId.isEmpty() || nodeId.getBytes(StandardCharsets.UTF_8).length > MAX_FIELD_BYTES) {
            throw new IllegalArgumentException("a writer's node id must have 1 to " + MAX_FIELD_BYTES
                    + " UTF-8 bytes, not " + (nodeId == null ? "null" : "'" + nodeId + "'"));
        }
        if (endpoint == null || endpoint.getBytes(StandardCharsets.UTF_8).length > MAX_FIELD_BYTES) {
            throw new IllegalArgumentException("a writer's endpoint must have 0 to " + MAX_FIELD_BYTES
                    + " UTF-8 bytes, not " + (endpoint == null ? "null" : "'" + endpoint + "'"));
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("a writer's epoch cannot be negative: " + epoch);
        }
    }

    /** What a node asks to be promoted as; the promotion assigns the epoch. */
    public static WriterInfo of(String nodeId, String endpoint) {
        return new WriterInfo(nodeId, endpoint, 0);
    }

    WriterInfo withEpoch(long assigned) {
        return new WriterInfo(nodeId, endpoint, assigned);
    }

    /** The writer record's value. */
    byte[] encode() {
        byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
        byte[] ep = endpoint.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + Long.BYTES + 2 + id.length + 2 + ep.length)
                .put(FORMAT).putLong(epoch)
                .putShort((short) id.length).put(id)
                .putShort((short) ep.length).put(ep)
                .array();
    }

    /**
     * Reads a writer record's value.
     *
     * @throws IllegalArgumentException if it is not exactly one, with a positive epoch
     */
    static WriterInfo decode(byte[] value) {
        try {
            ByteBuffer buffer = ByteBuffer.wrap(value);
            byte format = buffer.get();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown format " + format);
            }
            long epoch = buffer.getLong();
            String nodeId = readString(buffer);
            String endpoint = readString(buffer);
            if (buffer.hasRemaining()) {
                throw new IllegalArgumentException(buffer.remaining() + " bytes too many");
            }
            if (epoch <= 0) {
                throw new IllegalArgumentException("epoch " + epoch);
            }
            return new WriterInfo(nodeId, endpoint, epoch);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("too short", e);
        }
    }

    private static String readString(ByteBuffer buffer) {
        byte[] bytes = new byte[Short.toUnsignedInt(buffer.getShort())];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "node '" + nodeId + "'" + (endpoint.isEmpty() ? "" : " at " + endpoint) + " (epoch " + epoch + ")";
    }
}
