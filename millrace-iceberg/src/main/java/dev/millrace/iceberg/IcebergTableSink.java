package dev.millrace.iceberg;

import dev.millrace.channels.table.GsrRecords;
import dev.millrace.channels.table.TableRecord;
import dev.millrace.channels.table.TableSink;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.channels.table.TableWriteResult;
import dev.millrace.iceberg.IcebergBatchWriter.AlreadyCommitted;
import dev.millrace.iceberg.IcebergBatchWriter.Committed;
import dev.millrace.iceberg.IcebergBatchWriter.WriteResult;
import dev.millrace.iceberg.schema.JsonRecords;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg;
import dev.millrace.iceberg.schema.JsonSchemaToIceberg.TableSchema;
import dev.millrace.iceberg.schema.SchemaMappingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Iceberg {@link TableSink}: one {@link IcebergBatchWriter} per channel (its table), kept while the sink lives,
 * over the catalogs of {@link IcebergCatalogs}.
 *
 * <p>Rows are converted against the table's own schema, which is the channel's schema version when the table was
 * created: the table records that version's id ({@value #SCHEMA_VERSION_PROPERTY}), and since AWS does not evolve a
 * channel's table, a GSR_JSON record written with another version (one registered later, say) goes to the
 * dead-letter location (INVALID_SCHEMA), as do records without the GSR header. Plain JSON records are converted
 * against the same schema. Rejection codes are {@link dev.millrace.iceberg.schema.RejectReason}'s and
 * {@link GsrRecords}'.
 *
 * <p>Once per channel and sink (after a restart, that is), before its first write, files that crashed attempts of any
 * of its shards left behind and that are older than {@link #SWEEP_AGE} are deleted
 * ({@link IcebergBatchWriter#sweepUncommitted(Instant)}).
 *
 * <p>The embedded catalog's tables keep their last {@value #EMBEDDED_RETAINED_SNAPSHOTS} snapshots (the writer expires
 * older ones); a REST catalog's are left to its maintenance. {@link #retain} releases the writers of channels that are
 * no longer delivered.
 *
 * <p>Thread-safe: writers are per table and thread-safe; a channel's writer is created atomically (one per table);
 * the maps are concurrent.
 */
public final class IcebergTableSink implements TableSink {

    /** Table property: the GSR schema version id the table was created with. */
    public static final String SCHEMA_VERSION_PROPERTY = "millrace.schema-version-id";
    /** A data file this old that no snapshot references is an interrupted attempt's, not a batch being written. */
    static final Duration SWEEP_AGE = Duration.ofMinutes(15);

    /**
     * Snapshots the embedded catalog's tables keep (nobody else expires them): 100 batches' worth of time travel,
     * while metadata.json stays small. A REST catalog's tables are its maintenance's (S3 Tables: 120 hours).
     */
    static final int EMBEDDED_RETAINED_SNAPSHOTS = 100;

    private static final Logger LOG = LoggerFactory.getLogger(IcebergTableSink.class);

    private final IcebergCatalogs catalogs;
    private final UnaryOperator<Catalog> writerCatalogs;
    private final long maxRecordBytes;
    private final Clock clock;
    private final Map<String, Channel> channels = new ConcurrentHashMap<>();
    private final Set<String> swept = ConcurrentHashMap.newKeySet();

    /**
     * @param catalogs       the catalogs, closed with the sink
     * @param maxRecordBytes the largest record payload (inflated, for GSR zlib records) that becomes a row
     */
    public IcebergTableSink(IcebergCatalogs catalogs, long maxRecordBytes, Clock clock) {
        this(catalogs, UnaryOperator.identity(), maxRecordBytes, clock);
    }

    /** @param writerCatalogs wraps the catalog each channel's writer uses (tests: to count its table loads) */
    IcebergTableSink(IcebergCatalogs catalogs, UnaryOperator<Catalog> writerCatalogs, long maxRecordBytes,
                     Clock clock) {
        this.catalogs = Objects.requireNonNull(catalogs, "catalogs");
        this.writerCatalogs = Objects.requireNonNull(writerCatalogs, "writerCatalogs");
        this.maxRecordBytes = maxRecordBytes;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Optional<String> problem(TableTarget target) {
        if (target.partitionColumn() == null) {
            return Optional.of("PartitionSpec is required for an S3 Tables destination: one TIME_HOUR field on a "
                    + "date-time column of the schema.");
        }
        if (target.schemaDefinition() == null) {
            return Optional.of("GSRSchemaARN " + target.schemaArn() + " names no schema version in this account's "
                    + "region: create the schema (glue create-schema) before the channel.");
        }
        try {
            TableSchema schema = JsonSchemaToIceberg.map(target.schemaDefinition(), target.partitionColumn());
            TableCompression.of(target.compression());
            Catalog catalog = catalogs.catalog(TableBucketArn.parse(target.tableBucketArn()));
            TableIdentifier id = IcebergCatalogs.tableId(target.namespace(), target.tableName());
            Table existing = catalog.loadTable(id);
            String owner = existing.properties().get(IcebergBatchWriter.CHANNEL_ID_PROPERTY);
            return target.channelId().equals(owner) ? Optional.empty()
                    : Optional.of("The table " + target.qualifiedName() + " already exists in " + target.tableBucketArn()
                            + "; a channel delivers only to a table it creates.");
        } catch (NoSuchTableException e) {
            return Optional.empty();
        } catch (SchemaMappingException e) {
            return Optional.of("The schema of " + target.schemaArn() + " cannot be a table: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        } catch (IOException | RuntimeException e) {
            return Optional.of("Cannot reach the Iceberg catalog of " + target.tableBucketArn() + ": " + e.getMessage());
        } catch (LinkageError e) {
            return Optional.of(missingClass(target, e).getMessage());
        }
    }

    @Override
    public TableWriteResult write(TableTarget target, String shardId, long startPosition, long nextPosition,
                                  Iterable<TableRecord> records, RejectedRecords rejected) throws IOException {
        IcebergBatchWriter writer = channel(target).writer;
        try {
            sweepOnce(target, writer);
            Conversions rows = new Conversions(target, records, rejected, maxRecordBytes);
            WriteResult result = writer.write(shardId, startPosition, nextPosition, rows::bind);
            if (result instanceof AlreadyCommitted already) {
                rows.drain(); // the same dead letters as the attempt that committed, for the same DLQ object
                return new TableWriteResult.AlreadyCommitted(already.tableCheckpoint());
            }
            Committed committed = (Committed) result;
            return new TableWriteResult.Committed(committed.rowCount(), committed.dataFiles().size(),
                    committed.dataFileBytes());
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (RuntimeException e) {
            // Iceberg's own exceptions (a REST catalog's ServiceFailureException, a FileIO's RuntimeIOException...).
            throw new IOException("Iceberg table " + target.qualifiedName() + " of " + target.tableBucketArn() + ": "
                    + e, e);
        } catch (LinkageError e) {
            throw missingClass(target, e);
        }
    }

    /** {@link IcebergCatalogs#missingClass} of {@code target}'s table. */
    private static IOException missingClass(TableTarget target, LinkageError e) {
        return IcebergCatalogs.missingClass("Iceberg table " + target.qualifiedName() + " of "
                + target.tableBucketArn(), e);
    }

    @Override
    public void retain(Set<String> channelIds) {
        channels.keySet().retainAll(channelIds);
        swept.retainAll(channelIds);
    }

    /** How many channels' writers the sink holds (tests: released ones are gone). */
    int channelCount() {
        return channels.size();
    }

    @Override
    public void close() throws IOException {
        channels.clear();
        catalogs.close();
    }

    private void sweepOnce(TableTarget target, IcebergBatchWriter writer) {
        if (!swept.add(target.channelId())) {
            return;
        }
        try {
            writer.sweepUncommitted(clock.instant().minus(SWEEP_AGE)); // all shards: one listing, manifests once
        } catch (IOException | RuntimeException | LinkageError e) {
            // Orphans cost storage, not correctness: the next restart tries again.
            LOG.warn("Channel {}: could not sweep the uncommitted files of {}: {}", target.channelName(),
                    target.qualifiedName(), e.toString());
        }
    }

    /** The channel's writer: one per channel and target, created at most once even when shards race for it. */
    private Channel channel(TableTarget target) throws IOException {
        try {
            return channels.compute(target.channelId(), (id, known) -> {
                if (known != null && known.target.equals(target)) {
                    return known;
                }
                try {
                    return newChannel(target);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private Channel newChannel(TableTarget target) throws IOException {
        // Mapped only if this writer creates the table: a version registered later (the channel's target follows the
        // latest) may not map, and must not stop delivery to the table of the version it was created with.
        IcebergBatchWriter.TableSchemaSource schema = () -> {
            try {
                return JsonSchemaToIceberg.map(target.schemaDefinition() == null ? "" : target.schemaDefinition(),
                        target.partitionColumn() == null ? "" : target.partitionColumn());
            } catch (SchemaMappingException e) {
                throw new IOException("The schema of " + target.schemaArn() + " cannot be a table: " + e.getMessage(),
                        e);
            }
        };
        Catalog catalog = writerCatalogs.apply(catalogs.catalog(TableBucketArn.parse(target.tableBucketArn())));
        Map<String, String> properties = target.schemaVersionId() == null ? Map.of()
                : Map.of(SCHEMA_VERSION_PROPERTY, target.schemaVersionId());
        IcebergBatchWriter writer = new IcebergBatchWriter(catalog,
                IcebergCatalogs.tableId(target.namespace(), target.tableName()), schema,
                TableCompression.of(target.compression()), target.channelId(), properties,
                catalogs.embedded() ? EMBEDDED_RETAINED_SNAPSHOTS : 0, clock);
        return new Channel(target, writer);
    }

    /** A channel's target and its table's writer. */
    private record Channel(TableTarget target, IcebergBatchWriter writer) {
    }

    /**
     * The batch's records as rows, rejected ones handed to the DLQ callback on the way, on the first pass only: the
     * writer reads the batch once per pass ({@link #drain} reads it when the writer had nothing to write), and a
     * record converts the same way each time. Rows are converted against the table the write loaded ({@link #bind},
     * before any pass). Not thread-safe: one write's.
     */
    private static final class Conversions implements Iterable<Record> {
        private final TableTarget target;
        private final Iterable<TableRecord> records;
        private final RejectedRecords rejected;
        private final long maxRecordBytes;
        private JsonRecords json;
        private String tableVersion;
        private int passes;

        Conversions(TableTarget target, Iterable<TableRecord> records, RejectedRecords rejected, long maxRecordBytes) {
            this.target = target;
            this.records = records;
            this.rejected = rejected;
            this.maxRecordBytes = maxRecordBytes;
        }

        /** Binds the conversion to the table's schema, partition column and schema version. */
        Conversions bind(Table table) {
            String partitionColumn = table.schema().findColumnName(table.spec().fields().get(0).sourceId());
            this.json = new JsonRecords(table.schema(), partitionColumn);
            this.tableVersion = table.properties().get(SCHEMA_VERSION_PROPERTY);
            return this;
        }

        void drain() {
            if (passes == 0) {
                iterator().forEachRemaining(row -> { });
            }
        }

        @Override
        public Iterator<Record> iterator() {
            if (json == null) {
                throw new IllegalStateException("rows read before the write bound them to its table");
            }
            boolean first = passes++ == 0;
            Iterator<TableRecord> source = records.iterator();
            return new Iterator<>() {
                private Record next;

                @Override
                public boolean hasNext() {
                    while (next == null && source.hasNext()) {
                        next = row(source.next(), first);
                    }
                    return next != null;
                }

                @Override
                public Record next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Record row = next;
                    next = null;
                    return row;
                }
            };
        }

        /** The record's row, or null after handing it to the DLQ callback (on the first pass). */
        private Record row(TableRecord record, boolean firstPass) {
            byte[] payload = record.data();
            if (target.gsrRecords()) {
                GsrRecords.Decoded decoded = GsrRecords.decode(payload, maxRecordBytes);
                if (decoded instanceof GsrRecords.Problem problem) {
                    return reject(firstPass, record, problem.errorCode(), problem.message());
                }
                GsrRecords.Payload gsr = (GsrRecords.Payload) decoded;
                if (tableVersion != null && !tableVersion.equals(gsr.schemaVersionId().toString())) {
                    return reject(firstPass, record, GsrRecords.INVALID_SCHEMA, "The record was written with schema version "
                            + gsr.schemaVersionId() + "; the table has version " + tableVersion
                            + " (schema evolution is not supported: recreate the channel for a new version).");
                }
                payload = gsr.json();
            }
            JsonRecords.Conversion conversion = json.convert(payload);
            if (conversion instanceof JsonRecords.Rejected r) {
                return reject(firstPass, record, r.reason().name(), r.message());
            }
            return ((JsonRecords.Row) conversion).record();
        }

        private Record reject(boolean firstPass, TableRecord record, String errorCode, String message) {
            if (!firstPass) {
                return null;
            }
            try {
                rejected.reject(record, errorCode, message);
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
