package dev.millrace.server.channels;

import dev.millrace.channels.Channel;
import dev.millrace.channels.ChannelRegistry;
import dev.millrace.channels.DestinationCheck;
import dev.millrace.channels.DestinationType;
import dev.millrace.channels.delivery.ChannelsConfig;
import dev.millrace.channels.delivery.Checkpoints;
import dev.millrace.channels.delivery.DeliveryEngine;
import dev.millrace.channels.delivery.DeliverySpec;
import dev.millrace.channels.delivery.ShardSource;
import dev.millrace.channels.s3.Destination;
import dev.millrace.channels.s3.DestinationException;
import dev.millrace.channels.s3.LocalFilesDestination;
import dev.millrace.channels.s3.S3Destination;
import dev.millrace.channels.table.TableSink;
import dev.millrace.channels.table.TableTarget;
import dev.millrace.glue.SchemaLookup;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.protocol.Account;
import dev.millrace.server.state.RegionMetadata;
import dev.millrace.storage.MetadataStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The server's channel delivery: one {@link DeliveryEngine} for every channel of every account and region, fed from
 * the channel registries, writing to the configured destination (an S3 endpoint, or files under
 * {@code DATA_DIR/channels}), with its checkpoints in the node's metadata store.
 *
 * <p>On a cluster the metadata writer delivers every channel, reading every shard (any node can read a shard's log):
 * only the writer may commit checkpoints, and one deliverer per shard is what exactly-once needs. A node that stops
 * being the writer stops delivering ({@link #refresh}); a batch it had under way is delivered again, under the same
 * key, by the next writer. The writer deletes the checkpoints of channels that no longer exist, whoever saw them go:
 * a channel is gone when no region of the store holds it (every stored region is read, open or not, since a new
 * writer opens regions only after it became the writer), in two sweeps {@link #SWEEP_INTERVAL_MS} apart while this
 * node stayed the writer, and no delivery task works on it any more.
 *
 * <p>Thread-safe: {@link #refresh} runs on one housekeeping thread (it alone touches the sets and flags); the engine
 * has its own threads; the destination check runs on the registries' threads.
 */
public final class ChannelDelivery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChannelDelivery.class);
    /**
     * The least time between two sweeps for the checkpoints of gone channels; a channel must be missing from both
     * (a store catching up after a writer change, or a region still being opened, is not a deletion).
     */
    static final long SWEEP_INTERVAL_MS = 30_000;

    private final Destination destination;
    private final String where;
    private final Checkpoints checkpoints;
    private final MetadataStore metadata;
    private final String ownAccountId;
    private final Clock clock;
    private final DeliveryEngine engine;
    private final Supplier<List<ChannelRegistry>> registries;
    private final BooleanSupplier writer;
    /** The channels whose stored values failed to map, each logged once until it maps or goes. */
    private final Set<String> unmapped = new HashSet<>();
    /**
     * The channels with checkpoints that no region held at the last sweep, made since this node last became the
     * writer (null: none yet), and when.
     */
    private Set<String> missingAtLastSweep;
    private long lastSweepMs;
    /** Whether the destination was named in the log: once, when there is first something to deliver. */
    private boolean announced;
    private final ChannelMetering metering;
    /** Where S3 Tables channels write, or null: then why not ({@link #tablesMissing}). */
    private final TableSink tables;
    private final String tablesMissing;
    /** The Glue Schema Registry of an account's region, which GSRSchemaARNs name. */
    private final Function<Account, SchemaLookup> schemas;
    /**
     * The schema version each delivered S3 Tables channel resolved, per incarnation of the channel: looked up once a
     * minute, not on every refresh (the sink creates the table with it once; an existing table keeps its own version).
     * Only found versions are kept, so a schema registered after the channel is found by a later refresh. Touched by
     * {@link #refresh} only; entries of channels no longer delivered go at each refresh.
     */
    private final Map<SchemaKey, ResolvedSchema> resolvedSchemas = new HashMap<>();
    /** How long a resolved schema version is used before it is looked up again. */
    public static final long SCHEMA_RECHECK_MS = 60_000;

    /** Without S3 Tables destinations' schemas: such channels fail. */
    public ChannelDelivery(ChannelsConfig config, Path dataDir, MetadataStore metadata, String ownAccountId,
                           ShardSource source, Supplier<List<ChannelRegistry>> registries, BooleanSupplier writer,
                           Clock clock, KinesisMetrics metrics) {
        this(config, dataDir, metadata, ownAccountId, source, registries, writer, clock, metrics, null);
    }

    /**
     * @param metadata   the node's whole metadata store (checkpoints are keyed by channel id, unique across regions)
     * @param ownAccountId the server's own account (--account-id), whose regions' keys {@link RegionMetadata} lays
     *                     out apart from other accounts'
     * @param source     the shards of the streams, by ARN
     * @param registries every account's region's channel registry, as open now
     * @param writer     whether this node is the metadata writer
     * @param metrics    where the channels' {@code DeliveryToS3.*} and {@code DeliveryToIceberg.*} metrics are
     *                   recorded
     * @param schemas    the schema registry of an account's region, for S3 Tables channels' GSRSchemaARN (null:
     *                   none, such channels fail)
     */
    public ChannelDelivery(ChannelsConfig config, Path dataDir, MetadataStore metadata, String ownAccountId,
                           ShardSource source, Supplier<List<ChannelRegistry>> registries, BooleanSupplier writer,
                           Clock clock, KinesisMetrics metrics, Function<Account, SchemaLookup> schemas) {
        if (config.s3() != null) {
            destination = config.s3().open(S3Destination.DEFAULT_PART_BYTES);
            where = config.s3().endpoint() == null ? "AWS S3 (" + config.s3().region() + ")"
                    : config.s3().endpoint().toString();
        } else {
            destination = new LocalFilesDestination(dataDir.resolve("channels"));
            where = dataDir.resolve("channels") + " (no --s3-endpoint: buckets are directories)";
        }
        this.schemas = schemas;
        TableSink sink = null;
        String missing = "Delivery to S3 Tables (Apache Iceberg) is not available on this server; delete the channel "
                + "and use an S3 destination.";
        if (config.tables() != null && schemas != null) {
            try {
                sink = config.tables().open(config.options().maxRecordBytes(), clock);
            } catch (IOException | RuntimeException e) {
                log.warn("Channels cannot deliver to tables: {}", e.toString());
                missing = "This server cannot open its Iceberg catalog: " + e.getMessage();
            }
        }
        this.tables = sink;
        this.tablesMissing = missing;
        this.checkpoints = new Checkpoints(metadata);
        this.metadata = metadata;
        this.ownAccountId = ownAccountId;
        this.clock = clock;
        this.engine = new DeliveryEngine(source, checkpoints, destination, tables,
                dataDir.resolve("channels-staging"), config.options(), clock);
        this.registries = registries;
        this.writer = writer;
        this.metering = new ChannelMetering(metrics);
        engine.listen(metering);
    }

    /** Where channel objects go: also where event source mappings' S3 failure records go. */
    public Destination destination() {
        return destination;
    }

    /** Starts the engine's threads; channels are delivered from the next {@link #refresh}. */
    public void start() {
        engine.start();
    }

    /**
     * The registries' check of a new channel's destination: both buckets must exist where objects go; for an S3
     * Tables channel, its dead-letter bucket must, its schema must resolve and the table sink must accept the table
     * ({@link TableSink#problem}: the catalog answers, the schema maps, a table that exists is the channel's).
     */
    public DestinationCheck check() {
        return channel -> {
            if (channel.destination().type() == DestinationType.S3_TABLES) {
                if (tables == null) {
                    return Optional.of(tablesMissing);
                }
                Optional<String> bucketProblem = bucketProblem(List.of(channel.destination().deadLetters().bucket()));
                return bucketProblem.isPresent() ? bucketProblem : tables.problem(target(channel));
            }
            String bucket = channel.destination().s3().bucket();
            String deadLetters = channel.destination().deadLetters().bucket();
            return bucketProblem(bucket.equals(deadLetters) ? List.of(bucket) : List.of(bucket, deadLetters));
        };
    }

    /** Why objects cannot be written to one of {@code buckets}, or empty. */
    private Optional<String> bucketProblem(List<String> buckets) {
        String bucket = buckets.get(0);
        try {
            for (String b : buckets) {
                switch (destination.checkBucket(b)) {
                    case MISSING -> {
                        return Optional.of("The bucket " + b + " does not exist at " + where + ".");
                    }
                    case ACCESS_DENIED -> {
                        return Optional.of("Access denied to bucket " + b + " at " + where
                                + ": check the S3 credentials and the bucket's policy.");
                    }
                    case EXISTS -> {
                    }
                }
            }
            return Optional.empty();
        } catch (DestinationException e) {
            return Optional.of("Cannot reach " + where + " to check bucket " + bucket + ": " + e.getMessage());
        }
    }

    /**
     * The table an S3 Tables channel delivers to, its schema resolved now: the latest version of its GSRSchemaARN
     * (the sink creates the table with it; a table that exists keeps the version it was created with).
     */
    private TableTarget target(Channel c) {
        return target(c, schemaOf(c.stream().schemaArn()));
    }

    /**
     * {@link #target(Channel)} for delivery: the schema version this incarnation of the channel resolved, looked up
     * again once it is {@link #SCHEMA_RECHECK_MS} old (or while none was found), so that a table created at the
     * first delivery gets a version at most that much older than the latest. {@code seen} collects the keys in use.
     */
    private TableTarget deliveredTarget(Channel c, Set<SchemaKey> seen) {
        SchemaKey key = new SchemaKey(c.id(), c.createdMs(), c.activatedMs(), c.stream().schemaArn());
        seen.add(key);
        ResolvedSchema known = resolvedSchemas.get(key);
        long nowMs = clock.millis();
        if (known != null && nowMs - known.resolvedAtMs() < SCHEMA_RECHECK_MS) {
            return target(c, Optional.of(known.version()));
        }
        Optional<SchemaLookup.SchemaVersion> found = schemaOf(key.schemaArn());
        found.ifPresent(version -> resolvedSchemas.put(key, new ResolvedSchema(version, nowMs)));
        return target(c, found);
    }

    private static TableTarget target(Channel c, Optional<SchemaLookup.SchemaVersion> version) {
        Channel.Table table = c.destination().table();
        String schemaArn = c.stream().schemaArn();
        List<Channel.PartitionField> fields = table.partitionFields();
        return new TableTarget(c.id(), c.name(), table.tableBucketArn(), table.namespace(), table.tableName(),
                table.compression(), fields == null || fields.isEmpty() ? null : fields.get(0).sourceName(),
                c.stream().recordFormat(), schemaArn, version.map(SchemaLookup.SchemaVersion::versionId).orElse(null),
                version.map(SchemaLookup.SchemaVersion::definition).orElse(null));
    }

    /** The latest version of the schema {@code arn:aws:glue:REGION:ACCOUNT:schema/...} names, in its registry. */
    private Optional<SchemaLookup.SchemaVersion> schemaOf(String schemaArn) {
        String[] parts = schemaArn == null ? new String[0] : schemaArn.split(":", 6);
        if (parts.length < 6) {
            return Optional.empty();
        }
        try {
            return schemas.apply(new Account(parts[3], parts[4])).latest(schemaArn);
        } catch (RuntimeException e) {
            log.warn("Cannot look up schema {}: {}", schemaArn, e.toString());
            return Optional.empty();
        }
    }

    /**
     * Hands the engine the channels to deliver now (none unless this node is the metadata writer), deletes the
     * checkpoints of channels that no longer exist, and samples the channels' DataFreshness (the engine tells the
     * rest of their metrics as it delivers). A channel whose stored values cannot be mapped to a delivery (data
     * written by hand, or by another version) is left out and logged once; the others are delivered.
     */
    public void refresh() {
        if (!writer.getAsBoolean()) {
            engine.setChannels(List.of());
            metering.retain(Set.of());
            missingAtLastSweep = null;
            resolvedSchemas.clear();
            if (tables != null) {
                tables.retain(Set.of());
            }
            return;
        }
        List<DeliverySpec> specs = new ArrayList<>();
        Set<String> unmappable = new HashSet<>();
        Set<SchemaKey> schemasInUse = new HashSet<>();
        for (ChannelRegistry registry : registries.get()) {
            for (Channel c : registry.delivering()) {
                if (c.destination().type() == DestinationType.S3
                        || (c.destination().type() == DestinationType.S3_TABLES && tables != null)) {
                    mapped(registry, c, unmappable, schemasInUse).ifPresent(specs::add);
                }
            }
        }
        unmapped.retainAll(unmappable);
        resolvedSchemas.keySet().retainAll(schemasInUse);
        if (!specs.isEmpty() && !announced) {
            // Not at start: a server that is ready says so in exactly one INFO line.
            log.info("Channels deliver to {}", where);
            announced = true;
        }
        engine.setChannels(specs);
        meter(specs);
        long nowMs = clock.millis();
        if (missingAtLastSweep == null || nowMs - lastSweepMs >= SWEEP_INTERVAL_MS) {
            sweep(nowMs);
        }
    }

    /**
     * Deletes the checkpoints of the channels missing from the store now and at the last sweep, unless a delivery
     * task still works on one (then the next sweep does). After {@link #refresh} handed the engine its channels, so
     * that a task starting after the check sees its channel dropped.
     */
    private void sweep(long nowMs) {
        // Before the channels are read: a checkpoint seen here whose channel is not stored after is a deleted one's.
        Set<String> missing = checkpoints.channelIds();
        missing.removeAll(storedChannelIds());
        if (missingAtLastSweep != null) {
            for (String id : missing) {
                if (missingAtLastSweep.contains(id) && !engine.busy(id)) {
                    log.info("Deleting the delivery checkpoints of channel {}, which no longer exists", id);
                    checkpoints.forget(id);
                }
            }
        }
        missingAtLastSweep = missing;
        lastSweepMs = nowMs;
    }

    /** The ids of the channels stored in every account's region, open here or not. */
    private Set<String> storedChannelIds() {
        Set<String> ids = new HashSet<>();
        List<Account> scopes = new ArrayList<>(RegionMetadata.storedScopes(metadata, ownAccountId));
        // The own account's legacy region, whose keys are bare (storedScopes finds regions by their key prefix).
        scopes.add(new Account(Account.LEGACY_REGION, ownAccountId));
        for (Account scope : scopes) {
            ids.addAll(ChannelRegistry.storedIds(RegionMetadata.of(metadata, scope, ownAccountId)));
        }
        return ids;
    }

    /** The channel as the engine delivers it, or empty (logged on the first failure) if its values do not map. */
    private Optional<DeliverySpec> mapped(ChannelRegistry registry, Channel c, Set<String> unmappable,
                                          Set<SchemaKey> schemasInUse) {
        try {
            return Optional.of(spec(registry, c, schemasInUse));
        } catch (RuntimeException e) {
            unmappable.add(c.id());
            if (unmapped.add(c.id())) {
                log.warn("Channel {} ({}) is not delivered: its stored configuration is not one delivery can use: {}",
                        c.name(), registry.arn(c), e.toString());
            }
            return Optional.empty();
        }
    }

    /** Whether the engine delivers the channel now (this node is the writer and the channel is ACTIVE). */
    public boolean delivers(String channelId) {
        return engine.stats(channelId).isPresent();
    }

    private void meter(List<DeliverySpec> specs) {
        Set<String> ids = new HashSet<>();
        for (DeliverySpec spec : specs) {
            ids.add(spec.channelId());
            engine.dataFreshnessMs(spec.channelId()).ifPresent(ageMs -> metering.freshness(spec, ageMs));
        }
        metering.retain(ids);
        if (tables != null) {
            tables.retain(ids); // a deleted channel's table writer is released
        }
    }

    private DeliverySpec spec(ChannelRegistry registry, Channel c, Set<SchemaKey> schemasInUse) {
        Channel.S3Storage s3 = c.destination().s3();
        Channel.DeadLetterQueue dlq = c.destination().deadLetters();
        if (c.destination().type() == DestinationType.S3_TABLES) {
            return DeliverySpec.forTable(c.id(), c.name(), registry.account().id(), registry.account().region(),
                    c.stream().name(), c.stream().arn(), c.stream().createdMs(), deliveredTarget(c, schemasInUse),
                    dlq.bucketArn(),
                    dlq.expectedBucketOwner(), dlq.errorOutputPrefix(), c.destination().freshnessSeconds(),
                    c.activatedMs());
        }
        return DeliverySpec.fromApi(c.id(), c.name(), registry.account().id(), registry.account().region(),
                c.stream().name(), c.stream().arn(), c.stream().createdMs(), c.stream().recordFormat(),
                s3.bucketArn(), s3.expectedBucketOwner(), s3.compression(), s3.storageClass(),
                s3.outputKeyTemplate(), dlq.bucketArn(), dlq.expectedBucketOwner(), dlq.errorOutputPrefix(),
                c.destination().freshnessSeconds(), c.activatedMs());
    }

    /**
     * One incarnation of a channel and the schema it names: a channel deleted and created again under the same id
     * (or activated anew) resolves its schema again.
     */
    private record SchemaKey(String channelId, long createdMs, long activatedMs, String schemaArn) {
    }

    private record ResolvedSchema(SchemaLookup.SchemaVersion version, long resolvedAtMs) {
    }

    @Override
    public void close() {
        engine.close();
        if (tables != null) {
            try {
                tables.close();
            } catch (IOException | RuntimeException e) {
                log.warn("Closing the channels' Iceberg catalogs failed: {}", e.toString());
            }
        }
        if (destination instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.warn("Closing the channel destination {} failed: {}", where, e.toString());
            }
        }
    }
}
