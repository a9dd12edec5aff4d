package dev.millrace.storage;

/**
 * The records of one shard: an append-only sequence addressed by position.
 *
 * <p>Positions start at 0 and strictly increase in append order; they may skip values (after recovery discarded a
 * damaged tail) but are never handed out twice, not even across restarts. A record is visible to readers only once
 * its append has been acknowledged.
 *
 * <p>Implementations are thread-safe: appends are serialised per shard, reads run concurrently with them.
 */
public interface ShardLog {

    /** The key the shard was opened with. */
    String key();

    /**
     * Appends the records as one batch and returns once the configured durability policy is satisfied (by default:
     * on disk). The records receive consecutive positions in list order.
     *
     * <p>A failed append stores nothing in the embedded engine. A backend that stores each record separately (Kafka:
     * one broker acknowledgement per record, the producer possibly splitting the batch) may have stored and made
     * readable some of the batch's records before it failed; the caller cannot tell which, and a client's retry may
     * then store them twice. Kinesis allows exactly that (its PutRecords is at-least-once), so callers treat every
     * failed append as "possibly partly stored", never as "certainly not stored".
     *
     * @throws ShardSealedException if the shard is sealed
     * @throws StorageException     if the append could not be made durable; see above for what may be visible then
     */
    AppendResult append(java.util.List<AppendRecord> records);

    /**
     * {@link #append(java.util.List)}, encrypted at rest with {@code key} when it is not null: the records' partition
     * keys, explicit hash keys and data are stored only as AES-256-GCM ciphertext, authenticated, with the key's id
     * beside it, and {@link #read} gives them back decrypted through the engine's {@link
     * dev.millrace.storage.crypto.KeyRing} (or fails with {@link dev.millrace.storage.crypto.KeyUnavailableException}
     * while that key is unavailable). A backend stores encrypted at least per append batch where its layout allows
     * (the embedded engine: one ciphertext per batch), else per record.
     */
    AppendResult append(java.util.List<AppendRecord> records, dev.millrace.storage.crypto.DataKey key);

    /**
     * The first half of {@link #append(java.util.List, dev.millrace.storage.crypto.DataKey)}: stores the batch as far
     * as it can without waiting for durability and returns the append to {@link PendingAppend#await} later. A caller
     * appending to N shards begins all N, then awaits them: the embedded engine then makes all of them durable with
     * one write-ahead log force instead of N. Positions are taken at begin, in begin order per shard.
     *
     * <p>By default this appends in one step and returns the completed append (a backend that cannot split an append,
     * such as Kafka's, keeps working unchanged).
     *
     * @throws ShardSealedException if the shard is sealed
     * @throws StorageException     if the batch could not be stored
     */
    default PendingAppend begin(java.util.List<AppendRecord> records, dev.millrace.storage.crypto.DataKey key) {
        return PendingAppend.completed(append(records, key));
    }

    /**
     * Reads records at or after {@code fromPosition}, at most {@code maxRecords} of them and, beyond the first, at most
     * {@code maxBytes} of payload. Records older than the retention period are never returned. Returns at once, with
     * nothing, when there is nothing to return (at or past the end): readers poll, they never wait in a read.
     *
     * <p>Records are never skipped: a read that reaches records it cannot give back (encrypted with a key that is
     * unavailable now, or damaged) returns the records before them with {@link ReadResult#nextPosition()} in front of
     * them, and a read that starts there throws.
     *
     * @throws IllegalArgumentException if {@code fromPosition} is negative or a limit is below 1
     * @throws dev.millrace.storage.crypto.KeyUnavailableException if the first record to return is encrypted with a
     *                                  key that is not in the engine's key ring or disabled
     * @throws CorruptDataException     if the first record to return is damaged, or encrypted and does not open
     *                                  (changed bytes, or other key material under its key's id)
     */
    ReadResult read(long fromPosition, int maxRecords, long maxBytes);

    /**
     * The position of the first retained record whose arrival time is at or after {@code timestampMs}, or
     * {@link #endPosition()} if there is none.
     */
    long positionAtOrAfter(long timestampMs);

    /** The first position a read can return now (older records expired or were trimmed). */
    long startPosition();

    /**
     * The position the next appended record will get; everything below it that is retained is readable. A backend
     * whose shards other nodes append to too may answer with the end as this node last learned it (Kafka, for a shard
     * this node does not append to and has no listener on: see {@link #freshEndPosition}).
     */
    long endPosition();

    /**
     * {@link #endPosition}, as the backend knows it now: a backend that keeps the end in memory while other nodes may
     * append (Kafka) asks the shared store for it, one round trip, and reads at or past the old end see the records
     * below the new one afterwards. For readers that follow a shard other nodes append to without a listener on it
     * (channel delivery on the metadata writer), at a bounded rate. The embedded log's end is always exact: by default
     * this is {@link #endPosition}.
     */
    default long freshEndPosition() {
        return endPosition();
    }

    /** How long records stay readable. Changing it takes effect on the next read and the next trim. */
    void retentionMs(long retentionMs);

    long retentionMs();

    /** Closes the shard for writing, durably and permanently. Idempotent. */
    void seal();

    boolean sealed();

    /**
     * Deletes whatever storage holds only expired records; returns how many units (segments) were removed. Never
     * deletes a retained record. A backend whose storage expires records by itself (Kafka's {@code retention.ms}) may
     * leave it to that and return 0; reads skip expired records either way.
     */
    int trimExpired();

    /**
     * Tells {@code listener} of every later acknowledged append to this shard, once per append, after its records
     * are readable (see {@link AppendListener} for what a listener may do), until the registration is closed.
     *
     * <p>Every backend tells of the appends made through this node's own {@link #append} calls. A backend whose shards
     * other nodes append to too (Kafka: another node's producer) may also tell of those as it learns of them, or not
     * at all; readers that must see other nodes' appends keep polling as well. Such a backend still tells of each of
     * this node's own appends once, though it learns of them from the backend too; another node's records that land
     * before one of this node's may be told of only by that append's call, which comes after they are readable, so a
     * reader it wakes reads them too. {@link AppendListeners} does the bookkeeping for implementations.
     */
    Registration onAppend(AppendListener listener);
}
