package dev.millrace.lambda.poll;

import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.StaleVersionException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where each event source mapping is in each shard, in the metadata store, so that a restart (or another node taking
 * the shard over) resumes where processing stopped: every record before the checkpoint has ended (processed,
 * filtered out or discarded; see {@link ShardLanes}); the ones after it are processed (again), at least once as on
 * Lambda.
 *
 * <p>Layout: key {@code lambda-checkpoint/<mapping UUID>/<shardId>}; value, UTF-8, one of
 * <pre>
 *   NEXT                           every record before NEXT (decimal position) ended
 *   NEXT E                         the same, and the shard is closed and every record of it ended: its children
 *                                  may start (their parents' records come first, as on Lambda)
 *   NEXT W START STATE             the same, with a tumbling window open since START (epoch ms, decimal) whose
 *                                  state is STATE, the rest of the value: the JSON object the function returned
 * </pre>
 *
 * <p>Key {@code lambda-checkpoint/<mapping UUID>/started} (value: the starting position, for people) says the mapping
 * has started: its starting checkpoints (LATEST, AT_TIMESTAMP) were committed with it, in the same commit
 * ({@link #markStarted}). Without it a mapping is new, and fixes where each shard starts; a mapping that has started
 * never does so again, so shards without a checkpoint (born later, or whose parents expired) are read from their start.
 *
 * <p>Changes are conditional on the value the caller read ({@link #commit}): a task that no longer owns the shard (a
 * node that lost it, a mapping updated meanwhile) fails instead of moving the checkpoint back. A change lost only to
 * other keys' commits is tried again.
 *
 * <p>Thread-safe (the metadata store is).
 */
final class MappingCheckpoints {

    static final String PREFIX = "lambda-checkpoint/";
    /** The marker key's last part; never a shard ID (those are {@code shardId-...}). */
    static final String STARTED = "started";
    /** Conditional commits lost to other keys' commits before giving up; each loss means the store moved on. */
    private static final int COMMIT_ATTEMPTS = 100;

    /**
     * One shard's checkpoint.
     *
     * @param nextPosition  the position of the first record not yet ended
     * @param shardDone     whether the shard is closed and every record of it ended
     * @param windowStartMs when the open tumbling window began, or -1 (none open)
     * @param windowState   the open window's state (a JSON object), or null
     */
    record Checkpoint(long nextPosition, boolean shardDone, long windowStartMs, String windowState) {

        static Checkpoint at(long nextPosition) {
            return new Checkpoint(nextPosition, false, -1, null);
        }

        String encode() {
            if (shardDone) {
                return nextPosition + " E";
            }
            if (windowStartMs >= 0) {
                return nextPosition + " W " + windowStartMs + " " + (windowState == null ? "{}" : windowState);
            }
            return Long.toString(nextPosition);
        }

        static Checkpoint decode(String text) {
            String[] parts = text.split(" ", 4);
            long next = Long.parseLong(parts[0]);
            if (parts.length == 1) {
                return at(next);
            }
            if (parts.length == 2 && parts[1].equals("E")) {
                return new Checkpoint(next, true, -1, null);
            }
            if (parts.length == 4 && parts[1].equals("W")) {
                return new Checkpoint(next, false, Long.parseLong(parts[2]), parts[3]);
            }
            throw new IllegalStateException("Not an event source mapping checkpoint: " + text);
        }
    }

    /** The checkpoint is not what the caller read: another task moved it. Nothing was changed. */
    static final class CheckpointMovedException extends IllegalStateException {
        CheckpointMovedException(String message) {
            super(message);
        }
    }

    private final MetadataStore store;

    MappingCheckpoints(MetadataStore store) {
        this.store = store;
    }

    /** The shard's checkpoint, if the mapping processed it before. */
    Optional<Checkpoint> read(String mappingUuid, String shardId) {
        return store.get(key(mappingUuid, shardId))
                .map(value -> Checkpoint.decode(new String(value, StandardCharsets.UTF_8)));
    }

    /**
     * Durably records {@code next} if the checkpoint is still {@code expected} (empty: none yet).
     *
     * @throws CheckpointMovedException if it is not
     */
    void commit(String mappingUuid, String shardId, Optional<Checkpoint> expected, Checkpoint next) {
        String key = key(mappingUuid, shardId);
        for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
            // The version first: a value read after it is at that version or later, and a later one fails the commit.
            long version = store.version();
            Optional<Checkpoint> current = read(mappingUuid, shardId);
            if (!current.equals(expected)) {
                throw new CheckpointMovedException("The checkpoint of event source mapping " + mappingUuid
                        + " in shard " + shardId + " is " + current.map(Checkpoint::encode).orElse("absent")
                        + ", not " + expected.map(Checkpoint::encode).orElse("absent")
                        + ": another task processes it");
            }
            try {
                store.commitIfVersion(version, Map.of(key, next.encode().getBytes(StandardCharsets.UTF_8)));
                return;
            } catch (StaleVersionException e) {
                // Another key changed (any commit moves the version); read again.
            }
        }
        throw new IllegalStateException("The checkpoint of event source mapping " + mappingUuid + " in shard "
                + shardId + " could not be committed: the metadata store changed on each of " + COMMIT_ATTEMPTS
                + " attempts");
    }

    /** Whether the mapping has started ({@link #markStarted}). */
    boolean started(String mappingUuid) {
        return store.get(key(mappingUuid, STARTED)).isPresent();
    }

    /**
     * Marks the mapping started, committing in the same commit the starting checkpoints {@code starts} gives (by shard
     * ID) if the mapping has no checkpoint at all; one that has some started before the marker existed (an older
     * Millrace): only the marker is committed, and its shards without a checkpoint are read from their start, so that
     * no record is skipped (some may come again). Nothing happens if the mapping is marked already.
     *
     * @param description what the marker's value says (the starting position)
     */
    void markStarted(String mappingUuid, String description, Supplier<Map<String, Checkpoint>> starts) {
        for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
            long version = store.version();
            if (started(mappingUuid)) {
                return;
            }
            Map<String, byte[]> changes = new HashMap<>();
            if (store.scan(PREFIX + mappingUuid + "/").isEmpty()) {
                starts.get().forEach((shardId, checkpoint) -> changes.put(key(mappingUuid, shardId),
                        checkpoint.encode().getBytes(StandardCharsets.UTF_8)));
            }
            changes.put(key(mappingUuid, STARTED), description.getBytes(StandardCharsets.UTF_8));
            try {
                // Conditional: a checkpoint committed since the scan (a worker of another node) must not be replaced.
                store.commitIfVersion(version, changes);
                return;
            } catch (StaleVersionException e) {
                // Another key changed; read again.
            }
        }
        throw new IllegalStateException("Event source mapping " + mappingUuid + " could not be marked started: the "
                + "metadata store changed on each of " + COMMIT_ATTEMPTS + " attempts");
    }

    /** Deletes every checkpoint of a mapping, and its started marker (once it is deleted). */
    void forget(String mappingUuid) {
        Map<String, byte[]> deletes = new HashMap<>();
        for (String key : store.scan(PREFIX + mappingUuid + "/").keySet()) {
            deletes.put(key, null);
        }
        if (!deletes.isEmpty()) {
            store.commit(deletes);
        }
    }

    static String key(String mappingUuid, String shardId) {
        return PREFIX + mappingUuid + "/" + shardId;
    }
}
