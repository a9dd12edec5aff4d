package dev.millrace.iceberg;

import dev.millrace.iceberg.schema.JsonSchemaToIceberg.TableSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
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
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotAncestryValidator;
import org.apache.iceberg.Table;
import org.apache.iceberg.TableProperties;
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
 * <p>Checkpoints live in snapshot summaries: {@code millrace.checkpoint.<shardId> = <next position>} (decimal) in the
 * snapshot that committed the batch, plus {@code millrace.batch-start.<shardId>} and {@code millrace.commit-token}.
 * Summaries are per snapshot, so a shard's checkpoint is the first one found walking the current snapshot's ancestors
 * (newest first). The commit carries a {@link SnapshotAncestryValidator} that Iceberg runs against the base it applies
 * the append to, again on each of its own retries: a writer with a stale view (a zombie, a rival node) fails with
 * {@link ValidationException} instead of appending the rows a second time, which a plain append would do (Iceberg
 * rebases appends onto the new head).
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
 * #MAX_OPEN_FILES} open at once (the least recently used is closed first: one more file, never more memory), row
 * groups of {@value #ROW_GROUP_BYTES} bytes.
 *
 * <p>Thread-safe: one instance per table, and its methods are serialised (one committer per table: concurrent commits
 * to one table only contend on the catalog's compare-and-swap).
 */
public final class IcebergBatchWriter {

    /** Snapshot summary key prefix of a shard's next position to deliver. */
    public static final String CHECKPOINT_PREFIX = "millrace.checkpoint.";
    /** Snapshot summary key prefix of the first position of the batch a snapshot committed. */
    public static final String BATCH_START_PREFIX = "millrace.batch-start.";
    /** Snapshot summary key of a random token per commit attempt: tells our own commit from a rival's. */
    public static final String COMMIT_TOKEN = "millrace.commit-token";
    /** Table property naming the channel that owns the table. */
    public static final String CHANNEL_ID_PROPERTY = "millrace.channel-id";

    static final int MAX_OPEN_FILES = 16;
    static final int ROW_GROUP_BYTES = 8 * 1024 * 1024;
    private static final int COMMIT_ATTEMPTS = 4;
    private static final long COMMIT_BACKOFF_MS = 200;
    private static final Logger LOG = LoggerFactory.getLogger(IcebergBatchWriter.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Catalog catalog;
    private final TableIdentifier tableId;
    private final TableSchema tableSchema;
    private final TableCompression compression;
    private final String channelId;
    private final String channelHash;
    private final Map<String, String> tableProperties;
    private Runnable beforeCommit = () -> { };
    private Table table;

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
     * @param catalog     the catalog of the channel's table bucket
     * @param tableId     the channel's namespace and table
     * @param tableSchema the table's schema and partition spec (from the channel's JSON Schema)
     * @param compression the data files' codec
     * @param channelId   the owning channel's id, stored as a table property and hashed into file names
     */
    public IcebergBatchWriter(Catalog catalog, TableIdentifier tableId, TableSchema tableSchema,
                              TableCompression compression, String channelId) {
        this(catalog, tableId, tableSchema, compression, channelId, Map.of());
    }

    /**
     * @param tableProperties further properties the table is created with (the sink's schema version id)
     */
    public IcebergBatchWriter(Catalog catalog, TableIdentifier tableId, TableSchema tableSchema,
                              TableCompression compression, String channelId, Map<String, String> tableProperties) {
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
            return current == null ? OptionalLong.empty() : checkpointOf(current, shardId);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * Writes the rows of the batch {@code [startPosition, nextPosition)} of {@code shardId} and commits them with
     * checkpoint {@code nextPosition}. An empty batch (every record went to the DLQ) still commits the checkpoint.
     *
     * @throws CheckpointConflictException the table's checkpoint is not {@code startPosition} (nor at or past
     *                                     {@code nextPosition}), before or during the commit; nothing committed
     * @throws IOException                 the files or the catalog failed; the batch may be retried as is
     */
    public synchronized WriteResult write(String shardId, long startPosition, long nextPosition,
                                          Iterable<Record> rows) throws IOException {
        if (nextPosition <= startPosition) {
            throw new IllegalArgumentException("empty range [" + startPosition + ", " + nextPosition + ")");
        }
        try {
            Table current = tableForWrite(); // loaded or refreshed just now
            OptionalLong checkpoint = checkpointOf(current, shardId);
            if (checkpoint.isPresent() && checkpoint.getAsLong() >= nextPosition) {
                return new AlreadyCommitted(checkpoint.getAsLong());
            }
            if (checkpoint.isPresent() && checkpoint.getAsLong() != startPosition) {
                throw new CheckpointConflictException(shardId + " of " + tableId + " is at " + checkpoint.getAsLong()
                        + " in the table; the batch starts at " + startPosition, checkpoint);
            }
            String token = HexFormat.of().toHexDigits(RANDOM.nextInt());
            FileBatch batch = writeFiles(current, shardId, startPosition, token, rows);
            beforeCommit.run();
            long snapshotId = commit(current, shardId, checkpoint, startPosition, nextPosition, token, batch.files());
            return new Committed(snapshotId, batch.rowCount(),
                    batch.files().stream().map(DataFile::location).toList(),
                    batch.files().stream().mapToLong(DataFile::fileSizeInBytes).sum());
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
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
     * the files only it referenced itself).
     *
     * @return how many files were deleted
     */
    public synchronized int sweepUncommitted(String shardId, Instant olderThan) throws IOException {
        try {
            Table current = existingTable();
            if (current == null || !(current.io() instanceof SupportsPrefixOperations listing)) {
                return 0;
            }
            Set<String> referenced = referencedDataFiles(current);
            String prefix = channelHash + "-" + shardNumber(shardId) + "-";
            int deleted = 0;
            for (FileInfo file : listing.listPrefix(current.location() + "/data/")) {
                String name = file.location().substring(file.location().lastIndexOf('/') + 1);
                if (name.startsWith(prefix) && name.endsWith(".parquet")
                        && file.createdAtMillis() < olderThan.toEpochMilli()
                        && !referenced.contains(comparable(file.location()))) {
                    current.io().deleteFile(file.location());
                    deleted++;
                }
            }
            if (deleted > 0) {
                LOG.info("{} of {}: deleted {} uncommitted data file(s)", shardId, tableId, deleted);
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

    /**
     * The channel's table, loaded (refreshed) or created now: what the rows of the next {@link #write} must fit (its
     * schema, spec and properties).
     *
     * @throws TableNotOwnedException the table exists and is not this channel's
     */
    synchronized Table openForWrite() throws IOException {
        try {
            return tableForWrite();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Test hook: runs between the data files' write and the commit (to simulate a crash or a rival there). */
    synchronized void beforeCommit(Runnable hook) {
        this.beforeCommit = Objects.requireNonNull(hook, "hook");
    }

    private long commit(Table current, String shardId, OptionalLong expected, long start, long next, String token,
                        List<DataFile> files) throws IOException {
        String key = CHECKPOINT_PREFIX + shardId;
        for (int attempt = 1; ; attempt++) {
            try {
                AppendFiles append = current.newAppend();
                files.forEach(append::appendFile);
                append.set(key, Long.toString(next))
                        .set(BATCH_START_PREFIX + shardId, Long.toString(start))
                        .set(COMMIT_TOKEN, token)
                        .validateWith(new CheckpointValidator(key, expected));
                append.commit();
                return current.currentSnapshot().snapshotId();
            } catch (ValidationException e) {
                current.refresh();
                OptionalLong moved = checkpointOf(current, shardId);
                if (ourCommitLanded(current, key, next, token)) {
                    return snapshotOf(current, key).snapshotId(); // an earlier attempt's state was unknown: it landed
                }
                deleteQuietly(current, files.stream().map(DataFile::location).toList());
                LOG.warn("{} of {}: batch [{}, {}) not committed, the table's checkpoint moved to {}", shardId,
                        tableId, start, next, moved);
                throw new CheckpointConflictException(shardId + " of " + tableId + " moved to " + moved
                        + " while the batch from " + start + " was being committed", moved);
            } catch (CommitStateUnknownException e) {
                current.refresh();
                if (ourCommitLanded(current, key, next, token)) {
                    return snapshotOf(current, key).snapshotId();
                }
                if (attempt >= COMMIT_ATTEMPTS) {
                    throw new IOException("commit to " + tableId + " in an unknown state: " + e.getMessage(), e);
                }
            } catch (CommitFailedException e) {
                if (attempt >= COMMIT_ATTEMPTS) {
                    deleteQuietly(current, files.stream().map(DataFile::location).toList());
                    throw new IOException("commit to " + tableId + " failed " + attempt + " times: "
                            + e.getMessage(), e);
                }
                backOff(attempt);
                current.refresh();
            }
        }
    }

    private static boolean ourCommitLanded(Table current, String key, long next, String token) {
        Snapshot snapshot = snapshotOf(current, key);
        return snapshot != null && Long.toString(next).equals(snapshot.summary().get(key))
                && token.equals(snapshot.summary().get(COMMIT_TOKEN));
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

    /** One Parquet file per hour partition touched, at most MAX_OPEN_FILES open; on failure none is left behind. */
    private FileBatch writeFiles(Table current, String shardId, long start, String token, Iterable<Record> rows)
            throws IOException {
        Map<PartitionKey, DataWriter<Record>> open = new LinkedHashMap<>(MAX_OPEN_FILES, 0.75f, true);
        List<DataWriter<Record>> all = new ArrayList<>();
        List<String> locations = new ArrayList<>();
        List<DataFile> files = new ArrayList<>();
        PartitionKey key = new PartitionKey(current.spec(), current.schema());
        InternalRecordWrapper wrapper = new InternalRecordWrapper(current.schema().asStruct());
        String prefix = channelHash + "-" + shardNumber(shardId) + "-" + base36(start) + "-" + token + "-";
        long rowCount = 0;
        boolean done = false;
        try {
            for (Record row : rows) {
                key.partition(wrapper.wrap(row));
                DataWriter<Record> writer = open.get(key);
                if (writer == null) {
                    if (open.size() == MAX_OPEN_FILES) {
                        Iterator<DataWriter<Record>> eldest = open.values().iterator();
                        DataWriter<Record> closing = eldest.next();
                        eldest.remove();
                        closing.close();
                        files.add(closing.toDataFile());
                    }
                    PartitionKey partition = key.copy();
                    String location = current.locationProvider().newDataLocation(current.spec(), partition,
                            prefix + all.size() + ".parquet");
                    locations.add(location);
                    writer = newWriter(current, partition, location);
                    all.add(writer);
                    open.put(partition, writer);
                }
                writer.write(row);
                rowCount++;
            }
            for (DataWriter<Record> writer : open.values()) {
                writer.close();
                files.add(writer.toDataFile());
            }
            done = true;
            return new FileBatch(files, rowCount);
        } finally {
            if (!done) {
                for (DataWriter<Record> writer : all) {
                    try {
                        writer.close();
                    } catch (IOException | RuntimeException e) {
                        LOG.debug("closing an abandoned data file of {}", tableId, e);
                    }
                }
                deleteQuietly(current, locations);
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

    private Table existingTable() {
        if (table == null) {
            try {
                table = catalog.loadTable(tableId);
                checkOwner(table);
            } catch (NoSuchTableException e) {
                return null;
            }
        } else {
            table.refresh();
        }
        return table;
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
        try {
            table = catalog.buildTable(tableId, tableSchema.schema())
                    .withPartitionSpec(tableSchema.spec())
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

    static OptionalLong checkpointOf(Table current, String shardId) {
        Snapshot snapshot = snapshotOf(current, CHECKPOINT_PREFIX + shardId);
        return snapshot == null ? OptionalLong.empty()
                : OptionalLong.of(Long.parseLong(snapshot.summary().get(CHECKPOINT_PREFIX + shardId)));
    }

    private static Snapshot snapshotOf(Table current, String key) {
        for (Snapshot snapshot : SnapshotUtil.currentAncestors(current)) {
            if (snapshot.summary().containsKey(key)) {
                return snapshot;
            }
        }
        return null;
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

    /**
     * Accepts the commit only if the newest checkpoint of the shard among the base's ancestors is the one the batch
     * was cut from (absent for a shard's first batch). Iceberg calls it once per commit attempt.
     */
    private record CheckpointValidator(String key, OptionalLong expected) implements SnapshotAncestryValidator {
        @Override
        public boolean validate(Iterable<Snapshot> ancestors) {
            for (Snapshot snapshot : ancestors) {
                String value = snapshot.summary().get(key);
                if (value != null) {
                    return expected.isPresent() && expected.getAsLong() == Long.parseLong(value);
                }
            }
            return expected.isEmpty();
        }

        @Override
        public String errorMessage() {
            return key + " is no longer " + (expected.isPresent() ? expected.getAsLong() : "unset");
        }
    }
}
