package dev.millrace.channels.delivery;

import dev.millrace.storage.MetadataStore;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Per-shard delivery checkpoints in the metadata store: the position of the next record of a shard that a channel
 * delivers. A checkpoint is committed only after the batch's object (and its dead-letter object) were written, so a
 * crash between the two makes the next attempt rebuild and rewrite the same batch.
 *
 * <p>Layout: key {@code channel-checkpoint/<channelId>/<shardId>}, value the position in decimal ASCII.
 *
 * <p>Thread-safe (the metadata store is).
 */
public final class Checkpoints {

    static final String PREFIX = "channel-checkpoint/";

    private final MetadataStore store;

    public Checkpoints(MetadataStore store) {
        this.store = store;
    }

    /** The next position to deliver, if the channel delivered from the shard before. */
    public OptionalLong next(String channelId, String shardId) {
        return store.get(key(channelId, shardId))
                .map(value -> OptionalLong.of(Long.parseLong(new String(value, StandardCharsets.US_ASCII))))
                .orElse(OptionalLong.empty());
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
