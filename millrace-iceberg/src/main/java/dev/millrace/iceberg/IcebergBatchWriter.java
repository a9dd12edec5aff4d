package dev.millrace.iceberg;

import dev.millrace.channels.table.TableCheckpointConflictException;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg.TableSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Reference;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.iceberg.AppendFiles;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.SerializableTable;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotAncestryValidator;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.aws.s3.S3FileIOProperties;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.CommitStateUnknownException;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.SupportsPrefixOperations;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.util.SnapshotUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a channel's shard batches into its Iceberg table, each batch exactly once: the batch's Parquet files and
 * the shard's new checkpoint are committed in one snapshot, and that commit only succeeds if the shard's checkpoint
 * in the table is still the one the batch starts from.
 *
 * <p>Checkpoints live in snapshot summaries: {@code millrace.checkpoint.<shardId> = <next position>} (decimal) for
 * every shard of the table in each snapshot we commit, plus {@code millrace.batch-start.<shardId>} of the batch it
 * committed, {@code millrace.commit-token} and {@value #CHECKPOINTS_CARRIED} = {@code true}. Every shard's
 * checkpoint is carried forward into each commit because snapshots expire (S3 Tables' maintenance, our own expiry
 * below): a checkpoint kept only in the snapshot that wrote it would vanish with it, and its batch would be written
 * again. A
 * shard's checkpoint is the first one found walking the current snapshot's ancestors (newest first; a snapshot of
 * someone else's, a compaction's, carries none), up to the first snapshot that carries them all. The commit carries a
 * {@link SnapshotAncestryValidator} that Iceberg runs against the base it applies the append to, again on each of its
 * own retries: a writer with a stale view (a zombie, a rival node) fails with {@link ValidationException} instead of
 * appending the rows a second time, which a plain append would do (Iceberg rebases appends onto the new head). The
 * same validator copies the base's checkpoints of the other shards into the append's summary, so they are the ones of
 * the base the commit actually lands on, not of the view the batch started from.
 *
 * <p>Snapshot expiry ({@code retainedSnapshots > 0}, the embedded catalog: nobody else maintains its tables): after a
 * commit that leaves more than {@code retainedSnapshots} plus a fifth, snapshots beyond the newest
 * {@code retainedSnapshots} are expired, so metadata.json, the cached table and the sweep stay bounded. Our own
 * snapshots only append, so expiring one deletes no data file still read (Iceberg deletes only the files no retained
 * snapshot references: manifest lists, merged manifests, files a user's compaction replaced).
 *
 * <p>Data files are never overwritten: a committed snapshot records each file's path and size. They are named
 * {@code <8 hex of the channel id's hash>-<shard number, 12 digits>-<start position, base 36, 13 wide>-<8 hex
 * random>-<n>.parquet} under the partition's directory, so a file of an interrupted attempt is recognisable (its
 * start is at or after the shard's checkpoint) and never collides with a retry's. A retry after a crash between file
 * write and commit writes new files and leaves the old ones as orphans, referenced by no snapshot ({@link
 * #sweepUncommitted} deletes them); after a crash between commit and the engine's bookkeeping, {@link #write} sees the checkpoint already at the
 * batch's end and writes nothing.
 *
 * <p>The table is created on the first write (AWS creates it on the first delivery), with its namespace, format v2,
 * the mapped schema and {@code hour(column)} spec, the channel's codec and {@code millrace.channel-id}. A table that
 * exists without this channel's id is not written ("you cannot deliver to an existing table").
 *
 * <p>Memory: one Parquet row group per open file; files are fanned out per hour partition with at most {@value
 * #MAX_OPEN_FILES} open at once, row groups of {@value #ROW_GROUP_BYTES} bytes. A batch that touches more hours is
 * written in passes over its rows, each pass writing the rows of at most {@value #MAX_OPEN_FILES} hours not written
 * yet: one file per hour, memory bounded, the batch read once per pass.
 *
 * <p>Thread-safe: one instance per table. Loading the table and committing hold the instance's lock (one committer per
 * table: concurrent commits to one table only contend on the catalog's compare-and-swap); encoding the rows into
 * Parquet files runs outside it, on an immutable copy of the table, so shards of one table write in parallel.
 */
public final class IcebergBatchWriter {

    /** Snapshot summary key prefix of a shard's next position to deliver. */
    public static final String CHECKPOINT_PREFIX = "millrace.checkpoint.";
    /** Snapshot summary key prefix of the first position of the batch a snapshot committed. */
    public static final String BATCH_START_PREFIX = "millrace.batch-start.";
    /** Snapshot summary key of a random token per commit attempt: tells our own commit from a rival's. */
    public static final String COMMIT_TOKEN = "millrace.commit-token";
    /** Snapshot summary key marking a snapshot that carries the checkpoint of every shard: older ones are not read. */
    public static final String CHECKPOINTS_CARRIED = "millrace.checkpoints-carried";
    /** Table property naming the channel that owns the table. */
    public static final String CHANNEL_ID_PROPERTY = "millrace.channel-id";

    static final int MAX_OPEN_FILES = 16;
    static final int ROW_GROUP_BYTES = 8 * 1024 * 1024;
    private static final int COMMIT_ATTEMPTS = 4;
    private static final long COMMIT_BACKOFF_MS = 200;
    /** How long before vended credentials expire the table is loaded again (a batch takes well under this). */
    static final Duration CREDENTIALS_RELOAD_MARGIN = Duration.ofMinutes(5);
    private static final Logger LOG = LoggerFactory.getLogger(IcebergBatchWriter.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Catalog catalog;
    private final TableIdentifier tableId;
    private final TableSchemaSource tableSchema;
    private final TableCompression compression;
    private final String channelId;
    private final String channelHash;
    private final Map<String, String> tableProperties;
    private final int retainedSnapshots;
    private final Clock clock;
    private volatile Runnable beforeCommit = () -> { };
    /** The live table, refreshed under the lock; null before the first load. */
    private Table table;
    /** Why the table can no longer be written (it was dropped after we created it), or null. */
    private String dropped;
    /** The next use loads the table from the catalog rather than refreshing it (after a failed write). */
    private boolean reload;

    /**
     * The schema and partition spec a new table is created with, mapped only then: an existing table keeps the
     * schema it was created with, so a later schema version that does not map cannot stop its channel.
     */
    @FunctionalInterface
    public interface TableSchemaSource {
        /** @throws IOException the schema cannot be a table (the write that would create the table fails) */
        TableSchema get() throws IOException;
    }

    /** What a {@link #write} did. */
    public sealed interface WriteResult permits Committed, AlreadyCommitted {
    }

    /** The batch is in the table now, in snapshot {@code snapshotId}; its files hold {@code dataFileBytes}. */
    public record Committed(long snapshotId, long rowCount, List<String> dataFiles, long dataFileBytes)
            implements WriteResult {
    }

    /** The table's checkpoint was already at or past the batch's end: nothing was written. */
    public record AlreadyCommitted(long tableCheckpoint) implements WriteResult {
    }

    /**
     * A batch's rows, bound to the table they are written to: the rows must fit its schema and spec, and the table's
     * properties may decide which records become rows, so the caller converts against the very table the write
     * loaded rather than loading it once more beforehand.
     */
    @FunctionalInterface
    public interface RowSource {
        /**
         * Called once per {@link #write}, before the checkpoint is checked (so also when nothing is written), with an
         * immutable copy of the table just loaded or created.
         *
         * @return the rows, iterated once per pass
         */
        Iterable<Record> rowsFor(Table table);
    }

    /**
     * @param catalog     the catalog of the channel's table bucket
     * @param tableId     the channel's namespace and table
     * @param tableSchema the table's schema and partition spec (from the channel's JSON Schema)
     * @param compression the data files' codec
     * @param channelId   the owning channel's id, stored as a table property and hashed into file names
     */
    public IcebergBatchWriter(Catalog catalog, TableIdentifier tableId, TableSchema tableSchema,
                              TableCompression compression, String channelId) {
        this(catalog, tableId, tableSchema, compression, channelId, Map.of(), 0);
    }

    /**
     * @param tableProperties   further properties the table is created with (the sink's schema version id)
     * @param retainedSnapshots how many snapshots to keep when expiring them after a commit; 0 = never expire (the
     *                          catalog's maintenance does)
     */
    public IcebergBatchWriter(Catalog catalog, TableIdentifier tableId, TableSchema tableSchema,
                              TableCompression compression, String channelId, Map<String, String> tableProperties,
                              int retainedSnapshots) {
        this(catalog, tableId, (TableSchemaSource) () -> tableSchema, compression, channelId, tableProperties,
                retainedSnapshots);
        Objects.requireNonNull(tableSchema, "tableSchema");
    }

    /**
     * @param tableSchema the schema a new table is created with, asked only when this writer creates the table
     */
    public IcebergBatchWriter(Catalog catalog, TableIdentifier tableId, TableSchemaSource tableSchema,
                              TableCompression compression, String channelId, Map<String, String> tableProperties,
                              int retainedSnapshots) {
        this(catalog, tableId, tableSchema, compression, channelId, tableProperties, retainedSnapshots,
                Clock.systemUTC());
    }

    /**
     * @param clock tells when the table's vended credentials are about to expire
     */
    public IcebergBatchWriter(Catalog catalog, TableIdentifier tableId, TableSchemaSource tableSchema,
                              TableCompression compression, String channelId, Map<String, String> tableProperties,
                              int retainedSnapshots, Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (retainedSnapshots < 0) {
            throw new IllegalArgumentException("retainedSnapshots " + retainedSnapshots);
        }
        this.retainedSnapshots = retainedSnapshots;
        this.tableProperties = Map.copyOf(tableProperties);
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.tableId = Objects.requireNonNull(tableId, "tableId");
        this.tableSchema = Objects.requireNonNull(tableSchema, "tableSchema");
        this.compression = Objects.requireNonNull(compression, "compression");
        this.channelId = Objects.requireNonNull(channelId, "channelId");
        this.channelHash = String.format("%08x", channelId.hashCode());
    }

    /**
     * The next position to deliver for {@code shardId}, as the table knows it; empty if the table does not exist yet
     * or no batch of the shard was ever committed (or the snapshot holding it has expired).
     */
    public synchronized OptionalLong checkpoint(String shardId) throws IOException {
        try {
            Table current = existingTable();
            return current == null ? OptionalLong.empty() : TableCheckpoints.checkpointOf(current, shardId);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Writes the rows of the batch {@code [startPosition, nextPosition)} of {@code shardId} and commits them with
     * checkpoint {@code nextPosition}. An empty batch (every record went to the DLQ) still commits the checkpoint.
     * {@code rows} is iterated once per pass (more than one pass only when the batch touches more than {@value
     * #MAX_OPEN_FILES} hours), and must yield the same rows each time.
     *
     * @return {@link AlreadyCommitted} also when the table reached the batch's end while the batch was being written
     *         (a rival committed it first): every row was read, so the rejections are all staged
     * @throws TableCheckpointConflictException the table's checkpoint is not {@code startPosition} (nor at or past
     *                                          {@code nextPosition}), before or during the commit; nothing committed
     * @throws IOException                      the files or the catalog failed; the batch may be retried as is
     */
    public WriteResult write(String shardId, long startPosition, long nextPosition, Iterable<Record> rows)
            throws IOException {
        return write(shardId, startPosition, nextPosition, table -> rows);
    }

    /**
     * {@link #write(String, long, long, Iterable)} with rows that depend on the table (its schema, spec or
     * properties): {@code rows} is bound to the table this write loads, so a batch costs one load (or refresh) of the
     * table before its files are written and one before its commit.
     */
    public WriteResult write(String shardId, long startPosition, long nextPosition, RowSource rows)
            throws IOException {
        if (nextPosition <= startPosition) {
            throw new IllegalArgumentException("empty range [" + startPosition + ", " + nextPosition + ")");
        }
        Table current = null;
        boolean written = false;
        try {
            Table view;
            OptionalLong checkpoint;
            Iterable<Record> bound;
            synchronized (this) {
                current = tableForWrite(); // loaded or refreshed just now
                view = SerializableTable.copyOf(current); // immutable: read without the lock
                bound = rows.rowsFor(view);
                checkpoint = TableCheckpoints.checkpointOf(current, shardId);
                if (checkpoint.isPresent() && checkpoint.getAsLong() >= nextPosition) {
                    written = true;
                    return new AlreadyCommitted(checkpoint.getAsLong());
                }
                if (checkpoint.isPresent() && checkpoint.getAsLong() != startPosition) {
                    throw new TableCheckpointConflictException(shardId + " of " + tableId + " is at "
                            + checkpoint.getAsLong() + " in the table; the batch starts at " + startPosition,
                            checkpoint);
                }
            }
            String token = HexFormat.of().toHexDigits(RANDOM.nextInt());
            FileBatch batch = writeFiles(view, shardId, startPosition, token, bound);
            beforeCommit.run();
            synchronized (this) {
                WriteResult result = commit(tableForWrite(), shardId, checkpoint, startPosition, nextPosition, token,
                        batch);
                written = true;
                return result;
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            if (!written) {
                reloadNext(); // a failed attempt may be its FileIO's (expired keys): the retry asks the catalog anew
            }
            // The view shares the loaded table's FileIO, which a REST catalog closes once that table is unreachable:
            // another shard's reload must not close it under this write.
            Reference.reachabilityFence(current);
        }
    }

    private synchronized void reloadNext() {
        reload = true;
    }

    /**
     * Deletes the data files of {@code shardId} that interrupted attempts left behind: files named for this channel
     * and shard that no snapshot of the table references and that were last modified before {@code olderThan}, so
     * that a writer still writing (a rival node, before its commit) keeps its files: give it more than a batch's
     * write time. Does nothing when the table's FileIO cannot list.
     *
     * <p>Every snapshot still in the table's metadata counts, not only the current one: our appends only add files,
     * but maintenance may not (a compaction by S3 Tables or a user's {@code rewrite_data_files} replaces our files in
     * the current snapshot while older snapshots, until they expire, still read them; expiring a snapshot deletes
     * the files only it referenced itself). The manifests are read only when the listing finds a candidate at all,
     * each manifest once, and without the writer's lock (snapshots expire, so there are few of them).
     *
     * @return how many files were deleted
     */
    public int sweepUncommitted(String shardId, Instant olderThan) throws IOException {
        return sweep(channelHash + "-" + shardNumber(shardId) + "-", shardId, olderThan);
    }

    /**
     * {@link #sweepUncommitted(String, Instant)} for every shard of the channel at once: the table's files listed
     * and its manifests read once, not once per shard (what a restart does).
     */
    public int sweepUncommitted(Instant olderThan) throws IOException {
        return sweep(channelHash + "-", "every shard", olderThan);
    }

    private int sweep(String prefix, String shards, Instant olderThan) throws IOException {
        Table current = null;
        try {
            Table view;
            synchronized (this) {
                current = existingTable();
                if (current == null || !(current.io() instanceof SupportsPrefixOperations)) {
                    return 0;
                }
                view = SerializableTable.copyOf(current);
            }
            SupportsPrefixOperations listing = (SupportsPrefixOperations) view.io();
            List<String> candidates = new ArrayList<>();
            for (FileInfo file : listing.listPrefix(view.location() + "/data/")) {
                String name = file.location().substring(file.location().lastIndexOf('/') + 1);
                if (name.startsWith(prefix) && name.endsWith(".parquet")
                        && file.createdAtMillis() < olderThan.toEpochMilli()) {
                    candidates.add(file.location());
                }
            }
            if (candidates.isEmpty()) {
                return 0;
            }
            Set<String> referenced = referencedDataFiles(view);
            int deleted = 0;
            for (String location : candidates) {
                if (!referenced.contains(comparable(location))) {
                    view.io().deleteFile(location);
                    deleted++;
                }
            }
            if (deleted > 0) {
                LOG.info("{} of {}: deleted {} uncommitted data file(s)", shards, tableId, deleted);
            }
            return deleted;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The data files of every snapshot in the table's metadata, each manifest read once. */
    private static Set<String> referencedDataFiles(Table current) throws IOException {
        Set<String> referenced = new HashSet<>();
        Set<String> manifestsRead = new HashSet<>();
        for (Snapshot snapshot : current.snapshots()) {
            for (ManifestFile manifest : snapshot.dataManifests(current.io())) {
                if (manifestsRead.add(manifest.path())) {
                    try (CloseableIterable<String> paths = ManifestFiles.readPaths(manifest, current.io(), current.specs())) {
                        paths.forEach(path -> referenced.add(comparable(path)));
                    }
                }
            }
        }
        return referenced;
    }

    private static String comparable(String location) {
        return location.replaceFirst("^file:(//)?", "");
    }

    /** Test hook: runs between the data files' write and the commit (to simulate a crash or a rival there). */
    void beforeCommit(Runnable hook) {
        this.beforeCommit = Objects.requireNonNull(hook, "hook");
    }

    /** Commits the batch's files with the shard's checkpoint; under the lock. */
    private WriteResult commit(Table current, String shardId, OptionalLong expected, long start, long next,
                               String token, FileBatch batch) throws IOException {
        String key = CHECKPOINT_PREFIX + shardId;
        List<String> locations = batch.files().stream().map(DataFile::location).toList();
        for (int attempt = 1; ; attempt++) {
            try {
                AppendFiles append = current.newAppend();
                batch.files().forEach(append::appendFile);
                append.set(key, Long.toString(next))
                        .set(BATCH_START_PREFIX + shardId, Long.toString(start))
                        .set(COMMIT_TOKEN, token)
                        .set(CHECKPOINTS_CARRIED, "true")
                        .validateWith(new TableCheckpoints.Validator(key, expected, append));
                append.commit();
                Committed committed = committed(current.currentSnapshot().snapshotId(), batch);
                expireSnapshots(current);
                return committed;
            } catch (ValidationException e) {
                current.refresh();
                Snapshot ours = snapshotWithToken(current, token);
                if (ours != null) {
                    return committed(ours.snapshotId(), batch); // an earlier attempt's state was unknown: it landed
                }
                OptionalLong moved = TableCheckpoints.checkpointOf(current, shardId);
                deleteQuietly(current, locations);
                if (moved.isPresent() && moved.getAsLong() >= next) {
                    // A rival committed this batch (or more) first: the table has it, and every row was read.
                    LOG.info("{} of {}: batch [{}, {}) committed by another writer first; the table is at {}",
                            shardId, tableId, start, next, moved.getAsLong());
                    return new AlreadyCommitted(moved.getAsLong());
                }
                LOG.warn("{} of {}: batch [{}, {}) not committed, the table's checkpoint moved to {}", shardId,
                        tableId, start, next, moved);
                throw new TableCheckpointConflictException(shardId + " of " + tableId + " moved to " + moved
                        + " while the batch from " + start + " was being committed", moved);
            } catch (CommitStateUnknownException e) {
                current.refresh();
                Snapshot ours = snapshotWithToken(current, token);
                if (ours != null) {
                    return committed(ours.snapshotId(), batch);
                }
                if (attempt >= COMMIT_ATTEMPTS) {
                    throw new IOException("commit to " + tableId + " in an unknown state: " + e.getMessage(), e);
                }
            } catch (CommitFailedException e) {
                if (attempt >= COMMIT_ATTEMPTS) {
                    deleteQuietly(current, locations);
                    throw new IOException("commit to " + tableId + " failed " + attempt + " times: "
                            + e.getMessage(), e);
                }
                backOff(attempt);
                current.refresh();
            }
        }
    }

    private static Committed committed(long snapshotId, FileBatch batch) {
        return new Committed(snapshotId, batch.rowCount(), batch.files().stream().map(DataFile::location).toList(),
                batch.files().stream().mapToLong(DataFile::fileSizeInBytes).sum());
    }

    /**
     * Expires the snapshots beyond the newest {@code retainedSnapshots}, once a fifth more have piled up (an expiry
     * is a commit of its own: not one per batch). A failure costs metadata size only: the next commit tries again.
     */
    private void expireSnapshots(Table current) {
        if (retainedSnapshots == 0) {
            return;
        }
        int count = 0;
        for (Snapshot ignored : current.snapshots()) {
            count++;
        }
        if (count <= retainedSnapshots + Math.max(1, retainedSnapshots / 5)) {
            return;
        }
        try {
            current.expireSnapshots()
                    .expireOlderThan(current.currentSnapshot().timestampMillis() + 1)
                    .retainLast(retainedSnapshots)
                    .commit();
            LOG.debug("{}: expired {} snapshot(s)", tableId, count - retainedSnapshots);
        } catch (RuntimeException e) {
            LOG.warn("{}: could not expire old snapshots: {}", tableId, e.toString());
        }
    }

    /** Our commit attempt's snapshot among the current one's ancestors, or null. */
    private static Snapshot snapshotWithToken(Table current, String token) {
        for (Snapshot snapshot : SnapshotUtil.currentAncestors(current)) {
            if (token.equals(snapshot.summary().get(COMMIT_TOKEN))) {
                return snapshot;
            }
        }
        return null;
    }

    private static void backOff(int attempt) throws IOException {
        try {
            Thread.sleep(COMMIT_BACKOFF_MS * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while retrying a commit", e);
        }
    }

    private record FileBatch(List<DataFile> files, long rowCount) {
    }

    /**
     * One Parquet file per hour partition touched, in passes of at most MAX_OPEN_FILES hours each; on failure none
     * is left behind.
     */
    private FileBatch writeFiles(Table view, String shardId, long start, String token, Iterable<Record> rows)
            throws IOException {
        String prefix = channelHash + "-" + shardNumber(shardId) + "-" + base36(start) + "-" + token + "-";
        List<String> locations = new ArrayList<>();
        List<DataFile> files = new ArrayList<>();
        Set<PartitionKey> written = new HashSet<>();
        long rowCount = -1;
        boolean done = false;
        try {
            boolean more = true;
            while (more) {
                Pass pass = new Pass(view, prefix, written, locations, files);
                more = pass.run(rows);
                if (rowCount >= 0 && pass.rowsSeen != rowCount) {
                    throw new IOException("the batch of " + shardId + " from " + start + " had " + rowCount
                            + " rows, then " + pass.rowsSeen + " when read again (did its records expire?)");
                }
                rowCount = pass.rowsSeen;
            }
            done = true;
            return new FileBatch(files, rowCount);
        } finally {
            if (!done) {
                deleteQuietly(view, locations);
            }
        }
    }

    /**
     * One pass over a batch's rows: writes those of the first MAX_OPEN_FILES hours not written by an earlier pass,
     * one file each, and tells whether rows of further hours were skipped. Not thread-safe.
     */
    private final class Pass {
        private final Table view;
        private final String prefix;
        private final Set<PartitionKey> written;
        private final List<String> locations;
        private final List<DataFile> files;
        private final Map<PartitionKey, DataWriter<Record>> open = new HashMap<>();
        long rowsSeen;

        Pass(Table view, String prefix, Set<PartitionKey> written, List<String> locations, List<DataFile> files) {
            this.view = view;
            this.prefix = prefix;
            this.written = written;
            this.locations = locations;
            this.files = files;
        }

        /** @return whether another pass is needed */
        boolean run(Iterable<Record> rows) throws IOException {
            PartitionKey key = new PartitionKey(view.spec(), view.schema());
            InternalRecordWrapper wrapper = new InternalRecordWrapper(view.schema().asStruct());
            boolean skipped = false;
            boolean closed = false;
            try {
                for (Record row : rows) {
                    rowsSeen++;
                    key.partition(wrapper.wrap(row));
                    DataWriter<Record> writer = open.get(key);
                    if (writer == null) {
                        if (written.contains(key)) {
                            continue;
                        }
                        if (open.size() == MAX_OPEN_FILES) {
                            skipped = true;
                            continue;
                        }
                        PartitionKey partition = key.copy();
                        String location = view.locationProvider().newDataLocation(view.spec(), partition,
                                prefix + locations.size() + ".parquet");
                        locations.add(location);
                        writer = newWriter(view, partition, location);
                        open.put(partition, writer);
                    }
                    writer.write(row);
                }
                for (Map.Entry<PartitionKey, DataWriter<Record>> entry : open.entrySet()) {
                    entry.getValue().close();
                    files.add(entry.getValue().toDataFile());
                    written.add(entry.getKey());
                }
                closed = true;
                return skipped;
            } finally {
                if (!closed) {
                    for (DataWriter<Record> writer : open.values()) {
                        try {
                            writer.close();
                        } catch (IOException | RuntimeException e) {
                            LOG.debug("closing an abandoned data file of {}", tableId, e);
                        }
                    }
                }
            }
        }
    }

    private DataWriter<Record> newWriter(Table current, PartitionKey partition, String location) {
        try {
            return Parquet.writeData(current.io().newOutputFile(location))
                    .forTable(current)
                    .set(TableProperties.PARQUET_COMPRESSION, compression.parquetCodec())
                    .createWriterFunc(GenericParquetWriter::create)
                    .withSpec(current.spec())
                    .withPartition(partition)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + location, e);
        }
    }

    private void deleteQuietly(Table current, List<String> locations) {
        for (String location : locations) {
            try {
                current.io().deleteFile(location);
            } catch (RuntimeException e) {
                LOG.warn("cannot delete uncommitted data file {} of {}: {}", location, tableId, e.toString());
            }
        }
    }

    /** The table loaded or refreshed now, its owner checked each time; null if it does not exist. Under the lock. */
    private Table existingTable() {
        if (dropped != null) {
            throw new UncheckedIOException(new TableNotOwnedException(dropped));
        }
        if (table == null) {
            try {
                table = catalog.loadTable(tableId);
            } catch (NoSuchTableException e) {
                return null;
            }
        } else {
            try {
                if (reload || credentialsExpiring(table)) {
                    // A refresh keeps the table's FileIO and its vended keys; a load asks the catalog for new ones
                    // (past Iceberg's cache of the last answer, which would give the same keys back).
                    reload = false;
                    catalog.invalidateTable(tableId);
                    table = catalog.loadTable(tableId);
                } else {
                    table.refresh();
                }
            } catch (NoSuchTableException e) {
                // Not recreated: the engine's checkpoints say the rows before them are in a table that is gone.
                dropped = "table " + tableId + " was dropped from its catalog after channel " + channelId
                        + " created it: delivery stops (delete and recreate the channel to deliver again)";
                table = null;
                LOG.error("{}", dropped);
                throw new UncheckedIOException(new TableNotOwnedException(dropped));
            }
        }
        checkOwner(table); // also after a refresh: the table may have been replaced by another of that name
        return table;
    }

    /**
     * Whether the temporary credentials a REST catalog vended with the table ({@code s3.session-token-expires-at-ms}
     * in its FileIO's properties) expire within {@link #CREDENTIALS_RELOAD_MARGIN}: Iceberg never renews them itself
     * (a catalog naming a refresh endpoint has them renewed by {@link MillraceFileIO}).
     */
    private boolean credentialsExpiring(Table current) {
        String expiresAtMs;
        try {
            Map<String, String> io = current.io().properties();
            if (MillraceFileIO.refreshesCredentials(io)) {
                return false; // its client renews them: the expiry it was given no longer applies
            }
            expiresAtMs = io.get(S3FileIOProperties.SESSION_TOKEN_EXPIRES_AT_MS);
        } catch (RuntimeException e) {
            return false; // a FileIO keeping no properties (LocalFileIO) has no vended credentials either
        }
        if (expiresAtMs == null || expiresAtMs.isBlank()) {
            return false;
        }
        try {
            return Instant.ofEpochMilli(Long.parseLong(expiresAtMs.strip()))
                    .isBefore(clock.instant().plus(CREDENTIALS_RELOAD_MARGIN));
        } catch (NumberFormatException e) {
            return false; // not a time: nothing to go by, as without it
        }
    }

    private Table tableForWrite() throws IOException {
        Table existing = existingTable();
        if (existing != null) {
            return existing;
        }
        if (catalog instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(tableId.namespace())) {
            try {
                namespaces.createNamespace(tableId.namespace());
            } catch (AlreadyExistsException e) {
                LOG.debug("namespace {} created by another writer", tableId.namespace());
            }
        }
        TableSchema mapped = tableSchema.get();
        try {
            table = catalog.buildTable(tableId, mapped.schema())
                    .withPartitionSpec(mapped.spec())
                    .withProperty(TableProperties.FORMAT_VERSION, "2")
                    .withProperty(TableProperties.PARQUET_COMPRESSION, compression.parquetCodec())
                    .withProperty(TableProperties.PARQUET_ROW_GROUP_SIZE_BYTES, Integer.toString(ROW_GROUP_BYTES))
                    .withProperty(TableProperties.METADATA_DELETE_AFTER_COMMIT_ENABLED, "true")
                    .withProperty(TableProperties.METADATA_PREVIOUS_VERSIONS_MAX, "100")
                    .withProperties(tableProperties)
                    .withProperty(CHANNEL_ID_PROPERTY, channelId)
                    .create();
            LOG.info("created Iceberg table {} at {} for channel {}", tableId, table.location(), channelId);
        } catch (AlreadyExistsException e) {
            table = catalog.loadTable(tableId);
            checkOwner(table);
        }
        return table;
    }

    private void checkOwner(Table candidate) {
        String owner = candidate.properties().get(CHANNEL_ID_PROPERTY);
        if (!channelId.equals(owner)) {
            Table rejected = candidate;
            table = null;
            throw new UncheckedIOException(new TableNotOwnedException("table " + tableId + " already exists"
                    + (owner == null ? "" : " and belongs to channel " + owner) + " at " + rejected.location()
                    + ": a channel delivers only to a table it created"));
        }
    }

    static String shardNumber(String shardId) {
        String digits = shardId.startsWith("shardId-") ? shardId.substring("shardId-".length()) : shardId;
        return digits.matches("\\d{1,12}") ? String.format("%012d", Long.parseLong(digits))
                : digits.replaceAll("[^A-Za-z0-9_]", "_");
    }

    static String base36(long position) {
        String digits = Long.toString(position, 36);
        return "0".repeat(Math.max(0, 13 - digits.length())) + digits;
    }
}
