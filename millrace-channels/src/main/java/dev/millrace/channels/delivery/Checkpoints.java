package dev.millrace.channels.delivery;

import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.StaleVersionException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Per-shard delivery checkpoints in the metadata store: the position of the next record of a shard that a channel
 * delivers, and, while a batch is being written, where that batch ends and when its first record arrived.
 *
 * <p>Delivering a batch commits twice: first the batch's range ("pending"), then, once its object and dead-letter
 * object are written, the position after it. An attempt that finds a pending range rebuilds exactly that range, so a
 * crash between the objects and the checkpoint is repaired by rewriting the same objects under the same keys even if
 * the channel's freshness or the server's batch options changed meanwhile. The keys come from the batch's first
 * position and first arrival as recorded here, not as read again: the batch's first records may have expired from
 * the stream meanwhile (retention), and a key built from a later record would be a second object. Such a shortened
 * batch does not replace an object already under its key (written by the interrupted attempt, with the expired
 * records too); it only writes an object that is missing.
 *
 * <p>Delivery's changes are conditional on the value the task read ({@link #commitPending}, the four-argument
 * {@link #commit}): a task that no longer owns the shard (a zombie of a writer that flapped, or of one that lost the
 * role) fails instead of moving the checkpoint back. A change lost only to other keys' commits is tried again.
 *
 * <p>Layout: key {@code channel-checkpoint/<channelId>/<shardId>}; value, in ASCII, one of
 * <pre>
 *   NEXT                    everything before NEXT (decimal position) was delivered
 *   NEXT:END:ARRIVAL        the batch from NEXT (its first record's position) to END, exclusive, is being
 *                           delivered; its first record arrived at ARRIVAL (epoch ms)
 *   NEXT:END                the same, written before ARRIVAL was kept; read as arrival unknown (-1)
 * </pre>
 * Versions before ARRIVAL was kept cannot read the three-field value (their delivery of that shard fails and retries,
 * delivering nothing, until a newer writer commits past it): upgrade every node of a Kafka cluster, not some, so that
 * an old node never becomes the writer after a new one.
 *
 * <p>Thread-safe (the metadata store is).
 */
public final class Checkpoints {

    static final String PREFIX = "channel-checkpoint/";
    /** Conditional commits lost to other keys' commits before giving up; each loss means the store moved on. */
    private static final int COMMIT_ATTEMPTS = 100;

    /**
     * One shard's checkpoint.
     *
     * @param nextPosition       the next position to deliver; for a pending batch, its first record's position
     * @param pendingEndPosition the end (exclusive) of the batch being delivered from nextPosition, or -1
     * @param firstArrivalMs     when the pending batch's first record arrived, or -1 (none pending, or recorded by
     *                           a version that did not keep it)
     */
    public record Checkpoint(long nextPosition, long pendingEndPosition, long firstArrivalMs) {
        public Checkpoint(long nextPosition, long pendingEndPosition) {
            this(nextPosition, pendingEndPosition, -1);
        }

        public boolean pending() {
            return pendingEndPosition >= 0;
        }

        String encode() {
            if (!pending()) {
                return Long.toString(nextPosition);
            }
            return nextPosition + ":" + pendingEndPosition + (firstArrivalMs >= 0 ? ":" + firstArrivalMs : "");
        }

        static Checkpoint decode(String text) {
            String[] parts = text.split(":", -1);
            return switch (parts.length) {
                case 1 -> new Checkpoint(Long.parseLong(parts[0]), -1, -1);
                case 2 -> new Checkpoint(Long.parseLong(parts[0]), Long.parseLong(parts[1]), -1);
                case 3 -> new Checkpoint(Long.parseLong(parts[0]), Long.parseLong(parts[1]),
                        Long.parseLong(parts[2]));
                default -> throw new IllegalStateException("Not a channel checkpoint: " + text);
            };
        }
    }

    /** The checkpoint is not what the caller read: another task moved it. Nothing was changed. */
    public static final class CheckpointMovedException extends IllegalStateException {
        CheckpointMovedException(String message) {
            super(message);
        }
    }

    private final MetadataStore store;

    public Checkpoints(MetadataStore store) {
        this.store = store;
    }

    /** The shard's checkpoint, if the channel delivered from it before. */
    public Optional<Checkpoint> read(String channelId, String shardId) {
        return store.get(key(channelId, shardId))
                .map(value -> Checkpoint.decode(new String(value, StandardCharsets.US_ASCII)));
    }

    /** The next position to deliver, if the channel delivered from the shard before. */
    public OptionalLong next(String channelId, String shardId) {
        return read(channelId, shardId).map(c -> OptionalLong.of(c.nextPosition())).orElse(OptionalLong.empty());
    }

    /**
     * Durably records that the batch from {@code firstPosition} to {@code endPosition}, whose first record arrived at
     * {@code firstArrivalMs}, is being delivered, if the checkpoint is still {@code expected} (empty: none).
     *
     * @throws CheckpointMovedException if it is not
     */
    public void commitPending(String channelId, String shardId, Optional<Checkpoint> expected, long firstPosition,
            long endPosition, long firstArrivalMs) {
        commitIf(channelId, shardId, expected, new Checkpoint(firstPosition, endPosition, firstArrivalMs));
    }

    /**
     * Durably records that everything before {@code nextPosition} was delivered, if the checkpoint is still
     * {@code expected}.
     *
     * @throws CheckpointMovedException if it is not
     */
    public void commit(String channelId, String shardId, Checkpoint expected, long nextPosition) {
        commitIf(channelId, shardId, Optional.of(expected), new Checkpoint(nextPosition, -1, -1));
    }

    /** Unconditionally records that everything before {@code nextPosition} was delivered (tools and tests). */
    public void commit(String channelId, String shardId, long nextPosition) {
        store.commit(Map.of(key(channelId, shardId), bytes(new Checkpoint(nextPosition, -1, -1))));
    }

    private void commitIf(String channelId, String shardId, Optional<Checkpoint> expected, Checkpoint value) {
        String key = key(channelId, shardId);
        for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
            // The version first: a value read after it is at that version or later, and a later one fails the commit.
            long version = store.version();
            Optional<Checkpoint> current = read(channelId, shardId);
            if (!current.equals(expected)) {
                throw new CheckpointMovedException("The checkpoint of channel " + channelId + " shard " + shardId
                        + " is " + current.map(Checkpoint::encode).orElse("absent") + ", not "
                        + expected.map(Checkpoint::encode).orElse("absent") + ": another task delivers it");
            }
            try {
                store.commitIfVersion(version, Map.of(key, bytes(value)));
                return;
            } catch (StaleVersionException e) {
                // Another key changed (any commit moves the version); read again.
            }
        }
        throw new IllegalStateException("The checkpoint of channel " + channelId + " shard " + shardId
                + " could not be committed: the metadata store changed on each of " + COMMIT_ATTEMPTS + " attempts");
    }

    /** Deletes every checkpoint of a channel (when it is deleted). */
    public void forget(String channelId) {
        Map<String, byte[]> deletes = new HashMap<>();
        for (String key : store.scan(PREFIX + channelId + "/").keySet()) {
            deletes.put(key, null);
        }
        store.commit(deletes);
    }

    /** The ids of the channels that have checkpoints. */
    public Set<String> channelIds() {
        Set<String> ids = new java.util.TreeSet<>();
        for (String key : store.scan(PREFIX).keySet()) {
            int slash = key.indexOf('/', PREFIX.length());
            if (slash > PREFIX.length()) {
                ids.add(key.substring(PREFIX.length(), slash));
            }
        }
        return ids;
    }

    private static byte[] bytes(Checkpoint checkpoint) {
        return checkpoint.encode().getBytes(StandardCharsets.US_ASCII);
    }

    static String key(String channelId, String shardId) {
        return PREFIX + channelId + "/" + shardId;
    }
}
