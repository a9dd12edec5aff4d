package dev.millrace.server.lambda;

import dev.millrace.channels.s3.Destination;
import dev.millrace.lambda.FunctionRegistry;
import dev.millrace.lambda.failure.InvocationRecords;
import dev.millrace.lambda.mapping.MappingStore;
import dev.millrace.lambda.poll.FailureDestinations;
import dev.millrace.lambda.poll.MappingEngine;
import dev.millrace.metrics.KinesisMetrics;
import dev.millrace.protocol.Account;
import dev.millrace.server.api.ApiServices;
import dev.millrace.server.channels.StreamShards;
import dev.millrace.server.records.RecordRouting;
import dev.millrace.server.records.RecordWriter;
import dev.millrace.server.state.RegionMetadata;
import dev.millrace.server.state.StreamRecord;
import dev.millrace.storage.MetadataStore;
import dev.millrace.storage.log.FileModes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's event source mappings: one {@link MappingEngine} per account's region, started the first time
 * housekeeping sees the region, reading the region's mappings from its metadata (the keys Lambda's API writes), the
 * streams' shards through {@link StreamShards}, and invoking the functions of {@code --function}. Discarded batches'
 * invocation records go to the OnFailure destination: an S3 bucket through the channels' destination (the
 * {@code --s3-endpoint}, or files under {@code DATA_DIR/channels}), or a stream of the account through the same append
 * path as PutRecord. What the engines do is recorded as the mappings' {@code AWS/Lambda} metrics
 * ({@link MappingMetering}).
 *
 * <p>On a cluster the engines work on the metadata writer only, as channel delivery does: it alone commits checkpoints
 * and settles mappings' states, and reading every shard there processes each shard on exactly one node. A node that
 * stops being the writer stops its batches; the next writer resumes from the checkpoints.
 *
 * <p>Thread-safe: {@link #refresh} runs on the housekeeping thread, {@link #close} on the server's, one at a time (an
 * engine is never started after the close); the engines have their own threads.
 */
public final class EventSourceMappings implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventSourceMappings.class);

    private final MetadataStore metadata;
    private final String ownAccountId;
    private final StreamShards streams;
    private final FunctionRegistry functions;
    private final Destination objects;
    private final Path stagingDir;
    private final BooleanSupplier writer;
    private final Clock clock;
    private final Function<Account, ApiServices> regions;
    private final MappingEngine.Options options;
    private final KinesisMetrics metrics;
    private final Map<Account, MappingEngine> engines = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param objects    where S3 OnFailure destinations' objects go (the channels' destination)
     * @param stagingDir where such an object is written before it is put: this server's alone, so the files a
     *                   SIGKILL left there (no engine runs yet) are deleted here
     * @param regions    an account's region's services (to append to an OnFailure stream)
     * @param metrics    where the mappings' AWS/Lambda metrics are recorded ({@link MappingMetering})
     */
    public EventSourceMappings(MetadataStore metadata, String ownAccountId, StreamShards streams,
                               FunctionRegistry functions, Destination objects, Path stagingDir,
                               BooleanSupplier writer, Clock clock, Function<Account, ApiServices> regions,
                               MappingEngine.Options options, KinesisMetrics metrics) {
        this.metadata = metadata;
        this.ownAccountId = ownAccountId;
        this.streams = streams;
        this.functions = functions;
        this.objects = objects;
        this.stagingDir = stagingDir;
        this.writer = writer;
        this.clock = clock;
        this.regions = regions;
        this.options = options;
        this.metrics = metrics;
        clearStaging(stagingDir);
    }

    /**
     * Makes {@code stagingDir} (private: staged objects hold records) and deletes the invocation records earlier runs
     * left there: a staged object is deleted once put, or when its put failed, but not when the process was killed
     * meanwhile, and such files would pile up. Only FailureDestinations' own files ({@code on-failure-*.json}, regular
     * files, links not followed) go, in case the directory is a link to somewhere shared. A directory that cannot be
     * made stops the start (every S3 OnFailure record would fail); a file that cannot be deleted costs disk only.
     */
    private static void clearStaging(Path stagingDir) {
        try {
            FileModes.createPrivateDirectories(stagingDir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot make the event source mappings' staging directory " + stagingDir, e);
        }
        try (DirectoryStream<Path> leftOvers = Files.newDirectoryStream(stagingDir, "on-failure-*.json")) {
            for (Path file : leftOvers) {
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(file);
                }
            }
        } catch (IOException e) {
            log.warn("Cannot clear the event source mappings' staging directory {}: {}", stagingDir, e.toString());
        }
    }

    /** Makes sure the engine of {@code account}'s region runs. */
    public synchronized void refresh(Account account) {
        if (closed) {
            return;
        }
        engines.computeIfAbsent(account, this::start);
    }

    private MappingEngine start(Account account) {
        MetadataStore region = RegionMetadata.of(metadata, account, ownAccountId);
        FailureDestinations failures = new FailureDestinations(objects, this::appendFailureRecord,
                stagingDir, new InvocationRecords(clock));
        MappingMetering metering = new MappingMetering(metrics.account(account.id(), account.region()));
        MappingEngine engine = new MappingEngine(new MappingStore(region, clock), region, streams, streams,
                functions, failures, metering, options, clock, account.region(), account.id(), writer);
        engine.start();
        return engine;
    }

    /** Appends an invocation record to an OnFailure stream, as PutRecord would (the API checked it is the account's). */
    private void appendFailureRecord(String streamArn, String partitionKey, byte[] data) {
        String[] parts = streamArn.split(":", 6);
        Account account = new Account(parts[3], parts[4]);
        ApiServices services = regions.apply(account);
        String name = account.streamNameOf(streamArn);
        StreamRecord stream = RecordRouting.writableStream(services.streams(), name);
        RecordWriter recordWriter = new RecordWriter(services.streams(), services.autoScaler(), services.throttles(),
                services.appends(), services.placement(), services.keys(), services.metrics());
        RecordWriter.Outcome outcome = recordWriter.write(stream,
                List.of(RecordWriter.Entry.of(stream, partitionKey, null, data))).get(0);
        if (outcome instanceof RecordWriter.Throttled throttled) {
            throw throttled.error();
        }
        if (outcome instanceof RecordWriter.Failed failed) {
            throw failed.error();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        engines.values().forEach(MappingEngine::close);
        engines.clear();
    }
}
