package dev.millrace.channels.delivery;

import dev.millrace.storage.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Per-shard delivery checkpoints in the metadata store: the position of the next record of a shard that a channel
 * delivers, and, while a batch is being written, where that batch ends.
 *
 * <p>Delivering a batch commits twice: first the batch's range ("pending"), then, once its object and dead-letter
 * object are written, the position after it. An attempt that finds a pending range rebuilds exactly that range, so a
 * crash between the objects and the checkpoint is repaired by rewriting the same objects under the same keys even if
 * the channel's freshness or the server's batch options changed meanwhile.
 *
 * <p>Layout: key {@code channel-checkpoint/<channelId>/<shardId>}; value, in ASCII, {@code NEXT} (decimal position of
 * the next record to deliver) or {@code NEXT:END} (the batch from NEXT to END, exclusive, is being delivered).
 *
 * <p>Thread-safe (the metadata store is).
 */
public final class Checkpoints {

    static final String PREFIX = "channel-checkpoint/";

    /**
     * One shard's checkpoint.
     *
     * @param nextPosition       the next position to deliver
     * @param pendingEndPosition the end (exclusive) of the batch being delivered from nextPosition, or -1
     */
    public record Checkpoint(long nextPosition, long pendingEndPosition) {
        public boolean pending() {
            return pendingEndPosition >= 0;
        }
    }

    private final MetadataStore store;

    public Checkpoints(MetadataStore store) {
        this.store = store;
    }

    /** The shard's checkpoint, if the channel delivered from it before. */
    public Optional<Checkpoint> read(String channelId, String shardId) {
        return store.get(key(channelId, shardId)).map(value -> {
            String text = new String(value, StandardCharsets.US_ASCII);
            int colon = text.indexOf(':');
            return colon < 0 ? new Checkpoint(Long.parseLong(text), -1)
                    : new Checkpoint(Long.parseLong(text.substring(0, colon)),
                            Long.parseLong(text.substring(colon + 1)));
        });
    }

    /** The next position to deliver, if the channel delivered from the shard before. */
    public OptionalLong next(String channelId, String shardId) {
        return read(channelId, shardId).map(c -> OptionalLong.of(c.nextPosition())).orElse(OptionalLong.empty());
    }

    /** Durably records that the batch from {@code nextPosition} to {@code endPosition} is being delivered. */
    public void commitPending(String channelId, String shardId, long nextPosition, long endPosition) {
        store.commit(Map.of(key(channelId, shardId),
                (nextPosition + ":" + endPosition).getBytes(StandardCharsets.US_ASCII)));
    }

    /** Durably records that everything before {@code nextPosition} was delivered. */
    public void commit(String channelId, String shardId, long nextPosition) {
        store.commit(Map.of(key(channelId, shardId),
                Long.toString(nextPosition).getBytes(StandardCharsets.US_ASCII)));
    }

    /** Deletes every checkpoint of a channel (when it is deleted). */
    public void forget(String channelId) {
        Map<String, byte[]> deletes = new HashMap<>();
        for (String key : store.scan(PREFIX + channelId + "/").keySet()) {
            deletes.put(key, null);
        }
        store.commit(deletes);
    }

    static String key(String channelId, String shardId) {
        return PREFIX + channelId + "/" + shardId;
    }
}
